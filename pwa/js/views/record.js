// Filming one phase at the vehicle: big timer against the minimum, GPS and storage state,
// "+1 место" for the recount (and "+1 предмет" for the opening), clear failures.

import { inspections } from '../api.js';
import { GeoWatch, permission } from '../geo.js';
import { formatBytes, formatClock, t } from '../i18n.js';
import { PhaseRecorder, cameraErrorKey, expectedBytes, storageEstimate } from '../recorder.js';
import { h, mount } from '../ui.js';
import { problemCard } from './inspections.js';
import { countKind } from './takes.js';

export const NAME = 'record';
const COUNTERS = { recount: ['place'], opening: ['item', 'place'] };

export async function render(root, { id, phase }, ctx) {
  let view;
  try {
    view = await inspections.get(id);
  } catch (err) {
    root.append(problemCard(err));
    return null;
  }
  const info = view.phases.find((p) => p.phase === phase) || { min_seconds: 0 };
  const minSeconds = info.min_seconds;
  // The fix is sought from the moment the screen opens, not from «Начать запись».
  const geo = new GeoWatch();
  const recorder = new PhaseRecorder({ inspectionId: id, phase, userId: ctx.session.user.id, geo });
  const markers = [];

  const backHref = `#/inspections/${encodeURIComponent(id)}`;
  const back = h('a', { class: 'btn ghost back', id: 'record-back', href: backHref }, t('action.back'));
  const video = h('video', { class: 'preview', playsinline: true, muted: true, autoplay: true });
  const recDot = h('span', { class: 'rec-dot', hidden: true }, t('record.rec'));
  const elapsedEl = h('div', { class: 'timer', id: 'timer' }, formatClock(0));
  const minEl = h('div', { class: 'timer-min' }, t('record.minimum', { time: formatClock(minSeconds) }));
  const bar = h('progress', { class: 'min-progress', max: Math.max(1, minSeconds), value: 0 });
  const gpsEl = h('div', { class: 'status-line', id: 'gps' }, t('record.gps_waiting'));
  const storageEl = h('div', { class: 'status-line', id: 'storage' });
  const problems = h('div', { class: 'problems' });
  const startBtn = h('button', { class: 'btn record huge', type: 'button', id: 'start', disabled: true }, t('record.start'));
  const stopBtn = h('button', { class: 'btn stop huge', type: 'button', id: 'stop', hidden: true }, t('record.stop'));
  const stopWarn = h('p', { class: 'note warn', hidden: true }, t('record.below_minimum'));
  const counters = h('div', { class: 'counters', hidden: true });
  const done = h('div', { class: 'card ok', hidden: true });

  root.append(
    h('div', { class: 'title-row' },
      back,
      h('h1', {}, t(`phase.${phase}`)),
      h('span', { class: 'muted' }, view.declaration.number)),
    h('p', { class: 'muted' }, t(`phase.${phase}.hint`)),
    h('div', { class: 'record-grid' },
      h('div', { class: 'video-box' }, video, recDot),
      h('div', { class: 'controls' },
        elapsedEl, minEl, bar, gpsEl, storageEl, problems, startBtn, stopBtn, stopWarn, counters, done)),
  );

  // --- counters (recount: places; opening: items and places)
  const kinds = COUNTERS[phase] || [];
  const countEls = {};
  const refreshCounts = () => kinds.forEach((k) => { countEls[k].textContent = String(countKind(markers, k)); });
  mount(counters,
    kinds.map((kind) => {
      countEls[kind] = h('output', { class: 'count', id: `count-${kind}` }, '0');
      return h('div', { class: 'counter' },
        h('button', { class: 'btn tap', type: 'button', id: `tap-${kind}`, onclick: () => {
          const m = recorder.mark(kind);
          if (m) { markers.push(m); refreshCounts(); navigator.vibrate && navigator.vibrate(30); }
        } }, t(`record.tap_${kind}`)),
        h('div', { class: 'count-box' }, h('span', { class: 'muted' }, t(`record.count_${kind}`)), countEls[kind]));
    }),
    kinds.length ? h('button', { class: 'btn undo', type: 'button', id: 'tap-undo', onclick: () => {
      const m = recorder.mark('undo');
      if (m) { markers.push(m); refreshCounts(); }
    } }, t('record.undo')) : null);

  const problem = (key, extra) => problems.append(h('div', { class: 'card error', role: 'alert', dataset: { problem: key } },
    h('strong', {}, t(key)), h('p', {}, t(`${key}.fix`)), extra || null));

  // --- storage: shown before recording starts
  const estimate = await storageEstimate(expectedBytes(Math.max(minSeconds, 60) * 2));
  if (estimate) {
    storageEl.textContent = t('record.storage_free', { free: formatBytes(estimate.free) });
    if (estimate.nearlyFull) {
      storageEl.classList.add('warn');
      problem('error.storage_low');
    }
  }

  // --- GPS: shown before recording starts
  const showGps = (point, error) => {
    gpsEl.classList.toggle('warn', !!error);
    gpsEl.dataset.state = point ? 'fix' : error ? 'error' : 'waiting';
    gpsEl.textContent = point ? t('record.gps_fix', { acc: Math.round(point.acc) }) : error ? t(error) : t('record.gps_waiting');
  };
  geo.addEventListener('fix', (e) => showGps(e.detail, null));
  geo.addEventListener('error', (e) => showGps(null, e.detail));

  // --- permissions
  if ((await permission('geolocation')) === 'denied') problem('error.location_denied');
  geo.start();
  try {
    await recorder.open(video);
    startBtn.disabled = false;
  } catch (err) {
    problem(cameraErrorKey(err), h('button', { class: 'btn', type: 'button', onclick: () => ctx.navigate(location.hash) }, t('action.try_again')));
  }

  let ticker = null;
  const tick = () => {
    const s = recorder.elapsed();
    elapsedEl.textContent = formatClock(s);
    bar.value = Math.min(s, bar.max);
    elapsedEl.classList.toggle('reached', s >= minSeconds);
  };

  recorder.addEventListener('gps', (e) => showGps(e.detail.point, e.detail.error));

  // «Назад» and «Выйти» would end the take: not offered while recording.
  const logoutBtn = document.getElementById('logout');
  const lockLeaving = (locked) => {
    back.classList.toggle('disabled', locked);
    back.style.opacity = locked ? '0.5' : '';
    back.style.pointerEvents = locked ? 'none' : '';
    back.setAttribute('aria-disabled', String(locked));
    if (locked) back.removeAttribute('href');
    else back.setAttribute('href', backHref);
    if (logoutBtn) logoutBtn.disabled = locked;
  };
  recorder.addEventListener('error', () => problem('error.storage_write'));
  recorder.addEventListener('state', (e) => {
    if (e.detail !== 'done') return;
    clearInterval(ticker);
    recDot.hidden = true;
    stopBtn.hidden = true;
    counters.hidden = true;
    stopWarn.hidden = true;
    document.body.classList.remove('recording');
    lockLeaving(false);
    mount(done,
      h('strong', {}, t(recorder.take && recorder.take.interrupted ? 'record.saved_interrupted' : 'record.saved')),
      h('p', {}, t('record.saved_hint')),
      h('a', { class: 'btn primary big', href: `#/inspections/${encodeURIComponent(id)}`, id: 'back-to-inspection' }, t('record.back_to_inspection')));
    done.hidden = false;
  });

  startBtn.addEventListener('click', async () => {
    startBtn.disabled = true;
    try {
      await recorder.start();
    } catch (err) {
      problem('error.recorder_failed', h('div', { class: 'small' }, String(err && err.message)));
      startBtn.disabled = false;
      return;
    }
    document.body.classList.add('recording');
    lockLeaving(true);
    startBtn.hidden = true;
    stopBtn.hidden = false;
    recDot.hidden = false;
    counters.hidden = !kinds.length;
    ticker = setInterval(tick, 250);
  });

  let armed = false;
  stopBtn.addEventListener('click', async () => {
    if (recorder.elapsed() < minSeconds && !armed) {
      armed = true;
      stopWarn.hidden = false;
      return;
    }
    stopBtn.disabled = true;
    await recorder.stop();
  });

  return async () => {
    clearInterval(ticker);
    document.body.classList.remove('recording');
    // Leaving mid-take is an interruption: the take is kept, flagged and queued.
    if (recorder.state === 'recording') await recorder.stop({ interrupted: true });
    else if (recorder.finished) await recorder.finished;
    lockLeaving(false);
    geo.stop();
    recorder.close();
  };
}
