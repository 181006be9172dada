// The validation report of a recording as the pipeline wrote it: the verdict, every check with
// its score, threshold, detail and the video times behind it (each seeks the player), the
// intake's integrity facts, the pipeline version and the models with their hashes.

import { api } from '../api.js';
import { codeText, formatClock, formatDateTime, formatNumber, serverText, t } from '../i18n.js';
import { h } from '../ui.js';
import { reasonForm } from './common.js';
import { confirmLink } from './confirm.js';

function yesNo(value) {
  if (value == null) return h('span', { class: 'muted' }, '—');
  return h('span', { class: `chip ${value ? 'verdict-pass' : 'verdict-fail'}` }, t(value ? 'report.yes' : 'report.no'));
}

function integrityBlock(integrity) {
  if (!integrity) return null;
  return h('dl', { class: 'facts small', id: 'integrity' },
    h('dt', {}, t('report.hash_ok')), h('dd', {}, yesNo(integrity.hash_ok)),
    h('dt', {}, t('report.chain_ok')), h('dd', {}, yesNo(integrity.chain_ok)),
    h('dt', {}, t('report.signature_ok')), h('dd', {}, yesNo(integrity.signature_ok)),
    h('dt', {}, t('report.device_approved')), h('dd', {}, yesNo(integrity.device_approved)),
    h('dt', {}, t('report.announced_chain_ok')), h('dd', {}, yesNo(integrity.announced_chain_ok)),
    h('dt', {}, t('report.received_at')), h('dd', {}, formatDateTime(integrity.server_received_at)),
    h('dt', {}, t('report.clock_skew')), h('dd', {}, t('report.seconds', { n: formatNumber(integrity.clock_skew_s, 1) })));
}

/** A check's finding in the reader's language (its code and params); the pipeline's English
 * detail only where no code is known and the screen is English. */
export function findingText(c) {
  return (c.code ? codeText(`check.code.${c.code}`, c.params) : null) ?? serverText(c.detail, 'en');
}

/** What the report means for the evidence: failed (re-record the phase) or not judged. */
function summary(v) {
  const names = (cs) => cs.map((c) => t(`check.${c.name}`)).join(', ');
  const failed = v.checks.filter((c) => c.verdict === 'fail');
  if (failed.length) {
    return h('p', { class: 'card error', id: 'report-summary', dataset: { verdict: 'fail' } },
      t('report.failed_summary', { checks: names(failed), reason: findingText(failed[0]) || t('verdict.fail') }));
  }
  const unavailable = v.checks.filter((c) => c.verdict === 'unavailable');
  if (unavailable.length) {
    return h('p', { class: 'card warn', id: 'report-summary', dataset: { verdict: 'unavailable' } },
      t('report.unavailable_summary', { checks: names(unavailable) }));
  }
  return null;
}

function revalidateForm(recording) {
  const done = h('p', { class: 'muted small', id: 'revalidate-done', hidden: true });
  const form = reasonForm({
    id: 'revalidate-form', label: t('revalidate.reason'), min: 10, submit: t('revalidate.submit'), kind: '',
    onSubmit: async (reason) => {
      const out = await api(`/api/recordings/${encodeURIComponent(recording.id)}/revalidate`, { method: 'POST', json: { reason } });
      done.textContent = t('revalidate.queued', { n: out.version });
      done.hidden = false;
    },
  });
  return h('details', { class: 'more-actions', id: 'revalidate' }, h('summary', { class: 'btn ghost' }, t('revalidate.title')), form, done);
}

export function reportCard(recording, onSeek, { canRevalidate = false } = {}) {
  const v = recording.validation;
  const box = h('section', { class: 'card', id: 'report' },
    h('div', { class: 'row spread' },
      h('h2', {}, t('report.title')),
      v ? h('span', { class: `chip verdict-${v.verdict}`, id: 'report-verdict' }, t(`verdict.${v.verdict}`))
        : h('span', { class: `chip server-${recording.state}` }, t(`phase_state.${recording.state}`))));
  if (!v) {
    box.append(h('p', { class: 'muted' }, t('report.pending')));
  } else {
    const meaning = summary(v);
    if (meaning) box.append(meaning);
    box.append(h('ul', { class: 'plain-list report-checks' }, v.checks.map((c) => h('li', { class: 'report-check', dataset: { check: c.name, verdict: c.verdict } },
      h('div', { class: 'row spread' },
        h('strong', {}, t(`check.${c.name}`)),
        h('span', { class: 'row' },
          c.score != null ? h('span', { class: 'muted small' }, t('report.score', { score: formatNumber(c.score, 2), threshold: c.threshold == null ? '—' : formatNumber(c.threshold, 2) })) : null,
          h('span', { class: `chip verdict-${c.verdict}` }, t(`verdict.${c.verdict}`)))),
      findingText(c) ? h('div', { class: 'small finding', dataset: { code: c.code || '' } }, findingText(c)) : null,
      c.needs_confirmation ? h('div', { class: 'row' }, h('span', { class: 'chip verdict-warn' }, t('confirm.advisory')), confirmLink(recording.id, c.name)) : null,
      (c.times || []).length ? h('div', { class: 'row' }, c.times.map(([s, e]) => h('button', {
        class: 'btn time-btn', type: 'button', dataset: { seek: String(s) }, onclick: () => onSeek(s),
      }, `${formatClock(s)}–${formatClock(e)}`))) : null))));
    box.append(h('p', { class: 'muted small' }, t('report.pipeline', { version: v.pipeline_version }),
      v.version ? ` · ${t('report.version', { n: v.version })}` : '',
      (v.models || []).map((m) => h('span', { class: 'model-ref' }, ` · ${m.name} ${String(m.sha256 || '').slice(0, 12)}`))));
  }
  box.append(h('h3', {}, t('report.integrity')), integrityBlock(recording.integrity) || h('p', { class: 'muted' }, '—'),
    h('p', { class: 'muted small hash' }, t('report.sha256', { hash: recording.sha256 || '—' })));
  if (canRevalidate && v && !['received', 'validating'].includes(recording.state)) box.append(revalidateForm(recording));
  return box;
}
