// The one owner of the IndexedDB schema. Works in the page and in the service worker.
//
// Stores
//   kv      out-of-line keys: 'session' {token, user}, 'device' {id, status, ...},
//           'device_key' {privateKey, publicKey, jwk} (the private key is non-extractable),
//           'patch_bytes' (tus PATCH size; tests make it small)
//   takes   keyPath client_id: one recording of one phase, from the first chunk to the
//           server's receipt (the bytes go, the receipt stays)
//   chunks  keyPath [client_id, i]: {client_id, i, size, t, data: Blob}, written before anything
//           else is done with a chunk, so a crash never loses what the camera gave us

const DB_NAME = 'dosmotr';
const DB_VERSION = 1;

let opening = null;

export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains('kv')) db.createObjectStore('kv');
        if (!db.objectStoreNames.contains('takes')) {
          const takes = db.createObjectStore('takes', { keyPath: 'client_id' });
          takes.createIndex('by_inspection', 'inspection_id');
          takes.createIndex('by_state', 'state');
        }
        if (!db.objectStoreNames.contains('chunks')) {
          db.createObjectStore('chunks', { keyPath: ['client_id', 'i'] });
        }
      };
      req.onsuccess = () => {
        const db = req.result;
        // Another tab upgrading the schema: step aside rather than block it.
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      req.onerror = () => { opening = null; reject(req.error); };
      req.onblocked = () => reject(new Error('IndexedDB upgrade blocked by another tab'));
    });
  }
  return opening;
}

function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
  });
}

async function run(stores, mode, body) {
  const db = await openDb();
  const tx = db.transaction(stores, mode);
  const result = body(tx);
  await committed(tx);
  return result instanceof IDBRequest ? result.result : result;
}

// --- change notification: same context through an EventTarget, other tabs/SW by channel

const local = new EventTarget();
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('dosmotr-takes') : null;
if (channel) channel.onmessage = (e) => local.dispatchEvent(new CustomEvent('change', { detail: e.data }));

function notify(clientId) {
  local.dispatchEvent(new CustomEvent('change', { detail: { client_id: clientId } }));
  if (channel) channel.postMessage({ client_id: clientId });
}

export function onTakesChanged(fn) {
  const handler = (e) => fn(e.detail);
  local.addEventListener('change', handler);
  return () => local.removeEventListener('change', handler);
}

// --- kv

export async function kvGet(key) {
  const db = await openDb();
  return done(db.transaction('kv').objectStore('kv').get(key));
}

export function kvSet(key, value) {
  return run(['kv'], 'readwrite', (tx) => { tx.objectStore('kv').put(value, key); });
}

export function kvDelete(key) {
  return run(['kv'], 'readwrite', (tx) => { tx.objectStore('kv').delete(key); });
}

// --- takes

export async function getTake(clientId) {
  const db = await openDb();
  return done(db.transaction('takes').objectStore('takes').get(clientId));
}

export async function allTakes() {
  const db = await openDb();
  const takes = await done(db.transaction('takes').objectStore('takes').getAll());
  return takes.sort((a, b) => (a.started_ms || 0) - (b.started_ms || 0));
}

export async function takesFor(inspectionId) {
  const db = await openDb();
  const index = db.transaction('takes').objectStore('takes').index('by_inspection');
  const takes = await done(index.getAll(inspectionId));
  return takes.sort((a, b) => (a.started_ms || 0) - (b.started_ms || 0));
}

export async function putTake(take) {
  await run(['takes'], 'readwrite', (tx) => { tx.objectStore('takes').put(take); });
  notify(take.client_id);
  return take;
}

/** Read-modify-write in one transaction: `fn(take)` returns the new take (or null: no change). */
export async function updateTake(clientId, fn) {
  let next = null;
  await run(['takes'], 'readwrite', (tx) => {
    const store = tx.objectStore('takes');
    const get = store.get(clientId);
    get.onsuccess = () => {
      if (get.result === undefined) return;
      next = fn(get.result);
      if (next) store.put(next);
    };
  });
  if (next) notify(clientId);
  return next;
}

// --- chunks

/** `t`: seconds from the start of the take when the chunk arrived (recovery dates the end by it). */
export function putChunk(clientId, i, data, t = null) {
  return run(['chunks'], 'readwrite', (tx) => {
    tx.objectStore('chunks').put({ client_id: clientId, i, size: data.size, t, data });
  });
}

function range(clientId) {
  return IDBKeyRange.bound([clientId, 0], [clientId, Infinity]);
}

/** Every stored chunk of a take, in order: [{i, size, data}]. */
export async function chunksOf(clientId) {
  const db = await openDb();
  return done(db.transaction('chunks').objectStore('chunks').getAll(range(clientId)));
}

export async function chunkCount(clientId) {
  const db = await openDb();
  return done(db.transaction('chunks').objectStore('chunks').count(range(clientId)));
}

/** Bytes [start, end) of the take's file, read from its stored chunks. */
export async function readRange(clientId, start, end) {
  const parts = [];
  let pos = 0;
  for (const chunk of await chunksOf(clientId)) {
    const from = pos;
    const to = pos + chunk.size;
    pos = to;
    if (to <= start) continue;
    if (from >= end) break;
    parts.push(chunk.data.slice(Math.max(0, start - from), Math.min(chunk.size, end - from)));
  }
  return new Blob(parts).arrayBuffer();
}

/** Drops the bytes of a take the server has confirmed; the take record stays as a receipt. */
export async function deleteChunks(clientId) {
  await run(['chunks'], 'readwrite', (tx) => { tx.objectStore('chunks').delete(range(clientId)); });
  notify(clientId);
}
