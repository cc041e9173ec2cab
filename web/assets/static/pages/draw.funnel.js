// The funnel of an unfillable draw: per quota, the experts of its
// specialty narrowed rule by rule, as a table with bars, the rule that
// took the count below the need marked.
import { h } from '/static/app.js';

/**
 * renderFunnel returns the element showing fe (error.funnel of a 409
 * quota_unfilled answer: {draw_id, funnels: [{venue_code, specialty_code,
 * region_prefix, needed, steps: [{rule, label, remaining, excluded}]}]}).
 */
export function renderFunnel(fe) {
  const box = h('div', { class: 'card funnel', role: 'region', 'aria-label': '筛选漏斗' },
    h('h3', { text: '名额无法抽满：各项规则排除的专家人数' }),
    h('p', { class: 'muted small', text: '本次未预约、未通知任何专家。请调整名额（人数、地区范围或专业）后重新抽取。' }));
  for (const f of fe.funnels || []) {
    const steps = f.steps || [];
    const top = Math.max(f.needed, ...steps.map((s) => s.remaining), 1);
    const last = steps.length ? steps[steps.length - 1].remaining : 0;
    // The bottleneck is the first rule that leaves fewer than needed.
    const neck = steps.findIndex((s) => s.remaining < f.needed);
    const rows = steps.map((s, i) => h('tr', { class: i === neck ? 'neck' : '', 'data-rule': s.rule },
      h('td', { text: s.label }),
      h('td', { class: 'num excluded' + (s.excluded ? ' nz' : ''), text: s.excluded ? `−${s.excluded}` : '0' }),
      h('td', { class: 'num remaining', text: String(s.remaining) }),
      h('td', { class: 'bar-cell' },
        h('div', { class: 'bar' },
          h('div', { class: 'bar-fill' + (s.remaining < f.needed ? ' short' : ''), style: `width:${(100 * s.remaining) / top}%` }),
          h('div', { class: 'bar-need', style: `left:${(100 * f.needed) / top}%`, title: `需要 ${f.needed} 人` })))));
    box.append(h('div', { class: 'funnel-quota', 'data-venue': f.venue_code },
      h('h4', {},
        `场地 ${f.venue_code} · 专业 ${f.specialty_code} · 地区 ${f.region_prefix || '不限'}：`,
        h('strong', { class: 'need', text: `需要 ${f.needed} 人，仅 ${last} 人符合条件` })),
      h('table', { class: 'funnel-table' },
        h('thead', {}, h('tr', {}, h('th', { text: '规则' }), h('th', { class: 'num', text: '排除' }),
          h('th', { class: 'num', text: '剩余' }), h('th', { text: `剩余人数（竖线为所需 ${f.needed} 人）` }))),
        h('tbody', {}, ...rows))));
  }
  return box;
}
