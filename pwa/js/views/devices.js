// Tablets registered at the post: a post head approves a pending one (only an approved
// device's signatures count) or revokes a lost one.

import { api } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { failureText, problemCard } from './common.js';

export const NAME = 'devices';
const ORDER = { pending: 0, approved: 1, revoked: 2 };

export async function render(root) {
  const list = h('div', { id: 'devices' });
  root.append(h('h1', {}, t('devices.title')), h('p', { class: 'muted' }, t('devices.hint')), list);
  const act = async (d, action, status) => {
    try {
      await api(`/api/devices/${encodeURIComponent(d.id)}/${action}`, { method: 'POST' });
      await load();
    } catch (err) {
      status.textContent = failureText(err);
      status.hidden = false;
    }
  };
  const load = async () => {
    let devices;
    try {
      devices = await api('/api/devices');
    } catch (err) {
      mount(list, problemCard(err));
      return;
    }
    devices.sort((a, b) => (ORDER[a.status] ?? 3) - (ORDER[b.status] ?? 3) || String(b.created_at).localeCompare(a.created_at));
    if (!devices.length) { mount(list, h('p', { class: 'card muted' }, t('devices.empty'))); return; }
    mount(list, h('div', { class: 'cards' }, devices.map((d) => {
      const status = h('p', { class: 'error small', hidden: true });
      return h('article', { class: 'card device', dataset: { id: d.id, status: d.status } },
        h('div', { class: 'row spread' }, h('strong', {}, d.name),
          h('span', { class: `badge device-${d.status}` }, t(`device_status.${d.status}`))),
        h('div', { class: 'device-owner', dataset: { owner: d.registered_by } }, t('devices.owner', { name: d.registered_by_name || d.registered_by })),
        h('div', { class: 'muted small' }, t('devices.registered', { at: formatDateTime(d.created_at) })),
        h('div', { class: 'muted small' }, t('devices.key', { key: (d.public_key_jwk.x || '').slice(0, 16) })),
        d.approved_at ? h('div', { class: 'muted small' }, t('devices.approved_at', { at: formatDateTime(d.approved_at) })) : null,
        h('div', { class: 'row' },
          d.status === 'pending' ? h('button', { class: 'btn primary', type: 'button', dataset: { approve: d.id }, onclick: () => act(d, 'approve', status) }, t('devices.approve')) : null,
          d.status !== 'revoked' ? h('button', { class: 'btn', type: 'button', dataset: { revoke: d.id }, onclick: () => {
            if (confirm(t('devices.revoke_confirm', { name: d.name }))) act(d, 'revoke', status);
          } }, t('devices.revoke')) : null),
        status);
    })));
  };
  await load();
  return null;
}
