// GPS for a take. `GeoWatch` seeks a fix as soon as the record screen opens and keeps the
// latest one; `Track` records a point of the take at least every STAMP_EVERY_MS.
// watchPosition reports on change only (Chromium, and a tablet standing still), and asking
// again while a watch is open returns nothing new, so when no new fix came the last fix is
// recorded again with its real fix time (`fix_t`) and accuracy, as a receiver's stream would:
// the server tells a repeat from a fresh fix and judges speed by fix times.

export const STAMP_EVERY_MS = 5000;
const TICK_MS = 1000;
const FIRST_FIX_MS = 15000; // no fix by then: tell the inspector (the watch goes on)
const OPTIONS = { enableHighAccuracy: true, maximumAge: 0 };

function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** 'granted' | 'denied' | 'prompt' | 'unknown' */
export async function permission(name) {
  try {
    return (await navigator.permissions.query({ name })).state;
  } catch {
    return 'unknown';
  }
}

/** A geolocation error code as our catalogue names it. */
export function geoErrorKey(err) {
  if (!err) return null;
  if (err.code === 1) return 'error.location_denied';
  if (err.code === 3) return 'error.location_timeout';
  return 'error.location_unavailable';
}

/** The receiver: `last` is the latest fix {lat, lon, acc, ms} (ms = when it was taken). */
export class GeoWatch extends EventTarget {
  constructor() {
    super();
    this.last = null;
    this.error = null;
  }

  start() {
    if (this.watch != null || this.closed) return;
    if (!('geolocation' in navigator)) {
      this.fail({ code: 2 });
      return;
    }
    this.watch = navigator.geolocation.watchPosition((pos) => this.fix(pos), (err) => this.fail(err), OPTIONS);
    this.firstFixTimer = setTimeout(() => { if (!this.last) this.fail({ code: 3 }); }, FIRST_FIX_MS);
  }

  fix(pos) {
    if (this.closed) return;
    const now = Date.now();
    this.last = {
      lat: round(pos.coords.latitude, 7),
      lon: round(pos.coords.longitude, 7),
      acc: round(Math.max(0, pos.coords.accuracy || 0), 1),
      // the fix's own time; a receiver's clock slightly ahead of ours is not the future
      ms: Math.min(now, Number(pos.timestamp) || now),
    };
    this.error = null;
    this.dispatchEvent(new CustomEvent('fix', { detail: this.last }));
  }

  fail(err) {
    if (this.closed) return;
    const key = geoErrorKey(err);
    // A timeout while a fix is held means nothing moved; losing the fix or the permission
    // means the last fix no longer stands for where the tablet is.
    if (err.code === 3 && this.last) return;
    if (err.code !== 3) this.last = null;
    this.error = key;
    this.dispatchEvent(new CustomEvent('error', { detail: key }));
  }

  stop() {
    this.closed = true;
    if (this.watch != null) navigator.geolocation.clearWatch(this.watch);
    clearTimeout(this.firstFixTimer);
    this.watch = null;
  }
}

export class Track {
  /** `onChange(point | null, errorKey | null)` is told about each point and each failure. */
  constructor(startedMs, geo, onChange) {
    this.startedMs = startedMs;
    this.geo = geo;
    this.onChange = onChange;
    this.points = [];
    this.last = null;
    this.error = geo.error;
    this.fixT = new Map(); // fix ms -> t of the point that first recorded it in this take
  }

  start() {
    this.onFix = (e) => this.record(e.detail, false);
    this.onError = (e) => { this.error = e.detail; this.onChange && this.onChange(null, e.detail); };
    this.geo.addEventListener('fix', this.onFix);
    this.geo.addEventListener('error', this.onError);
    this.geo.start();
    // A fix held from before the take starts the track at t = 0, as a repeat of that fix.
    if (this.geo.last) this.record(this.geo.last, true);
    else if (this.geo.error) this.onChange && this.onChange(null, this.geo.error);
    this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  elapsed(now = Date.now()) {
    return Math.max(0, round((now - this.startedMs) / 1000, 3));
  }

  tick(force = false) {
    const fix = this.geo.last;
    if (this.stopped || !fix) return;
    const since = this.last ? Date.now() - (this.startedMs + this.last.t * 1000) : Infinity;
    if (force || since >= STAMP_EVERY_MS) this.record(fix, true);
  }

  /** A point at the end of the take (`endedMs`), so the track reaches it. */
  finish(endedMs = Date.now()) {
    clearInterval(this.ticker);
    const fix = this.geo.last;
    if (fix && fix.ms <= endedMs && !this.stopped && (!this.last || this.elapsed(endedMs) > this.last.t)) this.record(fix, true, endedMs);
  }

  record(fix, repeat, now = Date.now()) {
    if (this.stopped) return;
    const t = this.elapsed(now);
    const point = { t, lat: fix.lat, lon: fix.lon, acc: fix.acc };
    const first = this.fixT.get(fix.ms);
    if (first !== undefined) {
      point.fix_t = first;
    } else if (repeat || fix.ms < this.startedMs) {
      // a fix taken before the take (negative) or not recorded yet: its real time
      point.fix_t = round((fix.ms - this.startedMs) / 1000, 3);
      this.fixT.set(fix.ms, point.fix_t);
    } else {
      this.fixT.set(fix.ms, t);
    }
    if (point.fix_t !== undefined && point.fix_t >= t) delete point.fix_t;
    const prev = this.points[this.points.length - 1];
    if (prev && prev.t === t) return;
    this.points.push(point);
    this.last = point;
    this.error = null;
    this.onChange && this.onChange(point, null);
  }

  stop() {
    this.stopped = true; // a late answer must not change a finished take's track
    clearInterval(this.ticker);
    if (this.onFix) this.geo.removeEventListener('fix', this.onFix);
    if (this.onError) this.geo.removeEventListener('error', this.onError);
  }
}
