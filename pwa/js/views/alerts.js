// The alert inbox: what needed a human at the post (or, for auditors, anywhere), newest first.
// Opening an alert marks it read and shows the screen it links to.

import { api } from '../api.js';
import { codeText, formatDateTime, has, localParams, serverText, t } from '../i18n.js';
import { setUnread } from '../nav.js';
import { h, mount } from '../ui.js';
import { failureText, problemCard } from './common.js';

export const NAME = 'alerts';

/** An alert's link ("/declarations/ID") as the app's hash route. */
export function linkHash(link) {
  return typeof link === 'string' && link.startsWith('/') && !link.startsWith('//') ? `#${link}` : null;
}

/** An alert's title and body in the reader's language from its code and params; the server's
 * Russian title and body only on the Russian screen when no code is known. */
export function alertText(a) {
  const code = a.code || a.kind;
  const title = has(`alert.${code}.title`) ? t(`alert.${code}.title`, localParams(a.params))
    : serverText(a.title, 'ru') ?? t('alert.generic.title');
  const body = codeText(`alert.${code}.body`, a.params) ?? serverText(a.body, 'ru');
  return { title, body };
}

export async function render(root, params, ctx) {
  const onlyUnread = h('button', { class: 'btn toggle', type: 'button', id: 'only-unread', 'aria-pressed': 'false', onclick: () => {
    onlyUnread.checked = !onlyUnread.checked;
    onlyUnread.setAttribute('aria-pressed', String(onlyUnread.checked));
    onlyUnread.classList.toggle('on', onlyUnread.checked);
    load();
  } }, t('alerts.only_unread'));
  onlyUnread.checked = false;
  const list = h('div', { id: 'alerts' });
  root.append(
    h('div', { class: 'title-row' }, h('h1', {}, t('alerts.title')),
      onlyUnread),
    list);

  const read = (a) => api(`/api/alerts/${encodeURIComponent(a.id)}/read`, { method: 'POST' });
  const load = async () => {
    let alerts;
    try {
      alerts = await api(`/api/alerts${onlyUnread.checked ? '?unread=true' : ''}`);
    } catch (err) {
      mount(list, problemCard(err));
      return;
    }
    setUnread(alerts.filter((a) => !a.read_at).length);
    ctx.refreshHeader();
    if (!alerts.length) { mount(list, h('p', { class: 'card muted' }, t('alerts.empty'))); return; }
    mount(list, h('ul', { class: 'alert-list plain-list' }, alerts.map((a) => {
      const status = h('span', { class: 'small error', hidden: true });
      const target = linkHash(a.link);
      const text = alertText(a);
      return h('li', { class: `card alert${a.read_at ? ' read' : ' unread'}`, dataset: { id: a.id, kind: a.kind, code: a.code || a.kind } },
        h('div', { class: 'row spread' },
          h('strong', {}, text.title),
          h('span', { class: 'muted small' }, formatDateTime(a.created_at), a.post_code ? ` · ${a.post_code}` : '')),
        text.body ? h('p', { class: 'alert-body' }, text.body) : null,
        h('div', { class: 'row' },
          target ? h('button', { class: 'btn primary', type: 'button', dataset: { open: a.id }, onclick: async () => {
            if (!a.read_at) await read(a).catch(() => null);
            ctx.navigate(target);
          } }, t('alerts.open')) : null,
          a.read_at ? h('span', { class: 'muted small' }, t('alerts.read_at', { at: formatDateTime(a.read_at) }))
            : h('button', { class: 'btn', type: 'button', dataset: { read: a.id }, onclick: async () => {
              try { await read(a); await load(); } catch (err) { status.textContent = failureText(err); status.hidden = false; }
            } }, t('alerts.mark_read')),
          status));
    })));
  };
  await load();
  return null;
}
