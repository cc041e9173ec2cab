// Each room of the session: its recorder's state (recording, live, upload
// backlog, clock offset, free disk, alarms), whether its audio reaches the
// other venues (with the mute toggle for the staff's own rooms), and the
// alarm banner at the top of the page while a room is not recording.
import { api, h, clear, fmtTime, fmtBytes, toast, confirmDialog } from '/static/app.js';
import { running, roomLabel, card } from '/static/pages/control.common.js';

/** pollMs is how often the recorder states are re-read without a hint. */
const pollMs = 10000;

/** roomsCard is the rooms part of the control panel. */
export function roomsCard(ctx) {
  const body = h('div', { class: 'rooms-body' });
  const el = card(h, 'rooms', '评标室与录像', body);
  const banner = document.getElementById('rec-alarm');
  let sess = null;
  let timer = 0;
  let lastSig = '';

  async function update(s) {
    sess = s;
    clearTimeout(timer);
    const [recorders, recording, mutes] = await Promise.all([
      get(`/api/sessions/${s.id}/recorders`), get(`/api/sessions/${s.id}/recording`), get(`/api/sessions/${s.id}/mutes`)]);
    if (sess !== s) return;
    draw(s, recorders, recording, mutes);
    if (running(s.phase)) timer = setTimeout(() => { if (sess === s) update(s); }, pollMs);
  }

  async function get(path) {
    try {
      return { data: await api('GET', path) };
    } catch (err) {
      return { err };
    }
  }

  // draw shows the rooms; when only the report times changed it updates
  // them in place, so that the buttons do not move under a click.
  function draw(s, recorders, recording, mutes) {
    const items = (recorders.data && recorders.data.items) || [];
    const sig = JSON.stringify([s.phase, s.rooms, items.map((x) => Object.assign({}, x, { reported_at: !!x.reported_at })),
      recording.data && recording.data.rooms, mutes.data, [recorders, recording, mutes].map((x) => x.err && x.err.message)]);
    if (sig === lastSig) {
      for (const x of items) {
        const el = body.querySelector(`.reported[data-room="${x.room_id}"]`);
        if (el && x.reported_at) el.textContent = `报告于 ${fmtTime(x.reported_at).slice(11)}`;
      }
      return;
    }
    lastSig = sig;
    const rec = new Map(((recorders.data && recorders.data.items) || []).map((x) => [x.room_id, x]));
    const live = new Map(((recording.data && recording.data.rooms) || []).map((x) => [x.room_id, x.live]));
    const muted = new Map(((mutes.data && mutes.data.items) || []).map((x) => [x.room_id, x.muted]));
    ctx.muted = muted;
    if (ctx.mutesChanged) ctx.mutesChanged();
    const down = [];
    const rows = s.rooms.map((r) => {
      const st = rec.get(r.id);
      const recordingNow = !!(st && !st.stale && st.recording);
      if (!recordingNow) down.push({ room: r, why: !st || !st.reported_at ? '录像设备无状态报告' : st.stale ? '录像设备状态已超时' : '录像设备报告未在录像' });
      return h('tr', { 'data-room': String(r.id), class: recordingNow ? '' : 'not-recording' },
        h('td', {}, h('strong', { text: r.name }), h('div', { class: 'small muted', text: r.venue_code + (r.recorder_id ? ` · ${r.recorder_id}` : ' · 未登记录像设备') })),
        h('td', {}, recordingNow ? h('span', { class: 'badge ok rec-state', text: '● 录像中' })
          : h('span', { class: 'badge err rec-state', text: !st || !st.reported_at ? '无报告' : st.stale ? '报告超时' : '未录像' })),
        h('td', {}, (live.get(r.id) || (st && !st.stale && st.live)) ? h('span', { class: 'badge ok', text: '直播中' }) : h('span', { class: 'badge', text: '未直播' })),
        h('td', { class: 'num' }, st && st.reported_at ? `${st.backlog_segments} 段 / ${fmtBytes(st.backlog_bytes)}` : '—'),
        h('td', { class: 'num' }, st && st.reported_at ? `${fmtOffset(st.clock_offset_ms)} ±${Math.round(st.clock_uncertainty_ms)} ms` : '—'),
        h('td', { class: 'num' }, st && st.reported_at ? (st.free_disk_bytes >= 0 ? fmtBytes(st.free_disk_bytes) : '未知') : '—'),
        h('td', {}, st && st.alarms && st.alarms.length ? st.alarms.map((a) => h('div', { class: 'badge err', text: a })) : h('span', { class: 'muted', text: '—' }),
          st && st.reported_at ? h('div', { class: 'small muted reported', 'data-room': String(r.id), text: `报告于 ${fmtTime(st.reported_at).slice(11)}` }) : null),
        h('td', {}, muteCell(s, r, muted)));
    });
    const problems = [recorders, recording, mutes].filter((x) => x.err).map((x) => x.err.message);
    clear(body).append(...[
      problems.length ? h('p', { class: 'form-error', text: [...new Set(problems)].join('；') }) : null,
      h('table', { class: 'rooms-table' },
        h('thead', {}, h('tr', {}, ['评标室', '录像', '直播', '待上传', '时钟偏差', '剩余磁盘', '告警', '对其他场地'].map((t) => h('th', { text: t })))),
        h('tbody', {}, rows))].filter(Boolean));
    setBanner(running(s.phase) ? down : []);
  }

  function muteCell(s, r, muted) {
    const on = !!muted.get(r.id);
    const state = h('span', { class: 'badge ' + (on ? 'warn' : 'ok'), text: on ? '已静音' : '可听到' });
    if (!ctx.mayMute(r) || !running(s.phase)) return state;
    return h('div', { class: 'row' }, state,
      h('button', { class: 'mute-toggle ' + (on ? 'primary' : 'secondary'), 'data-room': String(r.id), 'aria-pressed': on ? 'true' : 'false',
        text: on ? '取消静音' : '静音', onclick: (ev) => toggleMute(ev.target, r, !on) }));
  }

  async function toggleMute(button, r, on) {
    if (on && !(await confirmDialog(`确认将 ${roomLabel(r)} 的声音对其他场地静音？本室、监督人员和本场地工作人员仍能听到，录像不受影响。`, '静音'))) return;
    button.disabled = true;
    try {
      await api('POST', `/api/sessions/${sess.id}/rooms/${r.id}/mute`, { muted: on });
      toast(on ? `${r.name} 已对其他场地静音` : `${r.name} 已取消静音`);
    } catch (err) {
      toast(err.message, 'err');
    }
    await update(sess);
  }

  function setBanner(down) {
    if (!banner) return;
    if (!down.length) {
      banner.hidden = true;
      document.body.classList.remove('alarmed');
      clear(banner);
      return;
    }
    clear(banner).append(h('span', { text: '⚠ 录像中断：' }),
      ...down.map((d) => h('span', { class: 'alarm-room', 'data-room': String(d.room.id), text: `${roomLabel(d.room)} ${d.why}` })),
      h('span', { text: '——请立即检查录像设备，必要时登记音视频故障。' }));
    banner.hidden = false;
    document.body.classList.add('alarmed');
  }

  return {
    el,
    update,
    close() { clearTimeout(timer); sess = null; setBanner([]); },
  };
}

function fmtOffset(ms) {
  const v = Math.round(ms);
  return (v > 0 ? '+' : '') + v + ' ms';
}
