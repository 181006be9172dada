// Pieces the screens share: a form that asks for a written reason, buttons that download
// protected files, query strings in the hash, and the way failures are shown (from the
// problem's code, in the screen's language). Gate conditions: release.js `gateConditions`.

import { ApiError } from '../api.js';
import { codeText, formatDateTime, serverText, t } from '../i18n.js';
import { download } from '../media.js';
import { h } from '../ui.js';

export { problemCard } from './inspections.js';

/** `#/search?number=1` -> URLSearchParams of what follows the "?". */
export function hashQuery() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : location.hash.slice(i + 1));
}

/** Why the server refused, in the reader's language: the problem's stable code; its English
 * detail only where no code is known and the screen is English. */
export function problemReason(err) {
  if (!err) return null;
  return (err.code ? codeText(`problem.${err.code}`) : null) ?? serverText(err.detail, 'en');
}

export function failureText(err) {
  if (err instanceof ApiError && (err.code === 'network' || err.code === 'offline')) return t('error.offline_action');
  return `${t('error.action_failed')} ${problemReason(err) || ''}`.trim();
}

export function errorLine(id) {
  return h('p', { class: 'error', role: 'alert', id, hidden: true });
}

export function showError(line, err) {
  line.textContent = typeof err === 'string' ? err : failureText(err);
  line.hidden = false;
}

/** A textarea for a written reason (the server wants at least `min` characters). */
export function reasonForm({ id, label, min, submit, kind = 'primary', onSubmit }) {
  const area = h('textarea', { id: `${id}-reason`, rows: 3, minlength: String(min), maxlength: '4000' });
  const hint = h('p', { class: 'muted small' }, t('reason.min_chars', { n: min }));
  const error = errorLine(`${id}-error`);
  const button = h('button', { class: `btn ${kind}`, type: 'submit', id: `${id}-submit` }, submit);
  const form = h('form', { class: 'reason-form', id, onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    const text = area.value.trim();
    if (text.length < min) return showError(error, t('reason.too_short', { n: min }));
    button.disabled = true;
    try {
      await onSubmit(text);
    } catch (err) {
      showError(error, err);
    } finally {
      button.disabled = false;
    }
    return null;
  } }, h('label', { for: area.id }, label), area, hint, error, button);
  return form;
}

/** A button that downloads a protected file (the bearer token cannot ride on a plain link). */
export function downloadButton({ id, label, path, name }) {
  const status = h('span', { class: 'muted small', role: 'status' });
  const button = h('button', { class: 'btn', type: 'button', id, onclick: async () => {
    button.disabled = true;
    status.textContent = t('download.working');
    try {
      const got = await download(path(), name);
      status.textContent = t('download.done', { name: got.name });
    } catch (err) {
      status.textContent = failureText(err);
    } finally {
      button.disabled = false;
    }
  } }, label);
  return h('span', { class: 'download' }, button, status);
}

export function decisionLine(decision) {
  if (!decision) return null;
  const by = decision.released_by || decision.decided_by;
  return h('div', { class: `card decision ${decision.override ? 'error' : 'ok'}`, id: 'decision' },
    h('strong', {}, t(`decision.${decision.decision || 'released'}`)), ' ',
    h('span', { id: 'decided-by' }, t('decision.by', { name: by ? by.name : '?', at: formatDateTime(decision.released_at || decision.decided_at) })),
    decision.override ? h('div', { class: 'override' }, h('span', { class: 'badge corridor-red' }, t('decision.override')), ' ', decision.override_reason) : null,
    decision.comment ? h('div', { class: 'muted' }, decision.comment) : null);
}

export function checkChips(checks) {
  return (checks || []).map((c) => h('span', { class: `chip verdict-${c.verdict}`, dataset: { check: c.name } },
    `${t(`check.${c.name}`)}: ${t(`verdict.${c.verdict}`)}`));
}

export function backLink(href) {
  return h('a', { class: 'btn ghost back', href }, t('action.back'));
}
