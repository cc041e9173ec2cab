// Chinese labels of the audit log's actions and actors, for the
// supervisor wall's operation log. An action not listed shows as is.

const actions = {
  'auth.login': '登录', 'auth.login_failed': '登录失败', 'auth.logout': '退出登录',
  'user.create': '创建用户', 'user.update': '修改用户', 'user.password': '修改密码',
  'expert.create': '新增专家', 'expert.import': '导入专家', 'expert.status': '变更专家状态', 'expert.unavailable': '登记专家不可参加日期',
  'organisation.upsert': '保存单位信息', 'project.create': '登记项目', 'pool.seed_demo': '生成演示专家库',
  'settings.recusal': '修改回避规则', 'settings.recusal_reset': '恢复默认回避规则',
  'draw.commit': '抽取承诺（随机种子）', 'draw.create': '完成专家抽取', 'draw.fail': '抽取失败（名额不足）',
  'draw.abort': '放弃抽取', 'draw.replace': '替补抽取', 'draw.replace_conflict': '替补冲突', 'draw.reserve_skipped': '跳过备选专家',
  'draw.short': '替补人数不足', 'draw.reveal': '揭晓专家名单', 'draw.reveal_seed': '公开随机种子',
  'member.confirm': '专家确认参加', 'member.decline': '专家拒绝参加', 'member.no_answer': '专家超时未答复',
  'member.repeat': '专家要求重播通知', 'member.recuse': '专家现场回避', 'member.signin': '专家签到',
  'notify.dead': '通知发送失败',
  'session.create': '创建评标', 'session.add_room': '添加评标室', 'session.phase': '变更评标阶段',
  'signin.seat': '签到并分配座位', 'signin.recuse': '签到时回避', 'signin.identity_mismatch': '签到身份核验不符',
  'signin.code_issue': '发放评标登录码', 'signin.code_reissue': '重新发放评标登录码', 'signin.code_used': '使用评标登录码',
  'scoring.sheet': '设置评分表', 'score.record': '提交评分', 'score.correct': '更正评分',
  'fault.start': '记录音视频故障', 'fault.restore': '音视频恢复', 'fault.expire': '故障超时',
  'room.register_recorder': '登记录像设备', 'device.authenticate': '录像设备认证',
  'media.token': '申请音视频令牌', 'media.join': '进入音视频', 'media.leave': '离开音视频',
  'media.watch': '监督观看', 'media.mute': '静音评标室', 'media.remove': '移出参会人员',
  'archive.accept': '录像入档', 'archive.expire': '录像到期', 'archive.export': '导出证据包', 'archive.hold': '冻结录像',
  'archive.hold_release': '解除冻结', 'archive.search': '检索档案', 'archive.timeline': '查看评标时间线',
  'archive.verify': '校验档案', 'archive.view': '调阅录像',
};

/** actionLabel is the Chinese label of an audit action. */
export const actionLabel = (a) => actions[a] || a;

/** actorLabel is who did it, in Chinese. */
export function actorLabel(actor) {
  const s = String(actor || '');
  if (s === 'system') return '系统';
  if (s === 'gateway') return '通知网关';
  if (s === 'expert-link') return '专家（确认链接）';
  const [kind, id] = s.split(/:(.*)/s);
  switch (kind) {
    case 'user': return `用户 #${id}`;
    case 'device': return `录像设备 ${id}`;
    default: return s;
  }
}
