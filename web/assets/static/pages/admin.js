// 系统管理 (administrators): users and roles, evaluation sessions with
// their venues, rooms and score sheets, edge recorders, the expert pool
// (with CSV import), recusal rules and the notification provider. One tab
// per area, each in its own module; the tab shown is in the address
// (#users, #sessions, …) so that a link or a reload keeps it.
import { boot, h, clear, events, debounce } from '/static/app.js';
import { usersTab } from '/static/pages/admin.users.js';
import { sessionsTab } from '/static/pages/admin.sessions.js';
import { recordersTab } from '/static/pages/admin.recorders.js';
import { expertsTab } from '/static/pages/admin.experts.js';
import { recusalTab } from '/static/pages/admin.recusal.js';
import { notifyTab } from '/static/pages/admin.notify.js';

// tabs: [id, label, builder]. A builder gets (panel, user) and returns
// {refresh()} to re-read its lists when something changed.
const tabs = [
  ['users', '用户与角色', usersTab],
  ['sessions', '评标会话与评标室', sessionsTab],
  ['recorders', '录像设备', recordersTab],
  ['experts', '专家库', expertsTab],
  ['recusal', '回避设置', recusalTab],
  ['notify', '通知设置', notifyTab],
];

const user = await boot(['admin']);
if (user) start(user);

function start(user) {
  const main = clear(document.getElementById('main'));
  const bar = h('div', { class: 'tabs', role: 'tablist', id: 'admin-tabs' });
  const panels = h('div', { class: 'admin-panels' });
  main.append(h('h1', { text: '系统管理' }), bar, panels);
  const built = new Map(); // tab id → {panel, api}

  function select(id) {
    if (!tabs.some(([t]) => t === id)) id = tabs[0][0];
    for (const b of bar.querySelectorAll('button')) b.setAttribute('aria-selected', String(b.dataset.tab === id));
    for (const [tid, t] of built) t.panel.hidden = tid !== id;
    if (!built.has(id)) {
      const [, , make] = tabs.find(([t]) => t === id);
      const panel = h('section', { class: 'admin-panel', id: 'tab-' + id, role: 'tabpanel' });
      panels.append(panel);
      built.set(id, { panel, api: make(panel, user) });
    } else {
      built.get(id).api.refresh();
    }
    if (location.hash !== '#' + id) history.replaceState(null, '', '#' + id);
    document.body.dataset.tab = id;
  }

  for (const [id, label] of tabs) {
    bar.append(h('button', { type: 'button', role: 'tab', 'data-tab': id, text: label, onclick: () => select(id) }));
  }
  window.addEventListener('hashchange', () => select(location.hash.slice(1)));
  select(location.hash.slice(1));

  // Another administrator's change (every audited change is a hint):
  // re-read the lists of the tab on screen; forms keep what was typed.
  const refresh = debounce(() => {
    const id = document.body.dataset.tab;
    if (built.has(id)) built.get(id).api.refresh();
  }, 300);
  events([], (e) => {
    if (e.lost || /^(user|session|room|settings|expert|recorder|device)/.test(e.object || e.topic || '')) refresh();
  });
}
