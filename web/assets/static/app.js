// evalroom panels: the shared module every page imports. Plain ES module,
// no build step (see web/assets/README.md).

/** ApiError is thrown by api() for every non-2xx answer. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `请求失败（${status}）`);
    this.status = status;
    this.code = e.code || 'error';
    this.field = e.field || '';
    this.body = body;
  }
}

/**
 * api calls the JSON API. body (optional) is sent as JSON. It resolves to
 * the parsed answer (null for 204) and throws ApiError otherwise. A 401
 * anywhere but the login calls sends the user to the login page.
 */
export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { 'X-Requested-With': 'evalroom', Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { error: { code: 'network', message: '无法连接服务器，请检查网络后重试' } });
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/api/login')) {
      location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
    }
    throw new ApiError(res.status, data);
  }
  return data;
}

/**
 * h builds an element: h('button', {class: 'primary', onclick: f, text: '保存'}).
 * attrs: class, text, html (trusted strings only), style (object or string),
 * data-* (dataset), on<event> (listener), anything else as attribute.
 * children: nodes, strings, arrays, null (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'html') el.innerHTML = v;
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** clear removes every child of el and returns it. */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** $ is querySelector on document (or on root). */
export const $ = (sel, root = document) => root.querySelector(sel);

const roleLabels = { admin: '系统管理员', staff: '会场工作人员', evaluator: '评标专家', supervisor: '监督人员', archivist: '档案管理员' };
/** roleLabel is the Chinese name of a role. */
export const roleLabel = (r) => roleLabels[r] || r;

const phaseLabels = {
  scheduled: '未开始', signin: '签到中', evaluating: '评标中', paused: '暂停',
  finished: '结束', aborted: '中止',
};
/** phaseLabel is the Chinese name of a session phase. */
export const phaseLabel = (p) => phaseLabels[p] || p;

// Navigation: [path, label, roles].
const nav = [
  ['/admin', '系统管理', ['admin']],
  ['/draw', '专家抽取', ['admin', 'staff', 'supervisor']],
  ['/control', '现场控制台', ['admin', 'staff']],
  ['/wall', '监督大屏', ['admin', 'supervisor']],
  ['/archive', '档案调阅', ['admin', 'archivist', 'supervisor']],
  ['/evaluator', '评标', ['evaluator']],
];

let currentUser = null;

/** me is the logged-in user once boot() resolved, else null. */
export const me = () => currentUser;

/**
 * boot loads the logged-in user and draws the top bar. If the user's role
 * is not in roles it shows 无权访问此页面 and resolves to null.
 */
export async function boot(roles) {
  const user = await api('GET', '/api/me');
  currentUser = user;
  drawTopbar(user);
  if (roles && roles.length && !roles.includes(user.role)) {
    const main = clear($('#main'));
    main.append(h('section', { class: 'card denied', role: 'alert' },
      h('h1', { text: '无权访问此页面' }),
      h('p', { text: `您的角色是「${roleLabel(user.role)}」，此页面仅供${roles.map(roleLabel).join('、')}使用。` }),
      h('p', {}, h('a', { href: '/', text: '返回我的首页' }))));
    return null;
  }
  return user;
}

function drawTopbar(user) {
  const bar = $('#topbar');
  if (!bar) return;
  clear(bar);
  bar.className = 'topbar';
  const here = location.pathname;
  bar.append(
    h('a', { class: 'brand', href: '/' }, h('strong', { text: 'evalroom' }), h('span', { text: ' 远程异地评标' })),
    h('nav', {}, nav.filter(([, , roles]) => roles.includes(user.role)).map(([path, label]) =>
      h('a', { href: path, class: here === path ? 'active' : '', text: label }))),
    h('span', { class: 'who' }, h('span', { class: 'clock', id: 'topclock' }), ' ',
      h('span', { text: `${user.display_name || user.username}（${roleLabel(user.role)}${user.venue_code ? ' · ' + user.venue_code : ''}）` }),
      h('button', { class: 'link', id: 'logout', text: '退出登录', onclick: logout })),
  );
  tickClock();
}

let clockTimer = 0;
function tickClock() {
  const el = $('#topclock');
  if (!el) return;
  el.textContent = fmtTime(new Date().toISOString()).slice(11);
  clearTimeout(clockTimer);
  clockTimer = setTimeout(tickClock, 1000 - (Date.now() % 1000));
}

async function logout() {
  try { await api('POST', '/api/logout'); } catch { /* the cookie is cleared either way */ }
  location.assign('/login');
}

/** fmtTime shows an ISO instant in Beijing time, "YYYY-MM-DD HH:mm:ss". */
export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d)) return '';
  const b = new Date(d.getTime() + 8 * 3600e3);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${b.getUTCFullYear()}-${p(b.getUTCMonth() + 1)}-${p(b.getUTCDate())} ${p(b.getUTCHours())}:${p(b.getUTCMinutes())}:${p(b.getUTCSeconds())}`;
}

/** fmtDuration shows milliseconds as "H:MM:SS" (or "M:SS"). */
export function fmtDuration(ms) {
  const neg = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const mm = Math.floor(s / 60); s -= mm * 60;
  const p = (n) => String(n).padStart(2, '0');
  return (neg ? '-' : '') + (hh ? `${hh}:${p(mm)}:${p(s)}` : `${mm}:${p(s)}`);
}

/** fmtBytes shows a byte count in KB/MB/GB. */
export function fmtBytes(n) {
  if (n === null || n === undefined) return '';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

/** toast shows a short message at the bottom; kind 'ok' or 'err'. */
export function toast(message, kind = 'ok') {
  let box = $('#toasts');
  if (!box) { box = h('div', { id: 'toasts', 'aria-live': 'polite' }); document.body.append(box); }
  const t = h('div', { class: 'toast ' + kind, role: kind === 'err' ? 'alert' : 'status', text: message });
  box.append(t);
  setTimeout(() => t.remove(), kind === 'err' ? 8000 : 3000);
}

/** fieldError shows message beside the form's field named name. */
export function fieldError(form, name, message) {
  const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (!input) { formError(form, message); return; }
  input.setAttribute('aria-invalid', 'true');
  const holder = input.closest('label, .field') || input.parentElement;
  let small = holder.querySelector(`small.field-error[data-for="${CSS.escape(name)}"]`);
  if (!small) {
    small = h('small', { class: 'field-error', 'data-for': name, role: 'alert' });
    holder.append(small);
  }
  small.textContent = message;
}

/** formError shows message in the form's .form-error element. */
export function formError(form, message) {
  let el = form.querySelector('.form-error');
  if (!el) { el = h('div', { class: 'form-error', role: 'alert' }); form.prepend(el); }
  el.textContent = message;
  el.hidden = false;
}

/** clearErrors removes a form's error messages. */
export function clearErrors(form) {
  form.querySelectorAll('small.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  form.querySelectorAll('.form-error').forEach((e) => { e.textContent = ''; e.hidden = true; });
}

/**
 * bindForm handles form's submit: it clears old errors, calls
 * onSubmit(values) (values from FormData; checkboxes as true/false) and
 * shows an ApiError beside its field (err.field) or in the form's
 * .form-error. It shows 已保存 unless onSubmit returns false. The submit
 * button is disabled while the call runs, so nothing is sent twice.
 */
export function bindForm(form, onSubmit) {
  form.noValidate = true;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    const buttons = form.querySelectorAll('button[type=submit], button:not([type])');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const out = await onSubmit(values);
      if (out !== false) toast('已保存');
    } catch (err) {
      if (err instanceof ApiError || err instanceof FormError) {
        if (err.field) fieldError(form, err.field, err.message);
        else formError(form, err.message);
      } else {
        formError(form, '操作失败：' + (err && err.message ? err.message : String(err)));
      }
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
}

/** FormError is thrown by client-side validation inside bindForm's onSubmit. */
export class FormError extends Error {
  constructor(field, message) { super(message); this.field = field; }
}

/** formValues reads a form into an object (checkboxes as booleans). */
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') out[el.name] = el.checked;
    else if (el.type === 'radio') { if (el.checked) out[el.name] = el.value; }
    else out[el.name] = el.value;
  }
  return out;
}

/**
 * events opens the live-update WebSocket and calls onEvent(event) for each
 * change hint matching filter (["session:3", "draw:"]; [] = all). It
 * reconnects with backoff; after a reconnect or a "lost" notice it calls
 * onEvent({lost: true}) so the page re-reads everything. close() stops it.
 */
export function events(filter, onEvent) {
  let ws = null;
  let closed = false;
  let delay = 500;
  let timer = 0;
  let opened = false;
  const q = filter && filter.length ? '?filter=' + encodeURIComponent(filter.join(',')) : '';
  const connect = () => {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(`${proto}//${location.host}/api/events${q}`);
    ws.onopen = () => {
      delay = 500;
      setLive(true);
      if (opened) onEvent({ lost: true, action: 'events.reconnected' });
      opened = true;
    };
    ws.onmessage = (m) => {
      let e;
      try { e = JSON.parse(m.data); } catch { return; }
      onEvent(e);
    };
    ws.onclose = () => {
      setLive(false);
      if (closed) return;
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  connect();
  return { close() { closed = true; clearTimeout(timer); if (ws) ws.close(); } };
}

// Audited actions that read rather than change: a page that re-reads on
// them would audit its own re-read (a reveal, a view) and hear of it
// again, without end.
const readActions = new Set([
  'draw.reveal', 'draw.reveal_seed', 'archive.view', 'archive.search', 'archive.timeline', 'archive.export',
  'media.token', 'media.watch', 'auth.login', 'auth.logout', 'auth.login_failed',
]);

/** changes reports whether a live event is a change worth re-reading for (not a read that was audited). */
export const changes = (e) => !!e.lost || !readActions.has(e.action);

function setLive(on) {
  document.body.dataset.live = on ? 'on' : 'off';
}

/**
 * debounce returns f delayed until calls stop for ms (for re-reading after
 * a burst of events).
 */
export function debounce(f, ms = 200) {
  let t = 0;
  return (...a) => { clearTimeout(t); t = setTimeout(() => f(...a), ms); };
}

/** param is the page's query parameter name, or ''. */
export const param = (name) => new URLSearchParams(location.search).get(name) || '';

/** confirmDialog asks a yes/no question in a modal; resolves true on 确定. */
export function confirmDialog(message, okText = '确定') {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'confirm' },
      h('p', { text: message }),
      h('div', { class: 'actions' },
        h('button', { class: 'secondary', text: '取消', onclick: () => { dlg.close(); resolve(false); } }),
        h('button', { class: 'primary', text: okText, onclick: () => { dlg.close(); resolve(true); } })));
    dlg.addEventListener('close', () => { dlg.remove(); resolve(false); });
    document.body.append(dlg);
    dlg.showModal();
  });
}
