// Recording one phase: rear camera -> MediaRecorder (2 s timeslice) -> every chunk into
// IndexedDB first, then into the rolling chain; GPS track and markers kept with the take;
// the screen kept awake. A take cut short (call, crash, closed tab) is finalised from its
// stored chunks with an `interrupted` marker and queued: nothing recorded is dropped.

import { RollingChain, chainOfBlobs } from './chain.js';
import { allTakes, chunksOf, putChunk, putTake, updateTake } from './db.js';
import { GeoWatch, Track } from './geo.js';
import { enqueue } from './outbox.js';

export const TIMESLICE_MS = 2000;
const BITRATE = 2_500_000;
const MIME_PREFERENCE = ['video/mp4;codecs=avc1', 'video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'];

/** H.264 in MP4 when the browser can (the pipeline reads it much faster), else WebM. */
export function pickMime() {
  if (typeof MediaRecorder === 'undefined') return null;
  return MIME_PREFERENCE.find((m) => MediaRecorder.isTypeSupported(m)) || '';
}

export function newClientId() {
  return crypto.randomUUID().replace(/-/g, '');
}

/** Free space before a take: {usage, quota, free, nearlyFull}. */
export async function storageEstimate(expectedBytes = 0) {
  if (!navigator.storage || !navigator.storage.estimate) return null;
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  const free = Math.max(0, quota - usage);
  const nearlyFull = free < Math.max(expectedBytes * 1.5, 200 * 1024 * 1024) || (quota > 0 && usage / quota > 0.9);
  return { usage, quota, free, nearlyFull };
}

export function expectedBytes(seconds) {
  return Math.ceil((seconds * BITRATE) / 8);
}

/** getUserMedia failures as catalogue keys (each has a "how to fix" text beside it). */
export function cameraErrorKey(err) {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'error.camera_denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'error.camera_missing';
  if (name === 'NotReadableError' || name === 'AbortError') return 'error.camera_busy';
  return 'error.camera_other';
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}

export class PhaseRecorder extends EventTarget {
  constructor({ inspectionId, phase, userId, geo }) {
    super();
    this.geo = geo || new GeoWatch(); // the screen's watch: the fix is sought before the take
    this.inspectionId = inspectionId;
    this.phase = phase;
    this.userId = userId;
    this.state = 'idle'; // idle | ready | recording | stopping | done
    this.pending = Promise.resolve();
    this.count = 0;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  async open(video) {
    this.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    });
    video.srcObject = this.stream;
    video.muted = true;
    await video.play().catch(() => {});
    this.state = 'ready';
  }

  elapsed() {
    return this.startedMs ? (Date.now() - this.startedMs) / 1000 : 0;
  }

  async start() {
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    const mimeType = pickMime();
    const options = { videoBitsPerSecond: BITRATE, videoKeyFrameIntervalDuration: TIMESLICE_MS };
    if (mimeType) options.mimeType = mimeType;
    // Without a key frame every timeslice, Chromium's MP4 muxer holds every byte until stop.
    this.media = new MediaRecorder(this.stream, options);
    this.clientId = newClientId();
    this.chain = new RollingChain();
    this.startedMs = Date.now();
    this.take = {
      client_id: this.clientId, inspection_id: this.inspectionId, phase: this.phase, user_id: this.userId,
      mime: this.media.mimeType || mimeType || 'video/webm', state: 'recording', started_ms: this.startedMs,
      chunks: [], track: [], markers: [], interrupted: false,
    };
    await putTake(this.take);
    this.holdLock();
    this.media.ondataavailable = (e) => {
      const arrived = this.elapsed();
      this.pending = this.pending.then(() => this.onChunk(e.data, arrived)).catch((err) => this.emit('error', err));
    };
    // The recorder may stop by itself (the camera went away): remember when it did.
    this.stopped = new Promise((resolve) => this.media.addEventListener('stop', resolve, { once: true }));
    this.media.onerror = () => this.interrupt();
    this.stream.getVideoTracks().forEach((t) => t.addEventListener('ended', () => this.interrupt()));
    this.track = new Track(this.startedMs, this.geo, (point, error) => {
      if (point) this.persist((take) => ({ ...take, track: [...take.track, point] }));
      this.emit('gps', { point, error });
    });
    this.media.start(TIMESLICE_MS);
    this.state = 'recording';
    this.track.start();
    await this.keepAwake();
    this.onVisible = () => { if (document.visibilityState === 'visible' && this.state === 'recording') this.keepAwake(); };
    document.addEventListener('visibilitychange', this.onVisible);
    this.emit('state', this.state);
  }

  /** A Web Lock held for the life of the take: recovery leaves a take alone while it is held. */
  holdLock() {
    if (!navigator.locks) return;
    this.releaseLock = null;
    const held = new Promise((resolve) => { this.releaseLock = resolve; });
    navigator.locks.request(`take:${this.clientId}`, () => held);
  }

  async keepAwake() {
    try {
      if ('wakeLock' in navigator && !this.wakeLock) {
        this.wakeLock = await navigator.wakeLock.request('screen');
        this.wakeLock.addEventListener('release', () => { this.wakeLock = null; });
      }
    } catch {
      // Refused (battery saver, hidden page): the recording goes on regardless.
    }
  }

  persist(fn) {
    this.pending = this.pending.then(() => updateTake(this.clientId, fn)).catch((err) => this.emit('error', err));
    return this.pending;
  }

  async onChunk(blob, t) {
    if (!blob || !blob.size) return;
    const i = this.count++;
    await putChunk(this.clientId, i, blob, round3(t)); // first: the bytes are safe
    const entry = await this.chain.add(await blob.arrayBuffer());
    const chunk = { ...entry, t: round3(t) };
    await updateTake(this.clientId, (take) => ({
      ...take, chunks: [...take.chunks, chunk], chain_head: this.chain.headHex, size: (take.size || 0) + chunk.size,
    }));
    this.emit('chunk', chunk);
  }

  /** A tap: {t, kind} with t in seconds of video time. */
  mark(kind) {
    if (this.state !== 'recording') return null;
    const marker = { t: round3(this.elapsed()), kind };
    this.persist((take) => ({ ...take, markers: [...take.markers, marker] }));
    return marker;
  }

  interrupt() {
    if (this.state === 'recording') this.stop({ interrupted: true });
  }

  /** Stops, finalises and queues the take; resolves with the take. */
  async stop({ interrupted = false } = {}) {
    if (this.state !== 'recording') return this.finished;
    this.state = 'stopping';
    this.emit('state', this.state);
    this.finished = (async () => {
      if (this.media.state !== 'inactive') this.media.stop();
      await Promise.race([this.stopped, new Promise((r) => setTimeout(r, 4000))]);
      const endedMs = Date.now();
      this.track.finish(endedMs);
      this.track.stop();
      await this.pending;
      const fin = this.chain.finish();
      const take = await updateTake(this.clientId, (t) => ({
        ...t, ...fin, ended_ms: endedMs, interrupted,
        markers: interrupted ? [...t.markers, { t: round3((endedMs - t.started_ms) / 1000), kind: 'interrupted' }] : t.markers,
        state: fin.size ? 'recorded' : 'refused',
        error: fin.size ? null : { code: 'empty_take' },
      }));
      this.take = take;
      this.release();
      if (fin.size) await enqueue(this.clientId);
      this.state = 'done';
      this.emit('state', this.state);
      return take;
    })();
    return this.finished;
  }

  release() {
    if (this.onVisible) document.removeEventListener('visibilitychange', this.onVisible);
    if (this.wakeLock) this.wakeLock.release().catch(() => {});
    if (this.releaseLock) this.releaseLock();
  }

  close() {
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
  }
}

async function withTakeLock(clientId, fn) {
  if (!navigator.locks) return fn();
  return navigator.locks.request(`take:${clientId}`, { ifAvailable: true }, (lock) => (lock ? fn() : null));
}

/**
 * Start-up: takes left in 'recording' by a crash or a closed tab are finalised from their
 * stored chunks (the bytes are the truth, the take record may lag a chunk) and queued.
 * A finalised take that never reached the queue is queued too.
 */
export async function recoverTakes() {
  const recovered = [];
  for (const take of await allTakes()) {
    if (take.state === 'recorded') {
      await enqueue(take.client_id);
      continue;
    }
    if (take.state !== 'recording') continue;
    await withTakeLock(take.client_id, async () => {
      const chunks = await chunksOf(take.client_id);
      if (!chunks.length) {
        await updateTake(take.client_id, (t) => ({ ...t, state: 'refused', interrupted: true, error: { code: 'empty_take' } }));
        return;
      }
      const fin = await chainOfBlobs(chunks.map((c) => c.data));
      const lastT = Math.max(0, ...chunks.map((c) => c.t || 0));
      const chunkTimes = new Map(chunks.map((c) => [c.i, c.t]));
      await updateTake(take.client_id, (t) => ({
        ...t, ...fin,
        chunks: fin.chunks.map((c) => ({ ...c, t: chunkTimes.get(c.i) })),
        ended_ms: t.started_ms + Math.round(lastT * 1000),
        interrupted: true,
        // Taps and fixes after the last stored chunk are kept: they happened; the marker says
        // where the bytes end.
        markers: [...t.markers, { t: lastT, kind: 'interrupted' }].sort((a, b) => a.t - b.t),
        state: 'recorded',
      }));
      await enqueue(take.client_id);
      recovered.push(take.client_id);
    });
  }
  return recovered;
}
