// The post head's live board: every inspection at the post with its phase, the time spent
// against the policy's minimum, recording and upload state, and the checks so far. The board
// is fetched once and again after every change the server streams (GET /api/board/stream).

import { api } from '../api.js';
import { formatClock, formatDateTime, formatNumber, t } from '../i18n.js';
import { openStream } from '../sse.js';
import { h, mount } from '../ui.js';
import { checkChips, problemCard } from './common.js';

export const NAME = 'board';
const REFETCH_DEBOUNCE_MS = 250;
const STALLED_MS = 120000;

export async function render(root, params, ctx) {
  const live = h('span', { class: 'badge warn', id: 'live', dataset: { state: 'connecting' } }, t('board.connecting'));
  const stamp = h('span', { class: 'muted small', id: 'board-stamp' });
  const list = h('div', { class: 'board', id: 'board' });
  root.append(h('div', { class: 'title-row' }, h('h1', {}, t('board.title')), live, stamp), list);

  let board = null;
  let skewMs = 0; // server clock minus this device's clock, for the running timers
  let timer = null;
  let inFlight = null;
  let again = false;

  const load = async () => {
    if (inFlight) { again = true; return inFlight; }
    inFlight = (async () => {
      try {
        board = await api('/api/board');
        skewMs = new Date(board.generated_at).getTime() - Date.now();
        stamp.textContent = t('board.updated', { at: formatDateTime(board.generated_at) });
        draw();
      } catch (err) {
        mount(list, problemCard(err));
      }
    })();
    await inFlight;
    inFlight = null;
    if (again) { again = false; await load(); }
    return null;
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(load, REFETCH_DEBOUNCE_MS); };

  const draw = () => {
    if (!board) return;
    const items = board.inspections;
    const open = items.filter((i) => i.status !== 'finished');
    const done = items.filter((i) => i.status === 'finished');
    const names = (board.on_shift || []).map((u) => u.name).join(', ');
    mount(list,
      h('p', { class: 'muted', id: 'board-shift', dataset: { count: String((board.on_shift || []).length) } },
        names ? t('board.on_shift', { names }) : t('board.nobody_on_shift')),
      items.length ? null : h('p', { class: 'card muted' }, t('board.empty')),
      h('div', { class: 'cards board-cards' }, open.map((i) => card(i, skewMs))),
      done.length ? h('h2', {}, t('board.finished')) : null,
      h('div', { class: 'cards board-cards' }, done.map((i) => card(i, skewMs))));
  };

  await load();
  const close = openStream('/api/board/stream', {
    onEvent: (ev) => { if (['ready', 'change', 'resync'].includes(ev.event)) soon(); },
    onState: (state) => {
      live.dataset.state = state;
      live.className = `badge ${state === 'open' ? 'live' : 'warn'}`;
      live.textContent = t(state === 'open' ? 'board.live' : state === 'closed' ? 'board.closed' : 'board.reconnecting');
    },
  });
  // the running clocks of inspections in progress
  const tick = setInterval(() => {
    list.querySelectorAll('[data-started]').forEach((el) => {
      const elapsed = (Date.now() + skewMs - new Date(el.dataset.started).getTime()) / 1000;
      el.textContent = formatClock(elapsed);
      const bar = el.closest('.board-card').querySelector('progress');
      if (bar) bar.value = Math.min(Number(bar.max), elapsed);
    });
  }, 1000);
  return () => { close(); clearInterval(tick); clearTimeout(timer); };
}

function elapsedBlock(item, skewMs) {
  const running = item.status === 'in_progress' && item.started_at;
  const elapsed = running
    ? (Date.now() + skewMs - new Date(item.started_at).getTime()) / 1000
    : item.elapsed_s;
  const short = item.status === 'finished' && elapsed != null && elapsed < item.min_total_s;
  return h('div', { class: 'elapsed' },
    h('div', { class: 'row spread' },
      h('span', {}, t('board.elapsed'), ' ',
        h('strong', { class: `clock${short ? ' short' : ''}`, dataset: running ? { started: item.started_at } : {} },
          elapsed == null ? '—' : formatClock(elapsed))),
      h('span', { class: 'muted' }, t('board.minimum', { time: formatClock(item.min_total_s) }))),
    h('progress', { max: String(Math.max(1, item.min_total_s)), value: String(Math.min(item.min_total_s, elapsed || 0)) }),
    short ? h('div', { class: 'note warn' }, t('board.too_fast')) : null);
}

function phaseRow(p, item) {
  const uploads = item.uploads.filter((u) => u.phase === p.phase);
  const expected = item.expected.filter((e) => e.phase === p.phase);
  return h('li', { class: `board-phase phase-${p.state}`, dataset: { phase: p.phase, state: p.state } },
    h('div', { class: 'row spread' },
      h('strong', {}, t(`phase.${p.phase}`)),
      h('span', { class: 'row' },
        h('span', { class: `chip server-${p.state}` }, t(`phase_state.${p.state}`)),
        p.verdict ? h('span', { class: `chip verdict-${p.verdict}` }, t(`verdict.${p.verdict}`)) : null)),
    h('div', { class: 'muted small' },
      p.recorded_s != null
        ? t('board.recorded_of', { time: formatClock(p.recorded_s), min: formatClock(p.min_seconds) })
        : t('board.min_only', { min: formatClock(p.min_seconds) }),
      p.short ? h('span', { class: 'error' }, ` · ${t('board.phase_short')}`) : null),
    p.checks.length ? h('div', { class: 'row checks-row' }, checkChips(p.checks)) : null,
    uploads.map((u) => uploadLine(u)),
    expected.map((e) => h('div', { class: `small ${e.overdue ? 'error' : 'muted'}`, dataset: { expected: e.client_id } },
      t(e.overdue ? 'board.expected_overdue' : 'board.expected', { at: formatDateTime(e.deadline_at) }))),
    p.recording_id ? h('a', { class: 'btn small-btn', href: `#/recordings/${encodeURIComponent(p.recording_id)}` }, t('board.open_recording')) : null);
}

function uploadLine(u) {
  const pct = u.length ? Math.floor((100 * (u.committed || 0)) / u.length) : null;
  const stalled = u.moving_since && Date.now() - new Date(u.moving_since).getTime() > STALLED_MS;
  return h('div', { class: `upload small${stalled ? ' error' : ''}`, dataset: { upload: u.id } },
    pct == null ? t('board.uploading_bytes', { n: formatNumber(u.committed || 0) }) : t('board.uploading_percent', { percent: pct }),
    stalled ? ` · ${t('board.upload_stalled', { at: formatDateTime(u.moving_since) })}` : '',
    pct != null ? h('progress', { max: '100', value: String(pct) }) : null);
}

function card(item, skewMs) {
  return h('article', { class: 'card board-card', dataset: { id: item.id, status: item.status, declarationId: item.declaration_id } },
    h('div', { class: 'row spread' },
      h('a', { class: 'number', href: `#/declarations/${encodeURIComponent(item.declaration_id)}` }, item.number),
      h('span', { class: 'row' },
        h('span', { class: `badge corridor-${item.corridor}` }, t(`corridor.${item.corridor}`)),
        h('span', { class: `badge status-${item.status}`, dataset: { role: 'status' } }, t(`inspection_status.${item.status}`)))),
    h('div', { class: 'muted' },
      item.inspector ? t('board.inspector', { name: item.inspector.name }) : t('board.no_inspector'),
      item.vehicle_plate ? ` · ${item.vehicle_plate}` : '',
      ` · ${t(`procedure.${item.procedure}`)}`),
    item.reasons.length ? h('div', { class: 'muted small' }, item.reasons.map((r) => t(`reason.${r}`)).join(' · ')) : null,
    elapsedBlock(item, skewMs),
    h('ul', { class: 'board-phases' }, item.phases.map((p) => phaseRow(p, item))),
    h('div', { class: 'row spread' },
      h('span', {}, t('board.places', {
        counted: item.places_counted == null ? '—' : formatNumber(item.places_counted),
        declared: formatNumber(item.places_declared),
      })),
      h('a', { class: 'btn', href: `#/inspections/${encodeURIComponent(item.id)}` }, t('board.details'))));
}
