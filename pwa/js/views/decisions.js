// Declarations awaiting the post head's decision, each with every gate condition spelled out.
// The decision itself (release, override, refusal, ordering an inspection) is taken on the
// declaration's screen.

import { api } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { h } from '../ui.js';
import { problemCard } from './common.js';
import { gateConditions } from './release.js';

export const NAME = 'decisions';

export async function render(root) {
  root.append(h('h1', {}, t('decisions.title')));
  let list;
  try {
    list = await api('/api/declarations/awaiting');
  } catch (err) {
    root.append(problemCard(err));
    return null;
  }
  if (!list.length) root.append(h('p', { class: 'card muted' }, t('decisions.empty')));
  root.append(h('div', { class: 'cards wide' }, list.map(item)));
  return null;
}

function item(a) {
  const d = a.declaration;
  return h('article', { class: 'card awaiting', dataset: { id: d.id, allowed: String(a.allowed) } },
    h('div', { class: 'row spread' },
      h('a', { class: 'number', href: `#/declarations/${encodeURIComponent(d.id)}` }, d.number),
      h('span', { class: 'row' },
        h('span', { class: `badge corridor-${d.corridor}` }, t(`corridor.${d.corridor}`)),
        h('span', { class: `badge ${a.allowed ? 'status-finished' : 'warn'}` }, t(a.allowed ? 'decisions.may_release' : 'decisions.blocked', { n: a.unmet.length })))),
    h('div', { class: 'muted' }, t(`procedure.${d.procedure}`), ' · ', formatDateTime(d.created_at),
      d.inspection_status ? ` · ${t(`inspection_status.${d.inspection_status}`)}` : ''),
    gateConditions(a.conditions),
    h('a', { class: 'btn primary', href: `#/declarations/${encodeURIComponent(d.id)}` }, t('decisions.decide')));
}
