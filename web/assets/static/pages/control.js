// 现场控制台: venue staff run their venue's part of today's evaluation
// sessions: the phase controls (main venue), the sign-in checklist with
// seats, identity check, evaluator codes and on-site recusal, the fault
// clocks, each room's recorder state and audio mute, a live preview of
// every room, and a banner that cannot be missed while a room is not
// recording. Admins see every venue.
import { api, boot, h, clear, events, changes, debounce, param, phaseLabel, fmtTime, toast, confirmDialog } from '/static/app.js';
import { signinCard } from '/static/pages/control.signin.js';
import { roomsCard } from '/static/pages/control.rooms.js';
import { faultsCard } from '/static/pages/control.faults.js';
import { previewCard } from '/static/pages/control.preview.js';
import { running, phaseClass } from '/static/pages/control.common.js';

const user = await boot(['admin', 'staff']);
if (user) start(user);

// The phase buttons each phase offers: [to, label, class, confirmation].
const finishText = '确认结束评标？结束后不能再评分，实时音视频随即关闭，此操作不可撤销。';
const phaseActions = {
  scheduled: [['signin', '开始签到', 'primary', '']],
  signin: [['evaluating', '开始评标', 'primary', '确认开始评标？开始后评标专家即可评分，未到的专家仍可补签到。']],
  evaluating: [['paused', '暂停评标', 'secondary', '确认暂停评标？暂停期间专家不能提交评分。'], ['finished', '结束评标', 'danger', finishText]],
  paused: [['evaluating', '继续评标', 'primary', ''], ['finished', '结束评标', 'danger', finishText]],
};

function start(user) {
  const main = clear(document.getElementById('main'));
  const list = h('ul', { class: 'session-list', id: 'session-list' });
  const showAll = h('input', { type: 'checkbox', id: 'show-all', onchange: () => loadList() });
  const detail = h('section', { class: 'control-detail', id: 'control-detail' });
  main.append(h('div', { class: 'control-layout' },
    h('aside', { class: 'card control-side' },
      h('h2', { text: user.role === 'staff' ? `今日评标 · ${user.venue_code}` : '今日评标 · 全部场地' }),
      h('label', { class: 'inline small muted' }, showAll, '显示全部场次'),
      list),
    detail));

  let sessions = [];
  let current = Number(param('session')) || 0;
  let view = null;

  async function loadList() {
    try {
      sessions = (await api('GET', '/api/sessions')).items;
    } catch (err) {
      clear(list).append(h('li', { class: 'muted', text: err.message }));
      return;
    }
    const shown = showAll.checked ? sessions : sessions.filter(today);
    clear(list);
    if (!shown.length) list.append(h('li', { class: 'muted', text: '今日没有本场地的评标' }));
    for (const s of shown) {
      list.append(h('li', { class: 'session-item' + (s.id === current ? ' active' : ''), 'data-session': String(s.id), onclick: () => select(s.id) },
        h('div', { class: 'session-title', text: s.project_name }),
        h('div', { class: 'session-meta' },
          h('span', { class: 'mono', text: s.ref }),
          h('span', { class: 'badge ' + phaseClass(s.phase), text: phaseLabel(s.phase) })),
        h('div', { class: 'small muted', text: `${fmtTime(s.starts_at).slice(5, 16)} 开始 · 主场 ${s.main_venue}` })));
    }
    if (!current && shown.length) select((shown.find((s) => running(s.phase)) || shown[0]).id);
  }

  function select(id) {
    current = id;
    const url = new URL(location.href);
    url.searchParams.set('session', String(id));
    history.replaceState(null, '', url);
    for (const li of list.querySelectorAll('.session-item')) li.classList.toggle('active', li.dataset.session === String(id));
    if (view) view.close();
    view = sessionView(user, id, detail, loadList);
  }

  loadList().then(() => { if (current && !view) select(current); });
}

/** today reports whether s belongs on today's list: running, or starting within a day. */
function today(s) {
  if (running(s.phase)) return true;
  if (s.phase !== 'scheduled') return false;
  const starts = new Date(s.starts_at).getTime();
  const dayStart = new Date(); dayStart.setHours(0, 0, 0, 0);
  return starts >= dayStart.getTime() && starts < Date.now() + 24 * 3600e3;
}

/**
 * sessionView shows session id in holder and keeps it current: every
 * change hint about the session re-reads it; the recorder states are also
 * polled every 10 s. close() stops everything.
 */
function sessionView(user, id, holder, onPhase) {
  clear(holder);
  const head = h('div', { class: 'card session-head', id: 'session-head' });
  const ctx = { user, sess: null, refresh: () => refresh(), mayRun: null, mayMute: null };
  const parts = [faultsCard(ctx), signinCard(ctx), roomsCard(ctx), previewCard(ctx)];
  holder.append(head, h('div', { class: 'control-grid' },
    h('div', { class: 'control-col' }, parts[1].el),
    h('div', { class: 'control-col' }, parts[0].el)), parts[2].el, parts[3].el);
  let closed = false;
  let stream = null;

  async function refresh() {
    let sess;
    try {
      sess = await api('GET', `/api/sessions/${id}`);
    } catch (err) {
      clear(head).append(h('p', { class: 'form-error', text: err.message }));
      return;
    }
    if (closed) return;
    ctx.sess = sess;
    ctx.mayRun = user.role === 'admin' || user.venue_code === sess.main_venue;
    ctx.mayMute = (r) => user.role === 'admin' || r.venue_code === user.venue_code;
    ctx.ownRoom = (r) => user.role === 'admin' || r.venue_code === user.venue_code;
    drawHead(sess);
    if (!stream) {
      // The committee's answers (member:…) and the draw change the
      // sign-in list too.
      const topics = [`session:${id}`, ...sess.rooms.map((r) => `room:${r.id}`), 'member:'];
      if (sess.draw_id) topics.push(`draw:${sess.draw_id}`);
      // Reading the committee is an audited reveal on the draw: re-reading
      // on reads would never stop.
      const again = debounce(() => refresh(), 250);
      const rooms = debounce(() => { if (ctx.sess) parts[2].update(ctx.sess); }, 250);
      stream = events(topics, (e) => {
        // A recorder's report or an uploaded segment concerns the rooms
        // table only (the rest would re-read, and re-reveal, the committee).
        if (e.action === 'recorder.status' || (e.action || '').startsWith('archive.')) rooms();
        else if (changes(e)) again();
      });
    }
    await Promise.all(parts.map((p) => p.update(sess)));
  }

  function drawHead(sess) {
    clear(head);
    const actions = phaseActions[sess.phase] || [];
    head.append(...[
      h('div', { class: 'row' },
        h('h1', { text: sess.project_name }),
        h('span', { class: 'badge big ' + phaseClass(sess.phase), id: 'phase', 'data-phase': sess.phase, text: phaseLabel(sess.phase) }),
        h('span', { class: 'spacer' }),
        h('div', { class: 'row phase-actions' }, actions.map(([to, label, cls, question]) =>
          h('button', { class: cls + ' big', id: 'phase-' + to, disabled: !ctx.mayRun, text: label,
            onclick: (ev) => changePhase(ev.target, to, label, question) })))),
      h('div', { class: 'row small muted' },
        h('span', { class: 'mono', text: `编号 ${sess.ref}` }),
        h('span', { text: `${fmtTime(sess.starts_at)} 至 ${fmtTime(sess.ends_at).slice(11)}` }),
        h('span', { text: `主场 ${sess.main_venue}` + (sess.remote_venues.length ? ` · 副场 ${sess.remote_venues.join('、')}` : '') }),
        h('span', { text: `阶段变更于 ${fmtTime(sess.phase_changed_at)}` })),
      !ctx.mayRun && actions.length ? h('p', { class: 'small muted', text: '只有主场工作人员可以变更评标阶段。' }) : null,
      sess.abort_reason ? h('p', { class: 'form-error', text: '中止原因：' + sess.abort_reason }) : null].filter(Boolean));
  }

  async function changePhase(button, to, label, question) {
    if (question && !(await confirmDialog(question, label))) return;
    button.disabled = true;
    try {
      await api('POST', `/api/sessions/${id}/phase`, { phase: to });
      toast(`已${label}`);
      onPhase();
    } catch (err) {
      toast(err.message, 'err');
    } finally {
      button.disabled = false;
    }
    await refresh();
  }

  refresh();
  return {
    close() {
      closed = true;
      if (stream) stream.close();
      for (const p of parts) p.close();
    },
  };
}
