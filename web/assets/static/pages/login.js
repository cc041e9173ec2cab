// Login page: username and password, then the user's home page (or the
// page that sent them here).
import { api, bindForm, FormError, $ } from '/static/app.js';

const form = $('#login');
bindForm(form, async (v) => {
  if (!v.username.trim()) throw new FormError('username', '请输入用户名');
  if (!v.password) throw new FormError('password', '请输入密码');
  try {
    await api('POST', '/api/login', { username: v.username.trim(), password: v.password });
  } catch (err) {
    if (err.status === 401 && !err.field) err.field = 'password';
    throw err;
  }
  const next = new URLSearchParams(location.search).get('next');
  // Only a path of this site, never another origin.
  location.assign(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
  return false;
});
