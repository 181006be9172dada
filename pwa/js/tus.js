// A small tus 1.0.0 client: creation (known or deferred length), HEAD, PATCH with
// `Upload-Checksum: sha256`, resume from the server's offset. The server's offset is the truth:
// a 409 (offset mismatch) or any doubt means asking it again with HEAD.

import { ApiError, problemOf, send } from './api.js';
import { base64, sha256 } from './chain.js';

export const TUS_VERSION = '1.0.0';
const OFFSET_TYPE = 'application/offset+octet-stream';

function utf8Base64(text) {
  return base64(new TextEncoder().encode(text));
}

export function encodeMetadata(values) {
  return Object.entries(values).map(([k, v]) => `${k} ${utf8Base64(String(v))}`).join(',');
}

/**
 * POST the creation request; returns the upload URL (Location). `length` null means
 * `Upload-Defer-Length: 1` (the length is sent with a later PATCH).
 */
export async function createUpload(endpoint, { length, metadata, headers = {}, signal }) {
  const h = { ...headers, 'Tus-Resumable': TUS_VERSION, 'Upload-Metadata': encodeMetadata(metadata) };
  if (length == null) h['Upload-Defer-Length'] = '1';
  else h['Upload-Length'] = String(length);
  const resp = await send(endpoint, { method: 'POST', headers: h, signal });
  if (resp.status !== 201) throw await problemOf(resp);
  const location = resp.headers.get('Location');
  if (!location) throw new ApiError(resp.status, 'tus_no_location', 'creation answered without Location');
  return new URL(location, new URL(endpoint, self.location.href)).pathname;
}

/** HEAD: {offset, length (null if deferred)}. */
export async function headUpload(url, { headers = {}, signal } = {}) {
  const resp = await send(url, { method: 'HEAD', headers: { ...headers, 'Tus-Resumable': TUS_VERSION }, signal });
  if (!resp.ok) {
    // HEAD has no body: keep the status, name the usual meanings.
    const code = resp.status === 404 ? 'upload_not_found' : resp.status === 410 ? 'upload_expired' : `http_${resp.status}`;
    throw new ApiError(resp.status, code, `HEAD ${url}: ${resp.status}`);
  }
  const length = resp.headers.get('Upload-Length');
  return { offset: Number(resp.headers.get('Upload-Offset')), length: length == null ? null : Number(length) };
}

/**
 * Sends bytes [offset, size) in PATCHes of `patchBytes`, starting from the server's offset.
 * `read(start, end)` returns an ArrayBuffer; `onProgress(offset)` after each accepted PATCH.
 * `deferred` sends Upload-Length with the last PATCH.
 */
export async function uploadBytes(url, { size, read, patchBytes, headers = {}, onProgress, signal, deferred = false }) {
  let { offset } = await headUpload(url, { headers, signal });
  onProgress && (await onProgress(offset));
  let checksumFailures = 0;
  while (offset < size) {
    const end = Math.min(size, offset + patchBytes);
    const body = await read(offset, end);
    const h = {
      ...headers,
      'Tus-Resumable': TUS_VERSION,
      'Content-Type': OFFSET_TYPE,
      'Upload-Offset': String(offset),
      'Upload-Checksum': `sha256 ${base64(await sha256(body))}`,
    };
    if (deferred && end === size) h['Upload-Length'] = String(size);
    const resp = await send(url, { method: 'PATCH', headers: h, body, signal });
    if (resp.status === 204) {
      offset = Number(resp.headers.get('Upload-Offset'));
      checksumFailures = 0;
      onProgress && (await onProgress(offset));
      continue;
    }
    if (resp.status === 409) {
      // Someone (an earlier attempt whose answer we lost) moved the offset: ask again.
      ({ offset } = await headUpload(url, { headers, signal }));
      continue;
    }
    if (resp.status === 460 && checksumFailures++ < 2) continue; // corrupted in transit: resend
    throw await problemOf(resp);
  }
  return offset;
}
