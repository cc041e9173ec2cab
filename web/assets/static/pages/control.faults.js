// The fault clocks: staff report that media between the venues failed
// (which starts the clock the rules set) and that it came back; while a
// fault is open its clock runs here, second by second, with what happens
// when it runs out.
import { api, h, clear, bindForm, fmtTime, fmtDuration, toast, confirmDialog } from '/static/app.js';
import { running, card } from '/static/pages/control.common.js';

const kindLabels = { before_start: '开始前故障', during_evaluation: '评标中故障' };

/** faultsCard is the fault clocks part of the control panel. */
export function faultsCard(ctx) {
  const body = h('div', { class: 'faults-body' });
  const el = card(h, 'faults', '音视频故障计时', body);
  let sess = null;
  let ticker = 0;
  let lastSig = '';
  let clocks = []; // with deadlineAt: the deadline on this browser's clock

  async function update(s) {
    sess = s;
    let list = [];
    let problem = '';
    try {
      list = (await api('GET', `/api/sessions/${s.id}/clocks`)).items;
    } catch (err) {
      problem = err.message;
    }
    if (sess !== s) return;
    const sig = JSON.stringify([s.phase, list.map((c) => c.fault_id), problem]);
    if (sig === lastSig) return; // the running clock keeps ticking by itself
    lastSig = sig;
    const now = Date.now();
    clocks = list.map((c) => Object.assign({ deadlineAt: now + c.remaining_seconds * 1000 }, c));
    draw(problem);
  }

  function draw(problem) {
    clearInterval(ticker);
    const mayReport = running(sess.phase) || sess.phase === 'scheduled';
    const items = clocks.map((c) => h('div', { class: 'fault-clock' + (c.overdue ? ' overdue' : ''), 'data-fault': String(c.fault_id) },
      h('div', { class: 'row' }, h('span', { class: 'badge err', text: kindLabels[c.kind] || c.kind }),
        h('span', { class: 'small muted', text: `${fmtTime(c.started_at).slice(11)} 起 · 时限 ${fmtTime(c.deadline).slice(11)}` })),
      h('div', { class: 'clock-remaining mono', 'data-remaining': '' }),
      h('p', { class: 'small', text: '到时：' + c.consequence })));
    clear(body).append(...[
      problem ? h('p', { class: 'form-error', text: problem }) : null,
      ...(items.length ? items : [h('p', { class: 'muted', id: 'no-fault', text: '音视频正常，没有未恢复的故障。' })]),
      mayReport ? actions() : null].filter(Boolean));
    tick();
    if (clocks.length) ticker = setInterval(tick, 1000);
  }

  function tick() {
    for (const node of body.querySelectorAll('.fault-clock')) {
      const c = clocks.find((x) => String(x.fault_id) === node.dataset.fault);
      if (!c) continue;
      const left = c.deadlineAt - Date.now();
      const out = node.querySelector('[data-remaining]');
      out.textContent = left > 0 ? `剩余 ${fmtDuration(left)}` : `已超时 ${fmtDuration(-left)}`;
      node.classList.toggle('overdue', left <= 0);
    }
  }

  function actions() {
    if (clocks.length) {
      return h('div', { class: 'row' }, h('button', { class: 'ok big', id: 'fault-restore', text: '音视频已恢复', onclick: restore }));
    }
    const form = h('form', { class: 'fault-form row', id: 'fault-form' },
      h('div', { class: 'form-error', hidden: true }),
      h('label', { class: 'grow' }, '故障说明（可选）', h('input', { name: 'note', maxlength: 200, placeholder: '如：合肥副场画面中断' })),
      h('div', { class: 'field' }, h('span', { html: '&nbsp;' }), h('button', { type: 'submit', class: 'danger', text: '登记音视频故障' })));
    bindForm(form, async (v) => {
      if (!(await confirmDialog('确认登记音视频故障？登记后开始故障计时，超过时限将按规定处理。', '登记故障'))) return false;
      await api('POST', `/api/sessions/${sess.id}/faults`, { note: v.note.trim() });
      toast('已登记音视频故障，开始计时');
      ctx.refresh();
      return false;
    });
    return form;
  }

  async function restore(ev) {
    ev.target.disabled = true;
    try {
      await api('POST', `/api/sessions/${sess.id}/faults/restore`);
      toast('已登记音视频恢复');
    } catch (err) {
      toast(err.message, 'err');
    }
    ctx.refresh();
  }

  return { el, update, close() { clearInterval(ticker); sess = null; } };
}
