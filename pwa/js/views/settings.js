// Settings: push notifications on this device. Enabling asks for permission, subscribes with
// the server's VAPID key and registers the subscription; a test notification goes through the
// same queue and push service as real alerts.

import { ApiError, api } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { errorLine, failureText, problemCard, showError } from './common.js';

export const NAME = 'settings';

export function keyBytes(base64url) {
  const padded = `${base64url}${'='.repeat((4 - (base64url.length % 4)) % 4)}`.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function supported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

async function currentSubscription() {
  const reg = await navigator.serviceWorker.ready;
  return reg.pushManager.getSubscription();
}

async function enable() {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(t('push.permission_denied'));
  const reg = await navigator.serviceWorker.ready;
  const { key } = await api('/api/push/vapid-public-key');
  let sub = await reg.pushManager.getSubscription();
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  return api('/api/push/subscriptions', { method: 'POST', json: sub.toJSON() });
}

export async function render(root) {
  const state = h('p', { class: 'note', id: 'push-state', role: 'status' });
  const error = errorLine('push-error');
  const result = h('p', { class: 'muted', id: 'push-result', role: 'status' });
  const list = h('div', { id: 'push-subscriptions' });
  const buttons = h('div', { class: 'actions' });
  root.append(h('h1', {}, t('settings.title')),
    h('section', { class: 'card' }, h('h2', {}, t('push.title')), h('p', { class: 'muted' }, t('push.hint')), state, buttons, error, result),
    h('section', { class: 'card' }, h('h2', {}, t('push.devices')), list));

  const run = (fn) => async (e) => {
    error.hidden = true;
    e.target.disabled = true;
    try {
      await fn();
    } catch (err) {
      showError(error, err instanceof ApiError ? failureText(err) : `${t('push.failed')} ${(err && err.message) || ''}`);
    } finally {
      e.target.disabled = false;
      await draw();
    }
  };

  const draw = async () => {
    if (!supported()) {
      state.textContent = t('push.unsupported');
      return;
    }
    const sub = await currentSubscription().catch(() => null);
    const permission = Notification.permission;
    state.textContent = sub ? t('push.on') : permission === 'denied' ? t('push.blocked') : t('push.off');
    state.dataset.state = sub ? 'on' : permission === 'denied' ? 'blocked' : 'off';
    mount(buttons,
      sub ? null : h('button', { class: 'btn primary big', type: 'button', id: 'push-enable', disabled: permission === 'denied', onclick: run(enable) }, t('push.enable')),
      sub ? h('button', { class: 'btn', type: 'button', id: 'push-disable', onclick: run(async () => {
        const mine = (await api('/api/push/subscriptions')).find((s) => s.endpoint === sub.endpoint);
        if (mine) await api(`/api/push/subscriptions/${encodeURIComponent(mine.id)}`, { method: 'DELETE' });
        await sub.unsubscribe();
      }) }, t('push.disable')) : null,
      h('button', { class: 'btn', type: 'button', id: 'push-test', onclick: run(async () => {
        const out = await api('/api/push/test', { method: 'POST' });
        result.textContent = t('push.test_queued', { n: out.subscriptions });
      }) }, t('push.test')));
    try {
      const subs = await api('/api/push/subscriptions');
      mount(list, subs.length ? h('ul', { class: 'plain-list' }, subs.map((s) => h('li', { class: 'row spread', dataset: { id: s.id } },
        h('span', {}, h('strong', {}, s.endpoint === (sub && sub.endpoint) ? t('push.this_device') : (s.user_agent || new URL(s.endpoint).host)), h('br'),
          h('span', { class: 'muted small' }, t('push.since', { at: formatDateTime(s.created_at) }),
            s.last_sent_at ? ` · ${t('push.last_sent', { at: formatDateTime(s.last_sent_at) })}` : '')),
        h('button', { class: 'btn', type: 'button', onclick: run(() => api(`/api/push/subscriptions/${encodeURIComponent(s.id)}`, { method: 'DELETE' })) }, t('push.remove')))))
        : h('p', { class: 'muted' }, t('push.none')));
    } catch (err) {
      mount(list, problemCard(err));
    }
  };
  await draw();
  return null;
}
