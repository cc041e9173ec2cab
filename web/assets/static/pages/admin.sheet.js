// The score sheet editor of a session: bidders (code, name) and criteria
// (code, name, lowest and highest score), saved as a whole with
// PUT /api/sessions/{id}/scoresheet.
import { api, h, clear, bindForm, toast } from '/static/app.js';
import { checkAll } from '/static/pages/admin.form.js';

const codeOK = (s) => /^[A-Za-z0-9_.-]{1,32}$/.test(s);
const hundredths = (s) => /^-?\d+(\.\d{1,2})?$/.test(String(s).trim()) && Math.abs(Number(s)) <= 99999.99;

/** sheetEditor returns the score sheet form of session s. */
export function sheetEditor(s, editable) {
  const bidders = h('tbody', { class: 'sheet-bidders' });
  const criteria = h('tbody', { class: 'sheet-criteria' });
  const input = (cls, value, attrs = {}) => h('input', { class: cls, value: value ?? '', disabled: !editable, ...attrs });
  const remove = (tr) => (editable ? h('button', { type: 'button', class: 'link', text: '删除', onclick: () => tr.remove() }) : null);
  const addBidder = (b = {}) => {
    const tr = h('tr', { class: 'sheet-row' });
    tr.append(h('td', {}, input('code', b.code, { placeholder: 'B1', size: 6 })), h('td', {}, input('name', b.name, { placeholder: '投标人名称' })),
      h('td', {}, remove(tr)));
    bidders.append(tr);
  };
  const addCriterion = (c = {}) => {
    const tr = h('tr', { class: 'sheet-row' });
    tr.append(h('td', {}, input('code', c.code, { placeholder: 'C1', size: 6 })), h('td', {}, input('name', c.name, { placeholder: '评分项' })),
      h('td', {}, input('min', c.min ?? 0, { type: 'number', step: '0.01', size: 6 })),
      h('td', {}, input('max', c.max ?? '', { type: 'number', step: '0.01', size: 6 })),
      h('td', {}, remove(tr)));
    criteria.append(tr);
  };
  const form = h('form', { id: 'score-sheet', autocomplete: 'off' },
    h('div', { class: 'form-error', role: 'alert', hidden: true }),
    h('fieldset', { class: 'field' },
      h('legend', { text: '投标人' }),
      h('input', { type: 'hidden', name: 'bidders' }),
      h('table', { class: 'sheet' }, h('thead', {}, h('tr', {}, ['编号', '名称', ''].map((t) => h('th', { text: t })))), bidders),
      editable ? h('button', { type: 'button', class: 'secondary', id: 'add-bidder', text: '添加投标人', onclick: () => addBidder() }) : null),
    h('fieldset', { class: 'field' },
      h('legend', { text: '评分项' }),
      h('input', { type: 'hidden', name: 'criteria' }),
      h('table', { class: 'sheet' }, h('thead', {}, h('tr', {}, ['编号', '名称', '最低分', '最高分', ''].map((t) => h('th', { text: t })))), criteria),
      editable ? h('button', { type: 'button', class: 'secondary', id: 'add-criterion', text: '添加评分项', onclick: () => addCriterion() }) : null),
    editable ? h('button', { type: 'submit', class: 'primary', text: '保存评分表' }) : null);

  api('GET', `/api/sessions/${s.id}/scoresheet`).then((sh) => {
    clear(bidders);
    clear(criteria);
    (sh.bidders || []).forEach(addBidder);
    (sh.criteria || []).forEach(addCriterion);
    if (editable && !bidders.children.length) addBidder();
    if (editable && !criteria.children.length) addCriterion();
  }).catch((err) => toast(err.message, 'err'));

  const rows = (tbody) => [...tbody.querySelectorAll('tr')].map((tr) => {
    const o = {};
    for (const el of tr.querySelectorAll('input')) o[el.className] = el.value.trim();
    return o;
  });
  bindForm(form, async () => {
    const bs = rows(bidders);
    const cs = rows(criteria);
    const dupOf = (list) => list.find((x, i) => list.findIndex((y) => y.code === x.code) !== i);
    const badBidder = bs.find((b) => !codeOK(b.code) || b.name === '' || b.name.length > 200);
    const badCrit = cs.find((c) => !codeOK(c.code) || c.name === '' || c.name.length > 200);
    const badRange = cs.find((c) => !hundredths(c.min) || !hundredths(c.max));
    const badOrder = cs.find((c) => hundredths(c.min) && hundredths(c.max) && Number(c.max) <= Number(c.min));
    const dupB = dupOf(bs);
    const dupC = dupOf(cs);
    checkAll(form, [
      [bs.length > 0, 'bidders', '至少需要一个投标人'],
      [!badBidder, 'bidders', badBidder ? `投标人「${badBidder.code || '（无编号）'}」：编号须为 1–32 位字母、数字或 _ . -，名称不能为空` : ''],
      [!dupB, 'bidders', dupB ? `投标人编号 ${dupB.code} 重复` : ''],
      [cs.length > 0, 'criteria', '至少需要一个评分项'],
      [!badCrit, 'criteria', badCrit ? `评分项「${badCrit.code || '（无编号）'}」：编号须为 1–32 位字母、数字或 _ . -，名称不能为空` : ''],
      [!dupC, 'criteria', dupC ? `评分项编号 ${dupC.code} 重复` : ''],
      [!badRange, 'criteria', badRange ? `评分项 ${badRange.code} 的最低分和最高分须为最多两位小数的数` : ''],
      [!badOrder, 'criteria', badOrder ? `评分项 ${badOrder.code} 的最高分必须大于最低分` : ''],
    ]);
    await api('PUT', `/api/sessions/${s.id}/scoresheet`, {
      bidders: bs.map((b) => ({ code: b.code, name: b.name })),
      criteria: cs.map((c) => ({ code: c.code, name: c.name, min: Number(c.min), max: Number(c.max) })),
    });
    toast('评分表已保存');
    return false;
  });
  return form;
}
