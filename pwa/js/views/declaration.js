// One declaration as the post head and the auditor see it: the decision (who released it,
// over which conditions), the release gate, the inspection and its recordings, the linked IDK
// scans, the evidence package and, for auditors, the declaration's audit trail.

import { api } from '../api.js';
import { formatDateTime, formatNumber, t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { backLink, decisionLine, downloadButton, problemCard } from './common.js';
import { decisionPanel } from './release.js';
import { auditTrail } from './trail.js';

export const NAME = 'declaration';

export async function render(root, { id }, ctx) {
  const role = ctx.session.user.role;
  const body = h('div', { class: 'declaration-page' });
  root.append(body);
  const load = async () => {
    let d;
    let gate;
    try {
      [d, gate] = await Promise.all([
        api(`/api/declarations/${encodeURIComponent(id)}`),
        api(`/api/declarations/${encodeURIComponent(id)}/gate`),
      ]);
    } catch (err) {
      mount(body, problemCard(err));
      return;
    }
    const inspection = d.inspection ? await api(`/api/inspections/${encodeURIComponent(d.inspection.id)}`).catch(() => null) : null;
    mount(body,
      h('div', { class: 'title-row' },
        backLink(role === 'post_head' ? '#/decisions' : '#/search'),
        h('h1', {}, t('declaration.heading', { number: d.number })),
        h('span', { class: `badge corridor-${d.corridor}` }, t(`corridor.${d.corridor}`)),
        h('span', { class: `badge decl-${d.status}`, id: 'declaration-status', dataset: { status: d.status } }, t(`declaration_status.${d.status}`))),
      decisionLine(d.decision),
      h('div', { class: 'split' },
        h('div', {},
          decisionPanel(d, gate, { canDecide: role === 'post_head', reload: load }),
          inspectionCard(d, inspection)),
        h('div', {},
          evidenceCard(d),
          scansCard(d),
          factsCard(d))),
      role === 'auditor' || role === 'admin' ? auditTrail('declaration', d.id) : null);
  };
  await load();
  return null;
}

function inspectionCard(d, inspection) {
  const box = h('section', { class: 'card', id: 'inspection-card' }, h('h2', {}, t('declaration.inspection')));
  if (!d.inspection) {
    box.append(h('p', { class: 'muted' }, t(d.inspection_required ? 'declaration.inspection_missing' : 'declaration.no_inspection')));
    return box;
  }
  box.append(h('div', { class: 'row' },
    h('span', { class: `badge status-${d.inspection.status}` }, t(`inspection_status.${d.inspection.status}`)),
    d.inspection_reasons.length ? h('span', { class: 'muted' }, d.inspection_reasons.map((r) => t(`reason.${r}`)).join(' · ')) : null));
  if (inspection) {
    box.append(h('ul', { class: 'plain-list' }, inspection.phases.map((p) => h('li', { class: 'row spread', dataset: { phase: p.phase } },
      h('span', {}, t(`phase.${p.phase}`)),
      h('span', { class: 'row' },
        h('span', { class: `chip server-${p.state}` }, t(`phase_state.${p.state}`)),
        p.verdict ? h('span', { class: `chip verdict-${p.verdict}` }, t(`verdict.${p.verdict}`)) : null,
        p.recording_id ? h('a', { class: 'btn', href: `#/recordings/${encodeURIComponent(p.recording_id)}`, dataset: { recording: p.recording_id } }, t('declaration.watch')) : null)))));
    if (inspection.places_counted != null) {
      box.append(h('p', {}, t('board.places', { counted: formatNumber(inspection.places_counted), declared: formatNumber(d.places_total) })));
    }
  }
  box.append(h('a', { class: 'btn', href: `#/inspections/${encodeURIComponent(d.inspection.id)}`, id: 'open-inspection' }, t('declaration.open_inspection')));
  return box;
}

function evidenceCard(d) {
  return h('section', { class: 'card', id: 'evidence-card' },
    h('h2', {}, t('evidence.title')),
    h('p', { class: 'muted small' }, t('evidence.hint')),
    downloadButton({
      id: 'evidence-package', label: t('evidence.download'), name: `evidence-${d.number}.zip`,
      path: () => `/api/declarations/${encodeURIComponent(d.id)}/evidence-package`,
    }));
}

function scansCard(d) {
  return h('section', { class: 'card', id: 'scans-card' },
    h('h2', {}, t('idk.title')),
    d.linked_scan_ids.length
      ? h('div', { class: 'row' }, d.linked_scan_ids.map((sid, i) => h('a', { class: 'btn', href: `#/idk/${encodeURIComponent(sid)}`, dataset: { scan: sid } }, t('declaration.scan_n', { n: i + 1 }))))
      : h('p', { class: 'muted' }, t('idk.none')));
}

function factsCard(d) {
  const tr = d.transport;
  const facts = [
    [t('declaration.declarant'), d.declarant],
    [t('declaration.procedure'), t(`procedure.${d.procedure}`)],
    [t('declaration.post'), d.post_code],
    [t('declaration.arrived'), formatDateTime(d.created_at)],
    d.declared_corridor !== d.corridor ? [t('declaration.declared_corridor'), t(`corridor.${d.declared_corridor}`)] : null,
    tr.vehicle_plate ? [t('declaration.plate'), tr.vehicle_plate] : null,
    tr.wagons.length ? [t('declaration.wagons'), tr.wagons.join(', ')] : null,
    tr.containers.length ? [t('declaration.containers'), tr.containers.join(', ')] : null,
    [t('declaration.places_total'), formatNumber(d.places_total)],
  ].filter(Boolean);
  return h('section', { class: 'card' },
    h('h2', {}, t('declaration.title')),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('table', { class: 'lines' },
      h('thead', {}, h('tr', {}, ['declaration.hs_code', 'declaration.goods', 'declaration.places', 'declaration.gross_kg'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, d.lines.map((l) => h('tr', {},
        h('td', {}, l.hs_code), h('td', {}, l.description),
        h('td', { class: 'num' }, formatNumber(l.places)), h('td', { class: 'num' }, formatNumber(l.gross_kg, 1)))))));
}
