// The service worker only dispatches: each request goes to a named caching strategy
// (js/sw/strategies.js), Background Sync goes to the outbox (js/outbox.js).
// Bump VERSION when a shell file changes: caches of other versions are removed on activate.

import { drain, PENDING } from './js/outbox.js';
import { allTakes } from './js/db.js';
import { AUTHORISED_MEDIA, wantsBearer, withBearer } from './js/sw/media.js';
import { clickNotification, openLink, showPush } from './js/sw/push.js';
import { SHELL } from './js/sw/shell.js';
import {
  cacheFirst, cacheNames, navigation, networkFirst, precache, removeStale,
} from './js/sw/strategies.js';

const VERSION = 'v8';
const CACHES = cacheNames(VERSION);

const INSPECTION_DATA = /^\/api\/inspections(\/[^/]+)?$/;
const IDK_IMAGE = /^\/api\/idk\/scans\/[^/]+\/(image|display)$/;

function strategyFor(event) {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return null;
  if (AUTHORISED_MEDIA.test(url.pathname)) return wantsBearer(event, url) ? () => withBearer(request) : null;
  if (IDK_IMAGE.test(url.pathname)) return () => cacheFirst(request, CACHES.images, { store: true });
  if (INSPECTION_DATA.test(url.pathname)) return () => networkFirst(request, CACHES.data);
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/schema')) return null;
  if (request.mode === 'navigate') return () => navigation(request, CACHES.shell);
  return () => cacheFirst(request, CACHES.shell, { store: false });
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache(CACHES.shell, SHELL).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(removeStale(Object.values(CACHES)).then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const strategy = strategyFor(event);
  if (strategy) event.respondWith(strategy());
});

// Background Sync: an open page drains its own outbox (it shows progress); with no page
// open the worker drains it here. Throwing asks the browser to try the sync again later.
async function syncOutbox() {
  const windows = await self.clients.matchAll({ type: 'window' });
  if (windows.length) {
    windows.forEach((client) => client.postMessage({ type: 'drain' }));
    return;
  }
  await drain({ force: true });
  const left = (await allTakes()).filter((take) => PENDING.includes(take.state));
  if (left.length) throw new Error(`${left.length} recordings still to upload`);
}

self.addEventListener('sync', (event) => {
  if (event.tag === 'outbox') event.waitUntil(syncOutbox());
});

self.addEventListener('push', (event) => event.waitUntil(showPush(event)));
self.addEventListener('notificationclick', (event) => event.waitUntil(clickNotification(event.notification)));
// Tests reach the click path here (a headless browser cannot click a system notification).
self.dosmotr = { openLink, clickNotification };
