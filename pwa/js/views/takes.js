// The state line of each local recording: recorded, queued, uploading (percent), verifying,
// verified, refused (with the server's reason). Shared by the inspection and finish screens.

import { has, formatBytes, formatClock, formatDateTime, t } from '../i18n.js';
import { percent, requeue } from '../outbox.js';
import { h } from '../ui.js';

export function refusalText(error) {
  if (!error) return '';
  const key = `refusal.${error.code}`;
  return has(key) ? t(key) : t('refusal.other', { code: error.code });
}

function duration(take) {
  if (!take.ended_ms || !take.started_ms) return null;
  return formatClock((take.ended_ms - take.started_ms) / 1000);
}

export function takeRow(take) {
  const state = take.state;
  const label = state === 'uploading'
    ? t('take.state.uploading_percent', { percent: percent(take) })
    : t(`take.state.${state}`);
  const places = take.markers ? countPlaces(take.markers) : 0;
  return h('li', { class: `take take-${state}`, dataset: { clientId: take.client_id, state } },
    h('div', { class: 'row spread' },
      h('span', { class: `chip chip-${state}` }, label),
      h('span', { class: 'muted' }, formatDateTime(take.started_ms),
        duration(take) ? ` · ${duration(take)}` : '',
        take.size ? ` · ${formatBytes(take.size)}` : '')),
    state === 'uploading' ? h('progress', { max: 100, value: percent(take) }) : null,
    take.interrupted ? h('div', { class: 'note warn' }, t('take.interrupted')) : null,
    take.phase === 'recount' && places ? h('div', { class: 'muted' }, t('take.places_tapped', { n: places })) : null,
    state === 'refused' ? h('div', { class: 'error', dataset: { code: take.error ? take.error.code : '' } },
      h('strong', {}, refusalText(take.error)),
      take.error && take.error.detail ? h('div', { class: 'small' }, take.error.detail) : null,
      take.error && take.error.code !== 'empty_take'
        ? h('button', { class: 'btn', type: 'button', onclick: () => requeue(take.client_id) }, t('take.retry'))
        : null)
      : null,
    take.error && state !== 'refused' && take.error.code ? h('div', { class: 'muted small' }, t('take.will_retry')) : null);
}

/** Places counted by taps: each "place" adds one, each "undo" takes the last one back. */
export function countPlaces(markers) {
  return countKind(markers, 'place');
}

export function countKind(markers, kind) {
  const stack = [];
  for (const m of markers) {
    if (m.kind === 'undo') stack.pop();
    else if (m.kind === 'place' || m.kind === 'item') stack.push(m.kind);
  }
  return stack.filter((k) => k === kind).length;
}
