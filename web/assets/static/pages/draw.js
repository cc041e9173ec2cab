// 专家抽取: staff and admins create a draw for an evaluation session and
// follow its invitations live; the witnessing supervisor watches the same
// page read-only and may reveal the seed and verify the draw. While the
// committee is sealed the page shows counts only, never a name.
import { api, boot, h, clear, fmtTime, events } from '/static/app.js';
import { drawForm } from '/static/pages/draw.form.js';

const stateLabels = {
  filled: '已抽满', short: '人数不足', failed: '抽取失败', aborted: '已放弃', finished: '已结束',
};
const memberStateLabels = {
  notified: '待答复', confirmed: '已确认', declined: '已拒绝', no_answer: '超时未答复',
  recused: '已回避', cancelled: '已取消', reserve: '备选',
};
// The progress columns, in the order a draw moves through them.
const progressColumns = [
  ['needed', '需要'], ['invited', '已邀请'], ['sent', '已送达'], ['sending', '发送中'], ['failed', '发送失败'],
  ['waiting', '待答复'], ['accepted', '已接受'], ['declined', '已拒绝'], ['no_answer', '超时未答复'],
  ['recused', '回避'], ['replaced', '替补'],
];

const user = await boot(['admin', 'staff', 'supervisor']);
if (user) start(user);

function start(user) {
  const canCreate = user.role === 'admin' || user.role === 'staff';
  const canAudit = user.role === 'admin' || user.role === 'supervisor';
  const main = document.getElementById('main');
  clear(main);
  const list = h('ul', { class: 'draw-list', id: 'draw-list' });
  const detail = h('section', { class: 'draw-detail', id: 'draw-detail' });
  const aside = h('aside', { class: 'draw-side card' },
    h('div', { class: 'draw-side-head' },
      h('h2', { text: '抽取记录' }),
      canCreate ? h('button', { type: 'button', class: 'primary', id: 'new-draw', text: '新建抽取', onclick: () => show('new') }) : null),
    list);
  main.append(h('div', { class: 'draw-layout' }, aside, detail));

  let current = null; // the draw id shown, or 'new'
  let draws = [];

  async function loadList() {
    try {
      const res = await api('GET', '/api/draws');
      draws = res.items;
    } catch (err) {
      clear(list);
      list.append(h('li', { class: 'muted', text: err.message }));
      return;
    }
    clear(list);
    if (!draws.length) list.append(h('li', { class: 'muted', text: '暂无抽取记录' }));
    for (const d of draws) {
      list.append(h('li', {
        class: 'draw-item' + (current === d.draw_id ? ' active' : ''), 'data-draw': String(d.draw_id),
        onclick: () => show(d.draw_id),
      },
      h('div', { class: 'draw-item-title', text: `#${d.draw_id} ${d.project_name}` }),
      h('div', { class: 'draw-item-meta' },
        h('span', { text: d.session_ref }),
        h('span', { class: 'badge ' + (d.state === 'filled' ? 'ok' : 'warn'), text: stateLabels[d.state] || d.state }),
        d.sealed ? h('span', { class: 'badge sealed', text: '密封中' }) : null)));
    }
  }

  async function show(which) {
    current = which;
    const url = new URL(location.href);
    url.searchParams.delete('id');
    if (which !== 'new' && which != null) url.searchParams.set('id', String(which));
    history.replaceState(null, '', url);
    for (const li of list.querySelectorAll('.draw-item')) {
      li.classList.toggle('active', li.dataset.draw === String(which));
    }
    clear(detail);
    if (which === 'new') {
      detail.append(await drawForm({ onDrawn: async (res) => { await loadList(); show(res.draw_id); } }));
      return;
    }
    if (which == null) {
      detail.append(h('div', { class: 'card muted', text: canCreate ? '请选择左侧的抽取记录，或点击“新建抽取”。' : '请选择左侧的抽取记录。' }));
      return;
    }
    await renderDetail(which);
  }

  // renderDetail draws the status of draw id into detail, keeping the
  // revealed names and audit results already shown.
  async function renderDetail(id) {
    let st;
    try {
      st = await api('GET', `/api/draws/${id}`);
    } catch (err) {
      clear(detail);
      detail.append(h('div', { class: 'card error', text: err.message }));
      return;
    }
    if (current !== id) return;
    let view = detail.querySelector('.draw-view');
    if (!view || view.dataset.draw !== String(id)) {
      clear(detail);
      view = buildView(id);
      detail.append(view);
    }
    fillView(view, st);
  }

  function buildView(id) {
    const view = h('div', { class: 'draw-view', 'data-draw': String(id) },
      h('div', { class: 'card' },
        h('h2', { class: 'draw-title' }),
        h('div', { class: 'seal-banner', role: 'status' }),
        h('dl', { class: 'draw-facts' }),
        h('div', { class: 'draw-summary' },
          h('span', { class: 'summary-text' }),
          h('div', { class: 'meter' }, h('div', { class: 'meter-fill' })))),
      h('div', { class: 'card' },
        h('h3', { text: '通知进度' }),
        h('p', { class: 'muted small', text: '随专家答复实时更新。名单密封期间只显示人数，不显示任何姓名。' }),
        h('div', { class: 'table-wrap' }, h('table', { class: 'progress-table', id: 'progress-table' }))),
    );
    if (canCreate) {
      const revealMsg = h('div', { class: 'reveal-msg', role: 'status' });
      const members = h('div', { class: 'members' });
      view.append(h('div', { class: 'card' },
        h('h3', { text: '揭晓名单' }),
        h('p', { class: 'muted small', text: '签到开始后方可揭晓；工作人员只能看到本场地的专家。每次揭晓都记入操作日志。' }),
        h('button', { type: 'button', class: 'secondary', id: 'reveal', text: '揭晓名单', onclick: () => reveal(id, revealMsg, members) }),
        revealMsg, members));
    }
    if (canAudit) {
      const out = h('div', { class: 'audit-out', role: 'status' });
      view.append(h('div', { class: 'card' },
        h('h3', { text: '监督核验' }),
        h('p', { class: 'muted small', text: '公开随机种子后，任何人都可以重放本次抽取，核对结果是否与承诺一致。' }),
        h('div', { class: 'btn-row' },
          h('button', { type: 'button', class: 'secondary', id: 'seed-reveal', text: '公开随机种子', onclick: () => revealSeed(id, out) }),
          h('button', { type: 'button', class: 'secondary', id: 'verify', text: '验证抽取', onclick: () => verify(id, out) })),
        out));
    }
    return view;
  }

  function fillView(view, st) {
    const summary = draws.find((d) => d.draw_id === st.draw_id);
    view.querySelector('.draw-title').textContent =
      `抽取 #${st.draw_id}` + (summary ? ` · ${summary.project_name}` : '');
    const banner = view.querySelector('.seal-banner');
    banner.className = 'seal-banner ' + (st.sealed ? 'sealed' : 'open');
    banner.textContent = st.sealed
      ? `名单密封中：签到开始（${fmtTime(st.signin_opens_at)}）前不显示任何专家姓名`
      : '签到已开始：工作人员可以揭晓本场地的名单';
    const facts = view.querySelector('.draw-facts');
    clear(facts);
    const fact = (k, v, cls) => facts.append(h('dt', { text: k }), h('dd', { text: v, class: cls || '' }));
    fact('评标场次', st.session_ref);
    if (summary) fact('项目', `${summary.project_code} ${summary.project_name}`);
    fact('评标时间', `${fmtTime(st.starts_at)} 至 ${fmtTime(st.ends_at)}`);
    fact('签到开始（揭晓）时间', fmtTime(st.signin_opens_at));
    fact('状态', stateLabels[st.state] || st.state, 'draw-state');
    fact('随机种子承诺', st.commitment, 'mono');
    view.querySelector('.summary-text').textContent = st.summary;
    const pct = st.needed ? Math.min(100, Math.round((100 * st.confirmed) / st.needed)) : 0;
    view.querySelector('.meter-fill').style.width = pct + '%';
    fillProgress(view.querySelector('#progress-table'), st);
  }

  function fillProgress(table, st) {
    clear(table);
    const byQuota = new Map((st.progress?.quotas || []).map((q) => [q.quota_id, q]));
    table.append(h('thead', {}, h('tr', {},
      h('th', { text: '场地' }), h('th', { text: '专业 / 地区' }),
      ...progressColumns.map(([, label]) => h('th', { class: 'num', text: label })))));
    const body = h('tbody', {});
    for (const v of st.venues || []) {
      const quotas = v.quotas || [];
      quotas.forEach((q, i) => {
        const p = byQuota.get(q.quota_id) || { needed: q.count };
        const row = h('tr', { 'data-quota': String(q.quota_id) });
        if (i === 0) {
          row.append(h('td', { rowspan: String(quotas.length), class: 'venue-cell' },
            h('div', { text: v.name }),
            h('div', { class: 'muted small', text: `${v.code}${v.main ? ' · 主场' : ' · 副场'}` })));
        }
        row.append(h('td', { text: `${q.specialty_code} / ${q.region_prefix || '不限'}` }));
        for (const [key] of progressColumns) row.append(countCell(key, p[key]));
        body.append(row);
      });
    }
    table.append(body);
    if (st.progress) {
      const t = st.progress.total;
      table.append(h('tfoot', {}, h('tr', { 'data-quota': 'total' },
        h('td', { colspan: '2', text: '合计' }),
        ...progressColumns.map(([key]) => countCell(key, t[key])))));
    }
  }

  function countCell(key, n) {
    return h('td', { class: 'num' + (n ? ' nz' : ''), 'data-col': key, text: String(n ?? 0) });
  }

  async function reveal(id, msg, out) {
    msg.className = 'reveal-msg';
    msg.textContent = '';
    try {
      const res = await api('POST', `/api/draws/${id}/reveal`);
      clear(out);
      out.append(membersTable(res.items));
      msg.classList.add('ok');
      msg.textContent = `已揭晓 ${res.items.length} 名专家（已记入操作日志）`;
    } catch (err) {
      msg.classList.add('error');
      msg.textContent = err.message;
    }
  }

  function membersTable(items) {
    if (!items.length) return h('p', { class: 'muted', text: '本场地没有需要签到的专家' });
    return h('div', { class: 'table-wrap' }, h('table', { class: 'members-table' },
      h('thead', {}, h('tr', {}, ...['场地', '姓名', '身份证号', '手机', '状态', '备注'].map((t) => h('th', { text: t })))),
      h('tbody', {}, ...items.map((m) => h('tr', {},
        h('td', { text: m.venue_code }), h('td', { text: m.name }), h('td', { class: 'mono', text: m.id_number_masked }),
        h('td', { class: 'mono', text: m.mobile_masked }), h('td', { text: memberStateLabels[m.state] || m.state }),
        h('td', { text: m.replacement ? '替补' : '' }))))));
  }

  async function revealSeed(id, out) {
    try {
      const res = await api('POST', `/api/draws/${id}/seed/reveal`);
      out.className = 'audit-out ok';
      out.textContent = `随机种子：${res.seed}`;
    } catch (err) {
      out.className = 'audit-out error';
      out.textContent = err.code === 'sealed' ? '评标结束后才能公开随机种子（监督人员可随时公开）' : err.message;
    }
  }

  async function verify(id, out) {
    try {
      const rep = await api('GET', `/api/draws/${id}/verify`);
      out.className = 'audit-out ' + (rep.ok ? 'ok' : 'error');
      out.textContent = rep.ok
        ? `验证通过：种子与承诺一致，重放 ${rep.rounds} 轮、${rep.members} 名专家与记录完全相同`
        : `验证不通过：${rep.mismatch}`;
    } catch (err) {
      out.className = 'audit-out error';
      out.textContent = err.code === 'sealed' ? '请先公开随机种子，再验证抽取' : err.message;
    }
  }

  // Live updates: any change to a draw or a member refreshes the list and
  // the draw shown (events are hints; the page re-reads the API).
  let pending = null;
  events(['draw:', 'member:'], () => {
    if (pending) return;
    pending = setTimeout(async () => {
      pending = null;
      await loadList();
      if (typeof current === 'number') await renderDetail(current);
    }, 150);
  });

  (async () => {
    await loadList();
    const id = Number(new URL(location.href).searchParams.get('id'));
    if (id > 0) show(id);
    else if (canCreate) show('new');
    else show(draws.length ? draws[0].draw_id : null);
  })();
}
