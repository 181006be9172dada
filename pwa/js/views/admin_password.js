// One's own password. After a one-time password (a new account or a reset) the app comes here
// and nowhere else until it is changed; the server ends every other session of the user.

import { ApiError, api, saveSession, session } from '../api.js';
import { needsDevice, registerDevice } from '../device.js';
import { t } from '../i18n.js';
import { h } from '../ui.js';
import { errorLine, showError } from './common.js';
import { field, problemText } from './admin_common.js';

export const NAME = 'password';
const MIN_LENGTH = 12;

export async function render(root, params, ctx) {
  const forced = Boolean(ctx.session.user.must_change_password);
  const current = h('input', { id: 'current-password', type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { id: 'new-password', type: 'password', autocomplete: 'new-password', required: true });
  const again = h('input', { id: 'repeat-password', type: 'password', autocomplete: 'new-password', required: true });
  const error = errorLine('password-error');
  const submit = h('button', { class: 'btn primary big', type: 'submit', id: 'password-submit' }, t('password.submit'));
  root.append(h('form', { class: 'card narrow', id: 'password-form', onsubmit: async (e) => {
    e.preventDefault();
    error.hidden = true;
    if (next.value.length < MIN_LENGTH) return showError(error, t('password.too_short', { n: MIN_LENGTH }));
    if (next.value !== again.value) return showError(error, t('password.mismatch'));
    submit.disabled = true;
    try {
      await api('/api/auth/password', { method: 'POST', json: { current_password: current.value, new_password: next.value } });
      const s = await session();
      await saveSession({ ...s, user: { ...s.user, must_change_password: false } });
      if (needsDevice(s.user)) {
        try {
          await registerDevice(); // refused while the one-time password was in use
        } catch {
          // offline: the banner says so and registration is tried again later
        }
        await ctx.checkDevice();
      }
      ctx.navigate('#/');
    } catch (err) {
      showError(error, err instanceof ApiError && err.code === 'wrong_current_password' ? t('password.wrong_current') : problemText(err));
    } finally {
      submit.disabled = false;
    }
    return null;
  } },
  h('h1', {}, t('password.title')),
  forced ? h('p', { class: 'banner warn', id: 'password-forced' }, t('password.forced')) : null,
  field(t(forced ? 'password.one_time' : 'password.current'), current),
  field(t('password.new'), next),
  field(t('password.repeat'), again),
  h('p', { class: 'muted small' }, t('password.too_short', { n: MIN_LENGTH })),
  error, submit));
  current.focus();
  return null;
}
