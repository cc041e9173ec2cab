// 评标室大屏: the kiosk of one room, /display?session=<id>&room=<room_id>.
// It shows the other venues' cameras full screen with their sound (the
// room server never sends a display its own room), arranges the tiles by
// itself, names each venue and room, reconnects by itself and has no
// controls. It needs a staff login of the room's venue (or an admin).
import { api, boot, h, clear, param } from '/static/app.js';
import { MediaClient } from '/static/rtc.js';

const retryMs = 30000; // after a refusal, try again this much later

const user = await boot(['admin', 'staff']);
if (user) start();

async function start() {
  const main = clear(document.getElementById('main'));
  main.className = 'display';
  const sessionId = Number(param('session'));
  const roomId = Number(param('room'));
  if (!sessionId || !roomId) {
    main.append(notice('请在地址中指定评标和评标室', '例如 /display?session=1&room=2'));
    return;
  }
  let sess;
  try {
    sess = await api('GET', `/api/sessions/${sessionId}`);
  } catch (err) {
    main.append(notice('无法打开评标室大屏', err.message));
    setTimeout(() => location.reload(), retryMs);
    return;
  }
  const own = sess.rooms.find((r) => r.id === roomId);
  if (!own) {
    main.append(notice('无法打开评标室大屏', '该评标室不属于本场评标'));
    return;
  }
  document.title = `${own.name} 大屏 · evalroom`;
  const stage = h('div', { class: 'stage', id: 'stage' });
  const waiting = h('div', { class: 'waiting', id: 'waiting' },
    h('h1', { text: sess.project_name }), h('p', { text: `${own.venue_code} · ${own.name}` }), h('p', { class: 'dim', text: '等待其他场地的画面…' }));
  const status = h('div', { class: 'status', id: 'display-state', hidden: true });
  const soundGate = h('button', { class: 'sound-gate', hidden: true, text: '点击此处开启声音', onclick: () => unblock() });
  main.append(stage, waiting, status, soundGate);

  const tiles = new Map(); // video track id → tile
  const audios = new Map(); // audio track id → <audio>
  let mc = null;

  function connect() {
    mc = new MediaClient({ sessionId, roomId, display: true });
    const me = mc;
    mc.onState = (st) => {
      if (st === 'closed') { // refused for good (session over, no right): try again later
        for (const id of [...tiles.keys(), ...audios.keys()]) remove(id);
        setTimeout(() => { if (mc === me) connect(); }, retryMs);
        return;
      }
      status.hidden = st === 'connected';
      if (st !== 'connected') status.textContent = st === 'reconnecting' ? '连接中断，正在重新连接…' : '正在连接…';
    };
    mc.onError = (err) => {
      status.hidden = false;
      status.textContent = err.message;
    };
    mc.onTrack = (info) => add(info);
    mc.onTrackRemoved = (info) => remove(info.id);
    mc.join().catch(() => { /* shown through onError */ });
  }

  function roomName(info) {
    const r = sess.rooms.find((x) => String(x.id) === String(info.room));
    return r ? `${r.venue_code} · ${r.name}` : (info.participantInfo && info.participantInfo.name) || '其他场地';
  }

  function add(info) {
    const track = mc.received.get(info.id);
    if (!track) return;
    if (info.kind === 'audio') {
      const a = h('audio', { autoplay: true });
      a.srcObject = new MediaStream([track]);
      main.append(a);
      audios.set(info.id, a);
      play(a);
      return;
    }
    const v = h('video', { autoplay: true, playsInline: true, muted: true });
    v.srcObject = new MediaStream([track]);
    const tile = h('div', { class: 'tile', 'data-room': String(info.room || ''), 'data-track': info.id },
      v, h('div', { class: 'name', text: roomName(info) }));
    stage.append(tile);
    tiles.set(info.id, tile);
    play(v);
    arrange();
  }

  function remove(id) {
    const t = tiles.get(id);
    if (t) { t.remove(); tiles.delete(id); arrange(); }
    const a = audios.get(id);
    if (a) { a.remove(); audios.delete(id); }
  }

  // arrange lays the tiles out in the most square grid that holds them.
  function arrange() {
    const n = tiles.size;
    waiting.hidden = n > 0;
    const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
    const rows = Math.max(1, Math.ceil(n / cols));
    stage.style.gridTemplateColumns = `repeat(${cols}, 1fr)`;
    stage.style.gridTemplateRows = `repeat(${rows}, 1fr)`;
  }

  function play(el) {
    el.play().catch(() => { soundGate.hidden = false; });
  }

  // unblock plays everything after a click, where the browser refused to
  // start sound by itself.
  function unblock() {
    soundGate.hidden = true;
    for (const el of main.querySelectorAll('video, audio')) el.play().catch(() => {});
  }

  connect();
}

function notice(title, text) {
  return h('div', { class: 'waiting' }, h('h1', { text: title }), h('p', { text }));
}
