// 回避设置: the recusal and committee rules every new draw applies. They
// come from the configuration file until an administrator saves others
// here (kept in the database, the same for every server); each draw keeps
// the rules it was made under, so a change never alters a draw made.
import { api, h, clear, bindForm, fmtTime, toast, confirmDialog } from '/static/app.js';
import { field, checkAll, intIn } from '/static/pages/admin.form.js';

// The switches and numbers of expertpool.Rules, with their Chinese
// explanation.
const switches = [
  ['employer_is_party', '回避招标人、投标人及其上级单位的在职人员'],
  ['relatives', '回避招标人、投标人负责人的亲属，以及同一评标委员会其他成员的亲属'],
  ['status', '排除暂停、禁入及当天不能参加的专家'],
];
const numbers = [
  ['former_employer_years', '离职回避年限（年）', 0, 30, '近 N 年内曾在招标人、投标人任职的专家回避；0 表示不回避'],
  ['consultancy_years', '咨询关系回避年限（年）', 0, 30, '近 N 年内担任招标人、投标人顾问的专家回避；0 表示不回避'],
  ['max_draws_per_month', '每月最多被抽取次数', 0, 31, '同一专家在评标所在自然月内被抽中的上限；0 表示不限'],
];
const committee = [
  ['min_committee', '评标委员会最少人数', 1, 99, '专家与招标人代表合计；法定为 5 人以上单数'],
  ['expert_share_num', '专家最少占比：分子', 0, 100, ''],
  ['expert_share_den', '专家最少占比：分母', 1, 100, '法定为技术、经济等方面的专家不少于成员总数的三分之二（2/3）'],
];

/** recusalTab builds the recusal settings tab in panel. */
export function recusalTab(panel) {
  const source = h('div', { id: 'recusal-source', class: 'source-note' });
  const form = h('form', { id: 'recusal', autocomplete: 'off' },
    h('div', { class: 'form-error', role: 'alert', hidden: true }),
    h('fieldset', {}, h('legend', { text: '回避规则' }),
      switches.map(([name, label]) => h('label', { class: 'inline' }, h('input', { type: 'checkbox', name }), h('span', { text: label }))),
      numbers.map(([name, label, lo, hi, hint]) => field(label, h('input', { name, type: 'number', min: lo, max: hi, step: 1 }), hint))),
    h('fieldset', {}, h('legend', { text: '评标委员会组成' }),
      committee.map(([name, label, lo, hi, hint]) => field(label, h('input', { name, type: 'number', min: lo, max: hi, step: 1 }), hint)),
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'odd_size' }), h('span', { text: '评标委员会人数须为单数' }))),
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'primary', text: '保存回避设置' }),
      h('button', { type: 'button', class: 'secondary', id: 'recusal-reset', text: '恢复配置文件中的规则', onclick: reset })));
  panel.append(h('div', { class: 'card recusal' },
    h('h2', { text: '回避设置' }),
    h('p', { class: 'muted', text: '这些规则在每次专家抽取开始时读取并随抽取记录保存：修改只影响此后新建的抽取；已完成的抽取及其补抽仍按抽取时的规则。所有修改记入审计日志。' }),
    source, form));

  let names = new Map(); // "user:<id>" → display name
  const who = (actor) => names.get(actor) || actor;
  function fill(set) {
    for (const [name] of switches) form.elements[name].checked = !!set.rules[name];
    form.elements.odd_size.checked = !!set.rules.odd_size;
    for (const [name] of [...numbers, ...committee]) form.elements[name].value = String(set.rules[name]);
    clear(source).append(set.source === 'database'
      ? h('p', {}, h('span', { class: 'badge info', text: '管理员设置' }), ' ',
        `由 ${who(set.updated_by)} 于 ${fmtTime(set.updated_at)} 修改；恢复后将使用配置文件中的规则。`)
      : h('p', {}, h('span', { class: 'badge', text: '配置文件' }), ' ',
        '当前使用配置文件（expertpool.rules）中的规则，尚未在此修改。'));
  }

  async function load() {
    try {
      const users = (await api('GET', '/api/users')).users || [];
      names = new Map(users.map((u) => [`user:${u.id}`, u.display_name || u.username]));
    } catch { /* the actor is shown as recorded */ }
    try {
      fill(await api('GET', '/api/settings/recusal'));
    } catch (err) {
      clear(source).append(h('p', { class: 'form-error', text: err.message }));
    }
  }

  async function reset() {
    if (!(await confirmDialog('恢复为配置文件中的回避规则？此后新建的抽取将按配置文件中的规则进行。', '恢复'))) return;
    try {
      fill(await api('DELETE', '/api/settings/recusal'));
      toast('已恢复配置文件中的规则');
    } catch (err) {
      toast(err.message, 'err');
    }
  }

  bindForm(form, async (v) => {
    checkAll(form, [...numbers, ...committee].map(([name, label, lo, hi]) => [intIn(v[name], lo, hi), name, `${label}须为 ${lo}–${hi} 的整数`])
      .concat([[!intIn(v.expert_share_num, 0, 100) || !intIn(v.expert_share_den, 1, 100) || Number(v.expert_share_num) <= Number(v.expert_share_den),
        'expert_share_num', '专家占比的分子须在 0 与分母之间']]));
    const body = {};
    for (const [name] of switches) body[name] = v[name];
    body.odd_size = v.odd_size;
    for (const [name] of [...numbers, ...committee]) body[name] = Number(v[name]);
    fill(await api('PUT', '/api/settings/recusal', body));
    toast('回避设置已保存，此后新建的抽取按新规则进行');
    return false;
  });

  load();
  return { refresh: () => { if (!form.contains(document.activeElement)) load(); } };
}
