// Search declarations (GET /api/search/declarations) by number, container, wagon, plate,
// inspector, post, arrival dates, IDK verdict, override and status; the query lives in the hash
// so Back returns to the same results. The releases of the period export as CSV or XLSX.

import { api } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { downloadButton, hashQuery, problemCard } from './common.js';

export const NAME = 'search';
const PAGE = 50;
const TEXT_FIELDS = ['number', 'container', 'wagon', 'plate', 'inspector'];
const CHOICES = {
  verdict: ['', 'suspicion', 'clear', 'pending'],
  override: ['', 'true', 'false'],
  status: ['', 'registered', 'inspection', 'released', 'refused'],
};

function field(name, control) {
  return h('div', { class: 'field' }, h('label', { for: `q-${name}` }, t(`search.${name}`)), control);
}

function select(name, values, current, labels) {
  return h('select', { id: `q-${name}`, name }, values.map((v) => h('option', { value: v, selected: v === current }, labels(v))));
}

export async function render(root, params, ctx) {
  const q = hashQuery();
  let posts = [];
  try { posts = await api('/api/posts'); } catch { posts = []; }
  const role = ctx.session.user.role;
  const inputs = Object.fromEntries(TEXT_FIELDS.map((name) => [name, h('input', { id: `q-${name}`, name, value: q.get(name) || '', autocomplete: 'off' })]));
  const from = h('input', { id: 'q-from', name: 'from', type: 'date', value: q.get('from') || '' });
  const to = h('input', { id: 'q-to', name: 'to', type: 'date', value: q.get('to') || '' });
  const post = role === 'post_head' ? null : select('post_code', ['', ...posts.map((p) => p.code)], q.get('post_code') || '', (v) => (v ? `${v} · ${(posts.find((p) => p.code === v) || {}).name || ''}` : t('search.any')));
  const verdict = select('verdict', CHOICES.verdict, q.get('verdict') || '', (v) => (v ? t(`search.verdict_${v}`) : t('search.any')));
  const override = select('override', CHOICES.override, q.get('override') || '', (v) => (v ? t(v === 'true' ? 'search.override_yes' : 'search.override_no') : t('search.any')));
  const status = select('status', CHOICES.status, q.get('status') || '', (v) => (v ? t(`declaration_status.${v}`) : t('search.any')));

  const current = () => {
    const out = new URLSearchParams();
    for (const name of TEXT_FIELDS) if (inputs[name].value.trim()) out.set(name, inputs[name].value.trim());
    if (post && post.value) out.set('post_code', post.value);
    if (from.value) out.set('from', from.value);
    if (to.value) out.set('to', to.value);
    if (verdict.value) out.set('verdict', verdict.value);
    if (override.value) out.set('override', override.value);
    if (status.value) out.set('status', status.value);
    return out;
  };
  const exportPath = (format) => () => {
    const e = new URLSearchParams({ format });
    const c = current();
    for (const k of ['from', 'to', 'post_code']) if (c.get(k)) e.set(k, c.get(k));
    return `/api/declarations/export?${e}`;
  };

  const results = h('div', { id: 'results' });
  const form = h('form', { class: 'card search-form', id: 'search-form', onsubmit: (e) => {
    e.preventDefault();
    const next = `#/search?${current()}`;
    if (location.hash === next) run(0); else ctx.navigate(next);
  } },
  h('div', { class: 'form-grid' },
    TEXT_FIELDS.map((name) => field(name, inputs[name])),
    post ? field('post_code', post) : null,
    field('from', from), field('to', to), field('verdict', verdict), field('override', override), field('status', status)),
  h('div', { class: 'actions' },
    h('button', { class: 'btn primary big', type: 'submit', id: 'search-submit' }, t('search.submit')),
    h('a', { class: 'btn', href: '#/search' }, t('search.clear'))));
  root.append(h('h1', {}, t('search.title')), form,
    h('section', { class: 'card', id: 'export-card' }, h('h2', {}, t('export.title')), h('p', { class: 'muted small' }, t('export.hint')),
      h('div', { class: 'row' },
        downloadButton({ id: 'export-csv', label: t('export.csv'), path: exportPath('csv'), name: 'export-decisions.csv' }),
        downloadButton({ id: 'export-xlsx', label: t('export.xlsx'), path: exportPath('xlsx'), name: 'export-decisions.xlsx' }))),
    results);

  const rows = h('tbody', {});
  const more = h('button', { class: 'btn', type: 'button', id: 'search-more', hidden: true }, t('search.more'));
  async function run(offset) {
    const params2 = new URLSearchParams(q);
    params2.set('limit', String(PAGE));
    params2.set('offset', String(offset));
    let hits;
    try {
      hits = await api(`/api/search/declarations?${params2}`);
    } catch (err) {
      mount(results, problemCard(err));
      return;
    }
    if (offset === 0) {
      rows.replaceChildren();
      mount(results, hits.length ? h('div', { class: 'table-scroll' }, table(rows)) : h('p', { class: 'card muted', id: 'no-results' }, t('search.none')), more);
    }
    rows.append(...hits.map(row));
    more.hidden = hits.length < PAGE;
    more.onclick = () => run(offset + PAGE);
  }
  await run(0);
  return null;
}

function table(rows) {
  return h('table', { class: 'lines results' },
    h('thead', {}, h('tr', {}, ['search.col_number', 'search.col_post', 'search.col_status', 'search.col_transport', 'search.col_inspectors', 'search.col_idk', 'search.col_decision', 'search.col_arrived']
      .map((k) => h('th', {}, t(k))))),
    rows);
}

function row(d) {
  const dec = d.decision;
  return h('tr', { dataset: { id: d.id } },
    h('td', {}, h('a', { class: 'cell-link', href: `#/declarations/${encodeURIComponent(d.id)}` }, d.number), ' ',
      h('span', { class: `badge corridor-${d.corridor}` }, t(`corridor.${d.corridor}`))),
    h('td', {}, d.post_code),
    h('td', {}, t(`declaration_status.${d.status}`), d.inspection_status ? h('div', { class: 'muted small' }, t(`inspection_status.${d.inspection_status}`)) : null),
    h('td', { class: 'small' }, [d.vehicle_plate, ...d.wagons, ...d.containers].filter(Boolean).join(', ')),
    h('td', { class: 'small' }, d.inspectors.map((i) => i.name).join(', ')),
    h('td', { class: 'small' }, d.idk_verdicts.map((v) => t(`search.verdict_${v}`)).join(', ')),
    h('td', { class: 'small' }, dec ? [t(`decision.${dec.decision}`), ' · ', dec.decided_by.name, ' · ', formatDateTime(dec.decided_at),
      dec.override ? h('div', {}, h('span', { class: 'badge corridor-red', dataset: { override: '1' } }, t('decision.override'))) : null] : '—'),
    h('td', { class: 'small' }, formatDateTime(d.created_at)));
}
