// The outbox: finished takes go to the server one at a time, resuming across reloads, offline
// stretches and browser restarts. Per take: announce the signed chain (tiny), send the bytes
// by tus, register the signed manifest; the local bytes are deleted only when the server's
// answer carries the same sha256. A refusal (4xx problem) keeps the take and says why.
//
// Runs in the page and in the service worker (Background Sync); a Web Lock makes sure only
// one of them drains at a time.

import { ApiError, api, session } from './api.js';
import { announcementPayload, buildManifest } from './chain.js';
import { allTakes, deleteChunks, getTake, kvGet, readRange, updateTake } from './db.js';
import { device, registerDevice, signWithDevice } from './device.js';
import { createUpload, uploadBytes } from './tus.js';

export const PENDING = ['queued', 'uploading', 'verifying'];
const LOCK = 'dosmotr-outbox';
const PATCH_BYTES = 1 << 20;
const MAX_DELAY_MS = 5 * 60 * 1000;

let timer = null;
let stopped = false; // set on 401: nothing goes until the inspector signs in again

export function backoffMs(attempts) {
  const base = Math.min(MAX_DELAY_MS, 1000 * 2 ** Math.min(attempts, 12));
  return Math.round(base * (0.5 + Math.random() * 0.5));
}

function setState(clientId, patch) {
  return updateTake(clientId, (take) => ({ ...take, ...patch, updated_ms: Date.now() }));
}

/** Finalised take -> queue. */
export async function enqueue(clientId) {
  await setState(clientId, { state: 'queued', attempts: 0, next_at: 0, error: null });
  await requestBackgroundSync();
  kick();
}

/** A refused take goes back to the queue (the inspector asked, or the cause went away). */
export async function requeue(clientId) {
  await setState(clientId, { state: 'queued', attempts: 0, next_at: 0, error: null, refused_at: null });
  kick();
}

export async function requeueRefused(code) {
  for (const take of await allTakes()) {
    if (take.state === 'refused' && take.error && take.error.code === code) await requeue(take.client_id);
  }
}

async function requestBackgroundSync() {
  try {
    const reg = self.registration || (self.navigator.serviceWorker && (await self.navigator.serviceWorker.ready));
    if (reg && reg.sync) await reg.sync.register('outbox');
  } catch {
    // No Background Sync here (or no permission): online/visibility/start-up triggers remain.
  }
}

/** Start draining now (or soon); `force` forgets back-off (the network just came back). */
export function kick({ force = false } = {}) {
  if (force) stopped = false;
  clearTimeout(timer);
  timer = setTimeout(() => drain({ force }).catch(() => {}), 0);
}

function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(() => drain().catch(() => {}), Math.max(250, ms));
}

/** Uploads every pending take of the signed-in inspector, one at a time. */
export async function drain({ force = false } = {}) {
  if (stopped) return;
  const locks = self.navigator && self.navigator.locks;
  if (!locks) return drainLocked(force);
  let ran = false;
  await locks.request(LOCK, { ifAvailable: true }, async (lock) => {
    if (!lock) return;
    ran = true;
    await drainLocked(force);
  });
  if (!ran) schedule(3000); // another tab or the service worker is at it; look again later
}

async function drainLocked(force) {
  const s = await session();
  if (!s) return;
  if (force) {
    for (const take of await allTakes()) {
      if (PENDING.includes(take.state) && take.next_at) await setState(take.client_id, { next_at: 0 });
    }
  }
  for (;;) {
    const pending = (await allTakes()).filter((t) => PENDING.includes(t.state) && t.user_id === s.user.id);
    if (!pending.length) return;
    const now = Date.now();
    const ready = pending.find((t) => !t.next_at || t.next_at <= now);
    if (!ready) {
      schedule(Math.min(...pending.map((t) => t.next_at)) - now);
      return;
    }
    const outcome = await attempt(ready.client_id);
    if (outcome === 'offline' || outcome === 'unauthenticated') {
      if (outcome === 'offline') {
        const next = await getTake(ready.client_id);
        schedule(next.next_at - Date.now());
      }
      return;
    }
  }
}

/** One try at one take: 'done' | 'refused' | 'retry' | 'offline' | 'unauthenticated'. */
async function attempt(clientId) {
  try {
    await send(clientId);
    return 'done';
  } catch (err) {
    if (!(err instanceof ApiError)) {
      return retryLater(clientId, { code: 'client_error', detail: String((err && err.message) || err) }, 'retry');
    }
    if (err.status === 401) {
      stopped = true;
      await setState(clientId, { error: { code: err.code, detail: err.detail, status: 401 } });
      return 'unauthenticated';
    }
    if (err.transient) {
      return retryLater(clientId, { code: err.code, detail: err.detail, status: err.status },
                        err.status === 0 ? 'offline' : 'retry');
    }
    if (err.code === 'upload_not_found' || err.code === 'upload_expired') {
      // The server forgot the upload (expired): start the bytes again under a new one.
      await setState(clientId, { upload_url: null, offset: 0 });
      return retryLater(clientId, { code: err.code, detail: err.detail, status: err.status }, 'retry');
    }
    await setState(clientId, {
      state: 'refused', refused_at: Date.now(),
      error: { code: err.code, detail: err.detail, status: err.status },
    });
    return 'refused';
  }
}

async function retryLater(clientId, error, outcome) {
  await updateTake(clientId, (take) => {
    const attempts = (take.attempts || 0) + 1;
    return { ...take, attempts, next_at: Date.now() + backoffMs(attempts), error };
  });
  await requestBackgroundSync();
  return outcome;
}

async function ensureDeviceId() {
  const known = await device();
  if (known && known.id) return known.id;
  return (await registerDevice()).id;
}

/** Signs once and keeps what was signed: a replay must send the very same bytes. */
async function signed(take) {
  if (take.manifest && take.signature && take.announcement_signature) return take;
  const deviceId = await ensureDeviceId();
  const manifest = buildManifest(take, deviceId);
  const signature = await signWithDevice(manifest);
  const announcement = announcementPayload(take.inspection_id, take.client_id, take.phase, deviceId,
                                           manifest.chunks, manifest.chain_head);
  const announcementSignature = await signWithDevice(announcement);
  return setState(take.client_id, {
    manifest, signature, announcement_signature: announcementSignature, device_id: deviceId,
  });
}

async function send(clientId) {
  let take = await getTake(clientId);
  take = await signed(take);
  const base = `/api/inspections/${encodeURIComponent(take.inspection_id)}/recordings`;
  if (!take.announced) {
    await api(`${base}/${encodeURIComponent(clientId)}/chain`, {
      method: 'POST',
      json: { phase: take.phase, device_id: take.device_id, chunks: take.manifest.chunks,
              chain_head: take.manifest.chain_head, signature: take.announcement_signature },
    });
    take = await setState(clientId, { announced: true });
  }
  if (!take.upload_id) {
    await setState(clientId, { state: 'uploading', error: null });
    const s = await session();
    const headers = { Authorization: `Bearer ${s.token}` };
    if (!take.upload_url) {
      const url = await createUpload('/api/uploads/', {
        length: take.size, headers,
        metadata: { inspection_id: take.inspection_id, phase: take.phase, client_id: clientId, filetype: take.mime },
      });
      take = await setState(clientId, { upload_url: url, offset: 0 });
    }
    const patchBytes = (await kvGet('patch_bytes')) || PATCH_BYTES;
    await uploadBytes(take.upload_url, {
      size: take.size, patchBytes, headers,
      read: (start, end) => readRange(clientId, start, end),
      onProgress: (offset) => setState(clientId, { offset }),
    });
    take = await setState(clientId, { upload_id: take.upload_url.split('/').pop() });
  }
  await setState(clientId, { state: 'verifying', offset: take.size });
  const out = await api(`${base}`, {
    method: 'POST',
    json: { client_id: clientId, phase: take.phase, upload_id: take.upload_id,
            manifest: take.manifest, signature: take.signature },
  });
  if (out.sha256 !== take.manifest.sha256) {
    throw new ApiError(409, 'sha256_differs', `server holds ${out.sha256}, device has ${take.manifest.sha256}`);
  }
  await setState(clientId, {
    state: 'verified', error: null, verified_at: Date.now(),
    receipt: { recording_id: out.id, version: out.version, sha256: out.sha256, state: out.state },
  });
  await deleteChunks(clientId);
}

/** Percent of the bytes the server holds, for the take's state line. */
export function percent(take) {
  if (!take.size) return 0;
  return Math.min(100, Math.floor(((take.offset || 0) * 100) / take.size));
}
