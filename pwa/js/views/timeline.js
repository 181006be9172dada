// The recording's timeline under the player: one lane per check that names video times (its
// verdict's colour), one lane of tap markers (taps on "+1 place" / "+1 item"), and the playhead.
// A click on a stretch, a marker or anywhere on a lane seeks the video there.

import { formatClock, t } from '../i18n.js';
import { h } from '../ui.js';

const TICKS = 4;

export function timeline({ duration, checks = [], markers = [], onSeek }) {
  let total = Math.max(0.001, duration || 0);
  const lanes = [];
  const heads = [];
  const positioned = []; // [element, start, end | null]

  const pct = (s) => `${Math.max(0, Math.min(100, (100 * s) / total))}%`;
  const place = () => {
    for (const [el, start, end] of positioned) {
      el.style.left = pct(start);
      if (end != null) el.style.width = `calc(${pct(Math.max(end, start) )} - ${pct(start)})`;
    }
    ruler.replaceChildren(...Array.from({ length: TICKS + 1 }, (_, i) => h('span', { style: { left: `${(100 * i) / TICKS}%` } }, formatClock((total * i) / TICKS))));
  };
  const seekFromLane = (e) => {
    if (e.target !== e.currentTarget) return; // a stretch or a marker seeks to its own time
    const r = e.currentTarget.getBoundingClientRect();
    onSeek(((e.clientX - r.left) / r.width) * total);
  };
  const lane = (label, children, extra = {}) => {
    const head = h('div', { class: 'tl-head' });
    heads.push(head);
    const el = h('div', { class: 'tl-lane', onclick: seekFromLane, ...extra }, head, children);
    lanes.push(h('div', { class: 'tl-label' }, label), el);
  };

  const ruler = h('div', { class: 'tl-ruler' });
  lanes.push(h('div', { class: 'tl-label' }), ruler);
  for (const c of checks.filter((x) => (x.times || []).length)) {
    lane(h('span', {}, t(`check.${c.name}`), ' ', h('span', { class: `chip verdict-${c.verdict}` }, t(`verdict.${c.verdict}`))),
      c.times.map(([start, end]) => {
        const el = h('button', {
          class: `tl-span verdict-${c.verdict}`, type: 'button', dataset: { check: c.name, start: String(start) },
          title: `${t(`check.${c.name}`)} ${formatClock(start)}–${formatClock(end)}`,
          'aria-label': t('player.seek_to', { time: formatClock(start) }), onclick: () => onSeek(start),
        });
        positioned.push([el, start, end]);
        return el;
      }), { dataset: { lane: c.name } });
  }
  lane(t('player.markers'), markers.map((m, i) => {
    const el = h('button', {
      class: `tl-marker marker-${m.kind}`, type: 'button', dataset: { marker: String(i), t: String(m.t) },
      title: `${t(`marker.${m.kind === 'item' ? 'item' : 'place'}`)} ${formatClock(m.t)}`,
      'aria-label': t('player.seek_to', { time: formatClock(m.t) }), onclick: () => onSeek(m.t),
    }, String(i + 1));
    positioned.push([el, m.t, null]);
    return el;
  }), { dataset: { lane: 'markers' } });
  const element = h('div', { class: 'timeline', id: 'timeline' }, lanes,
    markers.length ? null : h('p', { class: 'muted small tl-empty' }, t('player.no_markers')));
  place();

  return {
    element,
    setDuration(d) {
      if (d && Number.isFinite(d) && d > 0) { total = d; place(); }
    },
    setTime(s) {
      for (const head of heads) head.style.left = pct(s);
    },
  };
}
