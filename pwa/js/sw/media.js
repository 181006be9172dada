// Recordings for the player: <video> cannot send the bearer token, so the worker forwards its
// requests with the token added and the Range / If-Range headers kept. Only requests from the
// app's own pages (a client id; never a navigation) and only these read-only paths.

import { authHeaders } from '../api.js';

export const AUTHORISED_MEDIA = /^\/api\/recordings\/[^/]+\/(video|stream\/[A-Za-z0-9_.-]+)$/;

const FORWARDED = ['Range', 'If-Range', 'Accept'];

export function wantsBearer(event, url) {
  const request = event.request;
  return request.method === 'GET' && url.origin === self.location.origin
    && AUTHORISED_MEDIA.test(url.pathname) && request.mode !== 'navigate'
    && Boolean(event.clientId) && !request.headers.has('Authorization');
}

/** The request again, same URL and ranges, with the signed-in user's bearer token. */
export async function withBearer(request) {
  const headers = new Headers(await authHeaders());
  for (const name of FORWARDED) {
    const value = request.headers.get(name);
    if (value) headers.set(name, value);
  }
  return fetch(request.url, { headers, cache: 'no-store', credentials: 'omit', signal: request.signal });
}
