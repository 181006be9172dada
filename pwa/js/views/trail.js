// An object's audit trail (every event the hash-chained log holds about it) and the state of
// the whole chain (GET /api/audit/verify). Auditors and admins only.

import { api } from '../api.js';
import { formatDateTime, formatNumber, t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { problemCard } from './common.js';

const PAYLOAD_CHARS = 280;

/** The chain's verdict as a badge; fetched once per call. */
export function chainStatus() {
  const badge = h('span', { class: 'badge warn', id: 'chain-status', dataset: { ok: 'unknown' } }, t('audit.chain_checking'));
  api('/api/audit/verify').then((r) => {
    badge.dataset.ok = String(r.ok);
    badge.className = `badge ${r.ok ? 'status-finished' : 'corridor-red'}`;
    badge.textContent = r.ok
      ? t('audit.chain_ok', { n: formatNumber(r.length) })
      : t('audit.chain_broken', { seq: r.first_bad == null ? '?' : r.first_bad, reason: r.reason || '' });
    badge.title = r.head || '';
  }).catch(() => { badge.textContent = t('audit.chain_unknown'); });
  return badge;
}

function payloadText(payload) {
  if (payload == null) return '';
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return text.length > PAYLOAD_CHARS ? `${text.slice(0, PAYLOAD_CHARS)}…` : text;
}

export function eventsTable(events) {
  return h('table', { class: 'lines audit-table' },
    h('thead', {}, h('tr', {}, ['audit.seq', 'audit.at', 'audit.action', 'audit.actor', 'audit.payload'].map((k) => h('th', {}, t(k))))),
    h('tbody', {}, events.map((e) => h('tr', { dataset: { seq: String(e.seq), action: e.action } },
      h('td', { class: 'num' }, String(e.seq)),
      h('td', {}, formatDateTime(e.at)),
      h('td', {}, h('code', {}, e.action)),
      h('td', { class: 'small' }, e.actor_id ? (e.actor_name || e.actor_id.slice(0, 8)) : t('audit.system')),
      h('td', { class: 'small payload' }, h('code', { title: e.hash }, payloadText(e.payload)))))));
}

/** The trail of one object, newest last, with the chain's state beside its title. */
export function auditTrail(objectType, objectId) {
  const body = h('div', {}, h('p', { class: 'muted' }, t('audit.loading')));
  const box = h('section', { class: 'card', id: 'audit-trail', dataset: { object: `${objectType}:${objectId}` } },
    h('div', { class: 'row spread' }, h('h2', {}, t('audit.trail')), chainStatus()), body);
  const q = new URLSearchParams({ object_type: objectType, object_id: objectId });
  api(`/api/audit?${q}`).then((events) => {
    mount(body, events.length ? eventsTable(events) : h('p', { class: 'muted' }, t('audit.empty')));
  }).catch((err) => mount(body, problemCard(err)));
  return box;
}
