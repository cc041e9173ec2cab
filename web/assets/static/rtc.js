// MediaClient: the browser side of the room server's signaling protocol
// (room/sfu/protocol.go). One WebSocket, a publisher peer connection the
// client offers on, and a subscriber peer connection the server offers on.
// It fetches a media token from the API for every connection, follows
// redirects to the node that hosts the session, and reconnects (and
// republishes) by itself after a lost connection.
import { api } from '/static/app.js';

const noop = () => {};

/** MediaClient joins one evaluation session's live media. */
export class MediaClient {
  /**
   * opts: {sessionId, roomId (optional), publish (bool), display (bool:
   * a room's kiosk, receives the other rooms only)}.
   */
  constructor(opts) {
    this.opts = opts;
    /** onTrack(info, stream): a received track; stream is its participant's MediaStream. */
    this.onTrack = noop;
    /** onTrackRemoved(info): a received track went away. */
    this.onTrackRemoved = noop;
    /** onParticipants(list): the visible participants changed. */
    this.onParticipants = noop;
    /** onState(state): 'connecting' | 'connected' | 'reconnecting' | 'closed'. */
    this.onState = noop;
    /** onError(err): a refusal or failure, with a Chinese message. */
    this.onError = noop;
    this.tracks = new Map(); // track id → TrackInfo
    this.participants = new Map(); // participant id → info
    this.streams = new Map(); // participant id → MediaStream
    this.received = new Map(); // track id → MediaStreamTrack
    this.localStream = null;
    this.closed = false;
    this.attempt = 0;
    this.me = null;
  }

  /** join connects; it resolves once joined, or rejects with the refusal. */
  join() {
    return new Promise((resolve, reject) => {
      this._joined = { resolve, reject };
      this._connect();
    });
  }

  async _connect(url) {
    if (this.closed) return;
    this._setState(this.attempt ? 'reconnecting' : 'connecting');
    let tok;
    try {
      const body = { room_id: this.opts.roomId || 0, display: !!this.opts.display };
      if (this.opts.publish !== undefined) body.publish = !!this.opts.publish;
      tok = await api('POST', `/api/sessions/${this.opts.sessionId}/media-token`, body);
    } catch (err) {
      this._fail(err, err.status >= 400 && err.status < 500);
      return;
    }
    this.iceServers = tok.ice_servers || [];
    const target = url || tok.ws_url;
    const abs = /^wss?:/.test(target) ? target : `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${target}`;
    const ws = new WebSocket(abs);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'join', token: tok.token, session: String(this.opts.sessionId) }));
    ws.onmessage = (m) => this._onMessage(ws, m.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this._reset();
      if (this.closed || this._fatal) return;
      this._retry();
    };
  }

  _retry() {
    this.attempt++;
    const delay = Math.min(500 * 2 ** Math.min(this.attempt, 5), 15000) * (0.75 + Math.random() / 2);
    this._setState('reconnecting');
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this._connect(), delay);
  }

  _fail(err, fatal) {
    this.onError(err);
    if (this._joined) { this._joined.reject(err); this._joined = null; }
    if (fatal) { this._fatal = true; this.close(); return; }
    this._retry();
  }

  _send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  async _onMessage(ws, data) {
    if (ws !== this.ws) return;
    let m;
    try { m = JSON.parse(data); } catch { return; }
    switch (m.type) {
      case 'joined':
        this.attempt = 0;
        this._fatal = false;
        this.me = m.participant;
        this.participants.clear();
        for (const p of m.participants || []) this.participants.set(p.id, p);
        for (const t of m.tracks || []) this.tracks.set(t.id, t);
        this.onParticipants([...this.participants.values()]);
        this._setState('connected');
        if (this._joined) { this._joined.resolve(m.participant); this._joined = null; }
        if (this.localStream) this._startPublishing().catch((e) => this.onError(e));
        break;
      case 'redirect':
        this.ws = null;
        ws.close();
        this._connect(m.url);
        break;
      case 'offer':
        await this._answerSubscriber(m.sdp);
        break;
      case 'answer':
        if (this.pub) await this.pub.setRemoteDescription({ type: 'answer', sdp: m.sdp });
        break;
      case 'candidate': {
        const pc = m.target === 'publisher' ? this.pub : this.sub;
        if (pc && m.candidate) { try { await pc.addIceCandidate(m.candidate); } catch { /* stale candidate */ } }
        break;
      }
      case 'participant_joined':
        this.participants.set(m.participant.id, m.participant);
        this.onParticipants([...this.participants.values()]);
        break;
      case 'participant_left':
        this.participants.delete(m.participant.id);
        this.onParticipants([...this.participants.values()]);
        break;
      case 'track_published':
        this.tracks.set(m.track.id, m.track);
        break;
      case 'track_unpublished':
        this._removeTrack(m.track.id);
        break;
      case 'error': {
        const err = new Error(m.message || m.code);
        err.code = m.code;
        if (m.recoverable) { this.onError(err); break; }
        // unauthorized/expired/closing: a fresh token may help; forbidden will not.
        const fatal = m.code === 'forbidden' || m.code === 'removed';
        this._fatal = fatal;
        this._fail(err, fatal);
        break;
      }
    }
  }

  _pc() {
    return new RTCPeerConnection({ iceServers: this.iceServers || [] });
  }

  async _answerSubscriber(sdp) {
    if (!this.sub) {
      const pc = this._pc();
      this.sub = pc;
      pc.onicecandidate = (e) => this._send({ type: 'candidate', target: 'subscriber', candidate: e.candidate ? e.candidate.toJSON() : { candidate: '' } });
      pc.ontrack = (e) => this._onRemoteTrack(e);
    }
    await this.sub.setRemoteDescription({ type: 'offer', sdp });
    const answer = await this.sub.createAnswer();
    await this.sub.setLocalDescription(answer);
    this._send({ type: 'answer', target: 'subscriber', sdp: this.sub.localDescription.sdp });
  }

  _onRemoteTrack(e) {
    const track = e.track;
    const tid = track.id;
    const pid = (e.streams[0] && e.streams[0].id) || (this.tracks.get(tid) || {}).participant || 'unknown';
    let stream = this.streams.get(pid);
    if (!stream) { stream = new MediaStream(); this.streams.set(pid, stream); }
    for (const old of stream.getTracks()) if (old.kind === track.kind && old.id !== tid && !this.received.has(old.id)) stream.removeTrack(old);
    stream.addTrack(track);
    this.received.set(tid, track);
    const info = Object.assign({ id: tid, participant: pid, kind: track.kind }, this.tracks.get(tid) || {});
    if (!info.room && this.participants.get(pid)) info.room = this.participants.get(pid).room;
    info.participantInfo = this.participants.get(pid) || null;
    track.onended = () => this._removeTrack(tid);
    this.onTrack(info, stream);
  }

  _removeTrack(tid) {
    const info = this.tracks.get(tid) || { id: tid };
    this.tracks.delete(tid);
    const track = this.received.get(tid);
    if (!track) return;
    this.received.delete(tid);
    for (const [pid, s] of this.streams) {
      if (s.getTracks().includes(track)) {
        s.removeTrack(track);
        if (!s.getTracks().length) this.streams.delete(pid);
      }
    }
    this.onTrackRemoved(info);
  }

  /** publish sends stream's tracks (camera, microphone) into the room. */
  async publish(stream) {
    this.localStream = stream;
    if (this.me) await this._startPublishing();
  }

  async _startPublishing() {
    if (this.pub) { this.pub.close(); this.pub = null; }
    const pc = this._pc();
    this.pub = pc;
    pc.onicecandidate = (e) => this._send({ type: 'candidate', target: 'publisher', candidate: e.candidate ? e.candidate.toJSON() : { candidate: '' } });
    for (const t of this.localStream.getTracks()) pc.addTransceiver(t, { direction: 'sendonly', streams: [this.localStream] });
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    this._send({ type: 'offer', sdp: pc.localDescription.sdp });
  }

  /** setLayer chooses the simulcast layer of a received track, or pauses it. */
  setLayer(trackId, layer, paused = false) {
    this._send({ type: 'subscribe', track: trackId, layer, paused });
  }

  _reset() {
    for (const tid of [...this.received.keys()]) this._removeTrack(tid);
    if (this.pub) { this.pub.close(); this.pub = null; }
    if (this.sub) { this.sub.close(); this.sub = null; }
    this.me = null;
  }

  _setState(s) {
    if (this.state === s) return;
    this.state = s;
    this.onState(s);
  }

  /** close leaves the session for good. */
  close() {
    this.closed = true;
    clearTimeout(this._timer);
    this._send({ type: 'leave' });
    const ws = this.ws;
    this.ws = null;
    this._reset();
    if (ws) ws.close();
    this._setState('closed');
  }
}

/**
 * playing resolves true once video shows frames (videoWidth > 0 and time
 * advancing), false after timeoutMs.
 */
export function playing(video, timeoutMs = 15000) {
  return new Promise((resolve) => {
    const start = performance.now();
    let last = -1;
    const check = () => {
      if (video.videoWidth > 0 && video.currentTime > 0 && video.currentTime !== last && last >= 0) { resolve(true); return; }
      last = video.currentTime;
      if (performance.now() - start > timeoutMs) { resolve(false); return; }
      setTimeout(check, 250);
    };
    check();
  });
}

/**
 * videoTile makes a labelled <div class="video-tile"> with a <video> for
 * stream (muted unless withSound).
 */
export function videoTile(label, stream, withSound = false) {
  const div = document.createElement('div');
  div.className = 'video-tile';
  const v = document.createElement('video');
  v.autoplay = true;
  v.playsInline = true;
  v.muted = !withSound;
  v.srcObject = stream;
  const l = document.createElement('span');
  l.className = 'label';
  l.textContent = label;
  div.append(v, l);
  v.play().catch(() => { /* autoplay refused: the user clicks */ });
  return div;
}
