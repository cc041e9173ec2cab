// 专家库: search the pool, add one expert, import many from a CSV file
// (all or nothing: the row-level report is shown as a table and nothing is
// stored while any row is wrong), and change an expert's status or days
// unavailable.
import { api, h, clear, bindForm, toast } from '/static/app.js';
import { field, select, checkAll, upload, download } from '/static/pages/admin.form.js';
import { statusDialog, unavailableDialog, statusText } from '/static/pages/admin.expert-status.js';
import { idNumberOK } from '/static/pages/admin.idcard.js';

const pageSize = 20;

// templateCSV is the import template: the header of expertpool/IMPORT.md
// and one example row (made-up numbers with valid check characters).
const templateCSV = '\ufeff姓名,身份证号,手机号,地区代码,专业代码,工作单位代码,曾任职单位,咨询关系,亲属,状态,暂停至,禁入原因,不可用日期\r\n'
  + '王建国,320102197503120034,13912345678,320102,A0101;C0101,91320100MA1MXK2L5X,91320100134756826M:2022-06-30,,,在库,,,\r\n';

/** expertsTab builds the expert pool tab in panel. */
export function expertsTab(panel) {
  let specialties = [];
  let offset = 0;
  const tbody = h('tbody', { id: 'expert-rows' });
  const pager = h('div', { class: 'row pager' });
  const search = h('form', { id: 'expert-search', class: 'inline-form', autocomplete: 'off' },
    field('姓名', h('input', { name: 'q', placeholder: '姓名中的字' })),
    field('地区代码', h('input', { name: 'region_prefix', placeholder: '如 32 或 3201', size: 8 })),
    field('专业', h('select', { name: 'specialty' }, h('option', { value: '', text: '全部专业' }))),
    field('状态', select('status', [['', '全部'], ['active', '在库'], ['suspended', '暂停'], ['blacklisted', '禁入']])),
    h('button', { type: 'submit', class: 'primary', text: '查询' }));
  search.addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; load(); });
  const report = h('div', { id: 'import-report' });
  const importForm = h('form', { id: 'expert-import' },
    h('div', { class: 'form-error', role: 'alert', hidden: true }),
    field('CSV 文件（UTF-8）', h('input', { name: 'file', type: 'file', accept: '.csv,text/csv' }),
      '有任何一行错误时不导入任何专家，并列出全部错误；全部正确时一次性导入。'),
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'primary', text: '导入' }),
      h('button', { type: 'button', class: 'secondary', id: 'import-template', text: '下载模板', onclick: () => download('专家导入模板.csv', templateCSV) })),
    report);
  importForm.noValidate = true;
  importForm.addEventListener('submit', (ev) => { ev.preventDefault(); importFile(); });

  panel.append(
    h('div', { class: 'admin-split' },
      h('div', { class: 'card' }, h('h2', { text: '批量导入（CSV）' }), importForm),
      h('div', { class: 'card' }, h('h2', { text: '新增专家' }), createForm(() => specialties, () => load()))),
    h('div', { class: 'card' }, h('h2', { text: '专家查询' }), search,
      h('table', { class: 'admin-table', id: 'experts' },
        h('thead', {}, h('tr', {}, ['姓名', '身份证号', '手机号', '地区', '专业', '状态', '操作'].map((t) => h('th', { text: t })))),
        tbody),
      pager));

  api('GET', '/api/specialties').then((r) => {
    specialties = r.items || [];
    const sel = search.elements.specialty;
    for (const s of specialties) sel.append(h('option', { value: s.code, text: `${s.code} ${s.name}` }));
  }).catch(() => {});

  async function load() {
    const v = Object.fromEntries(new FormData(search));
    const q = new URLSearchParams({ limit: String(pageSize), offset: String(offset) });
    for (const k of ['q', 'region_prefix', 'specialty', 'status']) if (v[k]) q.set(k, String(v[k]).trim());
    let res;
    try {
      res = await api('GET', '/api/experts?' + q);
    } catch (err) {
      clear(tbody).append(h('tr', {}, h('td', { colspan: 7, class: 'muted', text: err.message })));
      return;
    }
    clear(tbody);
    if (!res.items.length) tbody.append(h('tr', {}, h('td', { colspan: 7, class: 'muted', text: '没有符合条件的专家' })));
    for (const x of res.items) {
      tbody.append(h('tr', { 'data-expert': String(x.id) },
        h('td', { text: x.name }),
        h('td', { class: 'mono', text: x.id_number_masked }),
        h('td', { class: 'mono', text: x.mobile }),
        h('td', { class: 'mono', text: x.region }),
        h('td', { text: (x.specialties || []).join('、') }),
        h('td', {}, statusText(x)),
        h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', text: '状态', onclick: () => statusDialog(x, load) }), ' ',
          h('button', { type: 'button', class: 'secondary', text: '不可用日期', onclick: () => unavailableDialog(x, load) }))));
    }
    clear(pager).append(
      h('span', { class: 'muted', id: 'expert-total', text: `共 ${res.total} 位专家，第 ${res.total ? offset + 1 : 0}–${offset + res.items.length} 位` }),
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'secondary', text: '上一页', disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - pageSize); load(); } }),
      h('button', { type: 'button', class: 'secondary', text: '下一页', disabled: offset + pageSize >= res.total, onclick: () => { offset += pageSize; load(); } }));
  }

  async function importFile() {
    const input = importForm.elements.file;
    clear(report);
    importForm.querySelector('.form-error').hidden = true;
    const file = input.files && input.files[0];
    if (!file) {
      const e = importForm.querySelector('.form-error');
      e.textContent = '请选择要导入的 CSV 文件';
      e.hidden = false;
      return;
    }
    const button = importForm.querySelector('button[type=submit]');
    button.disabled = true;
    const { status, body } = await upload('/api/experts/import', file);
    button.disabled = false;
    if (status === 200) {
      report.append(h('p', { class: 'import-ok', role: 'status', text: `导入成功：共 ${body.rows} 行，已导入 ${body.imported} 位专家。` }));
      toast(`已导入 ${body.imported} 位专家`);
      input.value = '';
      offset = 0;
      load();
      return;
    }
    const err = (body && body.error) || { message: `导入失败（${status}）` };
    const rows = Array.isArray(err.rows) ? err.rows : [];
    report.append(h('div', { class: 'import-failed', role: 'alert' },
      h('p', {}, h('strong', { text: rows.length ? `文件有 ${rows.length} 处错误，未导入任何专家。` : '导入失败，未导入任何专家。' }),
        ' ', h('span', { text: rows.length ? '请修改后重新导入整个文件。' : err.message })),
      rows.length ? h('table', { class: 'admin-table', id: 'import-errors' },
        h('thead', {}, h('tr', {}, ['行号', '列', '原因'].map((t) => h('th', { text: t })))),
        h('tbody', {}, rows.map((r) => h('tr', {},
          h('td', { text: r.line ? `第 ${r.line} 行` : '整个文件' }),
          h('td', { text: r.column || '—' }),
          h('td', { text: r.message }))))) : null));
  }

  load();
  return { refresh: load };
}

function createForm(specialties, onCreated) {
  const form = h('form', { id: 'new-expert', autocomplete: 'off' },
    h('div', { class: 'form-error', role: 'alert', hidden: true }),
    field('姓名', h('input', { name: 'name' })),
    field('身份证号', h('input', { name: 'id_number', class: 'mono', maxlength: 18 }), '18 位，入库后加密保存，只显示打码后的号码'),
    field('手机号', h('input', { name: 'mobile', class: 'mono', maxlength: 11 }), '接收抽取通知'),
    field('地区代码', h('input', { name: 'region', class: 'mono', maxlength: 6 }), '6 位行政区划代码，如 320102'),
    field('专业代码', h('input', { name: 'specialties', class: 'mono', placeholder: 'A0101;C0101' }), '一个或多个，用分号分隔'),
    field('工作单位代码（可选）', h('input', { name: 'employer_code', class: 'mono', maxlength: 18 }), '统一社会信用代码，用于回避'),
    h('button', { type: 'submit', class: 'primary', text: '新增专家' }));
  bindForm(form, async (v) => {
    const codes = v.specialties.split(/[;；,，、\s]+/).map((s) => s.trim().toUpperCase()).filter(Boolean);
    const known = new Set(specialties().map((s) => s.code));
    const unknown = codes.find((c) => known.size && !known.has(c));
    const employer = v.employer_code.trim().toUpperCase();
    checkAll(form, [
      [v.name.trim() !== '' && v.name.trim().length <= 50, 'name', '姓名不能为空且不超过 50 个字'],
      [idNumberOK(v.id_number.trim()), 'id_number', '身份证号须为 18 位且校验位正确'],
      [/^1[3-9]\d{9}$/.test(v.mobile.trim()), 'mobile', '手机号须为 11 位，以 1 开头'],
      [/^\d{6}$/.test(v.region.trim()), 'region', '地区代码须为 6 位数字'],
      [codes.length > 0, 'specialties', '至少填写一个专业代码'],
      [!unknown, 'specialties', `专业代码 ${unknown} 不存在`],
      [employer === '' || /^[0-9A-Z]{18}$/.test(employer), 'employer_code', '工作单位代码应为 18 位数字或大写字母'],
    ]);
    const x = await api('POST', '/api/experts', {
      name: v.name.trim(), id_number: v.id_number.trim().toUpperCase(), mobile: v.mobile.trim(), region: v.region.trim(),
      specialties: codes, employer_code: employer,
    });
    form.reset();
    toast(`已新增专家 ${x.name}`);
    onCreated();
    return false;
  });
  return form;
}
