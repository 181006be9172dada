// Boot and the router (by hash and role). Each role's screens are rows of ROUTES with their
// roles and a HOME entry; one hash may lead to different screens by role (#/inspections/ID is
// the inspector's recording screen and the post head's / auditor's watch screen).

import { clearSession, inspections, logout, onReachabilityChange, onUnauthenticated, reachable, session } from './api.js';
import { device, needsDevice, refreshDevice } from './device.js';
import { LANGS, applyStatic, currentLang, initI18n, setLang, t } from './i18n.js';
import { kick, requeueRefused } from './outbox.js';
import { recoverTakes } from './recorder.js';
import { renderNav } from './nav.js';
import * as secure from './secure.js';
import { byId, h, mount } from './ui.js';
import * as adminPasswordView from './views/admin_password.js';
import * as adminPostView from './views/admin_post.js';
import * as adminPostsView from './views/admin_posts.js';
import * as adminShiftView from './views/admin_shift.js';
import * as adminUsersView from './views/admin_users.js';
import * as alertsView from './views/alerts.js';
import * as auditView from './views/audit.js';
import * as boardView from './views/board.js';
import * as confirmView from './views/confirm.js';
import * as consistView from './views/consist.js';
import * as declarationView from './views/declaration.js';
import * as decisionsView from './views/decisions.js';
import * as devicesView from './views/devices.js';
import * as finishView from './views/finish.js';
import * as idkQueueView from './views/idk_queue.js';
import * as idkScanView from './views/idk_scan.js';
import * as inspectionView from './views/inspection.js';
import * as inspectionsView from './views/inspections.js';
import * as loginView from './views/login.js';
import * as recordView from './views/record.js';
import * as playerView from './views/recording.js';
import * as reviewView from './views/review.js';
import * as roleView from './views/role.js';
import * as searchView from './views/search.js';
import * as settingsView from './views/settings.js';
import * as watchView from './views/watch.js';

const PHASE = '(exterior|unloading|recount|opening)';
const WATCHERS = ['post_head', 'auditor', 'admin'];
const DESK = ['post_head', 'auditor', 'admin', 'idk_operator'];
const ROUTES = [
  { pattern: /^#\/login$/, view: loginView, public: true },
  { pattern: /^#\/inspections$/, view: inspectionsView, roles: ['inspector'] },
  { pattern: /^#\/inspections\/([^/]+)$/, view: inspectionView, roles: ['inspector'], params: ['id'] },
  { pattern: new RegExp(`^#/inspections/([^/]+)/record/${PHASE}$`), view: recordView, roles: ['inspector'], params: ['id', 'phase'] },
  { pattern: /^#\/inspections\/([^/]+)\/finish$/, view: finishView, roles: ['inspector'], params: ['id'] },
  { pattern: /^#\/inspections\/([^/]+)$/, view: watchView, roles: WATCHERS, params: ['id'] },
  { pattern: /^#\/board$/, view: boardView, roles: ['post_head'] },
  { pattern: /^#\/decisions$/, view: decisionsView, roles: ['post_head'] },
  { pattern: /^#\/declarations\/([^/?]+)$/, view: declarationView, roles: WATCHERS, params: ['id'] },
  { pattern: /^#\/recordings\/([^/?]+)$/, view: playerView, roles: WATCHERS, params: ['id'] },
  { pattern: /^#\/recordings\/([^/?]+)\/confirm\/([a-z_]+)$/, view: confirmView, roles: WATCHERS, params: ['id', 'check'] },
  { pattern: /^#\/search(\?.*)?$/, view: searchView, roles: WATCHERS },
  { pattern: /^#\/review(\?.*)?$/, view: reviewView, roles: ['auditor', 'admin'] },
  { pattern: /^#\/audit(\?.*)?$/, view: auditView, roles: ['auditor', 'admin'] },
  { pattern: /^#\/idk(\?.*)?$/, view: idkQueueView, roles: ['idk_operator'] },
  { pattern: /^#\/idk\/([^/?]+)$/, view: idkScanView, roles: ['idk_operator', ...WATCHERS], params: ['id'] },
  { pattern: /^#\/rail\/consists\/([^/?]+)$/, view: consistView, roles: ['idk_operator', ...WATCHERS], params: ['id'] },
  { pattern: /^#\/alerts$/, view: alertsView, roles: DESK },
  { pattern: /^#\/devices$/, view: devicesView, roles: ['post_head', 'admin'] },
  { pattern: /^#\/settings$/, view: settingsView, roles: DESK },
  { pattern: /^#\/admin\/users$/, view: adminUsersView, roles: ['admin'] },
  { pattern: /^#\/admin\/posts$/, view: adminPostsView, roles: ['admin'] },
  { pattern: /^#\/admin\/posts\/([^/?]+)$/, view: adminPostView, roles: ['admin'], params: ['code'] },
  { pattern: /^#\/shift(\?.*)?$/, view: adminShiftView, roles: ['post_head', 'admin'] },
  { pattern: /^#\/password$/, view: adminPasswordView },
  { pattern: /^#\/role$/, view: roleView },
];
const HOME = { inspector: '#/inspections', post_head: '#/board', auditor: '#/search', admin: '#/admin/users', idk_operator: '#/idk' };
const DEVICE_CHECK_MS = 5000;
const APPROVED_RECHECK_MS = 60000; // an approved device is re-checked rarely (revocation)

let cleanup = null;
let rendering = 0;

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function route() {
  const turn = ++rendering;
  const s = await session();
  let hash = location.hash || '#/';
  if (!s && hash !== '#/login') return navigate('#/login');
  // A one-time password in use: the server answers nothing else until it is changed.
  if (s && s.user.must_change_password && hash !== '#/password') return navigate('#/password');
  if (s && (hash === '#/' || hash === '#/login')) return navigate(HOME[s.user.role] || '#/role');
  const matches = ROUTES.map((r) => ({ r, m: hash.match(r.pattern) })).filter((x) => x.m);
  const match = matches.find(({ r }) => r.public || !r.roles || (s && r.roles.includes(s.user.role))) || matches[0];
  if (!match) return navigate('#/');
  const { r, m } = match;
  // Without a secure context there is no camera nor device key: the record screen says why.
  const view = r.view === recordView && !secure.isSecure() ? secure : r.view;
  if (!r.public && r.roles && !r.roles.includes(s.user.role)) return navigate(HOME[s.user.role] || '#/role');
  const params = Object.fromEntries((r.params || []).map((name, i) => [name, decodeURIComponent(m[i + 1])]));
  if (cleanup) {
    const previous = cleanup;
    cleanup = null;
    await previous();
  }
  if (turn !== rendering) return; // another navigation overtook this one
  const root = byId('view');
  root.replaceChildren();
  renderHeader(s);
  document.body.dataset.view = view.NAME || '';
  const ctx = { session: s, navigate, refreshHeader: () => renderHeader(s), checkDevice: () => checkDevice({ force: true }) };
  cleanup = (await view.render(root, params, ctx)) || null;
  window.scrollTo(0, 0);
}

function renderHeader(s) {
  const langs = LANGS.map((code) => h('button', {
    class: `lang${code === currentLang() ? ' active' : ''}`, type: 'button', 'aria-pressed': String(code === currentLang()),
    dataset: { lang: code }, onclick: async () => { await setLang(code); route(); },
  }, t(`lang.${code}`)));
  mount(byId('langs'), langs);
  byId('user').textContent = s ? s.user.name : '';
  byId('logout').hidden = !s;
  renderNav(s, location.hash);
  secure.renderInsecureBanner();
  renderNetwork();
  renderDevice();
}

function renderNetwork() {
  if (!secure.isSecure()) {
    // Plain http on a real address: "online" would hide why nothing works at the vehicle.
    mount(byId('net'), t('net.insecure'));
    byId('net').className = 'net off insecure';
    return;
  }
  const online = navigator.onLine && reachable();
  const el = byId('net');
  el.textContent = t(online ? 'net.online' : 'net.offline');
  el.className = `net ${online ? 'ok' : 'off'}`;
}

async function renderDevice() {
  const s = await session();
  const d = await device();
  const banner = byId('device-banner');
  // No device key without a secure context: the HTTPS banner already names the cause.
  if (!s || !needsDevice(s.user) || !secure.isSecure()) {
    banner.hidden = true;
    return;
  }
  const status = d ? d.status : 'unregistered';
  banner.hidden = status === 'approved';
  banner.className = `banner ${status === 'revoked' ? 'bad' : 'warn'}`;
  banner.dataset.status = status;
  mount(banner, h('strong', {}, t(`device.${status}`)), ' ', h('span', {}, t(`device.${status}.hint`)),
    d && d.name ? h('span', { class: 'device-name', id: 'device-name' }, ' ', t('device.name', { name: d.name })) : null);
}

let lastDeviceStatus = null;

async function checkDevice({ force = false } = {}) {
  const s = await session();
  if (!s || !navigator.onLine || !needsDevice(s.user)) return;
  const known = await device();
  if (!force && known && known.status === 'approved' && Date.now() - known.checked_at < APPROVED_RECHECK_MS) return;
  try {
    const d = await refreshDevice();
    if (d.status === 'approved' && lastDeviceStatus !== 'approved') await requeueRefused('device_not_approved');
    lastDeviceStatus = d.status;
  } catch {
    // Offline or the server is away: the banner keeps its last known state.
  }
  renderDevice();
}

async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' });
  } catch (err) {
    console.warn('service worker not registered', err);
  }
  // On the very first visit the worker takes control only after the first screen has loaded,
  // so what that screen fetched never reached its cache: fetch the inspector's list again
  // through the worker, or "My inspections" would be empty at the first dead zone.
  navigator.serviceWorker.addEventListener('controllerchange', async () => {
    const s = await session();
    if (s && s.user.role === 'inspector') inspections.mine().catch(() => {});
  });
  navigator.serviceWorker.addEventListener('message', (e) => {
    if (e.data && e.data.type === 'drain') kick();
    // a notification was clicked: show the screen it links to
    if (e.data && e.data.type === 'open' && typeof e.data.hash === 'string' && e.data.hash.startsWith('#/')) navigate(e.data.hash);
  });
}

async function boot() {
  await initI18n();
  byId('logout').addEventListener('click', async () => {
    await logout();
    if ('caches' in self) {
      // What this inspector read stays with them: cached API answers and images go.
      for (const name of await caches.keys()) if (!name.includes('-shell-')) await caches.delete(name);
    }
    navigate('#/login');
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('online', () => { renderNetwork(); kick({ force: true }); checkDevice({ force: true }); });
  window.addEventListener('offline', renderNetwork);
  onReachabilityChange(renderNetwork);
  // An expired or revoked token: sign in again. Recordings stay queued and go on afterwards.
  onUnauthenticated(async () => { await clearSession(); navigate('#/login'); });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') { kick(); checkDevice({ force: true }); }
  });
  registerServiceWorker();
  await route();
  await recoverTakes();
  kick();
  checkDevice({ force: true });
  setInterval(checkDevice, DEVICE_CHECK_MS);
  applyStatic(document);
}

boot();
