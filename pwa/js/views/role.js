// Roles with no screens in the app (the integration machine account, admin) land here.

import { t } from '../i18n.js';
import { h } from '../ui.js';

export const NAME = 'role';

export async function render(root, params, ctx) {
  root.append(h('section', { class: 'card narrow' },
    h('h1', {}, t('role.title')),
    h('p', {}, t('role.body', { role: t(`role.${ctx.session.user.role}`) }))));
}
