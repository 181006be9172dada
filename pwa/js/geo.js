// The GPS track of a take: every fix with t = seconds from the start of the recording.
// watchPosition alone may report once and then stay silent while the tablet stands still,
// so a fresh fix is also asked for every few seconds: the track must cover the whole take.

const FIX_EVERY_MS = 5000;
const OPTIONS = { enableHighAccuracy: true, maximumAge: 0, timeout: 15000 };

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

export class Track {
  /** `onChange(point | null, errorKey | null)` is told about each fix and each failure. */
  constructor(startedMs, onChange) {
    this.startedMs = startedMs;
    this.onChange = onChange;
    this.points = [];
    this.last = null;
    this.error = null;
  }

  start() {
    if (!('geolocation' in navigator)) {
      this.fail({ code: 2 });
      return;
    }
    const ok = (pos) => this.add(pos);
    const bad = (err) => this.fail(err);
    this.watch = navigator.geolocation.watchPosition(ok, bad, OPTIONS);
    this.poll = setInterval(() => navigator.geolocation.getCurrentPosition(ok, bad, OPTIONS), FIX_EVERY_MS);
  }

  /** One last fix so the track reaches the end of the take (waits at most `waitMs`). */
  finalFix(waitMs = 1500) {
    if (!('geolocation' in navigator)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      navigator.geolocation.getCurrentPosition(
        (pos) => { clearTimeout(timer); this.add(pos); resolve(); },
        () => { clearTimeout(timer); resolve(); },
        { ...OPTIONS, timeout: waitMs },
      );
    });
  }

  stop() {
    this.stopped = true; // a late answer must not change a finished take's track
    if (this.watch != null) navigator.geolocation.clearWatch(this.watch);
    clearInterval(this.poll);
    this.watch = null;
  }

  add(pos) {
    if (this.stopped) return;
    const t = Math.max(0, round((Date.now() - this.startedMs) / 1000, 3));
    const point = {
      t,
      lat: round(pos.coords.latitude, 7),
      lon: round(pos.coords.longitude, 7),
      acc: round(Math.max(0, pos.coords.accuracy || 0), 1),
    };
    const prev = this.points[this.points.length - 1];
    if (prev && prev.t === t) return;
    this.points.push(point);
    this.last = point;
    this.error = null;
    this.onChange && this.onChange(point, null);
  }

  fail(err) {
    this.error = geoErrorKey(err);
    this.onChange && this.onChange(null, this.error);
  }
}
