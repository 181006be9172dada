// The tablet's identity: a non-extractable ECDSA P-256 key made on first use and kept in
// IndexedDB; its public half is registered with the server and approved by a post head.
// Only an inspector's tablet films evidence, so only an inspector's sign-in registers one:
// a head's desktop or an auditor's laptop has no device to wait for.

import { api, session } from './api.js';
import { sign } from './chain.js';
import { kvGet, kvSet } from './db.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' };

/** The device key pair, created on first call. The private key can sign but never leave. */
export async function deviceKey() {
  let stored = await kvGet('device_key');
  if (!stored) {
    const pair = await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
    const full = await crypto.subtle.exportKey('jwk', pair.publicKey);
    const jwk = { kty: full.kty, crv: full.crv, x: full.x, y: full.y };
    stored = { privateKey: pair.privateKey, publicKey: pair.publicKey, jwk, created_at: Date.now() };
    await kvSet('device_key', stored);
  }
  return stored;
}

export const TABLET_ROLES = ['inspector'];

/** Whether this user's sign-in is on a tablet that records (and so has a device key). */
export function needsDevice(user) {
  return !!user && TABLET_ROLES.includes(user.role);
}

export async function device() {
  return (await kvGet('device')) || null;
}

/** Registers the key (idempotent on the server: the same key gives the same device);
 * null for a role that records nothing. */
export async function registerDevice() {
  const s = await session();
  if (!needsDevice(s && s.user)) return null;
  const { jwk } = await deviceKey();
  const out = await api('/api/devices', {
    method: 'POST', json: { name: `tablet-${jwk.x.slice(0, 8)}`, public_key_jwk: jwk },
  });
  const value = { id: out.id, name: out.name, status: out.status, post_code: out.post_code, checked_at: Date.now() };
  await kvSet('device', value);
  return value;
}

/** The device as the server sees it now (registering it first if needed). */
export async function refreshDevice() {
  const known = await device();
  if (!known) return registerDevice();
  const out = await api(`/api/devices/${encodeURIComponent(known.id)}`);
  const value = { ...known, name: out.name, status: out.status, checked_at: Date.now() };
  await kvSet('device', value);
  return value;
}

export async function signWithDevice(value) {
  const { privateKey } = await deviceKey();
  return sign(privateKey, value);
}
