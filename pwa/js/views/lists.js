// Drafts and sent: the two lists around the outbox (issue 23). Drafts are what was typed and not
// yet sent; sent is what left the phone in the last four weeks, with its state on the server.
import { api } from '../api.js';
import { h } from '../dom.js';
import { dateTime } from '../format.js';
import { t } from '../i18n.js';
import { deleteDraft, draftWords, listDrafts } from '../drafts.js';
import { get, items, PUBLIC, SENT_DAYS, sentLog, updateSent } from '../outbox.js';
import { userKey } from '../state.js';
import { backHome } from './nav.js';

// An outbox item's trouble in words (never a code).
export function errorWords(item) {
  const e = item.errors || {};
  if (item.status === 'failing' || e.code === 'server_error') return t('server_failed');
  const fields = e.fields ? Object.values(e.fields).flat().join(' ') : '';
  return [e.message || t(item.status), fields].filter(Boolean).join(' ');
}

// Say what really happened: sent (with its number, and the tracking code for a resident),
// refused (in words, with the way to fix it), or waiting on this phone.
export async function tellFate(ctx, uuid, user, status, isPublic = false) {
  const entry = (await ctx.outbox.sentLog(user)).find((e) => e.key === uuid);
  status.textContent = '';
  status.classList.remove('warn');
  if (entry && entry.kind === 'transition') {
    status.append(h('strong', { 'data-testid': 'submitted' },
      entry.state_label ? t('action_done_state', { state: entry.state_label }) : t('action_done')));
    return;
  }
  if (entry) {
    status.append(h('strong', { 'data-testid': 'submitted' },
      entry.submission_id ? t('submitted_no', { n: entry.submission_id }) : t('submitted')));
    if (isPublic && entry.tracking_code) {
      status.append(' ', t('submitted_thanks'), ' ', t('track_hint'), ' ',
        h('a', { href: `/app/t/${entry.tracking_code}`, 'data-link': true, 'data-testid': 'tracking-code' }, entry.tracking_code));
    } else if (!isPublic) {
      status.append(' ', h('a', { href: '/app/sent', 'data-link': true }, t('see_sent')));
    }
    return;
  }
  const item = await get(uuid);
  if (item && item.status !== 'waiting') {
    status.classList.add('warn');
    status.append(t('not_accepted'), ' ', errorWords(item));
    if (item.kind === 'submit' && item.status === 'invalid') {
      status.append(' ', h('a', { href: `/app/fix/${item.key}`, 'data-link': true }, t('fix')));
    }
    return;
  }
  status.append(t(entry === undefined && item && item.kind !== 'submit' ? 'action_queued' : 'saved_offline'));
}

function draftHref(draft) {
  if (draft.href) return draft.href;   // a reply typed on an item
  return draft.public_code ? `/app/s/${encodeURIComponent(draft.public_code)}` : `/app/new/${encodeURIComponent(draft.slug)}`;
}

// Drafts, outbox and sent as three links with their counts (on the home screen).
export async function listsNav(ctx) {
  const user = userKey(ctx.session);
  const drafts = await listDrafts(user);
  const waiting = (await items(user)).length + (user === PUBLIC ? 0 : (await items(PUBLIC)).length);
  return h('nav', { class: 'tiles lists-nav', 'aria-label': t('my_lists') },
    h('a', { class: 'tile', href: '/app/drafts', 'data-link': true }, `${t('drafts')} `,
      h('span', { class: 'badge', 'data-testid': 'draft-count' }, drafts.length)),
    h('a', { class: 'tile', href: '/app/outbox', 'data-link': true }, `${t('outbox')} `,
      h('span', { class: 'badge' }, waiting)),
    h('a', { class: 'tile', href: '/app/sent', 'data-link': true }, t('sent_list')));
}

export async function draftsView(ctx) {
  const user = userKey(ctx.session);
  const drafts = [...await listDrafts(user), ...(user === PUBLIC ? [] : await listDrafts(PUBLIC))];
  const rows = drafts.map((d) => h('li', { class: 'card draft-item', dataset: { form: d.form } },
    h('strong', {}, d.title || t('form')),
    h('div', { class: 'help' }, [d.grid_name, t('saved_on', { time: dateTime(d.saved_at) })].filter(Boolean).join(' · ')),
    draftWords(d) ? h('p', { class: 'excerpt' }, draftWords(d)) : null,
    h('div', { class: 'row' },
      h('a', { class: 'button primary', href: draftHref(d), 'data-link': true }, t('draft_continue')),
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (confirm(t('confirm_delete_draft'))) { await deleteDraft(d.user, d.form); ctx.rerender(); }
      } }, t('delete')))));
  return h('section', {}, backHome(), h('h2', {}, t('drafts'), ' ',
    h('span', { class: 'badge', 'data-testid': 'draft-count' }, drafts.length)),
  h('p', { class: 'help' }, t('drafts_help')),
  drafts.length ? h('ul', { class: 'list', 'data-testid': 'draft-list' }, rows) : h('p', {}, t('no_drafts')));
}

// The state of what was sent, asked again of the server while online (at most 20 at a time).
async function refreshStates(ctx, user, log) {
  if (!navigator.onLine) return false;
  const fresh = log.slice(0, 20).filter((e) => e.submission_id || e.tracking_code);
  const updates = await Promise.all(fresh.map(async (e) => {
    try {
      const sub = e.tracking_code && (user === PUBLIC || !ctx.session)
        ? await api(`/track/${encodeURIComponent(e.tracking_code)}`, { token: null })
        : await api(`/submissions/${e.submission_id}`);
      return { key: e.key, state: sub.state, state_label: sub.state_label, checked_at: Date.now() };
    } catch (err) {
      return null;
    }
  }));
  const found = updates.filter(Boolean);
  if (found.length) await updateSent(user, found);
  return found.length > 0;
}

export async function sentView(ctx) {
  const user = userKey(ctx.session);
  const users = user === PUBLIC ? [PUBLIC] : [user, PUBLIC];
  for (const u of users) await refreshStates(ctx, u, await sentLog(u)).catch(() => {});
  const cutoff = Date.now() - SENT_DAYS * 86400000;
  const log = (await Promise.all(users.map(async (u) => (await sentLog(u)).map((e) => ({ ...e, owner: u }))))).flat()
    .filter((e) => e.sent_at >= cutoff).sort((a, b) => b.sent_at - a.sent_at);
  const rows = log.map((e) => h('li', { class: 'card sent-item', dataset: { key: e.key } },
    h('div', {}, h('strong', {}, e.title || t('form')),
      e.submission_id ? ` · ${t('number_short', { n: e.submission_id })}` : ''),
    h('div', { class: 'help' }, [e.grid_name, t('sent_at', { time: dateTime(e.sent_at) })].filter(Boolean).join(' · ')),
    e.excerpt ? h('p', { class: 'excerpt' }, e.excerpt) : null,
    h('div', {}, `${t('state')}：`, h('span', { class: 'badge', 'data-testid': 'sent-state' },
      e.state_label || t('delivered')),
    e.checked_at && !navigator.onLine ? h('span', { class: 'help' }, ` ${t('as_of', { time: dateTime(e.checked_at) })}`) : null),
    e.tracking_code && e.owner === PUBLIC ? h('div', {}, `${t('tracking_code')}：`,
      h('a', { href: `/app/t/${e.tracking_code}`, 'data-link': true }, e.tracking_code)) : null,
    e.submission_id && ctx.session && e.owner !== PUBLIC
      ? h('a', { href: `/app/item/${e.submission_id}`, 'data-link': true }, t('open')) : null));
  return h('section', {}, backHome(), h('h2', {}, t('sent_list')),
    h('p', { class: 'help' }, navigator.onLine ? t('sent_help') : t('sent_help_offline')),
    log.length ? h('ul', { class: 'list', 'data-testid': 'sent-list' }, rows)
      : h('div', { 'data-testid': 'sent-list' }, h('p', {}, t('nothing_sent'))));
}
