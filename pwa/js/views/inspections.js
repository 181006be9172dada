// "My inspections": the inspector's assigned work. Offline it is read from the service
// worker's cache; online, each inspection and its IDK images are fetched once more so the
// cache holds them before the tablet walks out of coverage.

import { ApiError, api, authHeaders, inspections } from '../api.js';
import { allTakes } from '../db.js';
import { formatDateTime, t } from '../i18n.js';
import { PENDING } from '../outbox.js';
import { h } from '../ui.js';

export const NAME = 'inspections';
const PREFETCH_LIMIT = 20;

export async function render(root, params, ctx) {
  root.append(h('h1', {}, t('inspections.title')));
  let list;
  try {
    list = await inspections.mine();
  } catch (err) {
    root.append(problemCard(err));
    return null;
  }
  if (list.fromCache) root.append(h('p', { class: 'banner warn', dataset: { cached: '1' } }, t('offline.cached_copy')));
  const takes = await allTakes();
  const open = list.filter((i) => i.status !== 'finished');
  const done = list.filter((i) => i.status === 'finished');
  if (!list.length) root.append(h('p', { class: 'card muted' }, t('inspections.empty')));
  root.append(h('div', { class: 'cards' }, open.map((i) => card(i, takes))));
  if (done.length) {
    root.append(h('h2', {}, t('inspections.finished')));
    root.append(h('div', { class: 'cards' }, done.map((i) => card(i, takes))));
  }
  if (!list.fromCache && navigator.onLine) prefetch(list);
  return null;
}

function card(item, takes) {
  const mine = takes.filter((tk) => tk.inspection_id === item.id);
  const pending = mine.filter((tk) => PENDING.includes(tk.state)).length;
  const refused = mine.filter((tk) => tk.state === 'refused').length;
  return h('a', { class: 'card link inspection-card', href: `#/inspections/${encodeURIComponent(item.id)}`, dataset: { id: item.id } },
    h('div', { class: 'row spread' },
      h('strong', { class: 'number' }, item.number),
      h('span', { class: `badge corridor-${item.corridor}` }, t(`corridor.${item.corridor}`))),
    h('div', { class: 'row' },
      h('span', { class: `badge status-${item.status}` }, t(`inspection_status.${item.status}`)),
      h('span', { class: 'muted' }, t(`procedure.${item.procedure}`)),
      h('span', { class: 'muted' }, formatDateTime(item.created_at))),
    item.reasons.length ? h('div', { class: 'muted' }, item.reasons.map((r) => t(`reason.${r}`)).join(' · ')) : null,
    pending ? h('div', { class: 'note' }, t('inspections.pending_uploads', { n: pending })) : null,
    refused ? h('div', { class: 'error' }, t('inspections.refused_uploads', { n: refused })) : null);
}

export function problemCard(err) {
  const key = err instanceof ApiError && (err.code === 'offline' || err.code === 'network') ? 'offline.no_copy' : 'error.load_failed';
  return h('div', { class: 'card error', role: 'alert' }, t(key), err && err.detail ? h('div', { class: 'muted small' }, err.detail) : null);
}

/** Pull each open inspection and its scan images through the service worker's cache. */
async function prefetch(list) {
  const headers = await authHeaders();
  for (const item of list.filter((i) => i.status !== 'finished').slice(0, PREFETCH_LIMIT)) {
    try {
      const detail = await api(`/api/inspections/${encodeURIComponent(item.id)}`);
      for (const scan of detail.scans || []) {
        await fetch(`/api/idk/scans/${encodeURIComponent(scan.id)}/display`, { headers });
      }
    } catch {
      return; // the network went away: what is cached stays cached
    }
  }
}
