// 评标会话与评标室: create an evaluation session with its main and remote
// venues, list the sessions, and for the one selected add rooms (with
// their seats) and set the score sheet (bidders, criteria with their
// bounds) before evaluation starts.
import { api, h, clear, bindForm, fmtTime, phaseLabel, toast } from '/static/app.js';
import { field, select, checkAll, venueOK, intIn, beijingISO, localBeijing } from '/static/pages/admin.form.js';
import { sheetEditor } from '/static/pages/admin.sheet.js';

const refOK = (s) => /^[A-Za-z0-9_.:-]{1,64}$/.test(s);

/** sessionsTab builds the sessions tab in panel. */
export function sessionsTab(panel) {
  let selected = Number(new URLSearchParams(location.search).get('session')) || 0;
  let sessions = [];
  const tbody = h('tbody', { id: 'session-rows' });
  const detail = h('div', { id: 'session-detail' });
  panel.append(
    h('div', { class: 'admin-split' },
      h('div', { class: 'card' }, h('h2', { text: '评标会话' }),
        h('table', { class: 'admin-table', id: 'sessions' },
          h('thead', {}, h('tr', {}, ['编号', '项目', '计划时间', '主场', '副场', '阶段', '评标室', ''].map((t) => h('th', { text: t })))),
          tbody)),
      h('div', { class: 'card' }, h('h2', { text: '新建评标会话' }), createForm(async (s) => { selected = s.id; await load(); }))),
    detail);

  async function load() {
    try {
      sessions = (await api('GET', '/api/sessions')).items || [];
    } catch (err) {
      clear(tbody).append(h('tr', {}, h('td', { colspan: 8, class: 'muted', text: err.message })));
      return;
    }
    clear(tbody);
    if (!sessions.length) tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted', text: '暂无评标会话，请在右侧新建' })));
    for (const s of sessions) {
      tbody.append(h('tr', { 'data-session': s.ref, class: s.id === selected ? 'selected' : '' },
        h('td', { class: 'mono', text: s.ref }),
        h('td', {}, s.project_name, h('div', { class: 'muted small', text: s.project_code })),
        h('td', { class: 'small', text: `${fmtTime(s.starts_at).slice(0, 16)} 至 ${fmtTime(s.ends_at).slice(11, 16)}` }),
        h('td', { text: s.main_venue }),
        h('td', { text: (s.remote_venues || []).join('、') || '—' }),
        h('td', {}, h('span', { class: 'badge info', text: phaseLabel(s.phase) })),
        h('td', { text: String((s.rooms || []).length) }),
        h('td', {}, h('button', { type: 'button', class: 'secondary', text: '管理', 'data-action': 'open', onclick: () => open(s.id) }))));
    }
    const cur = sessions.find((s) => s.id === selected);
    if (cur) showRooms(cur);
  }

  let shownID = 0;
  let roomsBody = null;
  async function open(id) {
    selected = id;
    for (const tr of tbody.querySelectorAll('tr')) tr.classList.toggle('selected', tr.dataset.session === (sessions.find((s) => s.id === id) || {}).ref);
    const s = sessions.find((x) => x.id === id);
    if (s) showRooms(s);
  }

  // showRooms draws the selected session's detail; on a refresh of the
  // same session only its rooms table is redrawn, so forms keep what was
  // typed.
  function showRooms(s) {
    if (shownID === s.id && roomsBody) {
      fillRooms(s);
      return;
    }
    shownID = s.id;
    clear(detail);
    roomsBody = h('tbody', { id: 'room-rows' });
    const editable = s.phase === 'scheduled' || s.phase === 'signin';
    detail.append(h('div', { class: 'card', id: 'session-' + s.id },
      h('h2', { text: `${s.ref} · ${s.project_name}` }),
      h('p', { class: 'muted small', text: `主场 ${s.main_venue}${(s.remote_venues || []).length ? '，副场 ' + s.remote_venues.join('、') : ''}；${phaseLabel(s.phase)}` }),
      h('div', { class: 'admin-split' },
        h('div', {},
          h('h3', { text: '评标室' }),
          h('table', { class: 'admin-table', id: 'rooms' },
            h('thead', {}, h('tr', {}, ['场地', '评标室', '座位数', '录像设备'].map((t) => h('th', { text: t })))),
            roomsBody),
          s.phase === 'finished' || s.phase === 'aborted' ? h('p', { class: 'muted', text: '评标已结束，不能再添加评标室。' }) : roomForm(s)),
        h('div', {},
          h('h3', { text: '评分表' }),
          editable ? null : h('p', { class: 'muted small', text: '评标已开始，评分表不能再修改（下表为评分所依据的评分表）。' }),
          sheetEditor(s, editable)))));
    fillRooms(s);
  }

  function fillRooms(s) {
    clear(roomsBody);
    if (!(s.rooms || []).length) roomsBody.append(h('tr', {}, h('td', { colspan: 4, class: 'muted', text: '尚未添加评标室' })));
    for (const r of s.rooms || []) {
      roomsBody.append(h('tr', { 'data-room': r.name },
        h('td', { text: r.venue_code + (r.venue_code === s.main_venue ? '（主场）' : '') }),
        h('td', { text: r.name }),
        h('td', { text: String(r.seats) }),
        h('td', {}, r.recorder_id ? h('span', { class: 'mono', text: r.recorder_id }) : h('span', { class: 'badge warn', text: '未登记' }))));
    }
  }

  function roomForm(s) {
    const venues = [s.main_venue, ...(s.remote_venues || [])];
    const form = h('form', { id: 'new-room', class: 'inline-form', autocomplete: 'off' },
      h('div', { class: 'form-error', role: 'alert', hidden: true }),
      field('场地', select('venue_code', venues.map((v) => [v, v + (v === s.main_venue ? '（主场）' : '（副场）')]))),
      field('评标室名称', h('input', { name: 'name', placeholder: '如 第一评标室' })),
      field('座位数', h('input', { name: 'seats', type: 'number', min: 1, max: 99, value: '5' })),
      h('button', { type: 'submit', class: 'primary', text: '添加评标室' }));
    bindForm(form, async (v) => {
      checkAll(form, [
        [venues.includes(v.venue_code), 'venue_code', '请选择本场评标的场地'],
        [v.name.trim() !== '' && v.name.trim().length <= 64, 'name', '评标室名称不能为空且不超过64字'],
        [intIn(v.seats, 1, 99), 'seats', '座位数须在1至99之间'],
      ]);
      await api('POST', `/api/sessions/${s.id}/rooms`, { venue_code: v.venue_code, name: v.name.trim(), seats: Number(v.seats) });
      form.elements.name.value = '';
      toast('已添加评标室');
      await load();
      return false;
    });
    return form;
  }

  load();
  return { refresh: load };
}

function createForm(onCreated) {
  const tomorrow = new Date(Date.now() + 24 * 3600e3);
  const start = localBeijing(tomorrow).slice(0, 11) + '09:00';
  const end = start.slice(0, 11) + '12:00';
  const form = h('form', { id: 'new-session', autocomplete: 'off' },
    h('div', { class: 'form-error', role: 'alert', hidden: true }),
    field('评标会话编号', h('input', { name: 'ref', placeholder: '如 NJ-2026-001' }), '与专家抽取、评标专家账号共用；字母、数字或 _ . : -'),
    field('项目编号', h('input', { name: 'project_code' })),
    field('项目名称', h('input', { name: 'project_name' })),
    h('div', { class: 'row' },
      field('计划开始（北京时间）', h('input', { name: 'starts_at', type: 'datetime-local', value: start })),
      field('预计结束（北京时间）', h('input', { name: 'ends_at', type: 'datetime-local', value: end }))),
    field('主场场地编码', h('input', { name: 'main_venue', placeholder: '如 NJ-MAIN' })),
    field('副场场地编码', h('input', { name: 'remote_venues', placeholder: '如 HF-REMOTE, SZ-REMOTE' }), '多个副场用逗号分隔；可不填'),
    field('专家抽取编号（可选）', h('input', { name: 'draw_id', type: 'number', min: 0 }), '已完成的专家抽取的编号，可稍后再关联'),
    h('button', { type: 'submit', class: 'primary', text: '创建评标会话' }));
  bindForm(form, async (v) => {
    const remotes = v.remote_venues.split(/[,，、\s]+/).map((x) => x.trim()).filter(Boolean);
    const main = v.main_venue.trim();
    const startsAt = beijingISO(v.starts_at);
    const endsAt = beijingISO(v.ends_at);
    const dup = remotes.find((x, i) => x === main || remotes.indexOf(x) !== i);
    checkAll(form, [
      [refOK(v.ref.trim()), 'ref', '评标会话编号须为 1–64 位字母、数字或 _ . : -'],
      [v.project_code.trim() !== '' && v.project_code.trim().length <= 64, 'project_code', '项目编号不能为空且不超过64字'],
      [v.project_name.trim() !== '' && v.project_name.trim().length <= 200, 'project_name', '项目名称不能为空且不超过200字'],
      [startsAt !== '', 'starts_at', '必须填写计划开始时间'],
      [endsAt !== '', 'ends_at', '必须填写预计结束时间'],
      [!startsAt || !endsAt || new Date(endsAt) > new Date(startsAt), 'ends_at', '预计结束时间必须晚于开始时间'],
      [venueOK(main), 'main_venue', '主场场地编码须为 1–32 位字母、数字或 _ -'],
      [remotes.every(venueOK), 'remote_venues', '副场场地编码须为 1–32 位字母、数字或 _ -'],
      [!dup, 'remote_venues', `场地 ${dup} 重复`],
      [v.draw_id === '' || intIn(v.draw_id, 0, Number.MAX_SAFE_INTEGER), 'draw_id', '抽取编号须为正整数'],
    ]);
    const s = await api('POST', '/api/sessions', {
      ref: v.ref.trim(), project_code: v.project_code.trim(), project_name: v.project_name.trim(),
      starts_at: startsAt, ends_at: endsAt, main_venue: main, remote_venues: remotes,
      draw_id: v.draw_id === '' ? 0 : Number(v.draw_id),
    });
    toast(`已创建评标会话 ${s.ref}`);
    form.reset();
    await onCreated(s);
    return false;
  });
  return form;
}
