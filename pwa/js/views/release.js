// The post head's decision on a declaration: release (with a comment), release over failed
// conditions with a written reason (an override, itself an alert to auditors), refusal, and
// ordering an inspection. A 409 names the unmet conditions; they are listed and marked.

import { ApiError, api } from '../api.js';
import { codeText, plural, serverText, t } from '../i18n.js';
import { h } from '../ui.js';
import { errorLine, failureText, reasonForm, showError } from './common.js';
import { confirmLink } from './confirm.js';

const MIN_OVERRIDE = 20;
const MIN_REASON = 10;
const DECIDED = ['released', 'refused'];

function path(id, action) {
  return `/api/declarations/${encodeURIComponent(id)}/${action}`;
}

/** Why a condition is (un)met, in the reader's language: its reason code and params; the
 * server's English detail only where no code is known and the screen is English. */
export function conditionReason(c) {
  const text = (c.reason ? codeText(`gate.reason.${c.reason}`, c.params) : null) ?? serverText(c.detail, 'en');
  const more = c.params && c.params.problems > 1 ? plural('gate.more', c.params.problems - 1) : null;
  return [text, more].filter(Boolean).join(' ');
}

/** Every gate condition, met or not, with its reason; `highlight` marks refused ones. */
export function gateConditions(conditions, { highlight = [] } = {}) {
  return h('ul', { class: 'gate-list' }, conditions.map((c) => h('li', {
    class: `gate-item ${c.met ? 'met' : 'unmet'}${highlight.includes(c.code) ? ' flagged' : ''}`,
    dataset: { code: c.code, met: String(c.met), reason: c.reason || '' },
  },
  h('span', { class: 'gate-mark', 'aria-hidden': 'true' }, c.met ? '✓' : '✗'),
  h('span', { class: 'gate-text' },
    h('strong', {}, t(`gate.${c.code}`)), ' ',
    h('span', { class: 'sr-only' }, t(c.met ? 'gate.met' : 'gate.unmet')),
    h('span', { class: 'muted small gate-detail' }, conditionReason(c)),
    // an advisory check waiting for a person: the head answers it from here
    c.reason === 'check_needs_confirmation' && c.params && c.params.recording_id
      ? confirmLink(c.params.recording_id, c.params.check) : null))));
}

function gateBadge(declaration, gate) {
  // once decided, the gate is history: say what was decided, not that conditions are unmet
  if (DECIDED.includes(declaration.status)) {
    return h('span', { class: 'badge status-finished', id: 'gate-allowed', dataset: { decided: declaration.status } },
      t(`gate.decided.${declaration.status}`));
  }
  return h('span', { class: `badge ${gate.allowed ? 'status-finished' : 'warn'}`, id: 'gate-allowed' },
    t(gate.allowed ? 'gate.allowed' : 'gate.not_allowed'));
}

/** The gate and, for the post head of an undecided declaration, the decision forms. */
export function decisionPanel(declaration, gate, { canDecide, reload }) {
  const gateBox = h('div', { id: 'gate' }, gateConditions(gate.conditions));
  const panel = h('section', { class: 'card', id: 'gate-card' },
    h('div', { class: 'row spread' },
      h('h2', {}, t('gate.title')),
      gateBadge(declaration, gate)),
    gateBox);
  if (!canDecide || DECIDED.includes(declaration.status)) return panel;

  const refusal = h('div', { class: 'card error', id: 'release-refused', role: 'alert', hidden: true });
  const comment = h('input', { id: 'release-comment', maxlength: '2000' });
  const override = h('textarea', { id: 'override-reason', rows: 3, maxlength: '4000' });
  const overrideBox = h('div', { id: 'override-box', hidden: gate.allowed },
    h('label', { for: 'override-reason' }, t('release.override_reason')), override,
    h('p', { class: 'muted small' }, t('release.override_hint', { n: MIN_OVERRIDE })));
  const error = errorLine('release-error');
  const submit = h('button', { class: 'btn primary big', type: 'submit', id: 'release-submit' },
    t(gate.allowed ? 'release.submit' : 'release.submit_override'));

  const showUnmet = (err) => {
    const unmet = (err.body && err.body.unmet) || [];
    const hard = (err.body && err.body.not_overridable) || [];
    gateBox.replaceChildren(gateConditions(gate.conditions, { highlight: unmet }));
    refusal.replaceChildren(
      h('strong', {}, t(err.status === 422 ? 'release.not_overridable' : 'release.refused_title')),
      h('ul', { class: 'unmet-list', id: 'unmet-list' }, (hard.length ? hard : unmet).map((code) => h('li', { dataset: { code } },
        h('strong', {}, t(`gate.${code}`)), ' ',
        h('span', { class: 'muted small' }, conditionReason(gate.conditions.find((c) => c.code === code) || {}))))),
      err.status === 409 && !hard.length ? h('p', {}, t('release.override_possible', { n: MIN_OVERRIDE })) : null);
    refusal.hidden = false;
    overrideBox.hidden = false;
    submit.textContent = t('release.submit_override');
  };

  const form = h('form', { class: 'release-form', id: 'release-form', onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    const reason = override.value.trim();
    if (reason && reason.length < MIN_OVERRIDE) return showError(error, t('reason.too_short', { n: MIN_OVERRIDE }));
    submit.disabled = true;
    try {
      const body = { comment: comment.value.trim() || null };
      if (reason) body.override_reason = reason;
      await api(path(declaration.id, 'release'), { method: 'POST', json: body });
      await reload();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 409 || err.status === 422) && err.body && err.body.unmet) showUnmet(err);
      else showError(error, failureText(err));
    } finally {
      submit.disabled = false;
    }
    return null;
  } },
  h('h3', {}, t('release.title')),
  h('label', { for: 'release-comment' }, t('release.comment')), comment,
  overrideBox, refusal, error, submit);

  const refuse = reasonForm({
    id: 'refuse-form', label: t('refuse.reason'), min: MIN_REASON, submit: t('refuse.submit'), kind: 'stop',
    onSubmit: async (reason) => { await api(path(declaration.id, 'refuse'), { method: 'POST', json: { reason } }); await reload(); },
  });
  const order = !declaration.inspection || declaration.inspection.status === 'finished' ? reasonForm({
    id: 'order-form', label: t('order.reason'), min: MIN_REASON, submit: t('order.submit'), kind: '',
    onSubmit: async (reason) => { await api(path(declaration.id, 'order-inspection'), { method: 'POST', json: { reason } }); await reload(); },
  }) : null;
  panel.append(form,
    h('details', { class: 'more-actions' }, h('summary', { class: 'btn ghost' }, t('release.other_decisions')), refuse, order));
  return panel;
}
