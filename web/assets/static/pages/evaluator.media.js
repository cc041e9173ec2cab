// The evaluator page's live media: the other venues' rooms in labelled
// tiles (with sound), and the evaluator's own camera and microphone,
// which are optional: 开启摄像头 asks the browser for them and publishes
// them; when the browser refuses, the page says why and goes on.
import { h, clear } from '/static/app.js';
import { MediaClient, videoTile } from '/static/rtc.js';

const stateLabels = { connecting: '连接中…', connected: '已连接', reconnecting: '连接中断，正在重连…', closed: '未连接' };
const stateClass = { connecting: 'info', connected: 'ok', reconnecting: 'warn', closed: '' };

/** cameraError is the Chinese reason getUserMedia failed. */
export function cameraError(err) {
  switch (err && err.name) {
    case 'NotAllowedError': case 'SecurityError':
      return '浏览器未允许使用摄像头和麦克风（请在地址栏旁的权限设置中允许）';
    case 'NotFoundError': case 'OverconstrainedError':
      return '未找到可用的摄像头或麦克风';
    case 'NotReadableError': case 'AbortError':
      return '摄像头或麦克风正被其他程序占用';
    case 'Insecure':
      return '当前连接不安全，浏览器只在 HTTPS 页面上允许使用摄像头';
    default:
      return '无法打开摄像头或麦克风' + (err && err.message ? `（${err.message}）` : '');
  }
}

/** Media shows the other rooms and publishes the evaluator's camera. */
export class Media {
  constructor(root, { session, seat }) {
    this.session = session;
    this.seat = seat;
    this.ownRoom = seat ? String(seat.room_id) : '';
    this.rooms = new Map((session.rooms || []).map((r) => [String(r.id), r]));
    this.tiles = new Map(); // participant id → {el, video, stream}
    this.stream = null;
    this.mc = null;
    this.build(root);
  }

  build(root) {
    clear(root);
    this.state = h('span', { class: 'badge', id: 'media-state', text: stateLabels.closed });
    this.soundBtn = h('button', { type: 'button', class: 'secondary hidden', id: 'sound-on', text: '开启声音', onclick: () => this.unmuteAll() });
    this.msg = h('p', { class: 'media-msg', id: 'media-msg', role: 'status' });
    this.grid = h('div', { class: 'remote-grid', id: 'remote-tiles' });
    this.empty = h('p', { class: 'muted remote-empty', id: 'remote-empty', text: '暂无其他场地的画面' });
    this.camBtn = h('button', { type: 'button', class: 'primary', id: 'camera-toggle', text: '开启摄像头', onclick: () => this.toggleCamera() });
    this.camMsg = h('p', { class: 'camera-msg', id: 'camera-msg', role: 'status' });
    this.localBox = h('div', { class: 'local-box', id: 'local-video' },
      h('div', { class: 'video-tile off' }, h('div', { class: 'placeholder', text: '摄像头未开启' })));
    root.append(
      h('div', { class: 'card remote' },
        h('div', { class: 'row' }, h('h2', { text: '其他场地' }), this.state, h('span', { class: 'spacer' }), this.soundBtn),
        this.msg, this.empty, this.grid),
      h('div', { class: 'card local' },
        h('h2', { text: '我的画面' }),
        this.localBox,
        h('div', { class: 'row' }, this.camBtn),
        this.camMsg,
        h('p', { class: 'muted small', text: '摄像头和麦克风可不开启；开启后，本人画面和声音将传送至其他场地，并随评标过程录像存档。' })),
    );
  }

  /** start joins the session's media unless it has ended. */
  start() {
    if (this.ended(this.session.phase)) return;
    this.connect();
  }

  ended(phase) {
    if (phase !== 'finished' && phase !== 'aborted') return false;
    this.msg.textContent = '评标已结束，实时音视频已关闭。';
    this.camBtn.disabled = true;
    return true;
  }

  /** setPhase follows a phase change: the media ends with the session. */
  setPhase(phase) {
    this.session.phase = phase;
    if (this.ended(phase)) this.stop();
  }

  connect() {
    const mc = new MediaClient({ sessionId: this.session.id, roomId: this.seat ? this.seat.room_id : 0, publish: true });
    this.mc = mc;
    mc.onState = (s) => {
      if (this.mc !== mc) return;
      this.state.textContent = stateLabels[s] || s;
      this.state.className = 'badge ' + (stateClass[s] || '');
      this.state.dataset.state = s;
      if (s === 'connected') this.msg.textContent = '';
    };
    mc.onError = (err) => { if (this.mc === mc) this.msg.textContent = err.message || String(err); };
    mc.onTrack = (info, stream) => { if (this.mc === mc) this.addTrack(info, stream); };
    mc.onTrackRemoved = () => { if (this.mc === mc) this.prune(); };
    if (this.stream) mc.publish(this.stream).catch((err) => { this.camMsg.textContent = '无法发送本人画面：' + err.message; });
    mc.join().catch(() => { /* onError has said why */ });
  }

  /** stop leaves the media and releases the camera. */
  stop() {
    if (this.mc) { this.mc.close(); this.mc = null; }
    for (const t of this.tiles.values()) t.el.remove();
    this.tiles.clear();
    this.showEmpty();
    this.releaseCamera();
  }

  label(info) {
    const roomID = String(info.room || (info.participantInfo && info.participantInfo.room) || '');
    const r = this.rooms.get(roomID);
    let text = r ? `${r.venue_code} · ${r.name}` : '其他场地';
    const p = info.participantInfo;
    if (p && p.role === 'evaluator' && p.name) text += ` · 专家 ${p.name}`;
    return { roomID, text };
  }

  addTrack(info, stream) {
    const { roomID, text } = this.label(info);
    // The own room is in the room already: neither shown nor heard here
    // (it would echo).
    if (this.ownRoom && roomID === this.ownRoom) return;
    const pid = info.participant;
    let tile = this.tiles.get(pid);
    if (!tile) {
      const el = videoTile(text, stream, true);
      el.dataset.participant = pid;
      el.dataset.room = roomID;
      const video = el.querySelector('video');
      tile = { el, video, stream };
      this.tiles.set(pid, tile);
      this.grid.append(el);
      video.play().catch(() => {
        // Autoplay with sound refused: play muted and offer the sound.
        video.muted = true;
        video.play().catch(() => {});
        this.soundBtn.classList.remove('hidden');
      });
    } else {
      tile.el.querySelector('.label').textContent = text;
      if (tile.video.srcObject !== stream) tile.video.srcObject = stream;
    }
    this.showEmpty();
  }

  /** prune drops the tiles whose participant sends nothing any more. */
  prune() {
    for (const [pid, t] of this.tiles) {
      if (!t.stream.getTracks().length || (this.mc && !this.mc.streams.has(pid))) {
        t.el.remove();
        this.tiles.delete(pid);
      }
    }
    this.showEmpty();
  }

  showEmpty() { this.empty.hidden = this.tiles.size > 0; }

  unmuteAll() {
    for (const t of this.tiles.values()) { t.video.muted = false; t.video.play().catch(() => {}); }
    this.soundBtn.classList.add('hidden');
  }

  async toggleCamera() {
    this.camBtn.disabled = true;
    try {
      if (this.stream) {
        this.releaseCamera();
        // Reconnect without the camera: the other venues see it leave.
        if (this.mc) { this.mc.close(); this.mc = null; }
        if (!this.ended(this.session.phase)) this.connect();
        this.camMsg.textContent = '摄像头和麦克风已关闭。';
        return;
      }
      const stream = await this.openCamera();
      if (!stream) return;
      this.stream = stream;
      clear(this.localBox).append(videoTile('本人画面', stream, false));
      this.localBox.querySelector('.video-tile').dataset.local = 'true';
      this.camBtn.textContent = '关闭摄像头';
      this.camBtn.className = 'secondary';
      if (this.mc) await this.mc.publish(stream);
    } catch (err) {
      this.camMsg.textContent = '无法发送本人画面：' + (err.message || err);
    } finally {
      this.camBtn.disabled = this.session.phase === 'finished' || this.session.phase === 'aborted';
    }
  }

  /** openCamera asks for camera and microphone, then either alone. */
  async openCamera() {
    this.camMsg.textContent = '';
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.camMsg.textContent = cameraError({ name: 'Insecure' }) + '。您仍可观看其他场地并打分。';
      return null;
    }
    let firstErr = null;
    for (const want of [{ video: true, audio: true }, { video: true }, { audio: true }]) {
      try {
        const s = await navigator.mediaDevices.getUserMedia(want);
        if (!want.audio) this.camMsg.textContent = '麦克风不可用，仅发送画面。';
        if (!want.video) this.camMsg.textContent = '摄像头不可用，仅发送声音。';
        return s;
      } catch (err) {
        firstErr = firstErr || err;
      }
    }
    this.camMsg.textContent = cameraError(firstErr) + '。您仍可观看其他场地并打分。';
    this.camMsg.dataset.error = 'true';
    return null;
  }

  releaseCamera() {
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
    this.stream = null;
    clear(this.localBox).append(h('div', { class: 'video-tile off' }, h('div', { class: 'placeholder', text: '摄像头未开启' })));
    this.camBtn.textContent = '开启摄像头';
    this.camBtn.className = 'primary';
  }
}
