// Join page: an expert types (or scans) the one-time evaluator code staff
// handed out at sign-in and lands on the evaluator page. /join?c=CODE (the
// QR) fills the code in.
import { api, bindForm, FormError, param, $ } from '/static/app.js';

// The code's alphabet: digits 2–9 and capital letters without I, L, O.
const alphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** normalize drops spaces and hyphens and upper-cases; '' if not a code. */
export function normalize(text) {
  const s = String(text || '').toUpperCase().replace(/[\s\-－\u3000]/g, '');
  if (s.length !== 8) return '';
  for (const ch of s) if (!alphabet.includes(ch)) return '';
  return s;
}

/** pretty shows what was typed as XXXX-XXXX while typing. */
function pretty(text) {
  const s = String(text || '').toUpperCase().replace(/[\s\-－\u3000]/g, '').slice(0, 8);
  return s.length > 4 ? s.slice(0, 4) + '-' + s.slice(4) : s;
}

const form = $('#join');
const input = $('#code');
input.addEventListener('input', () => {
  const at = input.selectionStart === input.value.length;
  input.value = pretty(input.value);
  if (at) input.setSelectionRange(input.value.length, input.value.length);
});
const given = param('c');
if (given) {
  input.value = pretty(given);
  // The code leaves the address bar (and the browser history).
  history.replaceState(null, '', '/join');
}

bindForm(form, async (v) => {
  const raw = String(v.code || '').trim();
  if (!raw) throw new FormError('code', '请输入评标码');
  const code = normalize(raw);
  if (!code) throw new FormError('code', '评标码为 8 位，由数字 2–9 和字母组成（不含 0、1、I、L、O）');
  try {
    await api('POST', '/api/login/code', { code });
  } catch (err) {
    if ((err.status === 401 || err.status === 422) && !err.field) err.field = 'code';
    if (err.status === 429) err.field = 'code';
    throw err;
  }
  location.assign('/evaluator');
  return false;
});
