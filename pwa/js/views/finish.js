// Finishing: counts (prefilled from the taps), a discrepancy note when they differ from the
// declaration, then finish; the validation of each phase appears here as it arrives.

import { ApiError, api, inspections } from '../api.js';
import { onTakesChanged, takesFor } from '../db.js';
import { formatNumber, t } from '../i18n.js';
import { PENDING } from '../outbox.js';
import { h, mount } from '../ui.js';
import { failureText } from './common.js';
import { missingCard, missingPhases } from './inspection.js';
import { problemCard } from './inspections.js';
import { findingText } from './report.js';
import { countKind, takeRow } from './takes.js';

export const NAME = 'finish';
const POLL_MS = 8000;

const reports = new Map(); // recording id -> its validation report, once there is one

/** The checks that did not pass, fetched once a phase's recording has been validated. */
async function validationOf(phase) {
  if (!phase.recording_id || !phase.verdict) return null;
  if (!reports.has(phase.recording_id)) {
    try {
      const rec = await api(`/api/recordings/${encodeURIComponent(phase.recording_id)}`);
      if (rec.validation) reports.set(phase.recording_id, rec.validation);
    } catch {
      return null;
    }
  }
  return reports.get(phase.recording_id) || null;
}

function checksList(report) {
  if (!report) return null;
  const notPassed = report.checks.filter((c) => c.verdict !== 'pass');
  if (!notPassed.length) return h('p', { class: 'muted' }, t('finish.all_checks_passed'));
  return h('ul', { class: 'checks' }, notPassed.map((c) => h('li', { dataset: { check: c.name, verdict: c.verdict } },
    h('span', { class: `chip verdict-${c.verdict}` }, t(`verdict.${c.verdict}`)), ' ',
    h('strong', {}, t(`check.${c.name}`)),
    // the finding from its code and params, in the screen's language (never the server's text)
    findingText(c) ? h('div', { class: 'small muted finding', dataset: { code: c.code || '' } }, findingText(c)) : null)));
}

function latest(takes, phase) {
  return takes.filter((tk) => tk.phase === phase && tk.markers).pop();
}

export async function render(root, { id }, ctx) {
  let view;
  try {
    view = await inspections.get(id);
  } catch (err) {
    root.append(problemCard(err));
    return null;
  }
  const takes = await takesFor(id);
  const declared = view.declaration.places_total;
  const recount = latest(takes, 'recount');
  const opening = latest(takes, 'opening');
  const tappedPlaces = recount ? countKind(recount.markers, 'place') : null;
  const tappedItems = opening ? countKind(opening.markers, 'item') : null;

  const places = h('input', { id: 'places', type: 'number', min: 0, inputmode: 'numeric', required: true,
    value: view.places_counted ?? tappedPlaces ?? '' });
  const items = h('input', { id: 'items', type: 'number', min: 0, inputmode: 'numeric',
    value: view.items_counted ?? (tappedItems || '') });
  const note = h('textarea', { id: 'note', rows: 3 }, view.discrepancy_note || '');
  const noteHint = h('p', { class: 'note warn', hidden: true }, t('finish.note_required'));
  const message = h('p', { class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { class: 'btn primary big', type: 'submit', id: 'finish-submit' }, t('finish.submit'));
  const results = h('section', { class: 'card', id: 'results' });

  const mismatch = () => places.value !== '' && Number(places.value) !== declared;
  const refreshHint = () => { noteHint.hidden = !mismatch(); };
  places.addEventListener('input', refreshHint);
  refreshHint();

  const form = h('form', { class: 'card', id: 'counts-form', onsubmit: async (e) => {
    e.preventDefault();
    message.hidden = true;
    if (mismatch() && !note.value.trim()) {
      noteHint.hidden = false;
      note.focus();
      return;
    }
    submit.disabled = true;
    try {
      const body = { places_counted: Number(places.value) };
      if (items.value !== '') body.items_counted = Number(items.value);
      if (note.value.trim()) body.discrepancy_note = note.value.trim();
      await inspections.counts(id, body);
      view = await inspections.finish(id);
      form.hidden = true;
      drawResults();
    } catch (err) {
      message.textContent = err instanceof ApiError && (err.code === 'network' || err.code === 'offline')
        ? t('finish.offline') : failureText(err);
      message.hidden = false;
    } finally {
      submit.disabled = false;
    }
  } },
  h('h2', {}, t('finish.counts')),
  h('dl', { class: 'facts' },
    h('dt', {}, t('declaration.places_total')), h('dd', { id: 'declared-places' }, formatNumber(declared)),
    tappedPlaces != null ? [h('dt', {}, t('finish.tapped_places')), h('dd', {}, formatNumber(tappedPlaces))] : null),
  h('label', { for: 'places' }, t('finish.places_counted')), places,
  h('label', { for: 'items' }, t('finish.items_counted')), items,
  h('label', { for: 'note' }, t('finish.discrepancy_note')), note, noteHint,
  message, submit);

  const drawResults = async () => {
    const mine = await takesFor(id);
    const validations = await Promise.all(view.phases.map(validationOf));
    const pending = mine.filter((tk) => PENDING.includes(tk.state) || tk.state === 'recorded').length;
    mount(results,
      h('h2', {}, t('finish.results')),
      h('p', { class: `badge status-${view.status}`, id: 'finish-status' }, t(`inspection_status.${view.status}`)),
      pending ? h('p', { class: 'note' }, t('finish.pending_uploads', { n: pending })) : null,
      h('ul', { class: 'phase-list' }, view.phases.map((p, i) => h('li', { class: `phase phase-${p.state}`, dataset: { phase: p.phase, state: p.state } },
        h('div', { class: 'row spread' },
          h('strong', {}, t(`phase.${p.phase}`)),
          h('span', {},
            h('span', { class: `chip server-${p.state}` }, t(`phase_state.${p.state}`)),
            p.verdict ? h('span', { class: `chip verdict-${p.verdict}` }, t(`verdict.${p.verdict}`)) : null)),
        checksList(validations[i]),
        h('ul', { class: 'takes' }, mine.filter((tk) => tk.phase === p.phase).reverse().slice(0, 1).map(takeRow))))));
  };

  root.append(
    h('div', { class: 'title-row' },
      h('a', { class: 'btn ghost back', href: `#/inspections/${encodeURIComponent(id)}` }, t('action.back')),
      h('h1', {}, t('finish.title', { number: view.declaration.number }))));
  // Nothing is finished over a phase nobody filmed: say what is missing instead of the form.
  const missing = view.status === 'in_progress' ? missingPhases(view, takes) : [];
  if (missing.length) root.append(missingCard(missing));
  else if (view.status === 'in_progress') root.append(form);
  root.append(results);
  await drawResults();
  const stopWatching = onTakesChanged(() => drawResults());
  const poll = setInterval(async () => {
    if (!navigator.onLine) return;
    try {
      const fresh = await inspections.get(id);
      if (!fresh.fromCache) { view = fresh; drawResults(); }
    } catch {
      // keep the last answer
    }
  }, POLL_MS);
  return () => { clearInterval(poll); stopWatching(); };
}
