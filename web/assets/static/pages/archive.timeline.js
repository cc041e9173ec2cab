// The session timeline of the archive page: rooms as lanes, segments as
// bars coloured by integrity state, gaps in red (reason on hover),
// scoring records and phase changes as markers, and the playhead of the
// shared clock.
import { h, fmtTime, fmtDuration, phaseLabel } from '/static/app.js';
import { ms } from './archive.player.js';

// Tick spacings to choose from (seconds).
const tickSteps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600];

/** clock shows UTC milliseconds as Beijing "HH:mm:ss". */
export const clock = (t) => fmtTime(new Date(t).toISOString()).slice(11);

/** stateLabel is the Chinese name of a segment's integrity state. */
export const stateLabel = (s) => ({ broken: '损坏', deleted: '已到期删除' }[s] || '完好');

// laneRow marks a lane's row with its room.
function laneRow(lane, el) {
  el.dataset.room = lane.id;
  return el;
}

/**
 * drawTimeline draws model into box and returns {setTime(t)} to move the
 * playhead. model: {t0, t1 (UTC ms), lanes: [{id, label, segments,
 * gaps}], scores, phases}. onSeek(t) is called for a click on a lane,
 * onScore(score) for a click on a scoring record.
 */
export function drawTimeline(box, model, { onSeek, onScore }) {
  const span = Math.max(model.t1 - model.t0, 1000);
  const pct = (t) => Math.min(100, Math.max(0, ((t - model.t0) / span) * 100));
  const width = (a, b) => Math.max(0, pct(b) - pct(a));
  const heads = [];
  const track = (cls, ...items) => {
    const head = h('div', { class: 'tl-playhead' });
    heads.push(head);
    const el = h('div', { class: 'tl-track ' + (cls || '') }, items, head);
    el.addEventListener('click', (ev) => {
      if (ev.target.closest('.tl-score')) return;
      const r = el.getBoundingClientRect();
      onSeek(model.t0 + ((ev.clientX - r.left) / r.width) * span);
    });
    return el;
  };
  const row = (label, tr, cls) => h('div', { class: 'tl-row ' + (cls || '') }, h('div', { class: 'tl-label', text: label }), tr);

  const step = tickSteps.find((s) => span / (s * 1000) <= 10) || tickSteps[tickSteps.length - 1];
  const ticks = [];
  // Ticks on whole Beijing seconds/minutes (UTC+8 has whole-hour offset).
  for (let t = Math.ceil(model.t0 / (step * 1000)) * step * 1000; t <= model.t1; t += step * 1000) {
    ticks.push(h('span', { class: 'tl-tick', style: { left: pct(t) + '%' }, text: clock(t) }));
  }
  // Labels of phase changes close together alternate between two lines.
  let lastAt = -Infinity; let lower = false;
  const phases = model.phases.map((p) => {
    const at = pct(ms(p.at));
    lower = at - lastAt < 6 ? !lower : false;
    lastAt = at;
    return [at, lower, p];
  }).map(([at, low, p]) => h('div', {
    class: 'tl-phase' + (low ? ' lower' : ''), style: { left: at + '%' },
    title: `${fmtTime(p.at)} ${phaseLabel(p.from)} → ${phaseLabel(p.to)}${p.reason ? '（' + p.reason + '）' : ''}`,
  }, h('span', { text: phaseLabel(p.to) })));
  const lanes = model.lanes.map((l) => laneRow(l, row(l.label, track('tl-lane',
    l.segments.map((s) => {
      const a = ms(s.start); const b = ms(s.end);
      return h('div', {
        class: `tl-seg ${s.verify_state}${s.truncated ? ' truncated' : ''}`, 'data-hash': s.hash,
        style: { left: pct(a) + '%', width: width(a, b) + '%' },
        title: `片段 #${s.seq}（${s.stream}）\n${clock(a)}–${clock(b)}，时长 ${fmtDuration(s.duration_ms)}\n`
          + `完整性：${stateLabel(s.verify_state)}（${s.rechecked ? '复核' : '接收'}于 ${fmtTime(s.verified_at)}）`
          + `${s.truncated ? '\n异常中断后恢复的片段' : ''}${s.verify_detail ? '\n' + s.verify_detail : ''}\n${s.hash}`,
      });
    }),
    l.gaps.map((g) => {
      const a = ms(g.from); const b = ms(g.to);
      return h('div', {
        class: 'tl-gap' + (g.recorded ? ' recorded' : ''), 'data-reason': g.reason,
        style: { left: pct(a) + '%', width: width(a, b) + '%' },
        title: `无录像：${g.reason}\n${clock(a)}–${clock(b)}（${fmtDuration(b - a)}）`,
      });
    })), 'lane')));
  const scores = model.scores.map((s) => h('button', {
    class: 'tl-score' + (s.effective ? '' : ' corrected'), type: 'button', 'data-score': s.id,
    style: { left: pct(ms(s.at)) + '%' },
    title: `${fmtTime(s.at)} ${s.evaluator}：${s.bidder_name || s.bidder} · ${s.criterion_name || s.criterion} ${s.value} 分${s.effective ? '' : '（已更正）'}\n点击跳转到该时刻`,
    onclick: () => onScore(s),
  }));
  box.append(h('div', { class: 'timeline' },
    row('', h('div', { class: 'tl-track tl-axis' }, ticks), 'axis'),
    row('阶段', track('tl-phases', phases), 'phases'),
    lanes,
    row('评分记录', track('tl-scores', scores), 'scores')));
  return { setTime(t) { heads.forEach((el) => { el.style.left = pct(t) + '%'; }); } };
}
