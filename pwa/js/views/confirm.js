// A person confirms, not the override: one fast tablet screen for the post head to answer an
// advisory check. The frames that matter side by side (the first seconds of the unloading
// beside its last seconds; the frames at the recount taps), what the unproven model leans to,
// two big buttons, and a reason box for rejecting. The answer is an attestation in the audit
// log; the gate reads it as the check's outcome.

import { api, imageUrl } from '../api.js';
import { formatClock, formatDateTime, formatNumber, t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { backLink, errorLine, problemCard, showError } from './common.js';

export const NAME = 'confirm';
const MIN_REASON = 5;

/** A link to this screen from a report's check (the recording view, the board). */
export function confirmLink(recordingId, check) {
  return h('a', { class: 'btn primary confirm-link', dataset: { check },
    href: `#/recordings/${encodeURIComponent(recordingId)}/confirm/${encodeURIComponent(check)}` },
  t('confirm.open'));
}

function frameFigure(f, urls) {
  const img = h('img', { class: 'confirm-frame', alt: `${f.label} ${formatClock(f.t)}`, dataset: { role: f.role, index: String(f.index) },
    style: { width: '100%', borderRadius: '8px', background: '#000', minHeight: '120px' } });
  imageUrl(f.url).then((url) => { urls.push(url); img.src = url; }).catch(() => { img.alt = t('confirm.no_frame'); });
  return h('figure', { style: { margin: '0' } }, img,
    h('figcaption', { class: 'muted small' }, `${t(`confirm.role.${f.role}`)} · ${formatClock(f.t)}`));
}

function frameGroups(view, urls) {
  const roles = [...new Set(view.frames.map((f) => f.role))];
  if (!view.frames.length) return h('p', { class: 'card muted', id: 'confirm-no-frames' }, t('confirm.no_frames'));
  const columns = roles.length > 1 ? roles.length : Math.min(4, view.frames.length);
  const groups = roles.length > 1
    ? roles.map((role) => h('div', { class: 'confirm-group', dataset: { role } },
      h('h2', {}, t(`confirm.role.${role}`)),
      view.frames.filter((f) => f.role === role).map((f) => frameFigure(f, urls))))
    : view.frames.map((f) => frameFigure(f, urls));
  return h('div', { class: 'confirm-frames', id: 'confirm-frames',
    style: { display: 'grid', gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`, gap: '12px' } }, groups);
}

function answered(a) {
  return h('div', { class: `card decision ${a.decision === 'confirmed' ? 'ok' : 'error'}`, id: 'confirm-answer', dataset: { decision: a.decision } },
    h('strong', {}, t(`confirm.decision.${a.decision}`)), ' ',
    t('confirm.by', { name: a.actor.name, at: formatDateTime(a.created_at) }),
    a.reason ? h('div', { class: 'muted' }, a.reason) : null);
}

function answerForm(view, onDone) {
  const error = errorLine('confirm-error');
  const reason = h('textarea', { id: 'confirm-reason', rows: 3, maxlength: '2000' });
  const rejectBox = h('div', { id: 'confirm-reject-box', hidden: true },
    h('label', { for: reason.id }, t('confirm.reason')), reason,
    h('button', { class: 'btn huge', type: 'button', id: 'confirm-reject-send', style: { borderColor: 'var(--red)', color: 'var(--red)' },
      onclick: () => send('rejected', reason.value.trim()) }, t('confirm.reject_send')));
  const buttons = h('div', { class: 'row', style: { gap: '16px' } },
    h('button', { class: 'btn huge primary', type: 'button', id: 'confirm-yes', onclick: () => send('confirmed', null) },
      t(`confirm.yes.${view.check}`)),
    h('button', { class: 'btn huge', type: 'button', id: 'confirm-no', onclick: () => { rejectBox.hidden = false; reason.focus(); } },
      t(`confirm.no.${view.check}`)));
  async function send(decision, text) {
    error.hidden = true;
    if (decision === 'rejected' && (!text || text.length < MIN_REASON)) return showError(error, t('reason.too_short', { n: MIN_REASON }));
    for (const b of buttons.querySelectorAll('button')) b.disabled = true;
    try {
      const body = decision === 'rejected' ? { decision, reason: text } : { decision };
      await api(`/api/recordings/${encodeURIComponent(view.recording_id)}/checks/${encodeURIComponent(view.check)}/attestation`,
        { method: 'POST', json: body });
      await onDone();
    } catch (err) {
      showError(error, err);
      for (const b of buttons.querySelectorAll('button')) b.disabled = false;
    }
    return null;
  }
  return h('section', { class: 'card', id: 'confirm-form' }, buttons, rejectBox, error);
}

function lean(view) {
  const p = view.params || {};
  if (p.p_empty_end != null) return t('confirm.lean_empty', { p: formatNumber(p.p_empty_end, 2) });
  if (p.seen != null) return t('confirm.lean_seen', { seen: p.seen, declared: p.declared ?? '—' });
  return view.detail;
}

export async function render(root, { id, check }, ctx) {
  const urls = [];
  const draw = async () => {
    let view;
    try {
      view = await api(`/api/recordings/${encodeURIComponent(id)}/checks/${encodeURIComponent(check)}/frames`);
    } catch (err) {
      mount(root, problemCard(err));
      return;
    }
    mount(root,
      h('div', { class: 'title-row' },
        backLink(`#/recordings/${encodeURIComponent(id)}`),
        h('h1', {}, t('confirm.title', { check: t(`check.${view.check}`), number: view.declaration_number })),
        view.needs_confirmation ? h('span', { class: 'badge warn', id: 'confirm-advisory' }, t('confirm.advisory')) : null),
      h('p', { class: 'banner', id: 'confirm-question' }, t(`confirm.question.${view.check}`)),
      h('p', { class: 'muted', id: 'confirm-lean' }, t('confirm.model_says'), ' ', lean(view)),
      frameGroups(view, urls),
      view.attestation ? answered(view.attestation)
        : view.may_attest ? answerForm(view, draw)
          : h('p', { class: 'card muted', id: 'confirm-readonly' }, t(view.needs_confirmation ? 'confirm.not_yours' : 'confirm.nothing')));
  };
  await draw();
  return () => { for (const url of urls) URL.revokeObjectURL(url); };
}
