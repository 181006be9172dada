// Protected files for <video>, <img> and downloads. The API takes the bearer header only (no
// query token, no cookie), which media elements and plain links cannot send:
// - video: the service worker adds the header to /api/recordings/... requests it controls
//   (js/sw/media.js), so the player streams with HTTP Range and seeks without downloading the
//   whole file; without a controlling worker the file is fetched whole into a blob URL;
// - images and downloads: fetched with the header into a blob URL.

import { authHeaders, problemOf, send } from './api.js';

/** True when the service worker controls this page and so authorises media requests. */
export function workerAuthorises() {
  return Boolean(navigator.serviceWorker && navigator.serviceWorker.controller);
}

/** Whether an authorised GET of `path` finds something (a one-byte range, not the file). */
export async function exists(path) {
  try {
    const resp = await send(path, { headers: { ...(await authHeaders()), Range: 'bytes=0-0' } });
    if (resp.body) resp.body.cancel().catch(() => {});
    return resp.ok;
  } catch {
    return false;
  }
}

/** A src for <video>: the path itself (streamed through the worker) or a blob URL. */
export async function videoSource(path) {
  if (workerAuthorises()) return { src: path, streamed: true };
  const resp = await send(path, { headers: await authHeaders() });
  if (!resp.ok) throw await problemOf(resp);
  return { src: URL.createObjectURL(await resp.blob()), streamed: false };
}

function filenameOf(resp, fallback) {
  const cd = resp.headers.get('Content-Disposition') || '';
  const m = cd.match(/filename\*=UTF-8''([^;]+)/i) || cd.match(/filename="?([^";]+)"?/i);
  return m ? decodeURIComponent(m[1]) : fallback;
}

/** Downloads an authorised file: fetched whole, then saved under the server's filename. */
export async function download(path, fallbackName) {
  const resp = await send(path, { headers: await authHeaders() });
  if (!resp.ok) throw await problemOf(resp);
  const blob = await resp.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filenameOf(resp, fallbackName);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return { name: a.download, size: blob.size };
}

/** Opens an authorised document (a PDF conclusion) in a new tab from a blob URL. */
export async function openDocument(path) {
  const tab = window.open('', '_blank');
  const resp = await send(path, { headers: await authHeaders() });
  if (!resp.ok) {
    if (tab) tab.close();
    throw await problemOf(resp);
  }
  const url = URL.createObjectURL(await resp.blob());
  if (tab) tab.location.href = url;
  else location.assign(url);
  return url;
}
