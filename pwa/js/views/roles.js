// A home per role: tiles only for what the person can do, and the screens only a role needs
// (the letters of my building). Time left before an item moves by itself, for the inbox.
import { api } from '../api.js';
import { cacheSet } from '../db.js';
import { h } from '../dom.js';
import { dateTime, duration, stateLabel } from '../format.js';
import { pick, t } from '../i18n.js';
import { cached, userKey } from '../state.js';
import '../words-roles.js';
import { backHome } from './nav.js';

const GRID_STAFF = ['captain', 'branch', 'committee', 'admin'];
const HELPER_FORMS = ['member-registration'];

export function rolesOf(session) {
  return new Set(((session && session.me && session.me.roles) || []).map((r) => r.role));
}

// Moved since it was submitted, and not by the person themself: sent up (or across) to me.
function escalated(item) {
  return !item.post && item.state_since && item.created_at
    && new Date(item.state_since) - new Date(item.created_at) > 1000;
}

// Seconds left before the item moves by itself: the server's count (its clock, not the
// phone's) less the time since the inbox was fetched (`fetchedAt`, ms; kept with the cache).
function secondsLeft(item, fetchedAt) {
  if (item.auto_in_seconds === null || item.auto_in_seconds === undefined) return null;
  return item.auto_in_seconds - (fetchedAt ? (Date.now() - fetchedAt) / 1000 : 0);
}

export function isOverdue(item, fetchedAt = null) {
  const left = secondsLeft(item, fetchedAt);
  return Boolean(item.overdue) || (left !== null && left <= 0);
}

function tile(href, label, extra = {}, ...children) {
  return h('a', { class: 'tile', href, 'data-link': true, ...extra }, label, ...children);
}

function countBadge(n, testid) {
  return h('span', { class: 'badge', 'data-testid': testid }, n);
}

// The tiles of the home screen, from the person's roles.
export function roleTiles(ctx, { inbox, forms, notices }) {
  const roles = rolesOf(ctx.session);
  const grid = GRID_STAFF.some((r) => roles.has(r));
  const partner = roles.has('partner');
  const upper = roles.has('branch') || roles.has('committee') || roles.has('admin');
  const items = inbox ? inbox.items : [];
  const tiles = [];
  const inboxLabel = grid ? t('inbox') : partner ? t('inbox_partner') : t('inbox_mine');
  const byState = new Map();
  for (const item of items) {
    const label = stateLabel(item);
    if (label) byState.set(label, (byState.get(label) || 0) + 1);
  }
  tiles.push(h('a', { class: 'tile tile-inbox', href: '/app/inbox', 'data-link': true, 'data-testid': 'tile-inbox' },
    h('span', {}, `${inboxLabel} `, countBadge(items.length, 'inbox-count')),
    byState.size > 1 || (byState.size && grid) ? h('span', { class: 'tile-sub', 'data-testid': 'inbox-by-state' },
      [...byState].map(([label, n]) => `${label} ${n}`).join(' · ')) : null));
  if (upper) {
    tiles.push(tile('/app/inbox?show=escalated', `${t('escalated_to_me')} `, { 'data-testid': 'tile-escalated' },
      countBadge(items.filter(escalated).length)));
    tiles.push(tile('/app/inbox?show=overdue', `${t('overdue_items')} `, { 'data-testid': 'tile-overdue' },
      countBadge(items.filter((i) => isOverdue(i)).length)));
  }
  if (roles.has('captain')) {
    tiles.push(tile('/app/letters', t('letters_of_building'), { 'data-testid': 'tile-letters' }));
    const toRelay = ((notices && notices.items) || []).filter((n) => !n.relayed).length;
    if (toRelay) {
      tiles.push(h('a', { class: 'tile', href: '#notices', 'data-testid': 'tile-notices', onclick: (event) => {
        event.preventDefault();
        const panel = document.querySelector('.card.notices');
        if (panel) panel.scrollIntoView({ behavior: 'smooth' });
      } }, `${t('notices_to_relay')} `, countBadge(toRelay)));
    }
  }
  // Forms: grid staff record letters and needs; partners none; everyone else may register.
  const allowed = (forms ? forms.items : []).filter((f) => {
    if (f.slug === 'volunteer-signup') return false;   // claimed from the posts screen
    if (grid) return !HELPER_FORMS.includes(f.slug);
    if (partner) return false;
    return HELPER_FORMS.includes(f.slug) && !roles.has('member');
  });
  tiles.push(...allowed.map((f) => tile(`/app/new/${f.slug}`, pick(f.title), { 'data-testid': `tile-form-${f.slug}` })));
  if (!partner || roles.size > 1) {
    const helper = !grid || roles.has('captain') || roles.has('volunteer') || roles.has('member');
    if (helper) {
      tiles.push(tile('/app/posts', t('posts'), { 'data-testid': 'tile-posts' }));
      tiles.push(tile('/app/claims', t('my_claims_link'), { 'data-testid': 'tile-claims' }));
      if (!grid) tiles.push(tile('/app/posts?kind=activity', t('activities_tile'), { 'data-testid': 'tile-activities' }));
      tiles.push(tile('/app/points', t('points'), { 'data-testid': 'tile-points' }));
    }
  }
  if (partner || roles.has('committee') || roles.has('branch')) tiles.push(tile('/app/meetings', t('meetings'), { 'data-testid': 'tile-meetings' }));
  return h('nav', { class: 'tiles', 'aria-label': t('home') }, tiles);
}

// "How long it has waited here, how long until it moves by itself", in words.
export function timeLeftLine(item, fetchedAt = null) {
  const parts = [];
  const elapsed = fetchedAt ? (Date.now() - fetchedAt) / 1000 : 0;
  if (item.waited_seconds !== null && item.waited_seconds !== undefined) {
    const waited = item.waited_seconds + elapsed;
    parts.push(t('waited_here', { d: waited < 60 ? t('under_a_minute') : duration(waited) }));
  }
  const left = secondsLeft(item, fetchedAt);
  if (left !== null) {
    const action = item.auto_action === 'escalate' ? t('auto_escalate_word') : (item.auto_action_label || '');
    parts.push(left > 0 ? t('auto_in', { d: duration(left), action })
      : t('auto_overdue', { d: duration(-left), action }));
  }
  return parts.length ? h('div', { class: `time-left${isOverdue(item, fetchedAt) ? ' overdue' : ''}`, 'data-testid': 'time-left' }, parts.join(' · ')) : null;
}

// The captain's letters of their building(s): every state, newest first (kept for offline).
export async function lettersView(ctx) {
  let letters = await cached(ctx.session, 'letters');
  if (navigator.onLine) {
    try {
      letters = await api('/submissions?form=suggestion&limit=50');
      await cacheSet(userKey(ctx.session), 'letters', letters);
    } catch (err) { /* keep the cached list */ }
  }
  const list = letters ? letters.items : [];
  return h('section', {}, backHome(), h('h2', {}, t('letters_of_building')),
    list.length ? h('ul', { class: 'list', 'data-testid': 'letters' }, list.map((s) => h('li', { class: 'card' },
      h('a', { href: `/app/item/${s.id}`, 'data-link': true, class: 'item-link' },
        h('span', { class: 'badge' }, stateLabel(s)), ' ', h('span', { class: 'grid' }, s.grid_name),
        h('div', { class: 'summary' }, String((s.data && s.data.content) || '').slice(0, 80)),
        h('div', { class: 'help' }, t('submitted_on', { time: dateTime(s.created_at) }))))))
      : h('p', { class: 'card' }, t('no_letters')));
}
