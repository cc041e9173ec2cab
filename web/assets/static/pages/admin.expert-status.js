// An expert's status (在库, 暂停 until a day, 禁入 with a reason) and the
// days they cannot serve, each changed in a small dialog.
import { api, h, bindForm, toast } from '/static/app.js';
import { field, select, checkAll } from '/static/pages/admin.form.js';

const labels = { active: '在库', suspended: '暂停', blacklisted: '禁入' };

/** statusText is the badge of an expert's status. */
export function statusText(x) {
  if (x.status === 'suspended') return h('span', { class: 'badge warn', text: `暂停至 ${String(x.suspended_until || '').slice(0, 10)}` });
  if (x.status === 'blacklisted') return h('span', { class: 'badge err', title: x.blacklist_reason || '', text: '禁入' });
  return h('span', { class: 'badge ok', text: labels[x.status] || x.status });
}

// today is the calendar day in Beijing, "YYYY-MM-DD".
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

function dialog(form) {
  const dlg = h('dialog', { class: 'admin-dialog' }, form);
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

/** statusDialog changes expert x's status, then calls done. */
export function statusDialog(x, done) {
  const status = select('status', Object.entries(labels), x.status);
  const until = field('暂停至（含当天）', h('input', { name: 'suspended_until', type: 'date', min: today(),
    value: x.status === 'suspended' ? String(x.suspended_until || '').slice(0, 10) : '' }));
  const reason = field('禁入原因', h('textarea', { name: 'reason', rows: 2, text: x.blacklist_reason || '' }));
  const form = h('form', { class: 'dialog-form', id: 'expert-status' },
    h('h2', { text: `设置「${x.name}」的状态` }),
    h('div', { class: 'form-error', role: 'alert', hidden: true }),
    field('状态', status), until, reason,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', text: '取消', onclick: () => dlg.close() }),
      h('button', { type: 'submit', class: 'primary', text: '保存' })));
  const show = () => { until.hidden = status.value !== 'suspended'; reason.hidden = status.value !== 'blacklisted'; };
  status.addEventListener('change', show);
  show();
  const dlg = dialog(form);
  bindForm(form, async (v) => {
    checkAll(form, [
      [v.status !== 'suspended' || v.suspended_until !== '', 'suspended_until', '暂停的专家必须填写暂停至日期'],
      [v.status !== 'suspended' || v.suspended_until >= today(), 'suspended_until', '暂停至日期不能早于今天'],
      [v.status !== 'blacklisted' || v.reason.trim() !== '', 'reason', '禁入的专家必须填写禁入原因'],
      [v.status !== 'blacklisted' || v.reason.trim().length <= 200, 'reason', '禁入原因不能超过200个字'],
    ]);
    await api('PUT', `/api/experts/${x.id}/status`, {
      status: v.status, suspended_until: v.status === 'suspended' ? v.suspended_until : '', reason: v.status === 'blacklisted' ? v.reason.trim() : '',
    });
    dlg.close();
    toast('状态已保存');
    done();
    return false;
  });
}

/** unavailableDialog replaces the days expert x cannot serve. */
export async function unavailableDialog(x, done) {
  let days = [];
  try {
    days = ((await api('GET', `/api/experts/${x.id}`)).unavailable || []).map((d) => String(d).slice(0, 10));
  } catch (err) {
    toast(err.message, 'err');
    return;
  }
  const form = h('form', { class: 'dialog-form', id: 'expert-unavailable' },
    h('h2', { text: `「${x.name}」不能参加评标的日期` }),
    h('div', { class: 'form-error', role: 'alert', hidden: true }),
    field('日期', h('textarea', { name: 'unavailable', rows: 4, class: 'mono', text: days.join('\n'), placeholder: '2026-12-01' }),
      '每行一个日期（YYYY-MM-DD），最多 366 天；清空表示随时可以参加。抽取时这些日期的评标不会抽到该专家。'),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', text: '取消', onclick: () => dlg.close() }),
      h('button', { type: 'submit', class: 'primary', text: '保存' })));
  const dlg = dialog(form);
  bindForm(form, async (v) => {
    const list = v.unavailable.split(/[\s,;，；、]+/).map((s) => s.trim()).filter(Boolean);
    const bad = list.find((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d) || isNaN(new Date(d + 'T00:00:00Z')));
    checkAll(form, [
      [!bad, 'unavailable', `日期格式应为 YYYY-MM-DD：${bad}`],
      [list.length <= 366, 'unavailable', '最多 366 天'],
    ]);
    await api('PUT', `/api/experts/${x.id}/unavailable`, { days: list });
    dlg.close();
    toast('不可用日期已保存');
    done();
    return false;
  });
}
