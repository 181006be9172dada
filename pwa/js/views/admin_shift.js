// Who is on shift at a post: the post head ticks the post's inspectors (an admin picks the post
// first). Only inspectors on shift are drawn, at random, for the next inspections.

import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { errorLine, hashQuery, problemCard, showError } from './common.js';
import { checkbox, field, problemText } from './admin_common.js';

export const NAME = 'admin_shift';

function shiftForm(shift) {
  const boxes = shift.inspectors.map((i) => checkbox(`shift-${i.id}`, i.on_shift, { inspector: i.id, login: i.login }));
  const error = errorLine('shift-error');
  const saved = h('p', { class: 'card ok', id: 'shift-saved', role: 'status', hidden: true });
  return h('form', { class: 'card', id: 'shift', dataset: { post: shift.post_code }, onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    saved.hidden = true;
    try {
      const out = await api(`/api/posts/${encodeURIComponent(shift.post_code)}/shift`, { method: 'PUT', json: {
        inspector_ids: boxes.filter((b) => b.checked).map((b) => b.dataset.inspector),
      } });
      const n = out.inspectors.filter((i) => i.on_shift).length;
      saved.textContent = t('admin.shift.saved', { n });
      saved.dataset.count = String(n);
      saved.hidden = false;
    } catch (err) {
      showError(error, problemText(err));
    }
  } },
  h('h2', {}, t('admin.shift.post', { post: shift.post_code })),
  shift.inspectors.length
    ? h('ul', { class: 'plain-list' }, shift.inspectors.map((i, n) => h('li', {},
      h('label', { class: 'row', for: boxes[n].id }, boxes[n], h('strong', {}, i.name), h('code', { class: 'muted' }, i.login)))))
    : h('p', { class: 'muted' }, t('admin.shift.none')),
  error, saved,
  h('button', { class: 'btn primary', type: 'submit', id: 'shift-save' }, t('admin.save')));
}

export async function render(root, params, ctx) {
  const body = h('div', { id: 'shift-body' });
  root.append(h('h1', {}, t('admin.shift.title')), h('p', { class: 'muted' }, t('admin.shift.hint')));
  let latest = 0;
  const show = async (code) => {
    const turn = ++latest; // a slower answer for a post picked earlier must not overwrite
    try {
      const shift = await api(`/api/posts/${encodeURIComponent(code)}/shift`);
      if (turn === latest) mount(body, shiftForm(shift));
    } catch (err) {
      if (turn === latest) mount(body, problemCard(err));
    }
  };
  const own = ctx.session.user.post_id;
  if (own) {
    root.append(body);
    await show(own);
    return null;
  }
  let posts;
  try {
    posts = await api('/api/posts');
  } catch (err) {
    root.append(problemCard(err));
    return null;
  }
  const wanted = hashQuery().get('post') || (posts[0] && posts[0].code) || '';
  const select = h('select', { id: 'shift-post', onchange: () => show(select.value) },
    posts.map((p) => h('option', { value: p.code, selected: p.code === wanted }, `${p.code} · ${p.name}`)));
  root.append(h('div', { class: 'card' }, field(t('admin.users.post'), select)), body);
  if (wanted) await show(wanted);
  return null;
}
