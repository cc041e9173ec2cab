// Synchronized playback of a session's archive: one MasterClock (a
// session time in UTC milliseconds) drives a RoomPlayer per room, which
// maps the time to the room's segment and offset, switches segments at
// their boundaries and shows 「无录像：…」 over a gap.
import { h } from '/static/app.js';

/** ms turns an RFC 3339 instant (any number of fraction digits) into UTC milliseconds, fraction kept. */
export function ms(iso) {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(iso || '');
  if (!m) return Date.parse(iso);
  return Date.parse(m[1] + m[3]) + (m[2] ? Number('0' + m[2]) * 1000 : 0);
}

/**
 * MasterClock is the one session time every player follows: it runs with
 * the wall clock while playing and stands still while paused.
 */
export class MasterClock {
  constructor(t = 0) { this.base = t; this.perf = performance.now(); this.playing = false; }
  /** now is the session time (UTC ms). */
  now() { return this.playing ? this.base + (performance.now() - this.perf) : this.base; }
  /** set moves the clock to t, playing or not. */
  set(t) { this.base = t; this.perf = performance.now(); }
  play() { this.set(this.now()); this.playing = true; }
  pause() { this.set(this.now()); this.playing = false; }
}

// How far a playing video may drift from the clock before it is moved,
// and a paused one (seconds).
const driftPlaying = 0.3;
const driftPaused = 0.04;
// How long before a segment's end the next one is loaded (ms).
const preloadMs = 3000;

/**
 * RoomPlayer plays one room's segments on the shared clock. It keeps two
 * <video> elements: the one shown (class active) and one that preloads
 * the next segment so that the switch at a boundary is quick.
 */
export class RoomPlayer {
  /** lane: a room of the timeline API (segments, gaps, streams). */
  constructor(lane, label) {
    this.lane = lane;
    const all = lane.segments.map((s) => ({ ...s, s: ms(s.start), e: ms(s.end) }));
    // Tombstones (deleted after the retention period) cannot be played:
    // their time shows as a gap.
    this.segments = all.filter((s) => s.verify_state !== 'deleted');
    this.gaps = lane.gaps.map((g) => ({ ...g, s: ms(g.from), e: ms(g.to) }))
      .concat(all.filter((s) => s.verify_state === 'deleted').map((s) => ({ s: s.s, e: s.e, reason: '已超过保存期限删除' })));
    this.primary = lane.streams[0] || '';
    this.videos = [0, 1].map((i) => h('video', {
      class: i === 0 ? 'active' : 'standby', preload: 'auto', playsInline: true, muted: true, 'data-index': i,
    }));
    this.videos.forEach((v) => v.addEventListener('error', () => { v.dataset.error = '1'; }));
    this.active = 0;
    this.overlay = h('div', { class: 'placeholder gap-overlay', hidden: true });
    this.status = h('div', { class: 'player-status small' });
    this.soundButton = h('button', { class: 'secondary small sound', type: 'button', text: '开启声音' });
    this.el = h('div', { class: 'room-player', 'data-room': lane.id },
      h('div', { class: 'video-tile' }, this.videos, this.overlay, h('span', { class: 'label', text: label })),
      h('div', { class: 'row' }, this.status, h('span', { class: 'spacer' }), this.soundButton));
  }

  /** video is the element shown. */
  get video() { return this.videos[this.active]; }

  /** setMuted mutes or unmutes the room's sound. */
  setMuted(muted) {
    this.videos.forEach((v) => { v.muted = muted; });
    this.soundButton.textContent = muted ? '开启声音' : '关闭声音';
    this.soundButton.classList.toggle('primary', !muted);
  }

  /** segmentAt is the segment covering t: the one shown if it does, else the main stream's, else any. */
  segmentAt(t) {
    const covering = this.segments.filter((s) => s.s <= t && t < s.e);
    if (!covering.length) return null;
    return covering.find((s) => s.hash === this.video.dataset.hash)
      || covering.find((s) => s.stream === this.primary) || covering[0];
  }

  /** gapAt is the gap covering t, or null. */
  gapAt(t) { return this.gaps.find((g) => g.s <= t && t < g.e) || null; }

  /** nextOf is the segment of the same stream that follows seg, or null. */
  nextOf(seg) {
    return this.segments.find((s) => s.stream === seg.stream && s.s >= seg.e - 1 && s.hash !== seg.hash) || null;
  }

  load(v, hash, offset) {
    v.dataset.hash = hash;
    delete v.dataset.error;
    v.src = '/api/archive/segments/' + hash;
    if (offset !== undefined) v.dataset.offset = String(offset);
    else delete v.dataset.offset;
    v.load();
  }

  show(i) {
    if (i === this.active) return;
    this.video.pause();
    this.video.classList.replace('active', 'standby');
    this.active = i;
    this.video.classList.replace('standby', 'active');
  }

  /**
   * jump loads the segment hash and stands its video at offset seconds
   * (from the playback API), paused.
   */
  jump(hash, offset) {
    const i = this.videos.findIndex((v) => v.dataset.hash === hash);
    if (i >= 0) this.show(i); else this.load(this.video, hash);
    this.hideOverlay();
    this.video.pause();
    if (this.video.readyState >= 1) this.video.currentTime = offset;
    else this.video.dataset.offset = String(offset);
  }

  hideOverlay() { this.overlay.hidden = true; this.video.hidden = false; }

  /** showMissing shows 「无录像：reason」 over the room. */
  showMissing(reason) {
    this.videos.forEach((v) => v.pause());
    this.video.hidden = true;
    this.overlay.hidden = false;
    this.overlay.textContent = '无录像：' + reason;
    this.status.textContent = '该时刻没有录像';
    this.el.dataset.state = 'gap';
  }

  /**
   * sync brings the room to session time t. It returns true while the
   * room holds the clock back (its video is loading or seeking).
   */
  sync(t, playing) {
    const seg = this.segmentAt(t);
    if (!seg) {
      const gap = this.gapAt(t);
      this.showMissing(gap ? gap.reason : '该时刻没有录像');
      return false;
    }
    this.hideOverlay();
    let v = this.video;
    if (v.dataset.hash !== seg.hash) {
      const other = this.videos.findIndex((x) => x.dataset.hash === seg.hash);
      if (other >= 0) this.show(other); else this.load(v, seg.hash);
      v = this.video;
    }
    const off = (t - seg.s) / 1000;
    if (v.readyState >= 1 && !v.seeking) {
      if (v.dataset.offset !== undefined) {
        v.currentTime = Number(v.dataset.offset);
        delete v.dataset.offset;
      } else if (Math.abs(v.currentTime - off) > (playing ? driftPlaying : driftPaused)) {
        v.currentTime = off;
      }
    }
    if (playing && v.paused && v.readyState >= 2 && !v.dataset.error) v.play().catch(() => {});
    if (!playing && !v.paused) v.pause();
    if (seg.e - t < preloadMs) {
      const next = this.nextOf(seg);
      const standby = this.videos[1 - this.active];
      if (next && standby.dataset.hash !== next.hash) this.load(standby, next.hash, 0);
    }
    this.el.dataset.state = seg.verify_state;
    this.el.dataset.segment = seg.hash;
    this.status.textContent = `片段 #${seg.seq} · ${(Math.max(off, 0)).toFixed(1)} 秒 · ${seg.verify_state === 'broken' ? '完整性：损坏' : '完整性：完好'}`;
    this.status.classList.toggle('err', seg.verify_state === 'broken');
    if (v.dataset.error) {
      this.status.textContent = '无法播放该片段';
      return false;
    }
    return playing && (v.readyState < 3 || v.seeking);
  }

  /** stop releases the videos. */
  stop() {
    this.videos.forEach((v) => { v.pause(); v.removeAttribute('src'); v.load(); });
  }
}
