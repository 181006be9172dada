// A scan's links to declarations: the active ones (each may be ended with a reason) and the
// history; the operator may tie the scan to a declaration by hand (a misread wagon number)
// naming the declaration by its number, with a reason.

import { api } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { h } from '../ui.js';
import { errorLine, reasonForm, showError } from './common.js';

const MIN_REASON = 10;

async function declarationNumber(id) {
  try {
    return (await api(`/api/declarations/${encodeURIComponent(id)}`)).number;
  } catch {
    return id.slice(0, 8);
  }
}

export async function linksPanel(scan, { editable, reload, role }) {
  const numbers = Object.fromEntries(await Promise.all(
    [...new Set(scan.links.map((l) => l.declaration_id).concat(scan.linked_declaration_ids))]
      .map(async (id) => [id, await declarationNumber(id)])));
  const declLink = (id) => (role === 'idk_operator'
    ? h('strong', {}, numbers[id])
    : h('a', { href: `#/declarations/${encodeURIComponent(id)}` }, numbers[id]));
  const active = scan.links.filter((l) => !l.unlinked_at);
  const ended = scan.links.filter((l) => l.unlinked_at);
  const box = h('section', { class: 'card', id: 'links-card' }, h('h2', {}, t('links.title')));
  if (!active.length) box.append(h('p', { class: 'badge warn', dataset: { mark: 'unlinked' } }, t('idk_queue.unlinked')));
  box.append(h('ul', { class: 'plain-list' }, active.map((l) => h('li', { class: 'link-item', dataset: { declarationId: l.declaration_id } },
    h('div', { class: 'row spread' }, declLink(l.declaration_id),
      h('span', { class: 'muted small' }, l.matched_on === 'manual' ? t('links.manual') : t('links.matched', { on: l.matched_on }))),
    l.link_reason ? h('div', { class: 'muted small' }, l.link_reason) : null,
    editable ? h('details', {}, h('summary', { class: 'btn ghost' }, t('links.unlink')),
      reasonForm({ id: `unlink-${l.declaration_id}`, label: t('links.unlink_reason'), min: MIN_REASON, submit: t('links.unlink'), kind: 'stop',
        onSubmit: async (reason) => {
          await api(`/api/idk/scans/${encodeURIComponent(scan.id)}/links/${encodeURIComponent(l.declaration_id)}`, { method: 'DELETE', json: { reason } });
          await reload();
        } })) : null))));
  if (ended.length) {
    box.append(h('h3', {}, t('links.history')), h('ul', { class: 'plain-list small' }, ended.map((l) => h('li', {},
      numbers[l.declaration_id], ' · ', t('links.ended', { at: formatDateTime(l.unlinked_at) }), l.reason ? ` · ${l.reason}` : ''))));
  }
  if (editable) box.append(manualLink(scan, reload));
  return box;
}

function manualLink(scan, reload) {
  const number = h('input', { id: 'link-number', autocomplete: 'off' });
  // the declared units the image really shows (the scanner's own numbers did not match)
  const wagon = h('input', { id: 'link-wagon', autocomplete: 'off' });
  const containers = h('input', { id: 'link-containers', autocomplete: 'off' });
  const reason = h('textarea', { id: 'link-reason', rows: 2, maxlength: '4000' });
  const error = errorLine('link-error');
  const submit = h('button', { class: 'btn primary', type: 'submit', id: 'link-submit' }, t('links.link'));
  return h('details', { class: 'more-actions' }, h('summary', { class: 'btn ghost' }, t('links.link_by_hand')),
    h('form', { id: 'link-form', onsubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      if (reason.value.trim().length < MIN_REASON) return showError(error, t('reason.too_short', { n: MIN_REASON }));
      submit.disabled = true;
      try {
        const found = await api(`/api/declarations?number=${encodeURIComponent(number.value.trim())}`);
        const match = found.find((d) => d.number === number.value.trim()) || found[0];
        if (!match) throw new Error(t('links.no_declaration', { number: number.value.trim() }));
        await api(`/api/idk/scans/${encodeURIComponent(scan.id)}/links`, { method: 'POST', json: {
          declaration_id: match.id, reason: reason.value.trim(), wagon_number: wagon.value.trim(),
          container_numbers: containers.value.split(',').map((c) => c.trim()).filter(Boolean),
        } });
        await reload();
      } catch (err) {
        showError(error, err.status === undefined ? err.message : err);
      } finally {
        submit.disabled = false;
      }
      return null;
    } },
    h('label', { for: 'link-number' }, t('links.declaration_number')), number,
    h('label', { for: 'link-wagon' }, t('links.covers_wagon')), wagon,
    h('label', { for: 'link-containers' }, t('links.covers_containers')), containers,
    h('label', { for: 'link-reason' }, t('links.reason')), reason,
    h('p', { class: 'muted small' }, t('reason.min_chars', { n: MIN_REASON })),
    error, submit));
}
