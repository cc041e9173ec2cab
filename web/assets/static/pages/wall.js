// 监督大屏: every live room of every ongoing session, received by a hidden
// supervisor (never visible to the rooms, never publishing) at the low
// layer; a click enlarges a room with sound at the high layer. Beside the
// grid the operation log streams live. Every watch is audited by the
// server (media.token when the token is minted, media.watch per room).
import { api, boot, h, clear, fmtTime, events, debounce, phaseLabel, toast } from '/static/app.js';
import { MediaClient } from '/static/rtc.js';
import { actionLabel, actorLabel } from '/static/pages/wall.labels.js';

const livePhases = new Set(['signin', 'evaluating', 'paused']);
const logKeep = 200; // entries kept on screen

const user = await boot(['admin', 'supervisor']);
if (user) start(user);

function start(user) {
  const main = clear(document.getElementById('main'));
  main.classList.add('wall-main');
  const grid = h('div', { class: 'wall-grid', id: 'wall-grid' });
  const empty = h('div', { class: 'wall-empty', id: 'wall-empty', text: '当前没有进行中的评标' });
  const status = h('span', { class: 'wall-status', id: 'wall-status' });
  const errors = h('div', { class: 'wall-errors', id: 'wall-errors', role: 'alert', hidden: true });
  const logList = h('ol', { class: 'wall-log', id: 'wall-log' });
  main.append(h('div', { class: 'wall-layout' },
    h('section', { class: 'wall-videos' },
      h('div', { class: 'wall-head' },
        h('h1', { text: '监督大屏' }), status,
        h('span', { class: 'muted small', text: '隐身观看：各评标室看不到监督人员，每次观看均记入操作日志。点击画面放大并播放声音，再次点击返回。' })),
      errors, empty, grid),
    h('aside', { class: 'wall-side card' },
      h('h2', { text: '操作日志（实时）' }),
      logList)));

  /** clients: session id → {session, mc}. tiles: track id → tile. */
  const clients = new Map();
  const tiles = new Map();
  const audios = new Map(); // track id → {el, room}
  let focused = null; // the enlarged tile
  let sessionsById = new Map();

  function roomName(sessionId, roomId) {
    const s = sessionsById.get(sessionId);
    const r = s && (s.rooms || []).find((x) => String(x.id) === String(roomId));
    return r ? `${r.venue_code} · ${r.name}` : roomId ? `评标室 ${roomId}` : '';
  }

  function updateStatus() {
    const rooms = new Set([...tiles.values()].map((t) => `${t.dataset.session}/${t.dataset.room}`));
    status.textContent = `进行中的评标 ${clients.size} 场 · 画面 ${tiles.size} 路 · 评标室 ${rooms.size} 间`;
    empty.hidden = clients.size > 0 && tiles.size > 0;
    if (clients.size > 0 && tiles.size === 0) empty.textContent = '等待评标室画面…';
    else if (clients.size === 0) empty.textContent = '当前没有进行中的评标';
  }

  function addTile(session, mc, info, stream) {
    if (info.kind === 'audio') {
      const el = h('audio', { autoplay: true });
      el.muted = !(focused && focused.dataset.room === String(info.room) && focused.dataset.session === String(session.id));
      el.srcObject = new MediaStream([stream.getTracks().find((t) => t.id === info.id) || stream.getAudioTracks()[0]]);
      audios.set(info.id, { el, room: String(info.room || ''), session: String(session.id) });
      document.body.append(el);
      el.play().catch(() => {});
      return;
    }
    removeTile(info.id);
    const track = stream.getTracks().find((t) => t.id === info.id) || stream.getVideoTracks()[0];
    const video = h('video', { autoplay: true, playsinline: true });
    video.muted = true;
    video.srcObject = new MediaStream([track]);
    const place = roomName(session.id, info.room);
    let who = info.participantInfo?.name || info.label || '';
    if (who && place.endsWith(who)) who = ''; // a room's recorder is named after the room
    const tile = h('div', {
      class: 'video-tile wall-tile', tabindex: '0', role: 'button',
      'data-session': String(session.id), 'data-room': String(info.room || ''), 'data-track': info.id,
      title: '点击放大并播放声音',
    },
    video,
    h('span', { class: 'label', text: `${session.ref} · ${place}${who ? ' · ' + who : ''}` }),
    h('span', { class: 'state badge', text: phaseLabel(session.phase) }),
    h('span', { class: 'sound badge ok', text: '声音已开启' }));
    tile._mc = mc;
    const toggle = () => (focused === tile ? unfocus() : focus(tile));
    tile.addEventListener('click', toggle);
    tile.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(); } });
    tiles.set(info.id, tile);
    grid.append(tile);
    video.play().catch(() => {});
    mc.setLayer(info.id, 'low');
    updateStatus();
  }

  function removeTile(trackId) {
    const a = audios.get(trackId);
    if (a) { a.el.srcObject = null; a.el.remove(); audios.delete(trackId); }
    const tile = tiles.get(trackId);
    if (!tile) return;
    if (focused === tile) unfocus();
    tile.remove();
    tiles.delete(trackId);
    updateStatus();
  }

  // focus enlarges tile at the high layer and plays its room's sound;
  // every other room stays silent.
  function focus(tile) {
    if (focused) unfocus();
    focused = tile;
    tile.classList.add('focused');
    grid.classList.add('has-focus');
    tile._mc.setLayer(tile.dataset.track, 'high');
    for (const a of audios.values()) {
      a.el.muted = !(a.room === tile.dataset.room && a.session === tile.dataset.session);
      if (!a.el.muted) a.el.play().catch(() => {});
    }
    tile.scrollIntoView({ block: 'nearest' });
  }

  function unfocus() {
    const tile = focused;
    if (!tile) return;
    focused = null;
    tile.classList.remove('focused');
    grid.classList.remove('has-focus');
    tile._mc.setLayer(tile.dataset.track, 'low');
    for (const a of audios.values()) a.el.muted = true;
  }

  function connect(session) {
    const mc = new MediaClient({ sessionId: session.id });
    const entry = { session, mc };
    clients.set(session.id, entry);
    mc.onTrack = (info, stream) => addTile(entry.session, mc, info, stream);
    mc.onTrackRemoved = (info) => removeTile(info.id);
    // A refusal is shown once per message, and stays on the page until
    // the session's media connects again.
    mc.onError = (err) => {
      const msg = `评标 ${entry.session.ref} 的音视频：${err.message}`;
      if (entry.error !== msg) toast(msg, 'err');
      entry.error = msg;
      showErrors();
    };
    mc.onState = (state) => {
      if (state === 'connected' && entry.error) { entry.error = ''; showErrors(); }
    };
    mc.join().catch(() => { /* onError said why; the client retries unless refused */ });
    updateStatus();
  }

  function showErrors() {
    const msgs = [...clients.values()].map((c) => c.error).filter(Boolean);
    errors.textContent = msgs.join('；');
    errors.hidden = !msgs.length;
  }

  function disconnect(id) {
    const entry = clients.get(id);
    if (!entry) return;
    clients.delete(id);
    for (const [tid, tile] of [...tiles]) if (tile.dataset.session === String(id)) removeTile(tid);
    for (const [tid, a] of [...audios]) if (a.session === String(id)) removeTile(tid);
    entry.mc.close();
    showErrors();
    updateStatus();
  }

  // loadSessions connects to every session that became live and leaves
  // those that ended.
  async function loadSessions() {
    let list;
    try {
      list = (await api('GET', '/api/sessions')).items || [];
    } catch (err) {
      status.textContent = err.message;
      return;
    }
    sessionsById = new Map(list.map((s) => [s.id, s]));
    const live = list.filter((s) => livePhases.has(s.phase));
    const liveIds = new Set(live.map((s) => s.id));
    for (const id of [...clients.keys()]) if (!liveIds.has(id)) disconnect(id);
    for (const s of live) {
      const entry = clients.get(s.id);
      if (entry) {
        entry.session = s;
        for (const tile of tiles.values()) {
          if (tile.dataset.session === String(s.id)) tile.querySelector('.state').textContent = phaseLabel(s.phase);
        }
      } else {
        connect(s);
      }
    }
    updateStatus();
  }

  // --- The operation log ---------------------------------------------
  let lastSeq = 0;
  let loading = false;
  let again = false;

  function objectLabel(object) {
    const [kind, id] = String(object || '').split(':');
    const n = Number(id);
    switch (kind) {
      case 'session': {
        const s = sessionsById.get(n);
        return s ? `评标 ${s.ref}` : `评标 #${id}`;
      }
      case 'room': {
        for (const s of sessionsById.values()) {
          const r = (s.rooms || []).find((x) => x.id === n);
          if (r) return `评标室 ${r.venue_code} · ${r.name}`;
        }
        return `评标室 #${id}`;
      }
      case 'draw': return `抽取 #${id}`;
      case 'member': return `抽取成员 #${id}`;
      case 'user': return `用户 #${id}`;
      case 'expert': return `专家 #${id}`;
      case 'project': return `项目 #${id}`;
      default: return object || '';
    }
  }

  function logRow(e) {
    return h('li', { class: 'log-entry', 'data-seq': String(e.seq), 'data-action': e.action },
      h('time', { class: 'log-time', datetime: e.at, text: fmtTime(e.at).slice(5) }),
      h('span', { class: 'log-what' },
        h('span', { class: 'log-action', title: e.action, text: actionLabel(e.action) }), ' ',
        h('span', { class: 'log-actor', text: e.actor === `user:${user.id}` ? '本人' : actorLabel(e.actor) })),
      h('span', { class: 'log-object', title: e.object, text: objectLabel(e.object) }));
  }

  // readLog shows every entry after lastSeq, newest on top, keeping the
  // latest logKeep (the API lists in seq order, a page at a time).
  async function readLog() {
    if (loading) { again = true; return; }
    loading = true;
    try {
      let fresh = [];
      for (;;) {
        const res = await api('GET', `/api/audit?after_seq=${lastSeq}&limit=1000`);
        const entries = res.entries || [];
        if (entries.length) lastSeq = entries[entries.length - 1].seq;
        fresh = fresh.concat(entries).slice(-logKeep);
        if (entries.length < 1000) break;
      }
      for (const e of fresh) logList.prepend(logRow(e));
      while (logList.children.length > logKeep) logList.lastElementChild.remove();
    } catch (err) {
      logList.prepend(h('li', { class: 'log-entry error', text: err.message }));
    } finally {
      loading = false;
      if (again) { again = false; readLog(); }
    }
  }

  const refreshSessions = debounce(loadSessions, 300);
  events([], (e) => {
    if (e.lost || e.seq > lastSeq) readLog();
    if (e.lost || /^session\./.test(e.action || '')) refreshSessions();
  });

  window.addEventListener('pagehide', () => { for (const id of [...clients.keys()]) disconnect(id); });
  loadSessions().then(readLog);
}
