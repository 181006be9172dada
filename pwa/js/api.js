// The HTTP client: bearer token from IndexedDB, JSON in and out, RFC 9457 problems as ApiError.
// Used by the page and by the service worker (outbox), so it touches no DOM.

import { kvDelete, kvGet, kvSet } from './db.js';

export class ApiError extends Error {
  /** status 0 means the network failed (offline, DNS, reset): always worth retrying. */
  constructor(status, code, detail, body = null) {
    super(detail || code);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.body = body;
  }

  get transient() {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export async function session() {
  return (await kvGet('session')) || null;
}

export async function saveSession(value) {
  await kvSet('session', value);
}

export async function clearSession() {
  await kvDelete('session');
}

export async function authHeaders() {
  const s = await session();
  return s ? { Authorization: `Bearer ${s.token}` } : {};
}

export async function problemOf(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch {
    body = null;
  }
  const code = (body && body.code) || `http_${resp.status}`;
  const detail = (body && (body.detail || body.title)) || resp.statusText;
  return new ApiError(resp.status, code, detail, body);
}

// Whether the server answered the last request. navigator.onLine only knows about the
// network interface; a tablet on a dead Wi-Fi or behind a captive portal says "online".
const reachability = new EventTarget();
let serverReachable = true;

function setReachable(value) {
  if (value === serverReachable) return;
  serverReachable = value;
  reachability.dispatchEvent(new Event('change'));
}

export function reachable() {
  return serverReachable;
}

export function onReachabilityChange(fn) {
  reachability.addEventListener('change', fn);
}

/** fetch() that turns a network failure into ApiError(0, 'network'). */
export async function send(url, init = {}) {
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    setReachable(false);
    throw new ApiError(0, 'network', String((err && err.message) || err));
  }
  // The service worker answers from its cache (or with an offline problem) when it could not
  // reach the server.
  setReachable(!resp.headers.get('X-Dosmotr-Cached') && !resp.headers.get('X-Dosmotr-Offline'));
  return resp;
}

// The page listens to send the inspector back to the sign-in screen when the token dies.
const sessionEvents = new EventTarget();

export function onUnauthenticated(fn) {
  sessionEvents.addEventListener('unauthenticated', fn);
}

/** JSON API call. Returns the parsed body (or null for 204); throws ApiError otherwise. */
export async function api(path, { method = 'GET', json, headers = {}, signal } = {}) {
  const init = { method, signal, headers: { ...(await authHeaders()), ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  }
  const resp = await send(path, init);
  if (resp.status === 401 && init.headers.Authorization) sessionEvents.dispatchEvent(new Event('unauthenticated'));
  if (!resp.ok) throw await problemOf(resp);
  if (resp.status === 204) return null;
  const body = await resp.json();
  // The service worker marks answers it served from its cache while offline.
  if (body && typeof body === 'object' && resp.headers.get('X-Dosmotr-Cached')) {
    Object.defineProperty(body, 'fromCache', { value: resp.headers.get('X-Dosmotr-Cached') });
  }
  return body;
}

export async function login(loginName, password) {
  const result = await api('/api/auth/login', { method: 'POST', json: { login: loginName, password } });
  await saveSession({ token: result.token, user: result.user, expires_at: result.expires_at });
  return result;
}

export async function logout() {
  try {
    await api('/api/auth/logout', { method: 'POST' });
  } catch {
    // Offline logout still forgets the token here; the server expires it.
  }
  await clearSession();
}

export const inspections = {
  mine: () => api('/api/inspections?mine=true'),
  get: (id) => api(`/api/inspections/${encodeURIComponent(id)}`),
  start: (id) => api(`/api/inspections/${encodeURIComponent(id)}/start`, { method: 'POST' }),
  counts: (id, body) => api(`/api/inspections/${encodeURIComponent(id)}/counts`, { method: 'POST', json: body }),
  finish: (id) => api(`/api/inspections/${encodeURIComponent(id)}/finish`, { method: 'POST' }),
};

/** An authorised image as an object URL (an <img> cannot send the bearer token itself). */
export async function imageUrl(path) {
  const resp = await send(path, { headers: await authHeaders() });
  if (!resp.ok) throw await problemOf(resp);
  return URL.createObjectURL(await resp.blob());
}
