// Customs posts for the administrator: the list, and a new post with its geofence pasted as
// GeoJSON (the server checks the polygon; its policy starts as the kind's default, version 1).

import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { errorLine, problemCard, showError } from './common.js';
import { checkbox, field, kindSelect, parseJson, problemText } from './admin_common.js';

export const NAME = 'admin_posts';

function createForm(onCreated) {
  const code = h('input', { id: 'post-code', required: true, autocapitalize: 'characters', spellcheck: 'false', maxlength: '32' });
  const name = h('input', { id: 'post-name', required: true, maxlength: '200' });
  const kind = kindSelect('post-kind', 'road');
  const idk = checkbox('post-idk', false);
  const fence = h('textarea', { id: 'post-geofence', rows: 6, required: true, spellcheck: 'false', class: 'mono' });
  const error = errorLine('post-create-error');
  const submit = h('button', { class: 'btn primary', type: 'submit', id: 'post-create-submit' }, t('admin.posts.create'));
  return h('form', { class: 'card', id: 'post-create', onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const made = await api('/api/posts', { method: 'POST', json: {
        code: code.value.trim(), name: name.value.trim(), kind: kind.value, has_idk: idk.checked,
        geofence: parseJson(fence.value),
      } });
      await onCreated(made);
    } catch (err) {
      showError(error, problemText(err));
    } finally {
      submit.disabled = false;
    }
  } },
  h('h2', {}, t('admin.posts.new')),
  h('div', { class: 'form-grid' },
    field(t('admin.posts.code'), code), field(t('admin.posts.name'), name), field(t('admin.posts.kind'), kind)),
  h('label', { class: 'row', for: 'post-idk' }, idk, t('admin.posts.has_idk')),
  field(t('admin.posts.geofence'), fence),
  h('p', { class: 'muted small' }, t('admin.posts.geofence_hint')),
  error, submit);
}

export async function render(root, params, ctx) {
  const list = h('div', { id: 'posts' });
  const load = async () => {
    let posts;
    try {
      posts = await api('/api/posts');
    } catch (err) {
      mount(list, problemCard(err));
      return;
    }
    mount(list, h('div', { class: 'cards' }, posts.map((p) => h('a', {
      class: 'card link', href: `#/admin/posts/${encodeURIComponent(p.code)}`, dataset: { post: p.code },
    },
    h('div', { class: 'row spread' }, h('strong', {}, `${p.code} · ${p.name}`), h('span', { class: 'badge' }, t(`admin.kind.${p.kind}`))),
    h('div', { class: 'muted small' }, t('admin.posts.policy_version', { version: p.policy_version })),
    p.has_idk ? h('div', { class: 'muted small' }, t('admin.posts.has_idk')) : null))));
  };
  root.append(h('h1', {}, t('admin.posts.title')),
    createForm((made) => ctx.navigate(`#/admin/posts/${encodeURIComponent(made.code)}`)), list);
  await load();
  return null;
}
