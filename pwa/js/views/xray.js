// The X-ray image on a canvas, as operators read it: zoom (buttons, wheel, pinch) and pan,
// contrast, brightness and inversion; the operator's risk areas (red, numbered) and the model's
// suggestions (cyan, dashed) as layers that can be hidden; in edit mode a drag draws a new
// risk area, which then takes a note. Coordinates are image pixels, as the API stores them.

import { imageUrl } from '../api.js';
import { formatNumber, t } from '../i18n.js';
import { h, mount } from '../ui.js';

export const RISK_COLOUR = '#ff2a2a';
export const MODEL_COLOUR = '#00e5ff';
const MIN_AREA_PX = 3;
const MAX_ZOOM = 16;
const urls = new Map(); // scan id -> blob URL, kept while the app runs (images are immutable)

export async function scanImage(scanId) {
  if (!urls.has(scanId)) urls.set(scanId, await imageUrl(`/api/idk/scans/${encodeURIComponent(scanId)}/display`));
  return urls.get(scanId);
}

function toggle(id, label, on, onchange) {
  const button = h('button', { class: `btn toggle${on ? ' on' : ''}`, type: 'button', id, 'aria-pressed': String(on), onclick: () => {
    const next = button.getAttribute('aria-pressed') !== 'true';
    button.setAttribute('aria-pressed', String(next));
    button.classList.toggle('on', next);
    onchange(next);
  } }, label);
  return button;
}

function slider(id, label, value, min, max, oninput) {
  const input = h('input', { type: 'range', id, min: String(min), max: String(max), value: String(value), step: '5', class: 'range', oninput: (e) => oninput(Number(e.target.value)) });
  return h('label', { class: 'slider', for: id }, h('span', {}, label), input);
}

/**
 * @param scan the scan (id, width, height)
 * @param areas risk areas [{x, y, w, h, note}]; in edit mode the viewer owns and changes them
 * @param anomalies the model's suggestions [{x, y, w, h, score, kind}]
 * @param exportKind how the image was exported (raw | display | inverted): on a display copy
 *   the suggestions are advisory and the legend says so
 */
export function xrayViewer({ scan, areas = [], anomalies = [], editable = false, onChange = () => {}, idPrefix = 'xray', exportKind = 'raw' }) {
  const state = {
    areas: areas.map((a) => ({ ...a, note: a.note || '' })),
    contrast: 100, brightness: 100, invert: false, showAreas: true, showModel: anomalies.length > 0,
    mode: editable ? 'draw' : 'pan', s: 1, ox: 0, oy: 0, fitS: 1, drag: null, img: null,
    iw: scan.width, ih: scan.height,
  };
  const canvas = h('canvas', { class: 'xray-canvas', id: `${idPrefix}-canvas`, tabindex: '0', 'aria-label': t('idk.image_alt', { id: scan.image_id || scan.id }) });
  const stage = h('div', { class: 'xray-stage' }, canvas);
  const status = h('p', { class: 'muted small', hidden: true, id: `${idPrefix}-status` });
  const areaList = h('ol', { class: 'risk-notes editable-notes', id: `${idPrefix}-areas` });
  const modelList = h('ul', { class: 'plain-list small', id: `${idPrefix}-model` });
  const ctx = canvas.getContext('2d');
  const size = () => ({ W: canvas.clientWidth, H: canvas.clientHeight });

  function fit() {
    const { W, H } = size();
    state.fitS = Math.min(W / state.iw, H / state.ih) || 1;
    state.s = state.fitS;
    state.ox = (W - state.iw * state.s) / 2;
    state.oy = (H - state.ih * state.s) / 2;
  }

  function zoomAt(factor, cx, cy) {
    const s = Math.min(state.fitS * MAX_ZOOM, Math.max(state.fitS * 0.5, state.s * factor));
    state.ox = cx - ((cx - state.ox) * s) / state.s;
    state.oy = cy - ((cy - state.oy) * s) / state.s;
    state.s = s;
    draw();
  }

  function rect(a, colour, { dashed = false, label = null, fill = null } = {}) {
    const x = state.ox + a.x * state.s;
    const y = state.oy + a.y * state.s;
    const w = a.w * state.s;
    const hh = a.h * state.s;
    if (fill) { ctx.fillStyle = fill; ctx.fillRect(x, y, w, hh); }
    ctx.setLineDash(dashed ? [8, 5] : []);
    ctx.lineWidth = 3;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x, y, w, hh);
    ctx.setLineDash([]);
    if (label) {
      ctx.font = 'bold 16px system-ui, sans-serif';
      const tw = ctx.measureText(label).width + 8;
      ctx.fillStyle = '#000';
      ctx.fillRect(x, y - 20 < 0 ? y : y - 20, tw, 20);
      ctx.fillStyle = colour === RISK_COLOUR ? '#ffef00' : colour;
      ctx.fillText(label, x + 4, (y - 20 < 0 ? y : y - 20) + 15);
    }
  }

  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const { W, H } = size();
    if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
      canvas.width = Math.round(W * dpr);
      canvas.height = Math.round(H * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, W, H);
    if (state.img) {
      ctx.imageSmoothingEnabled = state.s < 2;
      ctx.filter = `contrast(${state.contrast}%) brightness(${state.brightness}%)${state.invert ? ' invert(1)' : ''}`;
      ctx.drawImage(state.img, state.ox, state.oy, state.iw * state.s, state.ih * state.s);
      ctx.filter = 'none';
    }
    if (state.showModel) {
      anomalies.forEach((a) => rect(a, MODEL_COLOUR, { dashed: true, label: `${t(`anomaly.${a.kind}`)} ${formatNumber(a.score, 2)}` }));
    }
    if (state.showAreas) state.areas.forEach((a, i) => rect(a, RISK_COLOUR, { label: String(i + 1), fill: 'rgba(255, 0, 0, 0.12)' }));
    if (state.drag) rect(normalised(state.drag), RISK_COLOUR, { dashed: true });
    Object.assign(canvas.dataset, { s: String(state.s), ox: String(state.ox), oy: String(state.oy), areas: String(state.areas.length) });
  }

  const toImage = (e) => {
    const r = canvas.getBoundingClientRect();
    const x = (e.clientX - r.left - state.ox) / state.s;
    const y = (e.clientY - r.top - state.oy) / state.s;
    return { x: Math.min(state.iw, Math.max(0, x)), y: Math.min(state.ih, Math.max(0, y)) };
  };
  function normalised(d) {
    const x = Math.round(Math.min(d.x0, d.x1));
    const y = Math.round(Math.min(d.y0, d.y1));
    return { x, y, w: Math.round(Math.max(d.x0, d.x1)) - x, h: Math.round(Math.max(d.y0, d.y1)) - y };
  }

  // pointers: one draws (edit mode) or pans, two pinch-zoom
  const pointers = new Map();
  let pan = null;
  let pinch = null;
  canvas.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    canvas.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 2) {
      state.drag = null;
      const [a, b] = [...pointers.values()];
      pinch = { d: Math.hypot(a.x - b.x, a.y - b.y), s: state.s };
      return;
    }
    if (state.mode === 'draw') {
      const p = toImage(e);
      state.drag = { x0: p.x, y0: p.y, x1: p.x, y1: p.y };
    } else {
      pan = { x: e.clientX, y: e.clientY, ox: state.ox, oy: state.oy };
    }
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!pointers.has(e.pointerId)) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pinch && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const r = canvas.getBoundingClientRect();
      zoomAt((pinch.s * Math.hypot(a.x - b.x, a.y - b.y)) / pinch.d / state.s, (a.x + b.x) / 2 - r.left, (a.y + b.y) / 2 - r.top);
    } else if (state.drag) {
      const p = toImage(e);
      state.drag.x1 = p.x;
      state.drag.y1 = p.y;
      draw();
    } else if (pan) {
      state.ox = pan.ox + e.clientX - pan.x;
      state.oy = pan.oy + e.clientY - pan.y;
      draw();
    }
  });
  const release = (e) => {
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = null;
    pan = null;
    if (state.drag && e.type === 'pointerup') {
      const area = normalised(state.drag);
      state.drag = null;
      if (area.w >= MIN_AREA_PX && area.h >= MIN_AREA_PX) {
        state.areas.push({ ...area, note: '' });
        changed();
        const inputs = areaList.querySelectorAll('input');
        if (inputs.length) inputs[inputs.length - 1].focus();
      }
    }
    state.drag = null;
    draw();
  };
  canvas.addEventListener('pointerup', release);
  canvas.addEventListener('pointercancel', release);
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });

  function changed() {
    renderAreas();
    draw();
    onChange(state.areas.map((a) => ({ ...a })));
  }

  function renderAreas() {
    mount(areaList, state.areas.map((a, i) => h('li', { dataset: { index: String(i) } },
      editable
        ? h('span', { class: 'row area-row' },
          h('input', { value: a.note, maxlength: '1000', placeholder: t('xray.note_placeholder'), 'aria-label': t('xray.note_for', { n: i + 1 }),
            oninput: (e) => { a.note = e.target.value; onChange(state.areas.map((x) => ({ ...x }))); } }),
          h('button', { class: 'btn', type: 'button', 'aria-label': t('xray.remove_area', { n: i + 1 }), onclick: () => { state.areas.splice(i, 1); changed(); } }, '✕'))
        : h('span', {}, a.note || t('idk.area_no_note')),
      h('span', { class: 'muted small' }, ` ${a.w}×${a.h} @ ${a.x},${a.y}`))));
    if (!state.areas.length) areaList.append(h('li', { class: 'muted no-count' }, t(editable ? 'xray.draw_hint' : 'idk.no_areas')));
  }

  const modeButton = editable ? h('button', { class: 'btn', type: 'button', id: `${idPrefix}-mode`, 'aria-pressed': 'true', onclick: () => {
    state.mode = state.mode === 'draw' ? 'pan' : 'draw';
    modeButton.textContent = t(state.mode === 'draw' ? 'xray.mode_draw' : 'xray.mode_pan');
    modeButton.setAttribute('aria-pressed', String(state.mode === 'draw'));
    canvas.dataset.mode = state.mode;
  } }, t('xray.mode_draw')) : null;
  const invertButton = h('button', { class: 'btn', type: 'button', id: `${idPrefix}-invert`, 'aria-pressed': 'false', onclick: () => {
    state.invert = !state.invert;
    invertButton.setAttribute('aria-pressed', String(state.invert));
    invertButton.classList.toggle('primary', state.invert);
    draw();
  } }, t('xray.invert'));
  const centre = () => { const { W, H } = size(); return [W / 2, H / 2]; };
  const toolbar = h('div', { class: 'xray-tools' },
    h('button', { class: 'btn', type: 'button', id: `${idPrefix}-zoom-in`, 'aria-label': t('xray.zoom_in'), onclick: () => zoomAt(1.5, ...centre()) }, '+'),
    h('button', { class: 'btn', type: 'button', id: `${idPrefix}-zoom-out`, 'aria-label': t('xray.zoom_out'), onclick: () => zoomAt(1 / 1.5, ...centre()) }, '−'),
    h('button', { class: 'btn', type: 'button', id: `${idPrefix}-fit`, onclick: () => { fit(); draw(); } }, t('xray.fit')),
    invertButton, modeButton,
    slider(`${idPrefix}-contrast`, t('xray.contrast'), 100, 50, 400, (v) => { state.contrast = v; draw(); }),
    slider(`${idPrefix}-brightness`, t('xray.brightness'), 100, 30, 300, (v) => { state.brightness = v; draw(); }),
    toggle(`${idPrefix}-layer-areas`, t('xray.layer_areas'), true, (on) => { state.showAreas = on; draw(); }),
    anomalies.length ? toggle(`${idPrefix}-layer-model`, t('xray.layer_model'), state.showModel, (on) => { state.showModel = on; draw(); }) : null);

  if (anomalies.length) {
    mount(modelList, anomalies.map((a) => h('li', {}, h('span', { class: 'model-swatch' }), ` ${t(`anomaly.${a.kind}`)} · ${t('xray.score', { score: formatNumber(a.score, 2) })} · ${a.w}×${a.h} @ ${a.x},${a.y}`)));
    if (exportKind === 'display') modelList.append(h('li', { class: 'warn small', id: `${idPrefix}-model-advisory` }, t('xray.model_advisory_display')));
  } else {
    mount(modelList, h('li', { class: 'muted' }, t('xray.no_model')));
  }
  renderAreas();
  canvas.dataset.mode = state.mode;
  stage.style.setProperty('--ratio', String(state.iw / state.ih));
  new ResizeObserver(() => { fit(); draw(); }).observe(stage);

  const element = h('div', { class: 'xray', dataset: { scanId: scan.id } }, toolbar, stage, status,
    h('div', { class: 'xray-legend' },
      h('div', {}, h('h3', {}, t('xray.areas_title')), areaList),
      h('div', {}, h('h3', {}, t('xray.model_title')), modelList)));

  scanImage(scan.id).then((url) => {
    const img = new Image();
    img.onload = () => {
      state.img = img;
      state.iw = img.naturalWidth || state.iw;
      state.ih = img.naturalHeight || state.ih;
      fit();
      draw();
      canvas.dataset.loaded = '1';
    };
    img.onerror = () => { status.textContent = t('idk.image_unsupported'); status.hidden = false; canvas.dataset.loaded = 'error'; };
    img.src = url;
  }).catch(() => { status.textContent = t('idk.image_unavailable'); status.hidden = false; canvas.dataset.loaded = 'error'; });

  return { element, areas: () => state.areas.map((a) => ({ ...a })), canvas };
}
