// Form helpers of the administration page: labelled fields, selects, and
// client-side checks that show every problem beside its field at once
// (the server refuses the same input with the same kind of message).
import { h, fieldError, FormError } from '/static/app.js';

/** field wraps input in a labelled block with an optional hint. */
export function field(label, input, hint) {
  return h('label', { class: 'field' },
    h('span', { class: 'label', text: label }),
    input,
    hint ? h('span', { class: 'hint', text: hint }) : null);
}

/** select builds a <select name=name> from [value, label] pairs. */
export function select(name, options, value = '') {
  const s = h('select', { name });
  for (const [v, label] of options) s.append(h('option', { value: v, text: label, selected: v === value }));
  return s;
}

/** check throws a FormError for field name unless ok. */
export function check(ok, name, message) {
  if (!ok) throw new FormError(name, message);
}

/**
 * checkAll shows every failed check ([ok, name, message]) beside its
 * field and throws a FormError for the first, so that bindForm sends
 * nothing.
 */
export function checkAll(form, checks) {
  let first = null;
  const seen = new Set();
  for (const [ok, name, message] of checks) {
    if (ok || seen.has(name)) continue;
    seen.add(name);
    fieldError(form, name, message);
    if (!first) first = new FormError(name, message);
  }
  if (first) throw first;
}

/** usernameOK mirrors the server's rule for user names. */
export const usernameOK = (s) => /^[A-Za-z0-9_.@-]{2,64}$/.test(s);

/** codeOK mirrors the server's rule for venue codes. */
export const venueOK = (s) => /^[A-Za-z0-9_-]{1,32}$/.test(s);

/** intIn reports whether the text s is an integer within [lo, hi]. */
export function intIn(s, lo, hi) {
  if (!/^-?\d+$/.test(String(s).trim())) return false;
  const n = Number(s);
  return n >= lo && n <= hi;
}

/**
 * beijingISO turns a datetime-local value read as Beijing time
 * ("2026-12-01T09:00") into an RFC 3339 instant, or '' when empty.
 */
export function beijingISO(local) {
  if (!local) return '';
  return local.length === 16 ? `${local}:00+08:00` : `${local}+08:00`;
}

/** localBeijing is the datetime-local value of an instant in Beijing time. */
export function localBeijing(date) {
  const b = new Date(date.getTime() + 8 * 3600e3);
  return b.toISOString().slice(0, 16);
}

/**
 * upload posts a file as multipart form data (field "file") the way api()
 * posts JSON, and resolves to {status, body}; a 401 sends the user to the
 * login page.
 */
export async function upload(path, file) {
  const data = new FormData();
  data.append('file', file);
  let res;
  try {
    res = await fetch(path, { method: 'POST', body: data, credentials: 'same-origin', headers: { 'X-Requested-With': 'evalroom' } });
  } catch {
    return { status: 0, body: { error: { message: '无法连接服务器，请检查网络后重试' } } };
  }
  if (res.status === 401) location.assign('/login?next=' + encodeURIComponent(location.pathname + location.hash));
  let body = null;
  try { body = await res.json(); } catch { body = null; }
  return { status: res.status, body };
}

/** download offers text as a file to save. */
export function download(name, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
