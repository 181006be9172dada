// The role's screens as tabs under the top bar, with the number of unread alerts.

import { api } from './api.js';
import { t } from './i18n.js';
import { byId, h, mount } from './ui.js';

const NAV = {
  post_head: [['#/board', 'nav.board'], ['#/decisions', 'nav.decisions'], ['#/alerts', 'nav.alerts'],
    ['#/devices', 'nav.devices'], ['#/shift', 'nav.shift'], ['#/search', 'nav.search'], ['#/settings', 'nav.settings']],
  auditor: [['#/search', 'nav.search'], ['#/review', 'nav.review'], ['#/audit', 'nav.audit'],
    ['#/alerts', 'nav.alerts'], ['#/settings', 'nav.settings']],
  admin: [['#/admin/users', 'nav.users'], ['#/admin/posts', 'nav.posts'], ['#/shift', 'nav.shift'],
    ['#/search', 'nav.search'], ['#/audit', 'nav.audit'], ['#/devices', 'nav.devices'], ['#/alerts', 'nav.alerts']],
  idk_operator: [['#/idk', 'nav.idk'], ['#/alerts', 'nav.alerts'], ['#/settings', 'nav.settings']],
};
const UNREAD_EVERY_MS = 30000;

let unread = null;
let polled = 0;

function navElement() {
  let nav = byId('rolenav');
  if (!nav) {
    nav = h('nav', { id: 'rolenav', class: 'rolenav', 'aria-label': t('nav.label') });
    document.querySelector('.topbar').after(nav);
  }
  return nav;
}

export function renderNav(s, hash) {
  const items = s ? NAV[s.user.role] : null;
  const nav = navElement();
  nav.hidden = !items;
  if (!items) return;
  const current = (hash || '').split('?')[0];
  mount(nav, items.map(([href, key]) => h('a', {
    href, class: `tab${current === href || current.startsWith(`${href}/`) ? ' active' : ''}`, dataset: { nav: href.slice(2) },
  }, t(key), href === '#/alerts' && unread ? h('span', { class: 'count', id: 'unread-count' }, String(unread)) : null)));
  if (Date.now() - polled > UNREAD_EVERY_MS) refreshUnread(s);
}

export async function refreshUnread(s) {
  polled = Date.now();
  try {
    const list = await api('/api/alerts?unread=true');
    const n = list.length;
    if (n !== unread) {
      unread = n;
      renderNav(s, location.hash);
    }
  } catch {
    // the count stays as it was
  }
}

export function setUnread(n) {
  unread = n;
}
