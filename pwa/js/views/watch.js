// One inspection as the post head and the auditor see it: phases and every recording (each
// opens in the player), counts and the discrepancy note; the post head may reassign it to
// another inspector on shift with a logged reason.

import { api } from '../api.js';
import { formatBytes, formatDateTime, formatNumber, t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { backLink, problemCard, reasonForm } from './common.js';
import { auditTrail } from './trail.js';

export const NAME = 'watch';
const MIN_REASON = 10;

export async function render(root, { id }, ctx) {
  const role = ctx.session.user.role;
  const body = h('div', {});
  root.append(body);
  const load = async () => {
    let v;
    try {
      v = await api(`/api/inspections/${encodeURIComponent(id)}`);
    } catch (err) {
      mount(body, problemCard(err));
      return;
    }
    const d = v.declaration;
    const inspector = await inspectorName(v, role);
    const message = h('p', { class: 'note', role: 'status', id: 'reassigned', hidden: true });
    const reassign = role === 'post_head' && v.status !== 'finished' ? reasonForm({
      id: 'reassign-form', label: t('watch.reassign_reason'), min: MIN_REASON, submit: t('watch.reassign'), kind: '',
      onSubmit: async (reason) => {
        await api(`/api/inspections/${encodeURIComponent(id)}/reassign`, { method: 'POST', json: { reason } });
        await load();
        const note = body.querySelector('#reassigned');
        if (note) { note.textContent = t('watch.reassigned'); note.hidden = false; }
      },
    }) : null;
    mount(body,
      h('div', { class: 'title-row' },
        backLink(role === 'post_head' ? '#/board' : `#/declarations/${encodeURIComponent(v.declaration_id)}`),
        h('h1', {}, t('watch.title', { number: d.number })),
        h('span', { class: `badge corridor-${d.corridor}` }, t(`corridor.${d.corridor}`)),
        h('span', { class: `badge status-${v.status}`, id: 'inspection-status' }, t(`inspection_status.${v.status}`))),
      message,
      h('div', { class: 'split' },
        h('div', {},
          h('section', { class: 'card' },
            h('h2', {}, t('inspection.phases')),
            h('ul', { class: 'plain-list' }, v.phases.map((p) => phaseItem(p, v.recordings)))),
          countsCard(v)),
        h('div', {},
          h('section', { class: 'card' },
            h('h2', {}, t('watch.facts')),
            h('dl', { class: 'facts' },
              h('dt', {}, t('watch.reasons')), h('dd', {}, v.reasons.map((r) => t(`reason.${r}`)).join(' · ') || '—'),
              h('dt', {}, t('watch.started')), h('dd', {}, formatDateTime(v.started_at) || '—'),
              h('dt', {}, t('watch.finished')), h('dd', {}, formatDateTime(v.finished_at) || '—'),
              h('dt', {}, t('watch.inspector')), h('dd', { id: 'inspector-name' }, inspector)),
            h('a', { class: 'btn', href: `#/declarations/${encodeURIComponent(v.declaration_id)}` }, t('watch.declaration'))),
          reassign ? h('section', { class: 'card' }, h('h2', {}, t('watch.reassign_title')), h('p', { class: 'muted small' }, t('watch.reassign_hint')), reassign) : null)),
      role === 'auditor' || role === 'admin' ? auditTrail('inspection', v.id) : null);
  };
  await load();
  return null;
}

/** The inspection carries only the inspector's id: the name comes from the board (post head)
 * or from the declaration search (auditors), which list it. */
async function inspectorName(v, role) {
  if (!v.inspector_id) return '—';
  try {
    if (role === 'post_head') {
      const item = (await api('/api/board')).inspections.find((i) => i.id === v.id);
      if (item && item.inspector) return item.inspector.name;
    } else {
      const [hit] = await api(`/api/search/declarations?number=${encodeURIComponent(v.declaration.number)}&limit=1`);
      const who = hit && hit.inspectors.find((i) => i.id === v.inspector_id);
      if (who) return who.name;
    }
  } catch {
    // the id below is still true
  }
  return v.inspector_id.slice(0, 8);
}

function phaseItem(p, recordings) {
  const takes = recordings.filter((r) => r.phase === p.phase).sort((a, b) => b.version - a.version);
  return h('li', { class: 'watch-phase', dataset: { phase: p.phase, state: p.state } },
    h('div', { class: 'row spread' },
      h('strong', {}, t(`phase.${p.phase}`)),
      h('span', { class: 'row' },
        h('span', { class: `chip server-${p.state}` }, t(`phase_state.${p.state}`)),
        p.verdict ? h('span', { class: `chip verdict-${p.verdict}` }, t(`verdict.${p.verdict}`)) : null)),
    takes.length ? h('ul', { class: 'plain-list takes' }, takes.map((r) => h('li', { class: 'row spread take' },
      h('span', { class: 'small' }, t('watch.version', { n: r.version }), ' · ', formatDateTime(r.created_at), r.size ? ` · ${formatBytes(r.size)}` : ''),
      h('a', { class: 'btn', href: `#/recordings/${encodeURIComponent(r.id)}`, dataset: { recording: r.id } }, t('declaration.watch'))))) : null);
}

function countsCard(v) {
  return h('section', { class: 'card' },
    h('h2', {}, t('finish.counts')),
    h('dl', { class: 'facts' },
      h('dt', {}, t('declaration.places_total')), h('dd', {}, formatNumber(v.declaration.places_total)),
      h('dt', {}, t('finish.places_counted')), h('dd', {}, v.places_counted == null ? '—' : formatNumber(v.places_counted)),
      v.items_counted != null ? [h('dt', {}, t('finish.items_counted')), h('dd', {}, formatNumber(v.items_counted))] : null,
      v.discrepancy_note ? [h('dt', {}, t('finish.discrepancy_note')), h('dd', {}, v.discrepancy_note)] : null));
}
