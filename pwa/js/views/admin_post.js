// One post for the administrator: name, kind, IDK and geofence; the policy as JSON, checked by
// the server (its errors name the JSON path); every policy version the post has had.

import { api } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { errorLine, problemCard, showError } from './common.js';
import { checkbox, field, kindSelect, parseJson, problemText } from './admin_common.js';

export const NAME = 'admin_post';

function json(value) {
  return JSON.stringify(value, null, 2);
}

function postForm(post, onSaved) {
  const name = h('input', { id: 'edit-post-name', value: post.name, maxlength: '200' });
  const kind = kindSelect('edit-post-kind', post.kind);
  const idk = checkbox('edit-post-idk', post.has_idk);
  const fence = h('textarea', { id: 'edit-post-geofence', rows: 6, spellcheck: 'false', class: 'mono' });
  fence.value = json(post.geofence);
  const error = errorLine('post-edit-error');
  return h('form', { class: 'card', id: 'post-edit', onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    try {
      await api(`/api/posts/${encodeURIComponent(post.code)}`, { method: 'PATCH', json: {
        name: name.value.trim(), kind: kind.value, has_idk: idk.checked, geofence: parseJson(fence.value),
      } });
      await onSaved({ text: t('admin.saved') });
    } catch (err) {
      showError(error, problemText(err));
    }
  } },
  h('h2', {}, t('admin.post.details')),
  h('div', { class: 'form-grid' }, field(t('admin.posts.name'), name), field(t('admin.posts.kind'), kind)),
  h('label', { class: 'row', for: 'edit-post-idk' }, idk, t('admin.posts.has_idk')),
  field(t('admin.posts.geofence'), fence),
  error,
  h('button', { class: 'btn primary', type: 'submit', id: 'post-edit-submit' }, t('admin.save')));
}

function policyForm(code, policy, onSaved) {
  const { version, ...body } = policy;
  const area = h('textarea', { id: 'policy-json', rows: 18, spellcheck: 'false', class: 'mono' });
  area.value = json(body);
  const error = errorLine('policy-error');
  return h('form', { class: 'card', id: 'policy-edit', onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    try {
      const out = await api(`/api/posts/${encodeURIComponent(code)}/policy`, { method: 'PUT', json: parseJson(area.value) });
      await onSaved({ text: t('admin.policy.saved', { version: out.version }), version: out.version });
    } catch (err) {
      showError(error, problemText(err));
    }
  } },
  h('h2', {}, t('admin.policy.title', { version })),
  h('p', { class: 'muted small' }, t('admin.policy.hint')),
  area, error,
  h('button', { class: 'btn primary', type: 'submit', id: 'policy-save' }, t('admin.policy.save')));
}

function versionList(code, versions) {
  const shown = h('pre', { class: 'mono small', id: 'policy-version-json', hidden: true });
  return h('section', { class: 'card', id: 'policy-versions' },
    h('h2', {}, t('admin.policy.versions')),
    h('ul', { class: 'plain-list' }, versions.map((v) => h('li', { dataset: { version: String(v.version) } },
      h('div', { class: 'row spread' },
        h('strong', {}, t('admin.policy.version', { version: v.version })),
        v.current ? h('span', { class: 'badge live' }, t('admin.policy.current')) : null),
      h('div', { class: 'muted small' }, t('admin.policy.by', {
        name: v.created_by_name || t('admin.policy.system'), at: formatDateTime(v.created_at),
      })),
      h('button', { class: 'btn', type: 'button', dataset: { show: String(v.version) }, onclick: async () => {
        const old = await api(`/api/posts/${encodeURIComponent(code)}/policy/versions/${v.version}`);
        shown.textContent = json(old.policy);
        shown.dataset.version = String(v.version);
        shown.hidden = false;
      } }, t('admin.policy.show'))))),
    shown);
}

export async function render(root, params) {
  const code = params.code;
  const body = h('div', { id: 'post-admin', dataset: { post: code } });
  root.append(h('p', {}, h('a', { href: '#/admin/posts', class: 'cell-link' }, t('admin.posts.back'))), body);
  const load = async (message) => {
    try {
      const [posts, policy, versions] = await Promise.all([
        api('/api/posts'),
        api(`/api/posts/${encodeURIComponent(code)}/policy`),
        api(`/api/posts/${encodeURIComponent(code)}/policy/versions`),
      ]);
      const post = posts.find((p) => p.code === code);
      if (!post) throw new Error(code);
      const saved = message ? h('p', { class: 'card ok', id: 'admin-saved', role: 'status',
        dataset: { version: String(message.version || '') } }, message.text) : null;
      mount(body, h('h1', {}, `${post.code} · ${post.name}`), saved,
        postForm(post, load), policyForm(code, policy, load), versionList(code, versions),
        h('p', {}, h('a', { class: 'btn', href: `#/shift?post=${encodeURIComponent(code)}` }, t('admin.shift.open'))));
    } catch (err) {
      mount(body, problemCard(err));
    }
  };
  await load();
  return null;
}
