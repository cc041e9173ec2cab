// The live preview: every camera of every room of the session, the
// staff's own venue first, received as staff (subscribe only). The sound
// of a room plays only when asked (收听), so the control room does not
// echo.
import { h, clear } from '/static/app.js';
import { MediaClient } from '/static/rtc.js';
import { running, card } from '/static/pages/control.common.js';

const stateLabels = { connecting: '连接中…', connected: '已连接', reconnecting: '连接中断，正在重连…', closed: '已断开' };

/** previewCard is the live preview part of the control panel. */
export function previewCard(ctx) {
  const state = h('span', { class: 'badge', id: 'preview-state', text: '未连接' });
  const grid = h('div', { class: 'preview-venues', id: 'preview' });
  const el = card(h, 'preview-card', '实时画面', h('div', { class: 'row' }, state,
    h('span', { class: 'small muted', text: '画面默认静音；点击“收听”播放该评标室的声音。' })), grid);
  let sess = null;
  let mc = null;
  const tiles = new Map(); // video track id → tile
  const audios = new Map(); // audio track id → {el, room}
  const listening = new Set(); // room ids whose sound plays

  function update(s) {
    sess = s;
    if (running(s.phase) && !mc) connect();
    if (!running(s.phase) && mc) disconnect();
    if (!mc) {
      clear(grid).append(h('p', { class: 'muted', text: s.phase === 'scheduled' ? '开始签到后显示各评标室的实时画面。' : '评标已结束，不再提供实时画面。' }));
      state.textContent = '未连接';
    }
    refreshBadges();
  }

  function connect() {
    clear(grid);
    mc = new MediaClient({ sessionId: sess.id });
    mc.onState = (st) => { state.textContent = stateLabels[st] || st; state.className = 'badge ' + (st === 'connected' ? 'ok' : 'warn'); };
    mc.onError = (err) => { state.textContent = err.message; state.className = 'badge err'; };
    mc.onTrack = (info, stream) => addTrack(info, stream);
    mc.onTrackRemoved = (info) => removeTrack(info.id);
    mc.join().catch(() => { /* shown through onError */ });
  }

  function disconnect() {
    mc.close();
    mc = null;
    for (const id of [...tiles.keys(), ...audios.keys()]) removeTrack(id);
  }

  function roomOf(info) {
    return sess.rooms.find((r) => String(r.id) === String(info.room)) || null;
  }

  function venueBox(venue) {
    let box = grid.querySelector(`[data-venue="${CSS.escape(venue)}"]`);
    if (box) return box.querySelector('.video-grid');
    const own = ctx.user.venue_code === venue;
    box = h('div', { class: 'preview-venue', 'data-venue': venue },
      h('h3', { text: (own ? '本场地 · ' : '') + venue }), h('div', { class: 'video-grid' }));
    if (own) grid.prepend(box); else grid.append(box);
    return box.querySelector('.video-grid');
  }

  function addTrack(info, stream) {
    const track = mc.received.get(info.id);
    if (!track) return;
    const r = roomOf(info);
    const roomId = r ? r.id : 0;
    if (info.kind === 'audio') {
      const a = h('audio', { autoplay: true });
      a.srcObject = new MediaStream([track]);
      a.muted = !listening.has(roomId);
      a.play().catch(() => {});
      grid.append(a);
      audios.set(info.id, { el: a, room: roomId });
      return;
    }
    const who = info.participantInfo ? (info.participantInfo.name || '') : '';
    const video = h('video', { autoplay: true, playsInline: true, muted: true });
    video.srcObject = new MediaStream([track]);
    const listen = h('button', { class: 'listen', 'data-room': String(roomId), text: '收听', onclick: () => toggleListen(roomId) });
    const tile = h('div', { class: 'video-tile', 'data-room': String(roomId), 'data-track': info.id },
      video,
      h('span', { class: 'label', text: r ? `${r.venue_code} · ${r.name}${who ? ' · ' + who : ''}` : who || '未知评标室' }),
      h('span', { class: 'state' }, h('span', { class: 'badge warn muted-badge hidden', text: '已对其他场地静音' }), listen));
    venueBox(r ? r.venue_code : '其他').append(tile);
    video.play().catch(() => {});
    tiles.set(info.id, tile);
    refreshBadges();
  }

  function removeTrack(id) {
    const t = tiles.get(id);
    if (t) {
      const box = t.closest('.preview-venue');
      t.remove();
      tiles.delete(id);
      if (box && !box.querySelector('.video-tile')) box.remove();
    }
    const a = audios.get(id);
    if (a) { a.el.remove(); audios.delete(id); }
  }

  function toggleListen(roomId) {
    if (listening.has(roomId)) listening.delete(roomId); else listening.add(roomId);
    for (const a of audios.values()) if (a.room === roomId) { a.el.muted = !listening.has(roomId); a.el.play().catch(() => {}); }
    refreshBadges();
  }

  function refreshBadges() {
    const muted = ctx.muted || new Map();
    for (const tile of tiles.values()) {
      const id = Number(tile.dataset.room);
      tile.querySelector('.muted-badge').classList.toggle('hidden', !muted.get(id));
      const b = tile.querySelector('.listen');
      b.textContent = listening.has(id) ? '停止收听' : '收听';
      b.setAttribute('aria-pressed', listening.has(id) ? 'true' : 'false');
    }
  }

  ctx.mutesChanged = refreshBadges;
  return { el, update, close() { if (mc) disconnect(); sess = null; } };
}
