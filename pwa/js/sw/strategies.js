// Named caching strategies for the service worker. Caches are versioned by name.

const NETWORK_TIMEOUT_MS = 6000;

export function cacheNames(version) {
  return {
    shell: `dosmotr-shell-${version}`, // the app itself, precached at install
    data: `dosmotr-data-${version}`, // the inspector's inspections, for reading offline
    images: `dosmotr-images-${version}`, // IDK images of those inspections (immutable)
  };
}

export async function precache(cacheName, urls) {
  const cache = await caches.open(cacheName);
  // `reload`: never fill a new version from the HTTP cache's older copies.
  await cache.addAll(urls.map((url) => new Request(url, { cache: 'reload' })));
}

export async function removeStale(keep) {
  for (const name of await caches.keys()) {
    if (name.startsWith('dosmotr-') && !keep.includes(name)) await caches.delete(name);
  }
}

function offlineProblem() {
  const body = JSON.stringify({
    type: 'about:blank', status: 503, code: 'offline', title: 'Offline',
    detail: 'no network and no saved copy',
  });
  return new Response(body, {
    status: 503, headers: { 'Content-Type': 'application/problem+json', 'X-Dosmotr-Offline': '1' },
  });
}

/** Cache, else network (stored when `store`); offline and uncached: 503 problem. */
export async function cacheFirst(request, cacheName, { store }) {
  const cache = await caches.open(cacheName);
  const hit = await cache.match(request, { ignoreVary: true });
  if (hit) return hit;
  try {
    const resp = await fetch(request);
    if (store && resp.ok) await cache.put(request, resp.clone());
    return resp;
  } catch {
    return offlineProblem();
  }
}

/** Network (stored), else the saved copy marked X-Dosmotr-Cached, else 503 problem. */
export async function networkFirst(request, cacheName) {
  const cache = await caches.open(cacheName);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), NETWORK_TIMEOUT_MS);
  try {
    const resp = await fetch(request, { signal: controller.signal });
    if (resp.ok) await cache.put(request, resp.clone());
    return resp;
  } catch {
    const hit = await cache.match(request, { ignoreVary: true });
    if (!hit) return offlineProblem();
    const headers = new Headers(hit.headers);
    headers.set('X-Dosmotr-Cached', hit.headers.get('Date') || 'offline');
    return new Response(hit.body, { status: hit.status, statusText: hit.statusText, headers });
  } finally {
    clearTimeout(timer);
  }
}

/** Page loads get the app shell (the app routes by hash); failing that, the offline page. */
export async function navigation(request, shellCache) {
  const cache = await caches.open(shellCache);
  const shell = await cache.match('/index.html');
  if (shell) return shell;
  try {
    return await fetch(request);
  } catch {
    return (await cache.match('/offline.html')) || offlineProblem();
  }
}
