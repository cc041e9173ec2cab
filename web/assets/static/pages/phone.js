// The demo's phone: the messages sent to experts, refreshed every 3 s.
import { api, h, clear, fmtTime, $ } from '/static/app.js';

const kinds = { invite: '邀请', reminder: '提醒', cancel: '取消', test: '测试' };

async function load() {
  const err = $('#error');
  try {
    const { items } = await api('GET', '/api/demo/messages');
    err.hidden = true;
    const list = clear($('#messages'));
    if (!items.length) list.append(h('li', { class: 'muted', text: '暂无消息' }));
    for (const m of items) {
      list.append(h('li', { 'data-id': m.id },
        h('div', { class: 'meta', text: `${fmtTime(m.at)} · 发往 ${mask(m.to)} · ${kinds[m.kind] || m.kind}` }),
        h('div', { class: 'text', text: m.text }),
        m.link ? h('a', { class: 'button primary', href: m.link, text: '打开链接' }) : null));
    }
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
  }
}

function mask(s) {
  return s && s.length >= 8 ? s.slice(0, 3) + '****' + s.slice(-4) : '****';
}

load();
setInterval(load, 3000);
