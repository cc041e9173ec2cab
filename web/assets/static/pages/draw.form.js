// The draw page's creation form: project (or a new one inline), session,
// time span, venues and quotas; validated here and by the server, whose
// Chinese errors appear beside the field they name. An unfillable quota
// shows the funnel the server returns.
import { api, h, clear, bindForm, fieldError, toast } from '/static/app.js';
import { renderFunnel } from '/static/pages/draw.funnel.js';

const regionRE = /^[0-9]{6}$/;
const prefixRE = /^([0-9]{2}|[0-9]{4}|[0-9]{6})?$/;
const orgRE = /^[0-9A-Z]{18}$/;

// beijingISO turns a datetime-local value (minutes or seconds), read as
// Beijing time, into an RFC 3339 time; "" stays "".
function beijingISO(v) {
  if (!v) return '';
  const d = new Date((v.length === 16 ? v + ':00' : v) + '+08:00');
  return isNaN(d) ? '' : d.toISOString();
}

// beijingLocal is the datetime-local value of t in Beijing time.
function beijingLocal(t) {
  const d = new Date(t.getTime() + 8 * 3600 * 1000);
  return d.toISOString().slice(0, 16);
}

// field wraps a labelled input with its error slot.
function field(label, input, hint) {
  return h('label', { class: 'field' },
    h('span', { class: 'field-label', text: label }),
    input,
    hint ? h('small', { class: 'hint', text: hint }) : null);
}

// groupError is an error slot for a whole list ("venues", "quotas").
function groupError(name) {
  return h('div', { class: 'group-error' }, h('input', { type: 'hidden', name }));
}

/**
 * drawForm returns the creation form; onDrawn(result) runs after a draw.
 */
export async function drawForm({ onDrawn }) {
  const [projects, specialties, sessions] = await Promise.all([
    api('GET', '/api/projects?limit=1000').then((r) => r.items).catch(() => []),
    api('GET', '/api/specialties').then((r) => r.items).catch(() => []),
    api('GET', '/api/sessions').then((r) => r.items || []).catch(() => []),
  ]);
  const wrap = h('div', { class: 'draw-new' });
  const funnelBox = h('div', { class: 'funnel-box', id: 'funnel' });

  // --- Project ----------------------------------------------------------
  const projectSelect = h('select', { name: 'project_id', id: 'project_id' },
    h('option', { value: '', text: '请选择项目' }),
    ...projects.map((p) => h('option', { value: String(p.id), text: `${p.code} ${p.name}` })),
    h('option', { value: 'new', text: '＋ 新建项目…' }));
  const projectPanel = projectForm(specialties, (p) => {
    projectSelect.insertBefore(h('option', { value: String(p.id), text: `${p.code} ${p.name}` }), projectSelect.lastElementChild);
    projectSelect.value = String(p.id);
    projectPanel.hidden = true;
  });
  projectPanel.hidden = true;
  projectSelect.addEventListener('change', () => { projectPanel.hidden = projectSelect.value !== 'new'; });

  // --- Session and times -------------------------------------------------
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
  const day = beijingLocal(tomorrow).slice(0, 10);
  const refList = h('datalist', { id: 'session-refs' },
    ...sessions.filter((s) => !s.draw_id && s.phase === 'scheduled').map((s) => h('option', { value: s.ref, text: s.project_name })));
  const inputs = {
    session_ref: h('input', { name: 'session_ref', list: 'session-refs', autocomplete: 'off', placeholder: '例如 NJ-2026-001' }),
    starts_at: h('input', { name: 'starts_at', type: 'datetime-local', value: `${day}T09:00` }),
    ends_at: h('input', { name: 'ends_at', type: 'datetime-local', value: `${day}T17:00` }),
    signin_opens_at: h('input', { name: 'signin_opens_at', type: 'datetime-local' }),
    answer_minutes: h('input', { name: 'answer_minutes', type: 'number', min: '1', max: '1440', value: '30' }),
    tenderer_reps: h('input', { name: 'tenderer_reps', type: 'number', min: '0', value: '0' }),
  };
  inputs.session_ref.addEventListener('change', () => {
    const s = sessions.find((x) => x.ref === inputs.session_ref.value);
    if (!s) return;
    inputs.starts_at.value = beijingLocal(new Date(s.starts_at));
    inputs.ends_at.value = beijingLocal(new Date(s.ends_at));
    if (venueRows().every((r) => !r.querySelector('[data-k=code]').value)) {
      clear(venueBody);
      [s.main_venue, ...(s.remote_venues || [])].forEach((code, i) => addVenue({ code, main: i === 0 }));
      refreshVenueOptions();
    }
  });

  // --- Venues ------------------------------------------------------------
  const venueBody = h('tbody', {});
  const venueRows = () => [...venueBody.children];
  function addVenue(v = {}) {
    const row = h('tr', { class: 'venue-row' },
      h('td', { class: 'center' }, h('input', { type: 'radio', name: 'main_venue', 'data-k': 'main', checked: !!v.main, title: '主场' })),
      h('td', {}, h('input', { 'data-k': 'code', value: v.code || '', placeholder: '如 JS-NJ', size: '8' })),
      h('td', {}, h('input', { 'data-k': 'name', value: v.name || '', placeholder: '如 南京主场' })),
      h('td', {}, h('input', { 'data-k': 'address', value: v.address || '', placeholder: '详细地址' })),
      h('td', {}, h('input', { 'data-k': 'region', value: v.region || '', placeholder: '6位代码', size: '7', inputmode: 'numeric' })),
      h('td', {}, h('button', { type: 'button', class: 'secondary small', text: '删除', onclick: () => { row.remove(); renumber(); refreshVenueOptions(); } })));
    row.querySelector('[data-k=code]').addEventListener('input', refreshVenueOptions);
    venueBody.append(row);
    renumber();
  }

  // --- Quotas ------------------------------------------------------------
  const quotaBody = h('tbody', {});
  const quotaRows = () => [...quotaBody.children];
  function addQuota(q = {}) {
    const row = h('tr', { class: 'quota-row' },
      h('td', {}, h('select', { 'data-k': 'venue_code', 'data-value': q.venue_code || '' })),
      h('td', {}, h('select', { 'data-k': 'specialty_code' },
        h('option', { value: '', text: '请选择专业' }),
        ...specialties.map((s) => h('option', { value: s.code, text: `${s.code} ${s.name}`, selected: s.code === q.specialty_code })))),
      h('td', {}, h('input', { 'data-k': 'region_prefix', value: q.region_prefix || '', placeholder: '不限', size: '7', inputmode: 'numeric' })),
      h('td', {}, h('input', { 'data-k': 'count', type: 'number', min: '1', value: String(q.count ?? 1), class: 'narrow' })),
      h('td', {}, h('input', { 'data-k': 'reserves', type: 'number', min: '0', value: String(q.reserves ?? 0), class: 'narrow' })),
      h('td', {}, h('button', { type: 'button', class: 'secondary small', text: '删除', onclick: () => { row.remove(); renumber(); } })));
    quotaBody.append(row);
    renumber();
    refreshVenueOptions();
  }

  // renumber names every row input "venues.i.key" / "quotas.i.key", the
  // field names the server's errors use.
  function renumber() {
    venueRows().forEach((r, i) => r.querySelectorAll('[data-k]').forEach((el) => {
      if (el.dataset.k !== 'main') el.name = `venues.${i}.${el.dataset.k}`;
    }));
    quotaRows().forEach((r, i) => r.querySelectorAll('[data-k]').forEach((el) => { el.name = `quotas.${i}.${el.dataset.k}`; }));
  }

  function refreshVenueOptions() {
    const codes = venueRows().map((r) => r.querySelector('[data-k=code]').value.trim()).filter(Boolean);
    for (const sel of quotaBody.querySelectorAll('select[data-k=venue_code]')) {
      const want = sel.value || sel.dataset.value;
      clear(sel);
      sel.append(h('option', { value: '', text: '请选择场地' }), ...codes.map((c) => h('option', { value: c, text: c, selected: c === want })));
    }
  }

  const form = h('form', { class: 'card draw-form', id: 'draw-form', novalidate: true },
    h('h2', { text: '新建抽取' }),
    h('p', { class: 'muted small', text: '抽取结果密封保存，签到开始前任何人都看不到专家姓名。时间均为北京时间。' }),
    h('fieldset', {}, h('legend', { text: '项目与场次' }),
      h('div', { class: 'grid2' },
        field('项目', projectSelect),
        field('评标场次编号', inputs.session_ref, '与评标会话的编号一致'),
        field('评标开始时间', inputs.starts_at),
        field('评标结束时间', inputs.ends_at),
        field('签到开始时间', inputs.signin_opens_at, '留空则为开始前30分钟；届时揭晓名单'),
        field('答复时限（分钟）', inputs.answer_minutes),
        field('招标人代表人数', inputs.tenderer_reps)),
      refList),
    h('fieldset', {}, h('legend', { text: '评标场地' }),
      h('div', { class: 'table-wrap' }, h('table', { class: 'rows-table' },
        h('thead', {}, h('tr', {}, ...['主场', '代码', '名称', '地址', '行政区划', ''].map((t) => h('th', { text: t })))),
        venueBody)),
      groupError('venues'),
      h('button', { type: 'button', class: 'secondary small', id: 'add-venue', text: '添加场地', onclick: () => addVenue() })),
    h('fieldset', {}, h('legend', { text: '抽取名额' }),
      h('div', { class: 'table-wrap' }, h('table', { class: 'rows-table' },
        h('thead', {}, h('tr', {}, ...['场地', '专业', '地区范围', '人数', '备选', ''].map((t) => h('th', { text: t })))),
        quotaBody)),
      groupError('quotas'),
      h('button', { type: 'button', class: 'secondary small', id: 'add-quota', text: '添加名额', onclick: () => addQuota() })),
    h('div', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'primary', id: 'draw-submit', text: '抽取并通知专家' })));

  addVenue({ main: true });
  addQuota();

  // request reads the form into a draw request.
  function request() {
    const num = (el) => (el.value === '' ? NaN : Number(el.value));
    return {
      project_id: Number(projectSelect.value) || 0,
      session_ref: inputs.session_ref.value.trim(),
      starts_at: beijingISO(inputs.starts_at.value),
      ends_at: beijingISO(inputs.ends_at.value),
      signin_opens_at: beijingISO(inputs.signin_opens_at.value) || undefined,
      answer_minutes: num(inputs.answer_minutes),
      tenderer_reps: num(inputs.tenderer_reps),
      venues: venueRows().map((r) => {
        const v = (k) => r.querySelector(`[data-k=${k}]`);
        return { code: v('code').value.trim(), name: v('name').value.trim(), address: v('address').value.trim(),
          region: v('region').value.trim(), main: v('main').checked };
      }),
      quotas: quotaRows().map((r) => {
        const v = (k) => r.querySelector(`[data-k=${k}]`);
        return { venue_code: v('venue_code').value, specialty_code: v('specialty_code').value,
          region_prefix: v('region_prefix').value.trim(), count: num(v('count')), reserves: num(v('reserves')) };
      }),
    };
  }

  // validate shows every problem beside its field; true when none.
  function validate(req) {
    const errs = [];
    const bad = (name, msg) => errs.push([name, msg]);
    if (!req.project_id) bad('project_id', '请选择项目');
    if (!req.session_ref) bad('session_ref', '评标场次编号不能为空');
    const start = req.starts_at ? new Date(req.starts_at) : null;
    const end = req.ends_at ? new Date(req.ends_at) : null;
    if (!start) bad('starts_at', '请填写评标开始时间');
    else if (start <= new Date()) bad('starts_at', '评标开始时间必须晚于当前时间');
    if (!end) bad('ends_at', '请填写评标结束时间');
    else if (start && end <= start) bad('ends_at', '评标结束时间必须晚于开始时间');
    if (req.signin_opens_at && start && new Date(req.signin_opens_at) > start) bad('signin_opens_at', '签到开始时间不能晚于评标开始时间');
    if (!Number.isInteger(req.answer_minutes) || req.answer_minutes < 1 || req.answer_minutes > 1440) bad('answer_minutes', '答复时限须在1至1440分钟之间');
    if (!Number.isInteger(req.tenderer_reps) || req.tenderer_reps < 0) bad('tenderer_reps', '招标人代表人数不能为负数');
    const codes = new Set();
    if (!req.venues.length) bad('venues', '至少需要一个评标场地');
    req.venues.forEach((v, i) => {
      if (!v.code) bad(`venues.${i}.code`, '场地代码不能为空');
      else if (codes.has(v.code)) bad(`venues.${i}.code`, `场地代码 ${v.code} 重复`);
      codes.add(v.code);
      if (!v.name) bad(`venues.${i}.name`, '场地名称不能为空');
      if (!regionRE.test(v.region)) bad(`venues.${i}.region`, '行政区划代码须为6位数字');
    });
    if (req.venues.length && req.venues.filter((v) => v.main).length !== 1) bad('venues', '必须有且仅有一个主场');
    if (!req.quotas.length) bad('quotas', '抽取名额不能为空');
    req.quotas.forEach((q, i) => {
      if (!q.venue_code || !codes.has(q.venue_code)) bad(`quotas.${i}.venue_code`, '请选择场地');
      if (!q.specialty_code) bad(`quotas.${i}.specialty_code`, '请选择专业');
      if (!prefixRE.test(q.region_prefix)) bad(`quotas.${i}.region_prefix`, '须为2、4或6位行政区划代码，或留空');
      if (!Number.isInteger(q.count) || q.count <= 0) bad(`quotas.${i}.count`, '人数必须大于0');
      if (!Number.isInteger(q.reserves) || q.reserves < 0) bad(`quotas.${i}.reserves`, '备选人数不能为负数');
    });
    for (const [name, msg] of errs) fieldError(form, name, msg);
    if (errs.length) {
      const first = form.querySelector(`[name="${CSS.escape(errs[0][0])}"]`);
      if (first && first.type !== 'hidden') first.focus();
    }
    return errs.length === 0;
  }

  bindForm(form, async () => {
    clear(funnelBox);
    const req = request();
    if (!validate(req)) return false;
    let res;
    try {
      res = await api('POST', '/api/draws', req);
    } catch (err) {
      if (err.code === 'quota_unfilled' && err.body?.error?.funnel) funnelBox.append(renderFunnel(err.body.error.funnel));
      throw err;
    }
    toast(`抽取完成：已通知 ${res.notified} 名专家`);
    await onDrawn(res);
    return false;
  });

  wrap.append(form, projectPanel, funnelBox);
  return wrap;
}

// projectForm is the inline form registering a new project.
function projectForm(specialties, onCreated) {
  const bidders = h('textarea', { name: 'bidders', rows: '3', placeholder: '每行一个投标人：统一社会信用代码 名称' });
  const form = h('form', { class: 'card project-form', id: 'project-form', novalidate: true },
    h('h3', { text: '新建项目' }),
    h('div', { class: 'grid2' },
      field('项目编号', h('input', { name: 'code' })),
      field('项目名称', h('input', { name: 'name' })),
      field('招标人代码', h('input', { name: 'tenderer_code', placeholder: '18位统一社会信用代码' })),
      field('项目类别', h('select', { name: 'category' },
        h('option', { value: '', text: '请选择专业' }),
        ...specialties.map((s) => h('option', { value: s.code, text: `${s.code} ${s.name}` })))),
      field('项目地区', h('input', { name: 'region', placeholder: '6位行政区划代码', inputmode: 'numeric' })),
      field('投标人', bidders)),
    h('div', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'primary', text: '保存项目' })));
  bindForm(form, async (values) => {
    const list = String(values.bidders || '').split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const [org, ...name] = l.split(/\s+/);
      return { org_code: org.toUpperCase(), name: name.join(' ') };
    });
    const p = { code: String(values.code || '').trim(), name: String(values.name || '').trim(),
      tenderer_code: String(values.tenderer_code || '').trim().toUpperCase(), category: values.category,
      region: String(values.region || '').trim(), bidders: list };
    let ok = true;
    const bad = (n, m) => { fieldError(form, n, m); ok = false; };
    if (!p.code) bad('code', '项目编号不能为空');
    if (!p.name) bad('name', '项目名称不能为空');
    if (!orgRE.test(p.tenderer_code)) bad('tenderer_code', '应为18位数字或大写字母');
    if (!p.category) bad('category', '请选择项目类别');
    if (!regionRE.test(p.region)) bad('region', '应为6位行政区划代码');
    if (!list.length) bad('bidders', '至少填写一个投标人');
    else if (list.some((b) => !orgRE.test(b.org_code))) bad('bidders', '投标人代码应为18位数字或大写字母');
    if (!ok) return false;
    const created = await api('POST', '/api/projects', p);
    toast(`项目 ${created.code} 已保存`);
    form.reset();
    onCreated(created);
    return false;
  });
  return form;
}
