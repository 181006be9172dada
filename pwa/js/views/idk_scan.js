// One IDK scan. The operator reads the image (zoom, contrast, inversion), draws risk areas with
// notes, sees the model's suggestions as a layer, gives the verdict (final), and manages links;
// post heads and auditors see the same screen read-only. The conclusion form opens as PDF.

import { api } from '../api.js';
import { formatBytes, formatDateTime, formatNumber, has, t } from '../i18n.js';
import { openDocument } from '../media.js';
import { h, mount } from '../ui.js';
import { backLink, errorLine, failureText, problemCard, showError } from './common.js';
import { linksPanel } from './idk_links.js';
import { xrayViewer } from './xray.js';

export const NAME = 'idk_scan';

export async function render(root, { id }, ctx) {
  const role = ctx.session.user.role;
  const body = h('div', {});
  root.append(body);
  const load = async () => {
    let scan;
    try {
      scan = await api(`/api/idk/scans/${encodeURIComponent(id)}`);
    } catch (err) {
      mount(body, problemCard(err));
      return;
    }
    const editable = role === 'idk_operator' && !scan.verdict;
    const a = scan.assessment;
    let areas = scan.risk_areas;
    const viewer = xrayViewer({ scan, areas, anomalies: a ? a.anomalies : [], editable, onChange: (next) => { areas = next; }, exportKind: a ? a.export || 'raw' : 'raw' });
    mount(body,
      h('div', { class: 'title-row' },
        role === 'idk_operator' ? backLink('#/idk') : h('button', { class: 'btn ghost back', type: 'button', onclick: () => history.back() }, t('action.back')),
        h('h1', {}, t('idk_scan.title', { id: scan.image_id })),
        scan.verdict
          ? h('span', { class: `chip verdict-idk-${scan.verdict}`, id: 'scan-verdict', dataset: { verdict: scan.verdict } }, t(`idk.verdict.${scan.verdict}`))
          : h('span', { class: 'chip', id: 'scan-verdict', dataset: { verdict: '' } }, t('idk.verdict.none'))),
      h('div', { class: 'scan-grid' },
        h('section', { class: 'card scan-main' }, viewer.element),
        h('div', { class: 'scan-side' },
          editable ? verdictCard(scan, () => viewer.areas(), load) : verdictDone(scan),
          conclusionCard(scan),
          modelCard(a, scan),
          h('div', { id: 'links-slot' }),
          factsCard(scan))));
    const slot = body.querySelector('#links-slot');
    slot.replaceWith(await linksPanel(scan, { editable: role === 'idk_operator', reload: load, role }));
  };
  await load();
  return null;
}

function verdictCard(scan, areasNow, reload) {
  const error = errorLine('verdict-error');
  const give = (verdict) => async (e) => {
    error.hidden = true;
    const areas = areasNow();
    if (verdict === 'suspicion' && !areas.length && !confirm(t('idk_scan.no_areas_confirm'))) return;
    e.target.disabled = true;
    try {
      await api(`/api/idk/scans/${encodeURIComponent(scan.id)}/verdict`, { method: 'POST', json: {
        verdict, risk_areas: areas.map(({ x, y, w, h: hh, note }) => ({ x, y, w, h: hh, note: (note || '').trim() })),
      } });
      await reload();
    } catch (err) {
      showError(error, failureText(err));
      e.target.disabled = false;
    }
  };
  return h('section', { class: 'card', id: 'verdict-card' },
    h('h2', {}, t('idk_scan.verdict_title')),
    h('p', { class: 'muted small' }, t('idk_scan.verdict_hint')),
    h('div', { class: 'actions' },
      h('button', { class: 'btn record big', type: 'button', id: 'verdict-suspicion', onclick: give('suspicion') }, t('idk_scan.give_suspicion')),
      h('button', { class: 'btn primary big', type: 'button', id: 'verdict-clear', onclick: give('clear') }, t('idk_scan.give_clear'))),
    error);
}

function verdictDone(scan) {
  return h('section', { class: 'card', id: 'verdict-card' },
    h('h2', {}, t('idk_scan.verdict_title')),
    scan.verdict
      ? h('p', { id: 'verdict-by' }, h('span', { class: `chip verdict-idk-${scan.verdict}` }, t(`idk.verdict.${scan.verdict}`)), ' ',
        t('idk_scan.verdict_by', { name: scan.verdict_by ? scan.verdict_by.name : '?', at: formatDateTime(scan.verdict_at) }))
      : h('p', { class: 'muted' }, t('idk.verdict.none')));
}

function conclusionCard(scan) {
  const note = h('span', { class: 'muted small', role: 'status' });
  return h('section', { class: 'card' },
    h('h2', {}, t('idk_scan.conclusion_title')),
    h('p', { class: 'muted small' }, t(scan.verdict ? 'idk_scan.conclusion_issued' : 'idk_scan.conclusion_draft')),
    h('button', { class: 'btn', type: 'button', id: 'conclusion-pdf', onclick: async () => {
      try { await openDocument(`/api/idk/scans/${encodeURIComponent(scan.id)}/conclusion.pdf`); } catch (err) { note.textContent = failureText(err); }
    } }, t('idk_scan.conclusion')),
    note);
}

/** A consistency check in the reader's language, from its figures (not the server's text). */
function checkText(k) {
  const params = { score: formatNumber(k.score, 2), observed: formatNumber(k.observed ?? 0, 0), declared: formatNumber(k.declared ?? 0, 0) };
  if (k.name === 'loaded') params.observed = formatNumber(100 * (k.observed ?? 0), 0);
  if (k.name === 'homogeneous') params.observed = formatNumber(k.observed ?? 0, 2);
  const bad = k.score < 0.5 ? '.bad' : '';
  return has(`idk_scan.check.${k.name}${bad}`) ? t(`idk_scan.check.${k.name}${bad}`, params) : k.name;
}

/** Why there is no consistency score: nothing linked, or nothing declared the image can show. */
function consistencyNote(a) {
  const c = a.consistency;
  if (c.score != null) return t(c.score >= 0.5 ? 'idk_scan.consistency_agrees' : 'idk_scan.consistency_disagrees');
  return t(a.declaration_ids.length ? 'idk_scan.consistency_nothing' : 'idk_scan.consistency_no_declaration');
}

function reasonText(reason) {
  const [kind, name] = reason.split(':');
  return has(`idk_scan.reason.${kind}.${name}`) ? t(`idk_scan.reason.${kind}.${name}`) : reason;
}

function modelCard(a, scan) {
  const box = h('section', { class: 'card', id: 'model-card' }, h('h2', {}, t('idk_scan.model_title')));
  if (!a) {
    box.append(h('p', { class: 'muted' }, t('idk_scan.model_pending')));
    return box;
  }
  const c = a.consistency;
  box.append(...[
    h('div', { class: 'row' },
      h('span', { class: `badge ${a.flagged ? 'corridor-red' : 'status-finished'}` }, t(a.flagged ? 'idk_scan.model_flagged' : 'idk_scan.model_ok')),
      h('span', { class: 'muted small' }, a.model.name),
      scan.assessment_version ? h('span', { class: 'muted small', id: 'model-version', dataset: { version: String(scan.assessment_version) } },
        t('idk_scan.model_version', { n: scan.assessment_version, at: formatDateTime(a.assessed_at) })) : null),
    h('p', { id: 'consistency', dataset: { score: c.score == null ? '' : String(c.score) } },
      t('idk_scan.consistency', { score: c.score == null ? '—' : formatNumber(c.score, 2) }), ' ', h('span', { class: 'muted small' }, consistencyNote(a))),
    c.checks.length ? h('ul', { class: 'plain-list small' }, c.checks.map((k) => h('li', { dataset: { check: k.name } }, checkText(k)))) : null,
    a.reasons.length ? h('p', { class: 'small' }, a.reasons.map(reasonText).join(' · ')) : null,
    (a.advisory || []).length ? h('p', { class: 'small muted', id: 'model-advisory' },
      t('idk_scan.advisory', { reasons: a.advisory.map(reasonText).join(' · ') })) : null,
    exportLine(a),
    (a.warnings || []).length ? h('ul', { class: 'plain-list small', id: 'model-warnings' },
      a.warnings.map((w) => h('li', { class: w === 'xray_display_export' ? 'card warn' : 'muted', dataset: { warning: w } },
        has(`idk_scan.warning.${w}`) ? t(`idk_scan.warning.${w}`) : w))) : null,
    scan.assessment_version > 1 ? historyBox(scan) : null].filter(Boolean));
  return box;
}

/** How the scanner exported the image and whether its calibration was used. */
function exportLine(a) {
  const kind = a.export || 'raw';
  return h('p', { class: 'small', id: 'model-export', dataset: { export: kind, calibrated: String(Boolean(a.calibrated)) } },
    t('idk_scan.export', { kind: t(`idk_scan.export.${kind}`) }), ' · ',
    t(a.calibrated ? 'idk_scan.calibrated' : 'idk_scan.uncalibrated'));
}

/** Every version of the assessment (a new one each time the linked declarations changed). */
function historyBox(scan) {
  const list = h('ol', { class: 'plain-list small', id: 'model-history-list' });
  const box = h('details', { id: 'model-history' }, h('summary', {}, t('idk_scan.model_history')), list);
  box.addEventListener('toggle', async () => {
    if (!box.open || list.childElementCount) return;
    try {
      const versions = await api(`/api/idk/scans/${encodeURIComponent(scan.id)}/assessments`);
      mount(list, versions.map((v) => h('li', { dataset: { version: String(v.version), why: v.why } },
        t('idk_scan.history_line', {
          n: v.version, at: formatDateTime(v.created_at),
          why: has(`idk_scan.why.${v.why}`) ? t(`idk_scan.why.${v.why}`) : v.why,
          score: v.assessment.consistency.score == null ? '—' : formatNumber(v.assessment.consistency.score, 2),
        }))));
    } catch (err) {
      mount(list, h('li', { class: 'error' }, failureText(err)));
    }
  });
  return box;
}

function factsCard(scan) {
  const facts = [
    [t('idk_scan.scanner'), scan.scanner],
    [t('idk_scan.scanned_at'), formatDateTime(scan.scanned_at)],
    scan.composition_number ? [t('idk_scan.composition_label'), scan.composition_number] : null,
    scan.wagon_number ? [t('declaration.wagons'), scan.wagon_number] : null,
    scan.container_numbers.length ? [t('declaration.containers'), scan.container_numbers.join(', ')] : null,
    [t('idk_scan.image'), `${scan.width}×${scan.height}${scan.bit_depth ? ` · ${t('idk_scan.bits', { n: scan.bit_depth })}` : ''} · ${formatBytes(scan.image_size)}`],
  ].filter(Boolean);
  return h('section', { class: 'card' }, h('h2', {}, t('idk_scan.facts')),
    scan.wagon_number_invalid
      ? h('p', { class: 'card warn', id: 'wagon-invalid', role: 'status' }, t('idk_scan.wagon_invalid', { wagon: scan.wagon_number })) : null,
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
}
