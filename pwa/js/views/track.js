// The recording's GPS track drawn over the post's geofence on a canvas: a plain equirectangular
// projection around the middle latitude (no map tiles, nothing from the network), each fix's
// accuracy as a faint circle, fixes inside the fence green and outside red, a scale bar, and
// the position at the player's current time.

import { formatNumber, t } from '../i18n.js';
import { h } from '../ui.js';

export const TRACK_COLOUR = '#e67e00';
export const FENCE_COLOUR = '#0b3d91';
const INSIDE = '#0a6b2a';
const OUTSIDE = '#b00000';
const M_PER_DEG = 111320;
const PAD = 0.1;
const MIN_SPAN_M = 250; // a close-up still shows a quarter kilometre around the track

/** Ray casting on [lon, lat] pairs. */
export function inside(lon, lat, ring) {
  let ok = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) ok = !ok;
  }
  return ok;
}

function niceMetres(m) {
  const steps = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
  return steps.reverse().find((s) => s <= m) || 10;
}

export function trackMap({ track = [], geofence = null }) {
  const ring = geofence && geofence.type === 'Polygon' && geofence.coordinates.length ? geofence.coordinates[0] : [];
  const points = track.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
  const canvas = h('canvas', { class: 'track-canvas', id: 'track-canvas', 'aria-label': t('track.title') });
  const insideCount = points.filter((p) => ring.length && inside(p.lon, p.lat, ring)).length;
  canvas.dataset.points = String(points.length);
  canvas.dataset.inside = String(insideCount);
  const legend = h('p', { class: 'small track-legend' },
    h('span', { class: 'swatch fence' }), ` ${t('track.fence')} `,
    h('span', { class: 'swatch track' }), ` ${t('track.track')} `,
    points.length ? t('track.counts', { inside: insideCount, total: points.length }) : t('track.none'));
  let now = null;
  // A tablet at the bay moves a few metres inside a fence a kilometre or more across: when every
  // fix is inside, the map starts close up on the track; "whole geofence" shows both.
  let whole = !points.length || insideCount < points.length || !ring.length;

  const allLats = [...points.map((p) => p.lat), ...ring.map((c) => c[1])];
  const lat0 = allLats.length ? (Math.min(...allLats) + Math.max(...allLats)) / 2 : 0;
  const kx = Math.cos((lat0 * Math.PI) / 180);

  function bounds() {
    const use = whole ? [...points.map((p) => [p.lon, p.lat]), ...ring] : points.map((p) => [p.lon, p.lat]);
    let x0 = Math.min(...use.map((c) => c[0] * kx));
    let x1 = Math.max(...use.map((c) => c[0] * kx));
    let y0 = Math.min(...use.map((c) => c[1]));
    let y1 = Math.max(...use.map((c) => c[1]));
    if (!whole) {
      const min = MIN_SPAN_M / M_PER_DEG;
      if (x1 - x0 < min) { const c = (x0 + x1) / 2; x0 = c - min / 2; x1 = c + min / 2; }
      if (y1 - y0 < min) { const c = (y0 + y1) / 2; y0 = c - min / 2; y1 = c + min / 2; }
    }
    return { x0, x1, y0, y1 };
  }

  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const W = canvas.clientWidth;
    const H = canvas.clientHeight;
    if (!W || !H) return;
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#f4f6f9';
    ctx.fillRect(0, 0, W, H);
    if (!allLats.length) return;
    const { x0, x1, y0, y1 } = bounds();
    const span = Math.max(x1 - x0, y1 - y0, 1e-6);
    const scale = Math.min(W / ((x1 - x0 || span) * (1 + 2 * PAD)), H / ((y1 - y0 || span) * (1 + 2 * PAD)));
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    canvas.dataset.view = whole ? 'fence' : 'track';
    const px = (lon, lat) => [W / 2 + (lon * kx - cx) * scale, H / 2 - (lat - cy) * scale];
    const pxPerMetre = scale / M_PER_DEG;

    if (ring.length) {
      ctx.beginPath();
      ring.forEach(([lon, lat], i) => { const [x, y] = px(lon, lat); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
      ctx.closePath();
      ctx.fillStyle = 'rgba(11, 61, 145, 0.12)';
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = FENCE_COLOUR;
      ctx.stroke();
    }
    ctx.fillStyle = 'rgba(230, 126, 0, 0.08)';
    for (const p of points) {
      if (!p.acc) continue;
      const [x, y] = px(p.lon, p.lat);
      ctx.beginPath();
      ctx.arc(x, y, Math.max(2, p.acc * pxPerMetre), 0, 2 * Math.PI);
      ctx.fill();
    }
    if (points.length > 1) {
      ctx.beginPath();
      points.forEach((p, i) => { const [x, y] = px(p.lon, p.lat); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
      ctx.lineWidth = 4;
      ctx.lineJoin = 'round';
      ctx.strokeStyle = TRACK_COLOUR;
      ctx.stroke();
    }
    for (const p of points) {
      const [x, y] = px(p.lon, p.lat);
      ctx.beginPath();
      ctx.arc(x, y, 4, 0, 2 * Math.PI);
      ctx.fillStyle = ring.length && !inside(p.lon, p.lat, ring) ? OUTSIDE : INSIDE;
      ctx.fill();
    }
    if (now) {
      const [x, y] = px(now.lon, now.lat);
      ctx.beginPath();
      ctx.arc(x, y, 8, 0, 2 * Math.PI);
      ctx.fillStyle = '#000';
      ctx.fill();
      ctx.lineWidth = 3;
      ctx.strokeStyle = '#fff';
      ctx.stroke();
    }
    // scale bar, bottom left
    const metres = niceMetres((W * 0.3) / pxPerMetre);
    const len = metres * pxPerMetre;
    ctx.fillStyle = '#000';
    ctx.fillRect(12, H - 18, len, 4);
    ctx.font = '13px system-ui, sans-serif';
    ctx.fillText(metres >= 1000 ? `${formatNumber(metres / 1000)} ${t('unit.km')}` : `${metres} ${t('unit.m')}`, 12, H - 24);
  }

  new ResizeObserver(draw).observe(canvas);
  const fitButton = h('button', { class: 'btn', type: 'button', id: 'track-fit', hidden: !points.length || !ring.length, onclick: () => {
    whole = !whole;
    fitButton.textContent = t(whole ? 'track.show_close' : 'track.show_fence');
    draw();
  } }, t(whole ? 'track.show_close' : 'track.show_fence'));
  const element = h('section', { class: 'card', id: 'track-card' },
    h('div', { class: 'row spread' }, h('h2', {}, t('track.title')), fitButton), canvas, legend);
  return {
    element,
    canvas,
    /** The fix interpolated at video time `s`, drawn as a black dot. */
    setTime(s) {
      if (!points.length) return;
      let i = points.findIndex((p) => p.t >= s);
      if (i < 0) i = points.length - 1;
      const b = points[i];
      const a = points[Math.max(0, i - 1)];
      const f = b.t === a.t ? 0 : Math.max(0, Math.min(1, (s - a.t) / (b.t - a.t)));
      now = { lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f };
      draw();
    },
  };
}
