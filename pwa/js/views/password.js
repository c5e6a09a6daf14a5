// Change my password (POST /api/v1/auth/password): the rule said first, the new one twice,
// every trouble in words beside its field; the phone keeps the new sign-in the server gives.
import { api, ApiError } from '../api.js';
import { setSession } from '../db.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import '../words-field.js';
import { showFieldErrors } from './actions.js';
import { backHome } from './nav.js';

function row(name, label, autocomplete) {
  const id = `pw-${name}`;
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { class: 'label', for: id }, label, h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')),
    h('input', { id, name, type: 'password', autocomplete, required: true, 'aria-describedby': `${id}-error` }),
    h('div', { class: 'error', id: `${id}-error`, role: 'alert' }));
}

export function passwordView(ctx) {
  const status = h('div', { class: 'notice', role: 'status', tabindex: '-1', 'data-testid': 'password-status' });
  const form = h('form', { class: 'tx-form card', novalidate: true },
    h('p', { class: 'help', id: 'pw-rule' }, t('password_rule')),
    row('current_password', t('password_current'), 'current-password'),
    row('new_password', t('password_new'), 'new-password'),
    row('new_password_again', t('password_again'), 'new-password'),
    h('button', { type: 'submit', class: 'primary' }, t('password_change')));
  form.new_password.setAttribute('aria-describedby', 'pw-rule pw-new_password-error');
  let busy = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    status.textContent = '';
    const current = form.current_password.value;
    const fresh = form.new_password.value;
    const missing = [];
    if (!current) missing.push(['current_password', t('required')]);
    if (fresh.length < 8) missing.push(['new_password', fresh ? t('password_short') : t('required')]);
    else if (fresh !== form.new_password_again.value) missing.push(['new_password_again', t('password_mismatch')]);
    showFieldErrors(form, missing);
    if (missing.length) return;
    if (!navigator.onLine) { showFieldErrors(form, [['current_password', t('password_offline')]]); return; }
    busy = true;
    status.textContent = t('password_saving');
    try {
      const res = await api('/auth/password', { method: 'POST', body: { current_password: current, new_password: fresh } });
      // Every other sign-in of mine ended; this phone goes on with the new one.
      await setSession({ ...ctx.session, token: res.token, me: res.user || ctx.session.me });
      form.reset();
      status.textContent = t('password_changed');
      status.focus();
    } catch (err) {
      status.textContent = '';
      if (!(err instanceof ApiError)) showFieldErrors(form, [['current_password', t('password_offline')]]);
      else if (err.status === 403) showFieldErrors(form, [['current_password', t('password_wrong')]]);
      else {
        const fields = (err.body && err.body.error && err.body.error.fields) || {};
        const named = Object.entries(fields).filter(([name]) => form[name]);
        showFieldErrors(form, named.length ? named : [['new_password', err.message]]);
      }
    } finally {
      busy = false;
    }
  });
  return h('section', {}, backHome(), h('h2', {}, t('password_change')), status, form);
}
