// 评标: the evaluator's page. The session and seat the code opened, the
// other venues' rooms live (the evaluator's own camera and microphone
// optional), the scoring form per bidder and criterion, and the
// evaluator's own submissions. Live: the phase and the records follow the
// session's change hints.
import { api, boot, h, clear, $, events, changes, debounce, phaseLabel, fmtTime } from '/static/app.js';
import { Media } from '/static/pages/evaluator.media.js';
import { Scoring } from '/static/pages/evaluator.scores.js';

const user = await boot(['evaluator']);
if (user) start(user);

async function start(user) {
  const main = clear($('#main'));
  let session;
  try {
    const list = await api('GET', '/api/sessions');
    session = (list.items || [])[0];
  } catch (err) {
    main.append(h('section', { class: 'card', role: 'alert' }, h('p', { text: '无法读取评标信息：' + err.message })));
    return;
  }
  if (!session) {
    main.append(h('section', { class: 'card denied', role: 'alert' },
      h('h1', { text: '未找到您参加的评标' }),
      h('p', { text: '请向现场工作人员确认签到情况，必要时请其重新发放评标码。' })));
    return;
  }
  session = await api('GET', `/api/sessions/${session.id}`);
  let seat = null;
  try {
    seat = await api('GET', `/api/sessions/${session.id}/seat`);
  } catch (err) {
    if (err.status !== 404) throw err;
  }

  const head = h('section', { class: 'card ev-head', id: 'session-head' });
  const mediaBox = h('section', { class: 'ev-media', id: 'media' });
  const scoreBox = h('section', { class: 'card ev-scoring', id: 'scoring' });
  const mineBox = h('section', { class: 'card ev-mine', id: 'mine' });
  main.append(head, mediaBox, scoreBox, mineBox);

  const media = new Media(mediaBox, { session, seat });
  const scoring = new Scoring(scoreBox, mineBox, { session });
  drawHead(head, session, seat, user);
  media.start();
  await scoring.reload(session);

  const refresh = debounce(async () => {
    try {
      session = await api('GET', `/api/sessions/${session.id}`);
    } catch {
      return; // a 401 has already sent the page to the login
    }
    drawHead(head, session, seat, user);
    media.setPhase(session.phase);
    await scoring.reload(session);
  }, 250);
  events([`session:${session.id}`], (e) => { if (changes(e) && e.action !== 'recorder.status') refresh(); });
  window.addEventListener('pagehide', () => media.stop());
}

const phaseClass = { signin: 'info', evaluating: 'ok', paused: 'warn', finished: '', aborted: 'err', scheduled: '' };

/** drawHead shows the project, the phase and the evaluator's seat. */
function drawHead(el, s, seat, user) {
  clear(el);
  const room = seat && (s.rooms || []).find((r) => r.id === seat.room_id);
  el.append(
    h('div', { class: 'ev-title' },
      h('h1', { text: s.project_name }),
      h('div', { class: 'muted' }, `项目编号 ${s.project_code} · 评标编号 ${s.ref}`)),
    h('div', { class: 'ev-phase' },
      h('span', { class: 'muted small', text: '评标阶段' }),
      h('span', { class: 'badge big ' + (phaseClass[s.phase] || ''), id: 'phase', 'data-phase': s.phase, text: phaseLabel(s.phase) })),
    h('dl', { class: 'ev-facts' },
      h('dt', { text: '评标专家' }), h('dd', { id: 'me-name', text: user.display_name || user.username }),
      h('dt', { text: '座位' }), h('dd', { id: 'seat', text: seat ? `${seat.venue_code} · ${room ? room.name : '评标室 ' + seat.room_id} · ${seat.seat} 号座` : '未登记座位' }),
      h('dt', { text: '计划时间' }), h('dd', { text: `${fmtTime(s.starts_at).slice(0, 16)} 至 ${fmtTime(s.ends_at).slice(11, 16)}` })),
  );
}
