// Accounts for the administrator: create one (its one-time password is shown once), change a
// user's name, role, post or active state, reset a password, unlock a login after failed attempts.

import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { errorLine, problemCard, showError } from './common.js';
import { POST_ROLES, checkbox, field, otpCard, postSelect, problemText, roleSelect } from './admin_common.js';

export const NAME = 'admin_users';

function postOf(role, select) {
  return POST_ROLES.includes(role) ? select.value || null : null;
}

function createForm(posts, onCreated) {
  const login = h('input', { id: 'new-login', required: true, autocapitalize: 'none', spellcheck: 'false', maxlength: '64' });
  const name = h('input', { id: 'new-name', required: true, maxlength: '200' });
  const role = roleSelect('new-role', 'inspector');
  const post = postSelect('new-post', posts, posts.length ? posts[0].code : '');
  const error = errorLine('user-create-error');
  const submit = h('button', { class: 'btn primary', type: 'submit', id: 'user-create-submit' }, t('admin.users.create'));
  const syncPost = () => { post.disabled = !POST_ROLES.includes(role.value); };
  role.addEventListener('change', syncPost);
  syncPost();
  return h('form', { class: 'card', id: 'user-create', onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const made = await api('/api/users', { method: 'POST', json: {
        login: login.value.trim(), name: name.value.trim(), role: role.value, post_code: postOf(role.value, post),
      } });
      login.value = '';
      name.value = '';
      await onCreated(made);
    } catch (err) {
      showError(error, problemText(err));
    } finally {
      submit.disabled = false;
    }
  } },
  h('h2', {}, t('admin.users.new')),
  h('div', { class: 'form-grid' },
    field(t('admin.users.login'), login), field(t('admin.users.name'), name),
    field(t('admin.users.role'), role), field(t('admin.users.post'), post)),
  error, submit);
}

function editForm(user, posts, onSaved, onCancel) {
  const name = h('input', { id: 'edit-name', value: user.name, maxlength: '200' });
  const role = roleSelect('edit-role', user.role);
  const post = postSelect('edit-post', posts, user.post_code);
  const active = checkbox('edit-active', user.active);
  const error = errorLine('user-edit-error');
  const syncPost = () => { post.disabled = !POST_ROLES.includes(role.value); };
  role.addEventListener('change', syncPost);
  syncPost();
  return h('form', { class: 'card', id: 'user-edit', dataset: { id: user.id }, onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    try {
      await api(`/api/users/${encodeURIComponent(user.id)}`, { method: 'PATCH', json: {
        name: name.value.trim(), role: role.value, post_code: postOf(role.value, post), active: active.checked,
      } });
      await onSaved();
    } catch (err) {
      showError(error, problemText(err));
    }
  } },
  h('h2', {}, t('admin.users.edit', { login: user.login })),
  h('div', { class: 'form-grid' },
    field(t('admin.users.name'), name), field(t('admin.users.role'), role), field(t('admin.users.post'), post)),
  h('label', { class: 'row', for: 'edit-active' }, active, t('admin.users.active')),
  error,
  h('div', { class: 'row' },
    h('button', { class: 'btn primary', type: 'submit', id: 'user-edit-submit' }, t('admin.save')),
    h('button', { class: 'btn', type: 'button', onclick: onCancel }, t('admin.cancel'))));
}

function states(u) {
  return [
    !u.active ? h('span', { class: 'badge warn' }, t('admin.users.inactive')) : null,
    u.must_change_password ? h('span', { class: 'badge' }, t('admin.users.must_change')) : null,
    u.locked ? h('span', { class: 'badge warn', dataset: { locked: u.id } }, t('admin.users.locked')) : null,
    u.role === 'inspector' && u.on_shift ? h('span', { class: 'badge live' }, t('admin.shift.on')) : null,
  ];
}

export async function render(root) {
  const otpSlot = h('div', { id: 'otp-slot' });
  const editSlot = h('div', { id: 'edit-slot' });
  const list = h('div', { id: 'users' });
  const status = errorLine('users-error');
  let posts = [];
  try {
    posts = await api('/api/posts');
  } catch (err) {
    root.append(problemCard(err));
    return null;
  }
  const load = async () => {
    let users;
    try {
      users = await api('/api/users');
    } catch (err) {
      mount(list, problemCard(err));
      return;
    }
    const act = async (u, action) => {
      status.hidden = true;
      try {
        const out = await api(`/api/users/${encodeURIComponent(u.id)}/${action}`, { method: 'POST' });
        if (action === 'password-reset') mount(otpSlot, otpCard(u.login, out.one_time_password));
        await load();
      } catch (err) {
        showError(status, problemText(err));
      }
    };
    mount(list, h('div', { class: 'table-scroll' }, h('table', { class: 'lines results' },
      h('thead', {}, h('tr', {},
        ['admin.users.login', 'admin.users.name', 'admin.users.role', 'admin.users.post', 'admin.users.state', 'admin.users.actions']
          .map((k) => h('th', {}, t(k))))),
      h('tbody', {}, users.map((u) => h('tr', { dataset: { login: u.login, id: u.id } },
        h('td', {}, h('code', {}, u.login)), h('td', {}, u.name), h('td', {}, t(`role.${u.role}`)),
        h('td', {}, u.post_code || t('admin.no_post')), h('td', {}, states(u)),
        h('td', {}, h('div', { class: 'row' },
          h('button', { class: 'btn', type: 'button', dataset: { edit: u.login }, onclick: () => {
            mount(editSlot, editForm(u, posts, async () => { mount(editSlot); await load(); }, () => mount(editSlot)));
            editSlot.scrollIntoView();
          } }, t('admin.edit')),
          h('button', { class: 'btn', type: 'button', dataset: { reset: u.login }, onclick: () => {
            if (confirm(t('admin.users.reset_confirm', { login: u.login }))) act(u, 'password-reset');
          } }, t('admin.users.reset')),
          u.locked ? h('button', { class: 'btn', type: 'button', dataset: { unlock: u.login }, onclick: () => act(u, 'unlock') },
            t('admin.users.unlock')) : null))))))));
  };
  root.append(h('h1', {}, t('admin.users.title')),
    otpSlot,
    createForm(posts, async (made) => { mount(otpSlot, otpCard(made.user.login, made.one_time_password)); await load(); }),
    editSlot, status, list);
  await load();
  return null;
}
