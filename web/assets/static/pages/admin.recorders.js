// 录像设备: register a room's edge recorder (its id and the Ed25519
// public key `evalroomctl recorder keygen` printed on the room's PC) and
// see every recorder of a session with its latest status report.
import { api, h, clear, bindForm, fmtTime, fmtBytes, phaseLabel, toast } from '/static/app.js';
import { field, select, checkAll } from '/static/pages/admin.form.js';

const recorderOK = (s) => /^[A-Za-z0-9_.-]{1,64}$/.test(s);

/** keyOK reports whether s is a base64 Ed25519 public key (32 bytes). */
function keyOK(s) {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(s)) return false;
  try { return atob(s).length === 32; } catch { return false; }
}

/** recordersTab builds the recorders tab in panel. */
export function recordersTab(panel) {
  let sessions = [];
  let current = 0;
  const chooser = h('select', { id: 'recorder-session', onchange: () => { current = Number(chooser.value); show(); } });
  const statusBox = h('div', { id: 'recorder-status' });
  const formBox = h('div', { id: 'recorder-form' });
  panel.append(
    h('div', { class: 'card' },
      h('div', { class: 'row' }, h('h2', { text: '录像设备' }), h('span', { class: 'spacer' }),
        h('label', { class: 'inline' }, '评标会话 ', chooser)),
      statusBox),
    h('div', { class: 'admin-split' },
      h('div', { class: 'card' }, h('h2', { text: '登记录像设备' }), formBox),
      h('div', { class: 'card' }, h('h2', { text: '设备令牌' }),
        h('p', { text: '录像设备不使用账号密码：它用登记的公钥对应的私钥签名，向 POST /api/devices/token 换取短期设备令牌。' }),
        h('ul', {},
          h('li', { text: '评标进行中（签到、评标、暂停）：令牌可向本评标室推送直播并上传录像。' }),
          h('li', { text: '没有进行中的评标：令牌只能上传录像（仅上传），用于补传评标结束后仍在本地的录像片段。' }),
          h('li', { text: '令牌有效期短、自动续期，无需在此管理；重新登记设备（更换公钥）后旧私钥立即失效。' })),
        h('p', { class: 'muted small' }, '在评标室电脑上：', h('code', { text: 'evalroomctl recorder keygen -out /etc/evalroom/recorder' }),
          '，把打印的公钥粘贴到左侧表单。'))));

  async function load() {
    try {
      sessions = (await api('GET', '/api/sessions')).items || [];
    } catch (err) {
      clear(statusBox).append(h('p', { class: 'muted', text: err.message }));
      return;
    }
    const keep = current;
    clear(chooser);
    if (!sessions.length) {
      clear(statusBox).append(h('p', { class: 'muted', text: '暂无评标会话；请先在「评标会话与评标室」中创建会话和评标室。' }));
      clear(formBox);
      return;
    }
    for (const s of sessions) chooser.append(h('option', { value: String(s.id), text: `${s.ref} · ${s.project_name}（${phaseLabel(s.phase)}）` }));
    current = sessions.some((s) => s.id === keep) ? keep : sessions[0].id;
    chooser.value = String(current);
    await show();
  }

  let formFor = 0;
  async function show() {
    const s = sessions.find((x) => x.id === current);
    if (!s) return;
    if (formFor !== s.id) {
      formFor = s.id;
      clear(formBox).append(registerForm(s, () => { formFor = 0; return load(); }));
    }
    let views = null;
    let note = '';
    try {
      views = (await api('GET', `/api/sessions/${s.id}/recorders`)).items || [];
    } catch (err) {
      note = err.status === 503 || err.status === 404 ? '录像状态服务未启用，仅显示登记信息。' : err.message;
    }
    clear(statusBox).append(statusTable(s, views));
    if (note) statusBox.append(h('p', { class: 'muted small', text: note }));
  }

  load();
  return { refresh: load };
}

function statusTable(s, views) {
  const byRoom = new Map((views || []).map((v) => [v.room_id, v]));
  const tbody = h('tbody', {});
  for (const r of s.rooms || []) {
    const v = byRoom.get(r.id);
    const cells = !r.recorder_id ? [h('td', { colspan: 8 }, h('span', { class: 'badge warn', text: '未登记录像设备' }))]
      : !v ? [h('td', { colspan: 8, class: 'muted', text: '—' })]
        : v.stale ? [h('td', { colspan: 8 }, h('span', { class: 'badge err', text: '无最新报告（设备离线或未启动）' }))]
          : [
            h('td', { class: 'small', text: fmtTime(v.reported_at) }),
            h('td', {}, h('span', { class: 'badge ' + (v.recording ? 'ok' : 'err'), text: v.recording ? '录像中' : '未录像' })),
            h('td', {}, h('span', { class: 'badge ' + (v.live ? 'ok' : 'warn'), text: v.live ? '直播中' : '未直播' })),
            h('td', { text: `${v.backlog_segments} 段${v.backlog_bytes ? '（' + fmtBytes(v.backlog_bytes) + '）' : ''}` }),
            h('td', { text: `${Math.round(v.clock_offset_ms)} ms` }),
            h('td', { text: v.free_disk_bytes < 0 ? '未知' : fmtBytes(v.free_disk_bytes) }),
            h('td', { text: `${v.devices_open} 个${v.devices_lost ? `，${v.devices_lost} 个重连中` : ''}` }),
            h('td', {}, (v.alarms || []).length ? v.alarms.map((a) => h('div', { class: 'badge err', text: a })) : h('span', { class: 'muted', text: '无' })),
          ];
    tbody.append(h('tr', { 'data-room': r.name },
      h('td', { text: r.venue_code }), h('td', { text: r.name }),
      h('td', { class: 'mono', text: r.recorder_id || '—' }), ...cells));
  }
  if (!(s.rooms || []).length) tbody.append(h('tr', {}, h('td', { colspan: 11, class: 'muted', text: '本场评标尚未添加评标室' })));
  return h('table', { class: 'admin-table', id: 'recorders' },
    h('thead', {}, h('tr', {}, ['场地', '评标室', '设备编号', '最近报告', '录像', '直播', '待上传', '时钟偏差', '剩余磁盘', '采集设备', '告警']
      .map((t) => h('th', { text: t })))),
    tbody);
}

function registerForm(s, onDone) {
  if (!(s.rooms || []).length) return h('p', { class: 'muted', text: '本场评标尚未添加评标室；请先在「评标会话与评标室」中添加。' });
  const form = h('form', { id: 'register-recorder', autocomplete: 'off' },
    h('div', { class: 'form-error', role: 'alert', hidden: true }),
    field('评标室', select('room_id', s.rooms.map((r) => [String(r.id), `${r.venue_code} · ${r.name}${r.recorder_id ? '（已登记 ' + r.recorder_id + '）' : ''}`]))),
    field('设备编号', h('input', { name: 'recorder_id', placeholder: '如 edge-nj-1' }), '1–64 位字母、数字或 _ . -，与录像设备配置中的编号一致'),
    field('设备公钥', h('textarea', { name: 'public_key', rows: 2, class: 'mono', placeholder: 'evalroomctl recorder keygen 打印的 base64 公钥' }),
      '32 字节 Ed25519 公钥，base64 编码（44 个字符）。重新登记会替换原有设备。'),
    h('button', { type: 'submit', class: 'primary', text: '登记设备' }));
  bindForm(form, async (v) => {
    const key = v.public_key.trim();
    checkAll(form, [
      [recorderOK(v.recorder_id.trim()), 'recorder_id', '录像设备编号须为 1–64 位字母、数字或 _ . -'],
      [keyOK(key), 'public_key', '设备公钥须为 base64 编码的 32 字节 Ed25519 公钥（evalroomctl recorder keygen 打印的那一行）'],
    ]);
    const r = await api('PUT', `/api/rooms/${v.room_id}/recorder`, { recorder_id: v.recorder_id.trim(), public_key: key });
    toast(`已为 ${r.name} 登记录像设备 ${r.recorder_id}`);
    form.elements.recorder_id.value = '';
    form.elements.public_key.value = '';
    await onDone();
    return false;
  });
  return form;
}
