// 用户与角色: the list of accounts, a form to create one, and per account
// 停用/启用 and 重置密码. The server refuses what the form refuses, with
// the message beside the same field.
import { api, h, clear, bindForm, roleLabel, fmtTime, toast, confirmDialog } from '/static/app.js';
import { field, select, usernameOK, check, checkAll } from '/static/pages/admin.form.js';

const roles = ['admin', 'staff', 'evaluator', 'supervisor', 'archivist'];

/** usersTab builds the users tab in panel. */
export function usersTab(panel, me) {
  const tbody = h('tbody', { id: 'user-rows' });
  const table = h('table', { class: 'admin-table', id: 'users' },
    h('thead', {}, h('tr', {}, ['用户名', '姓名', '角色', '场地 / 评标会话', '状态', '创建时间', '操作'].map((t) => h('th', { text: t })))),
    tbody);
  const form = createForm(() => load());
  panel.append(h('div', { class: 'admin-split' },
    h('div', { class: 'card' }, h('h2', { text: '用户列表' }), table),
    h('div', { class: 'card' }, h('h2', { text: '新建用户' }), form)));

  async function load() {
    let users;
    try {
      users = (await api('GET', '/api/users')).users || [];
    } catch (err) {
      clear(tbody).append(h('tr', {}, h('td', { colspan: 7, class: 'muted', text: err.message })));
      return;
    }
    clear(tbody);
    for (const u of users) tbody.append(row(u));
  }

  function row(u) {
    const self = u.id === me.id;
    return h('tr', { 'data-user': u.username, class: u.disabled ? 'disabled' : '' },
      h('td', { class: 'mono', text: u.username }),
      h('td', { text: u.display_name }),
      h('td', { text: roleLabel(u.role) }),
      h('td', { text: u.role === 'staff' ? u.venue_code : u.role === 'evaluator' ? u.session_ref : '—' }),
      h('td', {}, h('span', { class: 'badge ' + (u.disabled ? 'err' : 'ok'), text: u.disabled ? '已停用' : '正常' })),
      h('td', { class: 'small', text: fmtTime(u.created_at) }),
      h('td', { class: 'actions' },
        self ? h('span', { class: 'muted small', text: '当前账号' }) : h('button', {
          type: 'button', class: u.disabled ? 'ok' : 'secondary', 'data-action': u.disabled ? 'enable' : 'disable',
          text: u.disabled ? '启用' : '停用', onclick: () => toggle(u),
        }),
        ' ',
        h('button', { type: 'button', class: 'secondary', 'data-action': 'password', text: '重置密码', onclick: () => resetPassword(u) })));
  }

  async function toggle(u) {
    const disable = !u.disabled;
    if (disable && !(await confirmDialog(`停用账号「${u.display_name || u.username}」？停用后该用户立即退出登录，无法再登录。`, '停用'))) return;
    try {
      await api('PATCH', `/api/users/${u.id}`, { disabled: disable });
      toast(disable ? '账号已停用' : '账号已启用');
    } catch (err) {
      toast(err.message, 'err');
    }
    load();
  }

  function resetPassword(u) {
    const f = h('form', { class: 'dialog-form', id: 'reset-password' },
      h('h2', { text: `重置「${u.display_name || u.username}」的密码` }),
      h('p', { class: 'muted small', text: '重置后该用户的所有登录立即失效，需用新密码重新登录。' }),
      h('div', { class: 'form-error', role: 'alert', hidden: true }),
      field('新密码', h('input', { name: 'password', type: 'password', autocomplete: 'new-password' }), '至少 8 位'),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', text: '取消', onclick: () => dlg.close() }),
        h('button', { type: 'submit', class: 'primary', text: '重置密码' })));
    const dlg = h('dialog', { class: 'admin-dialog' }, f);
    dlg.addEventListener('close', () => dlg.remove());
    bindForm(f, async (v) => {
      check(v.password.length >= 8, 'password', '密码至少 8 位');
      await api('POST', `/api/users/${u.id}/password`, { password: v.password });
      dlg.close();
      toast('密码已重置');
      return false;
    });
    document.body.append(dlg);
    dlg.showModal();
  }

  load();
  return { refresh: load };
}

function createForm(onCreated) {
  const role = select('role', [['', '请选择角色'], ...roles.map((r) => [r, roleLabel(r)])]);
  const venue = field('场地编码', h('input', { name: 'venue_code', placeholder: '如 NJ-MAIN' }), '会场工作人员只能操作本场地');
  const session = field('评标会话编号', h('input', { name: 'session_ref', placeholder: '如 NJ-2026-001', list: 'session-refs' }),
    '评标专家账号只能进入此评标会话');
  const refs = h('datalist', { id: 'session-refs' });
  const form = h('form', { id: 'new-user', autocomplete: 'off' },
    h('div', { class: 'form-error', role: 'alert', hidden: true }),
    field('用户名', h('input', { name: 'username', autocomplete: 'off' }), '2–64 位字母、数字或 _ . @ -，登录时使用'),
    field('姓名', h('input', { name: 'display_name' })),
    field('角色', role),
    venue, session, refs,
    field('初始密码', h('input', { name: 'password', type: 'password', autocomplete: 'new-password' }), '至少 8 位'),
    h('button', { type: 'submit', class: 'primary', text: '创建用户' }));
  const showFor = () => {
    venue.hidden = role.value !== 'staff';
    session.hidden = role.value !== 'evaluator';
  };
  role.addEventListener('change', showFor);
  showFor();
  api('GET', '/api/sessions').then((r) => {
    for (const s of r.items || []) refs.append(h('option', { value: s.ref, text: s.project_name }));
  }).catch(() => {});

  bindForm(form, async (v) => {
    checkAll(form, [
      [usernameOK(v.username.trim()), 'username', '用户名须为 2–64 位字母、数字或 _ . @ -'],
      [v.display_name.trim() !== '', 'display_name', '请填写姓名'],
      [v.display_name.trim().length <= 100, 'display_name', '姓名最多 100 个字'],
      [roles.includes(v.role), 'role', '请选择角色'],
      [v.role !== 'staff' || v.venue_code.trim() !== '', 'venue_code', '会场工作人员必须填写场地编码'],
      [v.role !== 'evaluator' || v.session_ref.trim() !== '', 'session_ref', '评标专家账号必须填写评标会话编号'],
      [v.password.length >= 8, 'password', '密码至少 8 位'],
    ]);
    const body = { username: v.username.trim(), display_name: v.display_name.trim(), role: v.role, password: v.password,
      venue_code: v.role === 'staff' ? v.venue_code.trim() : '', session_ref: v.role === 'evaluator' ? v.session_ref.trim() : '' };
    const u = await api('POST', '/api/users', body);
    form.reset();
    showFor();
    toast(`已创建用户 ${u.username}`);
    onCreated();
    return false;
  });
  return form;
}
