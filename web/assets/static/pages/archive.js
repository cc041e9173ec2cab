// 档案调阅: search the archive, open a session's timeline, play every
// room on one clock, jump to a scoring record, verify and export.
import {
  api, boot, h, clear, $, bindForm, FormError, fmtTime, fmtDuration, fmtBytes, phaseLabel, toast, param,
} from '/static/app.js';
import { MasterClock, RoomPlayer, ms } from './archive.player.js';
import { drawTimeline, clock, stateLabel } from './archive.timeline.js';

const user = await boot(['admin', 'archivist', 'supervisor']);
// Supervisors read; only administrators and archivists verify and export.
const keeper = user && user.role !== 'supervisor';

const dayRE = /^\d{4}-\d{2}-\d{2}$/;

/** checkDay reports whether s is a real calendar day "YYYY-MM-DD". */
function checkDay(s) {
  if (!dayRE.test(s)) return false;
  const d = new Date(s + 'T00:00:00Z');
  return !isNaN(d) && d.toISOString().slice(0, 10) === s;
}

const labels = { q: '关键词', project: '项目', room: '评标室', expert: '专家姓名' };

/** validate checks the search in the page (the server refuses the same). */
function validate(v) {
  for (const [name, label] of Object.entries(labels)) {
    if ((v[name] || '').trim().length > 64) throw new FormError(name, label + '不能超过64个字');
  }
  const from = (v.date_from || '').trim();
  const to = (v.date_to || '').trim();
  if (from && !checkDay(from)) throw new FormError('date_from', '开始日期格式应为 年-月-日，例如 2026-03-14');
  if (to && !checkDay(to)) throw new FormError('date_to', '结束日期格式应为 年-月-日，例如 2026-03-14');
  if (from && to && to < from) throw new FormError('date_to', '结束日期不能早于开始日期');
}

/** integrity is the badge of a session's or segment's state. */
function integrity(a) {
  if (a.state === 'broken') return h('span', { class: 'badge err', text: `有损坏（${a.broken} 个片段）` });
  if (a.state === 'verified') {
    return h('span', { class: 'badge ok', text: a.rechecked >= a.segments ? '完好（已复核）' : '完好' });
  }
  if (a.state === 'deleted') return h('span', { class: 'badge', text: '已超过保存期限删除' });
  return h('span', { class: 'badge', text: '无录像' });
}

function roomsText(sess) {
  return sess.rooms.map((r) => `${r.venue_code} · ${r.name}`).join('；') || '（未设评标室）';
}

async function search(values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v && v.trim()) q.set(k, v.trim());
  const res = await api('GET', '/api/archive/sessions' + (q.toString() ? '?' + q : ''));
  showResults(res);
}

function showResults(res) {
  $('#results-count').textContent = res.truncated ? `共 ${res.total} 场，显示最近 ${res.items.length} 场` : `共 ${res.total} 场`;
  const box = clear($('#results'));
  if (!res.items.length) {
    box.append(h('p', { class: 'muted', text: '没有符合条件的评标。' }));
    return;
  }
  box.append(h('table', { class: 'results' },
    h('thead', {}, h('tr', {}, ['评标编号', '项目', '计划开始', '场地 · 评标室', '录像', '录像时段', '完整性', ''].map((t) => h('th', { text: t })))),
    h('tbody', {}, res.items.map((s) => h('tr', { 'data-session': s.id },
      h('td', { class: 'mono', text: s.ref }),
      h('td', {}, h('div', { text: s.project_name }), h('div', { class: 'muted small', text: s.project_code }),
        s.experts ? h('div', { class: 'small', text: '专家：' + s.experts.join('、') }) : null),
      h('td', {}, fmtTime(s.starts_at), h('div', {}, h('span', { class: 'badge', text: phaseLabel(s.phase) }))),
      h('td', { text: roomsText(s) }),
      h('td', {}, s.archive.segments
        ? [h('div', { text: `${s.archive.segments} 个片段，${s.archive.rooms_recorded} 个评标室` }),
          h('div', { class: 'muted small', text: `${fmtDuration(s.archive.duration_ms)} · ${fmtBytes(s.archive.bytes)}${s.archive.gaps ? ` · ${s.archive.gaps} 处中断` : ''}${s.archive.deleted ? ` · ${s.archive.deleted} 个片段已到期删除` : ''}` })]
        : h('span', { class: 'muted', text: s.archive.deleted ? `${s.archive.deleted} 个片段已到期删除` : '—' })),
      h('td', { class: 'small', text: s.archive.start ? `${fmtTime(s.archive.start)} 至 ${fmtTime(s.archive.end).slice(11)}` : '—' }),
      h('td', {}, integrity(s.archive)),
      h('td', {}, h('button', { class: 'primary open', type: 'button', text: '查看', onclick: () => openSession(s.id, true) })))))));
}

// The open session view: its clock, players and tick timer.
let view = null;

function closeView() {
  if (!view) return;
  clearInterval(view.timer);
  view.players.forEach((p) => p.stop());
  view = null;
}

function backToResults(push) {
  closeView();
  $('#view').hidden = true;
  $('#search-card').hidden = false;
  $('#results-card').hidden = false;
  if (push) history.pushState(null, '', '/archive');
}

async function openSession(id, push) {
  closeView();
  let tl;
  try {
    tl = await api('GET', `/api/sessions/${id}/archive/timeline`);
  } catch (err) {
    toast(err.message, 'err');
    return;
  }
  if (push) history.pushState(null, '', '/archive?session=' + id);
  $('#search-card').hidden = true;
  $('#results-card').hidden = true;
  const box = clear($('#view'));
  box.hidden = false;
  renderSession(box, tl);
}

/** bounds is the span the timeline shows: the recordings, phase changes and scoring records. */
function bounds(tl) {
  const ts = [];
  if (tl.start) ts.push(ms(tl.start), ms(tl.end));
  tl.scores.forEach((s) => ts.push(ms(s.at)));
  tl.phases.forEach((p) => ts.push(ms(p.at)));
  if (!ts.length) ts.push(ms(tl.from), ms(tl.to));
  let t0 = Math.min(...ts); let t1 = Math.max(...ts);
  const pad = Math.max((t1 - t0) * 0.02, 1000);
  t0 -= pad; t1 += pad;
  return [t0, t1];
}

function renderSession(box, tl, at) {
  const sess = tl.session;
  const [t0, t1] = bounds(tl);
  const lanes = tl.rooms.map((r) => ({ ...r, label: `${r.venue_code} · ${r.name}` }));
  const players = new Map(lanes.map((l) => [l.id, new RoomPlayer(l, l.label + (l.recorders.length ? `（${l.recorders.join('、')}）` : ''))]));
  const start = at !== undefined ? at : (tl.start ? ms(tl.start) : t0);
  const clk = new MasterClock(start);
  view = { clock: clk, players, timer: 0 };

  const verifyResult = h('div', { id: 'verify-result', class: 'verify-result', hidden: true });
  const actions = keeper ? [
    h('button', { id: 'verify', class: 'primary', type: 'button', text: '校验', onclick: () => verify(sess.id, verifyResult) }),
    h('a', { id: 'export', class: 'button', href: `/api/sessions/${sess.id}/archive/export`, download: '', text: '导出证据包' }),
  ] : [h('span', { class: 'muted small', text: '监督人员只读：校验和导出证据包由档案管理员执行。' })];
  box.append(h('section', { class: 'card session-head' },
    h('div', { class: 'row' },
      h('button', { class: 'secondary', type: 'button', text: '← 返回检索结果', onclick: () => backToResults(true) }),
      h('h1', { id: 'session-title', text: `${sess.project_name}（${sess.project_code}）` }),
      h('span', { class: 'spacer' }), actions),
    h('div', { class: 'muted' }, `评标编号 ${sess.ref} · 计划 ${fmtTime(sess.starts_at)} 至 ${fmtTime(sess.ends_at)} · `,
      h('span', { class: 'badge', text: phaseLabel(sess.phase) }), ` · ${roomsText(sess)}`),
    verifyResult));

  if (!tl.start) {
    box.append(h('section', { class: 'card' }, h('p', { class: 'muted', text: '该评标在档案中没有录像。' })));
  }

  // Transport: play/pause, the time, the slider and the step buttons.
  const playBtn = h('button', { id: 'play', class: 'primary', type: 'button', text: '▶ 播放' });
  const timeEl = h('span', { id: 'now', class: 'now mono' });
  const noteEl = h('span', { id: 'jump-note', class: 'muted small' });
  const slider = h('input', { id: 'seek', type: 'range', min: String(t0), max: String(t1), step: '100', value: String(start), 'aria-label': '播放位置' });
  const seek = (t) => { clk.set(Math.min(t1, Math.max(t0, t))); noteEl.textContent = ''; tick(); };
  playBtn.addEventListener('click', () => {
    if (clk.playing) clk.pause(); else clk.play();
    tick();
  });
  slider.addEventListener('input', () => seek(Number(slider.value)));
  const stepBtn = (d, text) => h('button', { class: 'secondary', type: 'button', text, onclick: () => seek(clk.now() + d) });
  players.forEach((p) => p.soundButton.addEventListener('click', () => {
    const on = p.videos[0].muted;
    players.forEach((q) => q.setMuted(true));
    p.setMuted(!on);
  }));
  box.append(h('section', { class: 'card' },
    h('h2', {}, '同步回放 ', h('span', { class: 'muted small', text: '所有评标室由同一时钟驱动；点击时间轴或评分记录跳转' })),
    h('div', { class: 'transport row' }, playBtn, stepBtn(-10000, '« 10 秒'), stepBtn(10000, '10 秒 »'), timeEl, noteEl),
    slider,
    h('div', { class: 'players grid cols-2' }, [...players.values()].map((p) => p.el))));

  const tlBox = h('section', { class: 'card' }, h('h2', {}, '时间轴 ',
    h('span', { class: 'legend small' },
      h('i', { class: 'sw verified' }), '完好 ', h('i', { class: 'sw broken' }), '损坏 ',
      h('i', { class: 'sw gap' }), '无录像（悬停查看原因） ', h('i', { class: 'sw score' }), '评分记录')));
  box.append(tlBox);
  const timeline = drawTimeline(tlBox, { t0, t1, lanes, scores: tl.scores, phases: tl.phases }, {
    onSeek: seek, onScore: (s) => jumpToScore(s),
  });

  box.append(scoresCard(tl.scores, (s) => jumpToScore(s)));
  box.append(integrityCard(lanes));

  async function jumpToScore(s) {
    let pb;
    try {
      pb = await api('GET', `/api/scores/${s.id}/playback`);
    } catch (err) {
      toast(err.message, 'err');
      return;
    }
    clk.pause();
    clk.set(ms(pb.at));
    for (const r of pb.rooms) {
      const p = players.get(r.room_id);
      if (!p) continue;
      if (r.position) p.jump(r.position.segment, r.position.offset_ns / 1e9);
    }
    tick();
    noteEl.textContent = `已跳转到评分记录 #${s.id}（${s.evaluator}，${fmtTime(pb.at)}）`;
    box.dataset.jumped = String(s.id);
  }

  function tick() {
    const t = clk.now();
    let holding = false;
    players.forEach((p) => { if (p.sync(t, clk.playing)) holding = true; });
    if (holding && clk.playing) clk.set(t); // wait for the slowest room
    if (clk.playing && t >= t1) clk.pause();
    playBtn.textContent = clk.playing ? '❚❚ 暂停' : '▶ 播放';
    timeEl.textContent = fmtTime(new Date(t).toISOString()) + '.' + String(Math.floor(((t % 1000) + 1000) % 1000 / 100));
    if (document.activeElement !== slider) slider.value = String(t);
    timeline.setTime(t);
  }
  view.timer = setInterval(tick, 100);
  tick();
}

function scoresCard(scores, onJump) {
  return h('section', { class: 'card' }, h('h2', { text: `评分记录（${scores.length}）` }),
    scores.length ? h('table', { class: 'scores' },
      h('thead', {}, h('tr', {}, ['时间', '评标专家', '投标人', '评分项', '分值', '状态', ''].map((t) => h('th', { text: t })))),
      h('tbody', {}, scores.map((s) => h('tr', { 'data-score': s.id },
        h('td', { class: 'mono', text: fmtTime(s.at) }),
        h('td', { text: s.evaluator }),
        h('td', { text: s.bidder_name || s.bidder }),
        h('td', { text: s.criterion_name || s.criterion }),
        h('td', { text: String(s.value) }),
        h('td', {}, s.effective ? h('span', { class: 'badge ok', text: '有效' }) : h('span', { class: 'badge warn', text: '已更正' }),
          s.comment ? h('div', { class: 'muted small', text: s.comment }) : null),
        h('td', {}, h('button', { class: 'secondary jump', type: 'button', text: '跳转到该时刻', onclick: () => onJump(s) }))))))
      : h('p', { class: 'muted', text: '该评标没有评分记录。' }));
}

function integrityCard(lanes) {
  return h('section', { class: 'card', id: 'integrity' }, h('h2', { text: '片段完整性' }),
    lanes.map((l) => {
      const broken = l.segments.filter((s) => s.verify_state === 'broken').length;
      return h('details', { 'data-room': l.id },
        h('summary', {}, `${l.label}：${l.segments.length} 个片段，`,
          broken ? h('span', { class: 'badge err', text: `${broken} 个损坏` }) : h('span', { class: 'badge ok', text: '全部完好' }),
          l.gaps.length ? `，${l.gaps.length} 处无录像` : ''),
        h('table', {}, h('thead', {}, h('tr', {}, ['序号', '开始', '时长', '完整性', '校验时间', '摘要（SHA-256）'].map((t) => h('th', { text: t })))),
          h('tbody', {}, l.segments.map((s) => h('tr', { 'data-hash': s.hash },
            h('td', { text: String(s.seq) }),
            h('td', { class: 'mono', text: clock(ms(s.start)) }),
            h('td', { text: fmtDuration(s.duration_ms) + (s.truncated ? '（异常中断后恢复）' : '') }),
            h('td', {}, h('span', { class: 'badge ' + ({ broken: 'err', deleted: '' }[s.verify_state] ?? 'ok'), text: stateLabel(s.verify_state) }),
              s.verify_detail ? h('div', { class: 'small err-text', text: s.verify_detail }) : null),
            h('td', { class: 'small', text: `${fmtTime(s.verified_at)}${s.rechecked ? '（复核）' : '（接收时）'}` }),
            h('td', { class: 'mono small', title: s.hash, text: s.hash.slice(0, 16) + '…' }))))));
    }));
}

async function verify(id, out) {
  const btn = $('#verify');
  btn.disabled = true;
  out.hidden = false;
  out.className = 'verify-result';
  out.textContent = '正在校验：重新计算每个片段的摘要并检查签名和哈希链……';
  try {
    const rep = await api('POST', `/api/sessions/${id}/archive/verify`);
    if (rep.ok) {
      out.className = 'verify-result ok';
      out.textContent = `校验通过：${rep.segments} 个片段全部完好（签名、摘要和哈希链均一致），校验时间 ${fmtTime(rep.verified_at)}。`;
    } else if (!rep.segments) {
      out.className = 'verify-result warn';
      out.textContent = '没有可校验的录像片段。';
    } else {
      out.className = 'verify-result err';
      const b = rep.first_broken || {};
      out.textContent = `校验发现问题：${rep.broken} 个片段损坏（共 ${rep.segments} 个）。首个断点：${b.reason || ''} ${b.detail || ''}`;
    }
    // Show each segment's new state.
    const tl = await api('GET', `/api/sessions/${id}/archive/timeline`);
    const keep = out.cloneNode(true);
    const at = view ? view.clock.now() : undefined;
    closeView();
    const box = clear($('#view'));
    renderSession(box, tl, at);
    $('#verify-result').replaceWith(keep);
  } catch (err) {
    out.className = 'verify-result err';
    out.textContent = err.message;
  } finally {
    const b = $('#verify');
    if (b) b.disabled = false;
  }
}

if (user) {
  const form = $('#search');
  bindForm(form, async (v) => {
    validate(v);
    await search(v);
    return false;
  });
  form.addEventListener('reset', () => setTimeout(() => form.requestSubmit(), 0));
  window.addEventListener('popstate', () => {
    const id = param('session');
    if (id) openSession(id, false); else backToResults(false);
  });
  const id = param('session');
  if (id) openSession(id, false);
  try {
    await search({});
  } catch (err) {
    clear($('#results')).append(h('p', { class: 'form-error', text: err.message }));
  }
}
