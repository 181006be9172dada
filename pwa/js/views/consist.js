// A train's pre-arrival consist as a strip of wagons (GET /api/rail/consists/ID): each wagon
// in the railway's order with its state (scanned, missing, out of order, number disagreeing)
// and the operator's verdict on its scan; scans of wagons the consist does not list follow.

import { api } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { h } from '../ui.js';
import { problemCard } from './common.js';

export const NAME = 'consist';

function verdictOf(scan) {
  return t(`idk.verdict.${scan?.verdict || 'none'}`);
}

function wagonBox(w) {
  return h('li', { class: `wagon state-${w.state}`, dataset: { position: String(w.position), state: w.state, wagon: w.wagon_number } },
    h('span', { class: 'wagon-pos' }, String(w.position)),
    h('strong', { class: 'wagon-number' }, w.wagon_number),
    h('span', { class: 'wagon-state' }, t(`consist.state.${w.state}`)),
    w.state === 'number_disagrees' ? h('span', { class: 'wagon-read' }, t('consist.read_as', { number: w.scan.wagon_number || '—' })) : null,
    w.scan ? h('a', { href: `#/idk/${w.scan.id}`, class: 'wagon-verdict' }, verdictOf(w.scan)) : null);
}

export async function render(root, params) {
  let c;
  try {
    c = await api(`/api/rail/consists/${encodeURIComponent(params.id)}`);
  } catch (err) {
    root.append(problemCard(err));
    return null;
  }
  const counts = ['scanned', 'out_of_order', 'number_disagrees', 'missing', 'unexpected']
    .map((k) => h('span', { class: 'chip', dataset: { count: k } }, `${t(`consist.state.${k}`)}: ${c.counts[k]}`));
  root.append(
    h('div', { class: 'title-row' }, h('h1', {}, t('consist.title', { train: c.train_number }))),
    h('p', { class: 'muted' }, t('consist.expected', { station: c.station, at: formatDateTime(c.expected_at) })),
    h('div', { class: 'chips', id: 'consist-counts' }, counts),
    h('ol', { class: 'wagon-strip', id: 'consist-strip' }, c.wagons.map(wagonBox)),
    h('section', { class: 'card', id: 'consist-unexpected' },
      h('h2', {}, t('consist.unexpected_title')),
      c.unexpected.length
        ? h('ul', {}, c.unexpected.map((s) => h('li', { dataset: { scan: s.id } },
          h('a', { href: `#/idk/${s.id}` }, `${s.wagon_number || t('consist.no_number')} · ${s.image_id}`),
          ` — ${verdictOf(s)}`)))
        : h('p', { class: 'muted' }, t('consist.unexpected_none'))));
  return null;
}
