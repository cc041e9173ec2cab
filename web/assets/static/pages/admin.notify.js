// 通知设置: the notification provider as configured (read-only: it is
// chosen at start-up from the configuration file or the environment; its
// secrets are only ever shown as 已配置), the messages given up after too
// many attempts, and a test message to a mobile number.
import { api, h, clear, bindForm, fmtTime, toast } from '/static/app.js';
import { field, checkAll } from '/static/pages/admin.form.js';

/** notifyTab builds the notification settings tab in panel. */
export function notifyTab(panel) {
  const info = h('div', { id: 'notify-info' });
  const dead = h('div', { id: 'dead-letters' });
  const test = h('form', { id: 'notify-test', autocomplete: 'off' },
    h('div', { class: 'form-error', role: 'alert', hidden: true }),
    field('手机号', h('input', { name: 'mobile', class: 'mono', maxlength: 11, inputmode: 'numeric' }), '向此号码发送一条测试短信（不重试），记入审计日志'),
    h('button', { type: 'submit', class: 'primary', text: '发送测试短信' }));
  panel.append(h('div', { class: 'admin-split' },
    h('div', { class: 'card' }, h('h2', { text: '通知通道' }), info),
    h('div', { class: 'card' }, h('h2', { text: '发送测试短信' }), test)),
  h('div', { class: 'card' }, h('h2', { text: '投递失败的通知（死信）' }), dead));

  bindForm(test, async (v) => {
    checkAll(test, [[/^1[3-9]\d{9}$/.test(v.mobile.trim()), 'mobile', '手机号须为 11 位，以 1 开头']]);
    await api('POST', '/api/settings/notify/test', { mobile: v.mobile.trim() });
    toast('测试短信已交给通知通道');
    return false;
  });

  async function load() {
    let n;
    try {
      n = await api('GET', '/api/settings/notify');
    } catch (err) {
      clear(info).append(h('p', { class: 'form-error', text: err.message }));
      return;
    }
    const rows = [
      ['通道', n.provider_label],
      n.provider === 'webhook' ? ['网关地址', n.webhook_url || '未配置'] : null,
      ['签名密钥', n.secret_configured ? h('span', { class: 'badge ok', text: '已配置' }) : h('span', { class: 'badge warn', text: '未配置' })],
      ['每个节点的投递并发数', String(n.workers)],
      ['最多尝试次数', `${n.max_attempts} 次（之后转为死信，需人工处理）`],
      ['死信', n.dead_letters ? h('span', { class: 'badge err', text: `${n.dead_letters} 条` }) : h('span', { class: 'badge ok', text: '无' })],
    ].filter(Boolean);
    clear(info).append(
      h('table', { class: 'kv', id: 'notify-settings' }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { text: k }), h('td', {}, v))))),
      h('p', { class: 'note', id: 'notify-hint' }, h('strong', { text: '只读：' }), n.change_hint));
    test.querySelector('button[type=submit]').disabled = !n.test_available;
    loadDead();
  }

  async function loadDead() {
    let list;
    try {
      list = (await api('GET', '/api/notifications/dead')).items || [];
    } catch (err) {
      clear(dead).append(h('p', { class: 'muted', text: err.message }));
      return;
    }
    clear(dead);
    if (!list.length) {
      dead.append(h('p', { class: 'muted', text: '没有投递失败的通知。' }));
      return;
    }
    dead.append(h('table', { class: 'admin-table' },
      h('thead', {}, h('tr', {}, ['消息', '抽取', '手机号', '类型', '尝试次数', '最后错误', '放弃时间'].map((t) => h('th', { text: t })))),
      h('tbody', {}, list.map((d) => h('tr', {},
        h('td', { class: 'mono small', text: d.message_id }), h('td', { text: `#${d.draw_id}` }),
        h('td', { class: 'mono', text: d.mobile_masked }), h('td', { text: d.kind }), h('td', { text: String(d.attempts) }),
        h('td', { class: 'small', text: d.last_error }), h('td', { class: 'small', text: fmtTime(d.dead_at) }))))));
  }

  load();
  return { refresh: load };
}
