// The way back: one link, in the same place (the top) on every screen of the app.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import '../words-field.js';

export function backHome(href = '/app/', label = null) {
  return h('p', { class: 'back' }, h('a', { href, 'data-link': true, 'data-testid': 'back-home' }, `← ${label || t('back_home')}`));
}
