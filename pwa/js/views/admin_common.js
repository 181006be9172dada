// Pieces the administrator's screens share: role and post pickers, a field with its label,
// the server's validation problem as a line (with the JSON path it names), the one-time password.

import { ApiError } from '../api.js';
import { t } from '../i18n.js';
import { h } from '../ui.js';
import { failureText } from './common.js';

export const ROLES = ['inspector', 'idk_operator', 'post_head', 'auditor', 'integration', 'admin'];
export const POST_ROLES = ['inspector', 'idk_operator', 'post_head'];
export const KINDS = ['road', 'rail'];

/** A checkbox sized for a finger (the stylesheet's input rule makes fields full width). */
export function checkbox(id, checked, dataset = {}) {
  return h('input', { id, type: 'checkbox', checked, dataset, style: { width: '32px', minHeight: '32px', height: '32px', flex: 'none' } });
}

export function field(label, input) {
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input);
}

export function roleSelect(id, value) {
  return h('select', { id }, ROLES.map((r) => h('option', { value: r, selected: r === value }, t(`role.${r}`))));
}

export function postSelect(id, posts, value) {
  return h('select', { id },
    h('option', { value: '', selected: !value }, t('admin.no_post')),
    posts.map((p) => h('option', { value: p.code, selected: p.code === value }, `${p.code} · ${p.name}`)));
}

export function kindSelect(id, value) {
  return h('select', { id }, KINDS.map((k) => h('option', { value: k, selected: k === value }, t(`admin.kind.${k}`))));
}

/** The server's 422 as the admin should read it: its detail, and where in the JSON. */
export function problemText(err) {
  if (!(err instanceof ApiError) || err.status !== 422) return failureText(err);
  const path = err.body && err.body.path;
  return path ? t('admin.invalid_at', { detail: err.detail, path }) : err.detail;
}

/** JSON typed into a textarea, or an Error that says it is not JSON. */
export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(422, 'not_json', t('admin.not_json', { error: err.message }));
  }
}

/** The one-time password, shown once: the admin hands it to the user, who must change it. */
export function otpCard(login, password) {
  return h('section', { class: 'card ok', id: 'otp', role: 'status' },
    h('h2', {}, t('admin.otp.title', { login })),
    h('p', {}, h('code', { id: 'otp-value', class: 'otp', style: { fontSize: '1.6rem' } }, password)),
    h('p', { class: 'muted small' }, t('admin.otp.hint')));
}
