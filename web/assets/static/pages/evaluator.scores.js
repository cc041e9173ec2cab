// The evaluator page's scoring: one form per bidder with a field per
// criterion (checked here for required values, the criterion's range and
// two decimals, and again by the server), submitted while the session is
// evaluating; a submitted score is corrected by a new record pointing at
// it (更正, with a reason); and the list of the evaluator's own records.
// The page is drawn from state, so a live refresh keeps what is typed and
// the errors shown.
import { api, h, clear, fmtTime, phaseLabel, toast, ApiError } from '/static/app.js';

/** checkValue returns the Chinese error of a typed value, or ''. */
export function checkValue(raw, c) {
  const s = String(raw || '').trim();
  if (!s) return '请填写分值';
  if (!/^-?\d+(\.\d+)?$/.test(s)) return '分值须为数字';
  if (/\.\d{3,}$/.test(s)) return '分值最多保留两位小数';
  const v = Number(s);
  if (v < c.min || v > c.max) return `分值须在 ${c.min} 至 ${c.max} 之间`;
  return '';
}

const key = (bidder, criterion) => `${bidder}|${criterion}`;

/** Scoring draws the scoring forms and the own records. */
export class Scoring {
  constructor(formBox, listBox, { session }) {
    this.formBox = formBox;
    this.listBox = listBox;
    this.session = session;
    this.sheet = null;
    this.records = [];
    this.drafts = new Map(); // input key → typed text
    this.errors = new Map(); // input key → message
    this.formErrors = new Map(); // form key → message
    this.correcting = new Set(); // bidder|criterion keys with an open correction
    this.busy = new Set(); // form keys being submitted
  }

  /** reload reads the sheet (once) and the records, then draws. */
  async reload(session) {
    this.session = session;
    try {
      if (!this.sheet) this.sheet = await api('GET', `/api/sessions/${session.id}/scoresheet`);
      const res = await api('GET', `/api/sessions/${session.id}/scores`);
      this.records = res.items || [];
    } catch (err) {
      clear(this.formBox).append(h('h2', { text: '评分' }), h('p', { class: 'form-error', text: '无法读取评分表：' + err.message }));
      return;
    }
    this.draw();
  }

  get canScore() { return this.session.phase === 'evaluating'; }

  /** effective maps bidder|criterion to the record that counts. */
  effective() {
    const m = new Map();
    for (const r of this.records) if (r.effective) m.set(key(r.bidder, r.criterion), r);
    return m;
  }

  draw() {
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : '';
    this.drawForms();
    this.drawList();
    if (focused) {
      const el = this.formBox.querySelector(`[data-key="${CSS.escape(focused)}"]`);
      if (el) el.focus();
    }
  }

  drawForms() {
    const box = clear(this.formBox);
    const sheet = this.sheet;
    box.append(h('h2', { text: '评分' }));
    if (!this.canScore) {
      box.append(h('p', { class: 'phase-note', id: 'score-phase-note', role: 'status',
        text: `评标当前为“${phaseLabel(this.session.phase)}”，评标进行中才能打分。` }));
    }
    if (!sheet || !sheet.bidders || !sheet.bidders.length) {
      box.append(h('p', { class: 'muted', text: '本场评标尚未设置评分表。' }));
      return;
    }
    const eff = this.effective();
    const criteria = sheet.criteria;
    box.append(h('p', { class: 'muted small', text: '每位投标人的各评分项均须填写，分值在括号所示范围内，最多两位小数。提交后如需修改，请点击「更正」并说明原因；原记录保留。' }));
    for (const b of sheet.bidders) {
      const done = criteria.filter((c) => eff.has(key(b.code, c.code))).length;
      const form = h('form', { class: 'bidder-form', 'data-bidder': b.code, novalidate: true, onsubmit: (ev) => { ev.preventDefault(); this.submit(b); } },
        h('div', { class: 'bidder-head' },
          h('h3', { text: `${b.name}` }),
          h('span', { class: 'muted small', text: `投标人编号 ${b.code}` }),
          h('span', { class: 'badge ' + (done === criteria.length ? 'ok' : ''), text: `已提交 ${done}/${criteria.length}` })),
        this.formError(b.code),
        h('div', { class: 'criteria' }, criteria.map((c) => this.cell(b, c, eff.get(key(b.code, c.code))))));
      if (done < criteria.length) {
        const ck = `comment:${b.code}`;
        form.append(h('label', { class: 'comment' }, '评语（可选）',
          this.input('comment', ck, { placeholder: '不超过500字', maxlength: 500 })));
        form.append(h('div', { class: 'row' },
          h('button', { type: 'submit', class: 'primary', disabled: !this.canScore || this.busy.has(b.code), text: '提交评分' })));
      }
      box.append(form);
    }
  }

  formError(fk) {
    const m = this.formErrors.get(fk);
    return h('div', { class: 'form-error', role: 'alert', hidden: !m, text: m || '' });
  }

  /** input makes a text input bound to drafts, with its error after it. */
  input(name, k, attrs = {}) {
    const el = h('input', Object.assign({ name, 'data-key': k, value: this.drafts.get(k) || '', autocomplete: 'off' }, attrs));
    el.addEventListener('input', () => this.drafts.set(k, el.value));
    const err = this.errors.get(k);
    if (err) el.setAttribute('aria-invalid', 'true');
    return [el, err ? h('small', { class: 'field-error', 'data-for': name, role: 'alert', text: err }) : null];
  }

  cell(b, c, rec) {
    const ck = key(b.code, c.code);
    const title = h('span', { class: 'crit-name' }, c.name, h('span', { class: 'muted small', text: `（${c.min}–${c.max}）` }));
    if (!rec) {
      return h('label', { class: 'field crit' }, title,
        this.input(`v:${c.code}`, `v:${ck}`, { inputmode: 'decimal', placeholder: `${c.min}–${c.max}`, disabled: !this.canScore }));
    }
    const cellEl = h('div', { class: 'field crit scored', 'data-criterion': c.code },
      title,
      h('div', { class: 'row' },
        h('strong', { class: 'score-value', text: rec.value.toFixed(2) }),
        h('span', { class: 'badge ok', text: rec.corrects ? '已更正' : '已提交' }),
        this.correcting.has(ck) ? null : h('button', {
          type: 'button', class: 'link correct', 'data-key': `correct:${ck}`, disabled: !this.canScore, text: '更正',
          onclick: () => { this.correcting.add(ck); this.draw(); this.formBox.querySelector(`[data-key="cv:${CSS.escape(ck)}"]`)?.focus(); },
        })));
    if (this.correcting.has(ck)) cellEl.append(this.correction(b, c, rec));
    return cellEl;
  }

  /** correction is the inline form of a new record correcting rec. */
  correction(b, c, rec) {
    const ck = key(b.code, c.code);
    const fk = `correct:${ck}`;
    const busy = this.busy.has(fk);
    return h('div', { class: 'correction', 'data-key-form': ck },
      this.formError(fk),
      h('label', { class: 'field' }, '更正后的分值', this.input('value', `cv:${ck}`, { inputmode: 'decimal', placeholder: `${c.min}–${c.max}` })),
      h('label', { class: 'field' }, '更正原因（必填）', this.input('comment', `cr:${ck}`, { maxlength: 500 })),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary', 'data-action': 'submit-correction', disabled: !this.canScore || busy, text: '提交更正',
          onclick: () => this.correct(b, c, rec) }),
        h('button', { type: 'button', class: 'secondary', text: '取消', onclick: () => { this.correcting.delete(ck); this.clearErrors(`cv:${ck}`, `cr:${ck}`); this.formErrors.delete(fk); this.draw(); } })));
  }

  clearErrors(...keys) { for (const k of keys) this.errors.delete(k); }

  /** submit checks every open field of bidder b, then sends each score. */
  async submit(b) {
    const eff = this.effective();
    const todo = this.sheet.criteria.filter((c) => !eff.has(key(b.code, c.code)));
    this.formErrors.delete(b.code);
    let bad = false;
    for (const c of todo) {
      const k = `v:${key(b.code, c.code)}`;
      const msg = checkValue(this.drafts.get(k), c);
      if (msg) { this.errors.set(k, msg); bad = true; } else this.errors.delete(k);
    }
    const comment = (this.drafts.get(`comment:${b.code}`) || '').trim();
    if (comment.length > 500) { this.errors.set(`comment:${b.code}`, '评语不能超过500字'); bad = true; } else this.errors.delete(`comment:${b.code}`);
    if (bad) { this.draw(); return; }
    this.busy.add(b.code);
    this.draw();
    let sent = 0;
    try {
      for (const c of todo) {
        const k = `v:${key(b.code, c.code)}`;
        try {
          const rec = await api('POST', `/api/sessions/${this.session.id}/scores`,
            { bidder: b.code, criterion: c.code, value: Number(this.drafts.get(k).trim()), comment });
          this.records.push(rec);
          this.drafts.delete(k);
          sent++;
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          // The server's word, beside the field it is about (or the form).
          if (err.field && err.field !== 'value') this.formErrors.set(b.code, err.message);
          else this.errors.set(k, err.message);
          break;
        }
      }
    } finally {
      this.busy.delete(b.code);
    }
    if (sent === todo.length) { this.drafts.delete(`comment:${b.code}`); toast(`已提交 ${b.name} 的评分`); }
    await this.reload(this.session);
  }

  /** correct sends a new record correcting rec, with its reason. */
  async correct(b, c, rec) {
    const ck = key(b.code, c.code);
    const fk = `correct:${ck}`;
    const vk = `cv:${ck}`;
    const rk = `cr:${ck}`;
    this.formErrors.delete(fk);
    const msg = checkValue(this.drafts.get(vk), c);
    const reason = (this.drafts.get(rk) || '').trim();
    if (msg) this.errors.set(vk, msg); else this.errors.delete(vk);
    if (!reason) this.errors.set(rk, '更正必须填写原因');
    else if (reason.length > 500) this.errors.set(rk, '更正原因不能超过500字');
    else this.errors.delete(rk);
    if (this.errors.has(vk) || this.errors.has(rk)) { this.draw(); return; }
    this.busy.add(fk);
    this.draw();
    try {
      const out = await api('POST', `/api/sessions/${this.session.id}/scores`,
        { bidder: b.code, criterion: c.code, value: Number(this.drafts.get(vk).trim()), comment: reason, corrects: rec.id });
      this.records.push(out);
      this.correcting.delete(ck);
      this.drafts.delete(vk);
      this.drafts.delete(rk);
      toast(`已更正 ${b.name} · ${c.name}`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      this.formErrors.set(fk, err.message);
    } finally {
      this.busy.delete(fk);
    }
    await this.reload(this.session);
  }

  /** drawList shows the evaluator's own records, newest first. */
  drawList() {
    const box = clear(this.listBox);
    box.append(h('h2', { text: '我的评分记录' }));
    if (!this.records.length) {
      box.append(h('p', { class: 'muted', id: 'no-records', text: '尚未提交评分。' }));
      return;
    }
    const bidders = new Map(((this.sheet && this.sheet.bidders) || []).map((b) => [b.code, b.name]));
    const criteria = new Map(((this.sheet && this.sheet.criteria) || []).map((c) => [c.code, c.name]));
    const rows = [...this.records].sort((a, b) => b.id - a.id).map((r) => h('tr', { 'data-id': String(r.id), class: r.effective ? '' : 'superseded' },
      h('td', { class: 'mono', text: `#${r.id}` }),
      h('td', { text: fmtTime(r.recorded_at) }),
      h('td', { text: bidders.get(r.bidder) || r.bidder }),
      h('td', { text: criteria.get(r.criterion) || r.criterion }),
      h('td', { class: 'num', text: r.value.toFixed(2) }),
      h('td', { text: r.comment || '' }),
      h('td', {}, r.corrects ? `更正 #${r.corrects}` : '首次提交'),
      h('td', {}, r.effective ? h('span', { class: 'badge ok', text: '有效' }) : h('span', { class: 'badge', text: `已被 #${r.corrected_by} 更正` }))));
    box.append(h('div', { class: 'table-wrap' }, h('table', { id: 'my-records' },
      h('thead', {}, h('tr', {}, ['编号', '提交时间', '投标人', '评分项', '分值', '评语/原因', '类型', '状态'].map((t) => h('th', { text: t })))),
      h('tbody', {}, rows))));
  }
}
