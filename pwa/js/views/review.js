// The daily review sample: for a finished day (UTC) and each post, the releases drawn for an
// auditor's second look, each marked reviewed or flagged (a flag says why).

import { api } from '../api.js';
import { formatDateTime, formatNumber, t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { failureText, hashQuery, problemCard } from './common.js';

export const NAME = 'review';
const MIN_FLAG_NOTE = 10;

function yesterday() {
  const d = new Date(Date.now() - 86400000);
  return d.toISOString().slice(0, 10);
}

export async function render(root, params, ctx) {
  const q = hashQuery();
  const day = q.get('date') || yesterday();
  const dateInput = h('input', { type: 'date', id: 'review-date', value: day, max: yesterday() });
  const list = h('div', { id: 'review-days' });
  root.append(h('h1', {}, t('review.title')),
    h('form', { class: 'card row', id: 'review-form', onsubmit: (e) => { e.preventDefault(); ctx.navigate(`#/review?date=${dateInput.value}`); } },
      h('label', { for: 'review-date' }, t('review.day')), dateInput,
      h('button', { class: 'btn primary', type: 'submit' }, t('review.show'))),
    list);

  const load = async () => {
    let days;
    try {
      days = await api(`/api/review-sample?date=${encodeURIComponent(day)}`);
    } catch (err) {
      mount(list, err.code === 'day_not_over' ? h('p', { class: 'card muted' }, t('review.day_not_over')) : problemCard(err));
      return;
    }
    mount(list, days.map((d) => h('section', { class: 'card', dataset: { post: d.post_code } },
      h('div', { class: 'row spread' }, h('h2', {}, d.post_code),
        h('span', { class: 'muted' }, t('review.drawn', { n: d.items.length, population: d.population, rate: formatNumber(100 * d.rate, 1) }))),
      d.items.length ? h('ul', { class: 'plain-list' }, d.items.map((item) => sampleItem(item, load))) : h('p', { class: 'muted' }, t('review.nothing')))));
  };
  await load();
  return null;
}

function sampleItem(item, reload) {
  const d = item.declaration;
  const note = h('input', { id: `note-${d.id}`, maxlength: '4000', value: item.note || '', placeholder: t('review.note') });
  const status = h('span', { class: 'error small', role: 'alert', hidden: true });
  const mark = (value) => async () => {
    status.hidden = true;
    if (value === 'flagged' && note.value.trim().length < MIN_FLAG_NOTE) {
      status.textContent = t('review.flag_needs_note', { n: MIN_FLAG_NOTE });
      status.hidden = false;
      return;
    }
    try {
      await api(`/api/review-sample/${encodeURIComponent(d.id)}`, { method: 'POST', json: { status: value, note: note.value.trim() || null } });
      await reload();
    } catch (err) {
      status.textContent = failureText(err);
      status.hidden = false;
    }
  };
  return h('li', { class: `sample-item review-${item.status}`, dataset: { id: d.id, status: item.status } },
    h('div', { class: 'row spread' },
      h('a', { class: 'number', href: `#/declarations/${encodeURIComponent(d.id)}` }, `${item.rank}. ${d.number}`),
      h('span', { class: `chip review-chip-${item.status}` }, t(`review.status_${item.status}`))),
    h('div', { class: 'muted small' },
      d.decision ? [t(`decision.${d.decision.decision}`), ' · ', d.decision.decided_by.name, ' · ', formatDateTime(d.decision.decided_at)] : null,
      d.decision && d.decision.override ? [' · ', h('span', { class: 'badge corridor-red' }, t('decision.override'))] : null),
    item.reviewed_by ? h('div', { class: 'small' }, t('review.by', { name: item.reviewed_by.name, at: formatDateTime(item.reviewed_at) }), item.note ? ` · ${item.note}` : '') : null,
    h('div', { class: 'row' }, note,
      h('button', { class: 'btn primary', type: 'button', dataset: { mark: 'reviewed' }, onclick: mark('reviewed') }, t('review.mark_reviewed')),
      h('button', { class: 'btn stop', type: 'button', dataset: { mark: 'flagged' }, onclick: mark('flagged') }, t('review.mark_flagged'))),
    status);
}
