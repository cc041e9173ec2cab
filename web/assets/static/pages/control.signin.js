// The sign-in checklist: the venue's committee members with their seats;
// signing one in (room, seat, the last six characters of the identity
// card, checked by the server), the one-time evaluator code to hand over,
// a fresh code when one is lost, and on-site recusal with a reason.
import { api, h, clear, bindForm, FormError, ApiError, fmtTime, toast, confirmDialog } from '/static/app.js';
import { running, roomLabel, card } from '/static/pages/control.common.js';

const stateLabels = {
  notified: '待答复', confirmed: '已确认', declined: '已拒绝', no_answer: '超时未答复',
  recused: '已回避', cancelled: '已取消', reserve: '备选',
};

const suffixRE = /^[0-9]{5}[0-9X]$/;

/** signinCard is the sign-in checklist part of the control panel. */
export function signinCard(ctx) {
  const body = h('div', { class: 'signin-body' });
  const el = card(h, 'signin', '签到核验', body);
  let sess = null;
  let lastEntries = [];
  let lastSig = '';

  async function update(s) {
    sess = s;
    if (!running(s.phase)) {
      lastSig = '';
      clear(body).append(h('p', { class: 'muted', text: s.phase === 'scheduled'
        ? '开始签到后，这里列出本场地的评标专家名单（名单在此之前保持密封）。'
        : `评标已${s.phase === 'finished' ? '结束' : '中止'}，不再签到。` }));
      return;
    }
    let entries;
    try {
      entries = (await api('GET', `/api/sessions/${s.id}/committee`)).items;
    } catch (err) {
      clear(body).append(h('p', { class: 'form-error', text: err.message }));
      return;
    }
    // Redraw only what changed: a redraw under the staff member's hands
    // (while clicking or typing) would be a trap.
    const sig = JSON.stringify([s.phase, s.rooms, entries]);
    if (sig === lastSig) return;
    lastSig = sig;
    draw(entries);
  }

  // draw shows the checklist. An open form (the staff member may be
  // typing, or reading an error beside a field) stays open across a
  // redraw as long as it still applies.
  function draw(entries) {
    const open = new Map([...body.querySelectorAll('tr.form-row')].map((tr) => [tr.dataset.member, tr]));
    lastEntries = entries;
    const seated = entries.filter((e) => e.signin && !e.signin.released_at).length;
    const expected = entries.filter((e) => e.state !== 'recused').length;
    const rows = [];
    for (const e of entries) {
      const si = e.signin && !e.signin.released_at ? e.signin : null;
      const r = si ? sess.rooms.find((x) => x.id === si.room_id) : null;
      const actions = [];
      const canSeat = !si && e.seat_ready && e.state !== 'recused' && (sess.phase === 'signin' || sess.phase === 'evaluating');
      if (canSeat) actions.push(h('button', { class: 'primary sign-in', text: '签到', onclick: () => toggle(e, 'signin') }));
      if (si) actions.push(h('button', { class: 'secondary reissue', text: '重新生成评标码', onclick: () => reissue(e) }));
      if (e.state !== 'recused') actions.push(h('button', { class: 'recuse', text: '现场回避', onclick: () => toggle(e, 'recuse') }));
      rows.push(h('tr', { 'data-member': String(e.member_id), class: si ? 'seated' : '' },
        h('td', {}, h('strong', { text: e.name }), e.replacement ? h('span', { class: 'badge info', text: '替补' }) : null),
        h('td', { class: 'mono', text: e.id_number_masked }),
        ctx.user.role === 'admin' ? h('td', { text: e.venue_code }) : null,
        h('td', {}, si
          ? h('span', { class: 'badge ok seat', text: `已签到 · ${r ? r.name : ''} ${si.seat} 号座` })
          : h('span', { class: 'badge ' + (e.state === 'recused' ? 'err' : e.seat_ready ? 'warn' : ''), text: e.state === 'recused' ? '已回避' : e.seat_ready ? '未签到' : (stateLabels[e.state] || e.state) }),
        si ? h('div', { class: 'small muted', text: `${fmtTime(si.checked_at).slice(11)} 核验` }) : null),
        h('td', { class: 'actions' }, actions)));
      const form = open.get(String(e.member_id));
      if (form && ((form.dataset.kind === 'signin' && canSeat) || (form.dataset.kind === 'recuse' && e.state !== 'recused'))) rows.push(form);
    }
    clear(body).append(
      h('p', { class: 'row' }, h('span', { class: 'badge big ' + (seated === expected ? 'ok' : 'info'), id: 'signin-count', text: `已签到 ${seated} / ${expected}` })),
      entries.length ? h('table', { class: 'signin-table' },
        h('thead', {}, h('tr', {}, h('th', { text: '专家' }), h('th', { text: '身份证号' }),
          ctx.user.role === 'admin' ? h('th', { text: '场地' }) : null, h('th', { text: '状态' }), h('th', { text: '操作' }))),
        h('tbody', {}, rows)) : h('p', { class: 'muted', text: '本场地没有抽取到评标专家。' }));
  }

  // toggle opens (or closes) the sign-in or recusal form under e's row.
  function toggle(e, kind) {
    const row = body.querySelector(`tr[data-member="${e.member_id}"]`);
    const next = row.nextElementSibling;
    const wasOpen = next && next.classList.contains('form-row') ? next.dataset.kind : '';
    if (wasOpen) next.remove();
    if (wasOpen === kind) return;
    const form = kind === 'signin' ? signInForm(e) : recuseForm(e);
    const cols = row.children.length;
    const fr = h('tr', { class: 'form-row', 'data-member': String(e.member_id), 'data-kind': kind }, h('td', { colspan: cols }, form));
    row.after(fr);
    const first = form.querySelector('input:not([type=hidden]), select, textarea');
    if (first) first.focus();
  }

  function signInForm(e) {
    const rooms = sess.rooms.filter((r) => r.venue_code === e.venue_code);
    const seatInput = h('input', { name: 'seat', type: 'number', min: 1, inputmode: 'numeric', required: true });
    const roomSelect = h('select', { name: 'room_id', onchange: () => { seatInput.value = freeSeat(Number(roomSelect.value)); } },
      rooms.map((r) => h('option', { value: String(r.id), text: `${r.name}（${r.seats} 座）` })));
    seatInput.value = rooms.length ? freeSeat(rooms[0].id) : '';
    const form = h('form', { class: 'signin-form row', 'data-member': String(e.member_id) },
      h('div', { class: 'form-error', hidden: true }),
      h('input', { type: 'hidden', name: 'member_id', value: String(e.member_id) }),
      h('label', {}, '评标室', roomSelect),
      h('label', {}, '座位号', seatInput),
      h('label', {}, '身份证号后6位', h('input', { name: 'id_suffix', maxlength: 6, autocomplete: 'off', placeholder: '如 12345X', class: 'mono', required: true })),
      h('div', { class: 'field' }, h('span', { html: '&nbsp;' }), h('button', { type: 'submit', class: 'primary', text: '核验并签到' })));
    bindForm(form, async (v) => {
      // The server decides who may seat whom where; the page only
      // catches what is plainly incomplete before sending.
      const roomId = Number(v.room_id);
      const room = sess.rooms.find((r) => r.id === roomId);
      const seat = Number(v.seat);
      const suffix = v.id_suffix.trim().toUpperCase();
      if (!roomId) throw new FormError('room_id', '请选择评标室');
      if (!Number.isInteger(seat) || seat < 1 || (room && seat > room.seats)) throw new FormError('seat', `座位号须在1至${room ? room.seats : ''}之间`);
      if (!suffixRE.test(suffix)) throw new FormError('id_suffix', '请输入身份证号后6位（数字，最后一位可为X）');
      let si;
      try {
        si = await api('POST', `/api/sessions/${sess.id}/signins`, { member_id: Number(v.member_id), room_id: roomId, seat, id_suffix: suffix });
      } catch (err) {
        throw fieldOf(err);
      }
      toast(`${si.member_name || e.name} 已签到：${room ? room.name : ''} ${seat} 号座`);
      showCode(si.member_name || e.name, roomLabel(room), seat, si.evaluator_code);
      ctx.refresh();
      return false;
    });
    return form;
  }

  // fieldOf points a server refusal at the field it is about, when the
  // server did not say.
  function fieldOf(err) {
    if (!(err instanceof ApiError) || err.field) return err;
    if (err.message.includes('身份证')) err.field = 'id_suffix';
    else if (err.message.includes('座位')) err.field = 'seat';
    else if (err.message.includes('评标室')) err.field = 'room_id';
    return err;
  }

  function freeSeat(roomId) {
    const r = sess.rooms.find((x) => x.id === roomId);
    const used = seatsUsed(roomId);
    for (let n = 1; r && n <= r.seats; n++) if (!used.has(n)) return String(n);
    return '';
  }

  // seatsUsed lists the seats of roomId taken in the last list drawn.
  function seatsUsed(roomId) {
    const used = new Set();
    for (const e of lastEntries) if (e.signin && !e.signin.released_at && e.signin.room_id === roomId) used.add(e.signin.seat);
    return used;
  }

  function recuseForm(e) {
    const form = h('form', { class: 'recuse-form' },
      h('div', { class: 'form-error', hidden: true }),
      h('label', {}, `现场回避原因（${e.name}）`, h('textarea', { name: 'reason', rows: 2, maxlength: 200, required: true,
        placeholder: '如：与投标人存在利害关系' })),
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'danger', text: '登记回避' }),
        h('span', { class: 'small muted', text: '登记后释放其座位，并自动抽取替补专家。' })));
    bindForm(form, async (v) => {
      const reason = v.reason.trim();
      if (!reason) throw new FormError('reason', '请填写回避原因');
      if (!(await confirmDialog(`确认 ${e.name} 现场回避？此操作不可撤销。`, '确认回避'))) return false;
      const res = await api('POST', `/api/sessions/${sess.id}/members/${e.member_id}/recuse`, { reason });
      toast(`${e.name} 已回避。${res.replacement && res.replacement.notice ? res.replacement.notice : ''}`);
      ctx.refresh();
      return false;
    });
    return form;
  }

  async function reissue(e) {
    if (!(await confirmDialog(`为 ${e.name} 重新生成评标码？原评标码将立即失效。`, '重新生成'))) return;
    try {
      const code = await api('POST', `/api/sessions/${sess.id}/members/${e.member_id}/code`);
      const si = e.signin;
      const r = sess.rooms.find((x) => x.id === si.room_id);
      showCode(e.name, roomLabel(r), si.seat, code);
    } catch (err) {
      toast(err.message, 'err');
    }
  }

  return { el, update, close() {} };
}

/** showCode shows an evaluator's one-time code in large type to hand over. */
export function showCode(name, room, seat, code) {
  if (!code) { toast('签到成功，但未取得评标码，请点击“重新生成评标码”', 'err'); return; }
  const old = document.getElementById('code-dialog');
  if (old) old.remove();
  const dlg = h('dialog', { class: 'code-dialog', id: 'code-dialog' },
    h('p', { class: 'muted', text: '请将评标码交给专家本人（仅显示这一次）' }),
    h('h2', { text: `${name} · ${room} ${seat} 号座` }),
    h('div', { class: 'code-value mono', id: 'code-value', text: code.code }),
    h('p', { class: 'small muted', text: `专家在评标终端打开登录页，输入此码即可进入评标；有效至 ${fmtTime(code.expires_at)}，使用一次后失效。` }),
    h('div', { class: 'actions' }, h('button', { class: 'primary big', id: 'code-done', text: '已交给专家', onclick: () => dlg.close() })));
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}
