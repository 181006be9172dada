// Sign in. The device key is made and registered right after (it needs the token).

import { ApiError, login } from '../api.js';
import { registerDevice } from '../device.js';
import { t } from '../i18n.js';
import { kick } from '../outbox.js';
import { h } from '../ui.js';

export const NAME = 'login';

export async function render(root, params, ctx) {
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const loginInput = h('input', { id: 'login', name: 'login', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { class: 'btn primary big', type: 'submit' }, t('login.submit'));
  const form = h('form', { class: 'card narrow', onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      await login(loginInput.value.trim(), password.value);
      try {
        await registerDevice();
      } catch {
        // Offline or refused: the banner says so and registration is tried again later.
      }
      kick({ force: true });
      await ctx.checkDevice();
      ctx.navigate('#/');
    } catch (err) {
      const code = err instanceof ApiError ? err.code : 'network';
      error.textContent = t(code === 'invalid_credentials' ? 'login.bad_credentials' : code === 'network' ? 'login.offline' : 'login.failed');
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  } },
  h('h1', {}, t('login.title')),
  h('p', { class: 'muted' }, t('login.intro')),
  h('label', { for: 'login' }, t('login.login')), loginInput,
  h('label', { for: 'password' }, t('login.password')), password,
  error,
  submit);
  root.append(form);
  loginInput.focus();
}
