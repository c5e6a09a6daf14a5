import { api, ApiError } from '../api.js';
import { h } from '../dom.js';
import { setSession } from '../db.js';
import { duration } from '../format.js';
import { t } from '../i18n.js';
import '../words-field.js';
import '../words-roles.js';
import { refreshCaches } from '../state.js';

export function loginView(ctx) {
  const message = h('div', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'tx-form card' },
    h('h2', {}, t('sign_in')),
    h('label', { class: 'label', for: 'username' }, t('username')),
    h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true }),
    h('label', { class: 'label', for: 'password' }, t('password')),
    h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    message,
    h('button', { type: 'submit', class: 'primary' }, t('sign_in')),
    // A resident without an account: follow a letter by its code (no dead end at sign-in).
    h('p', { class: 'help' }, h('a', { href: '/app/t/', 'data-link': true, 'data-testid': 'track-link' }, t('track_link'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.textContent = t('signing_in');
    const username = form.username.value.trim();
    try {
      const res = await api('/auth/login', { method: 'POST', token: null,
        body: { username, password: form.password.value } });
      const session = { user: res.user.username, token: res.token, me: res.user };
      await setSession(session);
      await refreshCaches(session).catch(() => {});
      ctx.go('/app/');
      ctx.flushSoon();
    } catch (err) {
      message.textContent = err instanceof ApiError ? signInTrouble(err) : t('offline_sign_in');
    }
  });
  return form;
}

// A lock in words: for how long (the server's count, said as people say it) and who unlocks.
function signInTrouble(err) {
  const error = (err.body && err.body.error) || {};
  if (error.retry_after && !error.locked) return t('locked_for', { d: duration(error.retry_after) });
  return err.message;
}
