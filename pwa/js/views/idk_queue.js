// The IDK operator's queue: new scans awaiting a verdict (unlinked ones marked: no declaration
// matched their wagon or container numbers), or every scan, or only the unlinked ones.

import { api } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { hashQuery, problemCard } from './common.js';

export const NAME = 'idk_queue';
const FILTERS = {
  pending: '?verdict=pending',
  unlinked: '?unlinked=true',
  all: '',
};
const POLL_MS = 15000;

export async function render(root, params, ctx) {
  const filter = FILTERS[hashQuery().get('show')] !== undefined ? hashQuery().get('show') : 'pending';
  const list = h('div', { id: 'scan-queue' });
  root.append(
    h('div', { class: 'title-row' }, h('h1', {}, t('idk_queue.title')),
      h('div', { class: 'row tabs' }, Object.keys(FILTERS).map((key) => h('a', {
        class: `btn${key === filter ? ' primary' : ''}`, href: key === 'pending' ? '#/idk' : `#/idk?show=${key}`, dataset: { filter: key },
      }, t(`idk_queue.show_${key}`))))),
    list);
  const load = async () => {
    let scans;
    try {
      scans = await api(`/api/idk/scans${FILTERS[filter]}`);
    } catch (err) {
      mount(list, problemCard(err));
      return;
    }
    if (!scans.length) { mount(list, h('p', { class: 'card muted' }, t('idk_queue.empty'))); return; }
    mount(list, h('div', { class: 'cards' }, scans.map(card)));
  };
  await load();
  const poll = setInterval(() => { if (document.visibilityState === 'visible') load(); }, POLL_MS);
  return () => clearInterval(poll);
}

function card(scan) {
  const unlinked = !scan.linked_declaration_ids.length;
  const a = scan.assessment;
  return h('a', { class: `card link scan-card${unlinked ? ' unlinked' : ''}`, href: `#/idk/${encodeURIComponent(scan.id)}`, dataset: { id: scan.id, unlinked: String(unlinked) } },
    h('div', { class: 'row spread' },
      h('strong', { class: 'number' }, scan.image_id),
      scan.verdict
        ? h('span', { class: `chip verdict-idk-${scan.verdict}` }, t(`idk.verdict.${scan.verdict}`))
        : h('span', { class: 'chip' }, t('idk.verdict.none'))),
    h('div', { class: 'muted' }, formatDateTime(scan.scanned_at), ' · ', scan.scanner),
    h('div', {}, [scan.composition_number && t('idk_scan.composition', { n: scan.composition_number }), scan.wagon_number, ...scan.container_numbers].filter(Boolean).join(' · ')),
    h('div', { class: 'row' },
      unlinked
        ? h('span', { class: 'badge warn', dataset: { mark: 'unlinked' } }, t('idk_queue.unlinked'))
        : h('span', { class: 'badge' }, t('idk_queue.linked', { n: scan.linked_declaration_ids.length })),
      a && a.flagged ? h('span', { class: 'badge corridor-red' }, t('idk_queue.model_flagged')) : null,
      scan.wagon_number_invalid ? h('span', { class: 'badge warn', dataset: { mark: 'wagon-invalid' } }, t('idk_queue.wagon_invalid')) : null,
      a ? null : h('span', { class: 'muted small' }, t('idk_queue.model_pending'))));
}
