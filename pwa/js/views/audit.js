// The audit log for auditors: the whole chain's state (GET /api/audit/verify) and the trail of
// any object by its type and id.

import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { hashQuery, problemCard } from './common.js';
import { chainStatus, eventsTable } from './trail.js';

export const NAME = 'audit';
const TYPES = ['declaration', 'inspection', 'recording', 'idk_scan', 'device', 'upload', 'push_subscription', 'post'];

export async function render(root, params, ctx) {
  const q = hashQuery();
  const type = h('select', { id: 'audit-type' }, TYPES.map((v) => h('option', { value: v, selected: v === q.get('type') }, t(`audit.type_${v}`))));
  const id = h('input', { id: 'audit-id', value: q.get('id') || '', autocomplete: 'off' });
  const out = h('div', { id: 'audit-events' });
  root.append(
    h('div', { class: 'title-row' }, h('h1', {}, t('audit.title')), chainStatus()),
    h('form', { class: 'card', onsubmit: (e) => { e.preventDefault(); ctx.navigate(`#/audit?${new URLSearchParams({ type: type.value, id: id.value.trim() })}`); } },
      h('div', { class: 'form-grid' },
        h('div', { class: 'field' }, h('label', { for: 'audit-type' }, t('audit.object_type')), type),
        h('div', { class: 'field' }, h('label', { for: 'audit-id' }, t('audit.object_id')), id)),
      h('button', { class: 'btn primary', type: 'submit' }, t('audit.show'))),
    out);
  if (q.get('id')) {
    try {
      const events = await api(`/api/audit?${new URLSearchParams({ object_type: q.get('type') || 'declaration', object_id: q.get('id') })}`);
      mount(out, h('section', { class: 'card' }, events.length ? eventsTable(events) : h('p', { class: 'muted' }, t('audit.empty'))));
    } catch (err) {
      mount(out, problemCard(err));
    }
  }
  return null;
}
