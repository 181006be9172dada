// Camera (getUserMedia), the device signature (WebCrypto) and offline mode (the service worker)
// exist only in a secure context: https, or localhost itself. Opened over plain http on any
// other address, the app would look "online" and fail at the vehicle; instead it says why, in
// a banner on every screen, and the recording screen is not offered.

import { t } from './i18n.js';
import { h, mount } from './ui.js';

export const NAME = 'insecure';

export function isSecure() {
  return window.isSecureContext === true;
}

// Where the same app would be secure: the proxy serves https on the default port.
export function httpsUrl() {
  return `https://${location.hostname}/`;
}

function explanation() {
  const url = httpsUrl();
  return [
    h('strong', {}, t('secure.title')), ' ',
    h('span', {}, t('secure.body')), ' ',
    h('span', {}, t('secure.how', { url })), ' ',
    h('a', { href: url, id: 'secure-https-link' }, url),
  ];
}

// The banner above every screen (login and the record screen included); re-rendered with
// the header so it follows the chosen language.
export function renderInsecureBanner() {
  let banner = document.getElementById('secure-banner');
  if (isSecure()) {
    if (banner) banner.remove();
    return;
  }
  if (!banner) {
    banner = h('div', { id: 'secure-banner', class: 'banner bad', role: 'alert' });
    document.getElementById('view').before(banner);
  }
  mount(banner, ...explanation());
}

// Stands in for the recording screen on an insecure origin: no camera is asked for.
export async function render(root, params) {
  const back = params && params.id ? `#/inspections/${encodeURIComponent(params.id)}` : '#/';
  root.append(h('div', { class: 'card error', id: 'secure-record-blocked', role: 'alert' },
    h('h1', {}, t('secure.record_blocked')),
    h('p', {}, ...explanation()),
    h('a', { class: 'btn ghost', href: back }, t('action.back'))));
  return null;
}
