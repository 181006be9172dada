// One inspection: what was declared, the IDK image with its risk areas, and the phases to
// film with their state on the server and on this tablet. Validation results arrive by polling.

import { ApiError, imageUrl, inspections } from '../api.js';
import { getTake, onTakesChanged, takesFor } from '../db.js';
import { device } from '../device.js';
import { formatClock, formatDateTime, formatNumber, t } from '../i18n.js';
import { h, mount, svg } from '../ui.js';
import { problemCard } from './inspections.js';
import { takeRow } from './takes.js';

export const NAME = 'inspection';

/** Required phases with nothing recorded yet: no recording on the server and no take on this
 * tablet (a take still uploading counts; one the server refused does not). */
export function missingPhases(view, takes) {
  const taken = new Set(takes.filter((tk) => tk.state !== 'refused').map((tk) => tk.phase));
  return view.phases.filter((p) => p.state === 'missing' && !taken.has(p.phase)).map((p) => p.phase);
}

/** What is still to record, said before «Завершить» is offered. */
export function missingCard(missing) {
  return h('div', { class: 'card warn', id: 'finish-missing', role: 'status', dataset: { missing: missing.join(' ') } },
    h('strong', {}, t('finish.missing_title', { n: missing.length })),
    h('ul', {}, missing.map((phase) => h('li', { dataset: { phase } }, t(`phase.${phase}`)))),
    h('p', { class: 'muted small' }, t('finish.missing_hint')));
}
const POLL_MS = 8000;
const images = new Map(); // scan id -> object URL, kept across re-renders

export async function render(root, { id }, ctx) {
  let view;
  try {
    view = await inspections.get(id);
  } catch (err) {
    root.append(problemCard(err));
    return null;
  }
  const phasesBox = h('section', { class: 'card phases', id: 'phases' });
  const actions = h('div', { class: 'actions' });
  const headerBox = h('div', { class: 'title-row' });
  const message = h('p', { class: 'error', role: 'alert', hidden: true });
  root.append(
    headerBox,
    message,
    actions,
    h('div', { class: 'inspection-grid' }, phasesBox, idkCard(view), declarationCard(view.declaration)),
  );

  const tablet = await device();
  const redraw = async () => {
    const takes = await takesFor(id);
    mount(headerBox, header(view), tablet && tablet.name
      ? h('span', { class: 'muted small', id: 'tablet-name' }, t('device.name', { name: tablet.name })) : null);
    mount(phasesBox, phasesContent(view, takes));
    mount(actions, actionButtons(view, ctx, message, async () => { view = await inspections.get(id); redraw(); }, takes));
  };
  const refetch = async () => {
    try {
      const fresh = await inspections.get(id);
      if (!fresh.fromCache || view.fromCache) view = fresh;
    } catch {
      // keep showing what we have
    }
    redraw();
  };
  await redraw();
  // A take the server just confirmed (or refused) changes the phase's state there: ask again.
  const stopWatching = onTakesChanged(async ({ client_id: cid }) => {
    const take = await getTake(cid);
    if (take && (take.state === 'verified' || take.state === 'refused')) refetch();
    else redraw();
  });
  const poll = setInterval(() => { if (navigator.onLine) refetch(); }, POLL_MS);
  window.addEventListener('online', refetch);
  return () => { clearInterval(poll); stopWatching(); window.removeEventListener('online', refetch); };
}

function header(view) {
  const d = view.declaration;
  return [
    h('a', { class: 'btn ghost back', href: '#/inspections' }, t('action.back')),
    h('h1', {}, t('inspection.title', { number: d.number })),
    h('span', { class: `badge corridor-${d.corridor}` }, t(`corridor.${d.corridor}`)),
    h('span', { class: `badge status-${view.status}`, id: 'inspection-status' }, t(`inspection_status.${view.status}`)),
    view.fromCache ? h('span', { class: 'badge warn', dataset: { cached: '1' } }, t('offline.cached_copy')) : null];
}

function actionButtons(view, ctx, message, reload, takes) {
  if (view.status === 'assigned') {
    return h('button', { class: 'btn primary big', type: 'button', id: 'start-inspection', onclick: async (e) => {
      e.target.disabled = true;
      message.hidden = true;
      try {
        await inspections.start(view.id);
        await reload();
      } catch (err) {
        message.textContent = err instanceof ApiError && (err.code === 'network' || err.code === 'offline')
          ? t('inspection.start_offline') : `${t('error.action_failed')} ${err.detail || ''}`;
        message.hidden = false;
        e.target.disabled = false;
      }
    } }, t('inspection.start'));
  }
  if (view.status === 'in_progress') {
    const missing = missingPhases(view, takes);
    if (missing.length) return missingCard(missing);
    return h('a', { class: 'btn big', href: `#/inspections/${encodeURIComponent(view.id)}/finish`, id: 'go-finish' }, t('inspection.finish'));
  }
  return h('p', { class: 'note' }, t('inspection.finished_at', { at: formatDateTime(view.finished_at) }));
}

function phasesContent(view, takes) {
  const canRecord = view.status === 'in_progress' || view.status === 'finished';
  return [
    h('h2', {}, t('inspection.phases')),
    h('ul', { class: 'phase-list' }, view.phases.map((p) => {
      const mine = takes.filter((tk) => tk.phase === p.phase).reverse();
      return h('li', { class: `phase phase-${p.state}`, dataset: { phase: p.phase, state: p.state } },
        h('div', { class: 'phase-head' },
          h('div', {},
            h('h3', {}, t(`phase.${p.phase}`)),
            h('div', { class: 'muted' }, t(`phase.${p.phase}.hint`)),
            h('div', { class: 'muted' }, t('phase.min_duration', { time: formatClock(p.min_seconds) }))),
          h('div', { class: 'phase-side' },
            h('span', { class: `chip server-${p.state}` }, t(`phase_state.${p.state}`)),
            p.verdict ? h('span', { class: `chip verdict-${p.verdict}` }, t(`verdict.${p.verdict}`)) : null,
            canRecord
              ? h('a', { class: 'btn record big', href: `#/inspections/${encodeURIComponent(view.id)}/record/${p.phase}`, dataset: { record: p.phase } },
                t(p.state === 'missing' && !mine.length ? 'phase.record' : 'phase.record_again'))
              : null)),
        mine.length ? h('ul', { class: 'takes' }, mine.map(takeRow)) : null);
    })),
  ];
}

function declarationCard(d) {
  const tr = d.transport;
  const facts = [
    [t('declaration.declarant'), d.declarant],
    [t('declaration.procedure'), t(`procedure.${d.procedure}`)],
    tr.vehicle_plate ? [t('declaration.plate'), tr.vehicle_plate] : null,
    tr.wagons.length ? [t('declaration.wagons'), tr.wagons.join(', ')] : null,
    tr.containers.length ? [t('declaration.containers'), tr.containers.join(', ')] : null,
    [t('declaration.places_total'), formatNumber(d.places_total)],
  ].filter(Boolean);
  return h('section', { class: 'card', id: 'declaration' },
    h('h2', {}, t('declaration.title')),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('table', { class: 'lines' },
      h('thead', {}, h('tr', {},
        ['declaration.hs_code', 'declaration.goods', 'declaration.packaging', 'declaration.places', 'declaration.gross_kg', 'declaration.net_kg']
          .map((k) => h('th', {}, t(k))))),
      h('tbody', {}, d.lines.map((l) => h('tr', {},
        h('td', {}, l.hs_code), h('td', {}, l.description), h('td', {}, l.packaging),
        h('td', { class: 'num' }, formatNumber(l.places)), h('td', { class: 'num' }, formatNumber(l.gross_kg, 1)),
        h('td', { class: 'num' }, formatNumber(l.net_kg, 1)))))));
}

function idkCard(view) {
  const box = h('section', { class: 'card', id: 'idk' }, h('h2', {}, t('idk.title')));
  if (!view.scans.length) {
    box.append(h('p', { class: 'muted' }, t('idk.none')));
    return box;
  }
  for (const scan of view.scans) {
    const areas = view.risk_areas.filter((a) => a.scan_id === scan.id);
    box.append(scanFigure(scan, areas));
  }
  return box;
}

function scanFigure(scan, areas) {
  const img = h('img', { alt: t('idk.image_alt', { id: scan.image_id }) });
  const overlay = svg('svg', { class: 'risk-overlay', viewBox: `0 0 ${scan.width} ${scan.height}`, preserveAspectRatio: 'none' },
    areas.map((a, i) => svg('g', {},
      svg('rect', { x: a.x, y: a.y, width: a.w, height: a.h, class: 'risk-area', 'vector-effect': 'non-scaling-stroke' }),
      svg('text', { x: a.x + 2, y: a.y + Math.max(10, scan.height * 0.08), class: 'risk-label', 'font-size': Math.max(10, scan.height * 0.08) }, String(i + 1)))));
  // Tapping the image shows it full screen (and back): risk areas are hard to see at column size.
  const frame = h('div', {
    class: 'scan-frame', role: 'button', tabindex: '0', title: t('idk.tap_to_enlarge'),
    style: { aspectRatio: `${scan.width} / ${scan.height}`, '--ratio': String(scan.width / scan.height) },
    onclick: (e) => e.currentTarget.closest('.scan').classList.toggle('expanded'),
  }, img, overlay);
  const status = h('p', { class: 'muted small', hidden: true });
  const show = async () => {
    try {
      if (!images.has(scan.id)) images.set(scan.id, await imageUrl(`/api/idk/scans/${encodeURIComponent(scan.id)}/display`));
      img.src = images.get(scan.id);
      img.onerror = () => { status.textContent = t('idk.image_unsupported'); status.hidden = false; };
    } catch {
      status.textContent = t('idk.image_unavailable');
      status.hidden = false;
    }
  };
  show();
  return h('figure', { class: 'scan', dataset: { scanId: scan.id } },
    frame, status,
    h('figcaption', {},
      h('div', { class: 'row' },
        h('strong', {}, scan.image_id),
        scan.verdict ? h('span', { class: `chip verdict-idk-${scan.verdict}` }, t(`idk.verdict.${scan.verdict}`)) : h('span', { class: 'chip' }, t('idk.verdict.none')),
        h('span', { class: 'muted' }, formatDateTime(scan.scanned_at))),
      h('div', { class: 'muted' }, [scan.wagon_number, ...scan.container_numbers].filter(Boolean).join(' · ')),
      areas.length
        ? h('ol', { class: 'risk-notes' }, areas.map((a) => h('li', {}, a.note || t('idk.area_no_note'))))
        : h('p', { class: 'muted' }, t('idk.no_areas'))));
}
