// Hashes, the rolling chunk chain, the manifest and its signature.
//
// chain: h_0 = 32 zero bytes, h_i = SHA-256(h_{i-1} ‖ SHA-256(chunk_i)); chain_head = hex(h_n)
// signature: ECDSA P-256 / SHA-256 over JCS(manifest), base64 of r‖s as WebCrypto returns it.

import { canonicalBytes } from './jcs.js';
import { Sha256 } from './sha256.js';

export const GENESIS = new Uint8Array(32);

export async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

export function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export async function chainStep(prev, chunkDigest) {
  const joined = new Uint8Array(64);
  joined.set(prev, 0);
  joined.set(chunkDigest, 32);
  return sha256(joined);
}

/** Folds chunks in as they arrive: per-chunk digests, the chain head and the file digest. */
export class RollingChain {
  constructor() {
    this.head = GENESIS;
    this.file = new Sha256();
    this.chunks = [];
  }

  async add(buffer) {
    const digest = await sha256(buffer);
    this.head = await chainStep(this.head, digest);
    this.file.update(new Uint8Array(buffer));
    const entry = { i: this.chunks.length, size: buffer.byteLength, sha256: hex(digest) };
    this.chunks.push(entry);
    return entry;
  }

  get headHex() {
    return hex(this.head);
  }

  /** The whole file's digest; the chain takes no more chunks afterwards. */
  finish() {
    return { chunks: this.chunks, chain_head: this.headHex, sha256: hex(this.file.digest()),
             size: this.chunks.reduce((n, c) => n + c.size, 0) };
  }
}

/** Recomputes everything from stored chunk blobs (crash recovery: the bytes are the truth). */
export async function chainOfBlobs(blobs) {
  const chain = new RollingChain();
  for (const blob of blobs) await chain.add(await blob.arrayBuffer());
  return chain.finish();
}

export async function sign(privateKey, value) {
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, canonicalBytes(value));
  return base64(new Uint8Array(sig));
}

/** What the device signs when it announces a chain before the bytes (backend manifest.py). */
export function announcementPayload(inspectionId, clientId, phase, deviceId, chunks, head) {
  return { inspection_id: inspectionId, client_id: clientId, phase, device_id: deviceId, chunks, chain_head: head };
}

/** ISO 8601 with the device's local offset, milliseconds kept: 2026-11-22T15:04:05.123+06:00. */
export function isoWithOffset(ms) {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const local = new Date(ms + off * 60000).toISOString().slice(0, -1);
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The manifest exactly as it is signed and sent (device_id is added when the device is known). */
export function buildManifest(take, deviceId) {
  return {
    device_id: deviceId,
    mime: take.mime,
    size: take.size,
    sha256: take.sha256,
    recorded_from: isoWithOffset(take.started_ms),
    recorded_to: isoWithOffset(take.ended_ms),
    chunks: take.chunks.map(({ i, size, sha256: digest }) => ({ i, size, sha256: digest })),
    chain_head: take.chain_head,
    // fix_t only on a point that repeats an earlier fix (geo.js)
    track: take.track.map(({ t, lat, lon, acc, fix_t: fixT }) => (fixT === undefined ? { t, lat, lon, acc } : { t, lat, lon, acc, fix_t: fixT })),
    markers: take.markers.map(({ t, kind }) => ({ t, kind })),
  };
}
