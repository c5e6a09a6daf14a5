// Volunteer posts: claim (a volunteer-signup submission through the outbox) and see the result.
import { api } from '../api.js';
import { h } from '../dom.js';
import { actionLabel, dateOnly, dateTime, formLabel, stateLabel } from '../format.js';
import { t } from '../i18n.js';
import { add, items, newId, remove } from '../outbox.js';
import '../words-roles.js';
import { cacheSet } from '../db.js';
import { cached, formDefinition, userKey } from '../state.js';
import { backHome } from './nav.js';

// Claims: what I hold (from GET /posts/claims, kept for offline) and what waits in the outbox.
async function claimState(ctx, { refresh = false } = {}) {
  const user = userKey(ctx.session);
  let claims = await cached(ctx.session, 'claims');
  if (refresh && navigator.onLine) {
    try {
      const fresh = await api('/posts/claims');
      const before = new Map(((claims && claims.items) || []).map((c) => [c.id, c.state]));
      for (const c of fresh.items) {
        if (before.get(c.id) === 'waitlisted' && c.state === 'claimed' && c.post) flash = t('claim_promoted', { title: c.post.title });
      }
      claims = fresh;
      await cacheSet(user, 'claims', claims);
    } catch (err) { /* keep the cached list */ }
  }
  const waiting = await items(user);
  const queued = waiting.filter((i) => i.kind === 'submit' && i.op.form === 'volunteer-signup');
  const cancelling = new Set(waiting.filter((i) => i.kind === 'transition' && i.op.action === 'cancel')
    .map((i) => i.op.submission));
  const held = ((claims && claims.items) || []).filter((c) => c.post && LIVE.includes(c.state));
  return { claims: (claims && claims.items) || [], queued, cancelling, held };
}

const LIVE = ['claimed', 'waitlisted', 'confirmed'];
let flash = '';

function heldClaim(state, postId) {
  return state.held.find((c) => c.post.id === postId && !state.cancelling.has(c.uuid));
}

function overlaps(a, b) {
  return new Date(a.starts_at) < new Date(b.ends_at) && new Date(a.ends_at) > new Date(b.starts_at);
}

// A refused claim never stays stuck in the outbox: its reason is said, and the item goes.
async function sweepRefused(ctx, state) {
  for (const item of state.queued.filter((i) => i.status !== 'waiting')) {
    await remove(item.key);
    flash = t('claim_refused', { reason: (item.errors && item.errors.message) || t(item.status) });
  }
  state.queued = state.queued.filter((i) => i.status === 'waiting');
}

async function claim(ctx, post, signup, posts) {
  const state = await claimState(ctx);
  if (heldClaim(state, post.id) || state.queued.some((i) => i.op.data.post === post.id)) {
    flash = t('claim_refused', { reason: t('claim_held') });
    return ctx.rerender();
  }
  const clash = state.held.find((c) => c.post.id !== post.id && !state.cancelling.has(c.uuid) && overlaps(c.post, post))
    || state.queued.map((i) => posts.find((p) => p.id === i.op.data.post)).find((p) => p && p.id !== post.id && overlaps(p, post));
  if (clash) {
    const other = clash.post || clash;
    flash = t('claim_refused', { reason: t('claim_clash', { title: other.title, time: dateTime(other.starts_at) }) });
    return ctx.rerender();
  }
  const op = { op: 'submit', uuid: newId(), form: 'volunteer-signup',
               form_version: signup ? signup.version : undefined, grid_code: post.grid_code,
               data: { post: post.id }, client_created_at: new Date().toISOString() };
  await add({ key: op.uuid, user: userKey(ctx.session), kind: 'submit', op, title: `${t('claim')}: ${post.title}` });
  flash = t('claim_queued');
  if (navigator.onLine) {
    await ctx.flushSoon();
    const left = await ctx.outbox.get(op.uuid);
    if (left && left.status !== 'waiting') {
      await remove(op.uuid);
      flash = t('claim_refused', { reason: (left.errors && left.errors.message) || t(left.status) });
    } else if (!left) {
      const fresh = await claimState(ctx, { refresh: true });
      const mine = heldClaim(fresh, post.id);
      flash = t('claim_done', { title: post.title, time: dateTime(post.starts_at), state: mine ? claimLabel(mine) : t('sent') });
    }
  }
  return ctx.rerender();
}

async function cancelClaim(ctx, c, queuedItem) {
  const title = c.post ? c.post.title : t('post_missing');
  if (!confirm(t('confirm_cancel_claim', { title }))) return;
  if (queuedItem) {   // never left the phone: nothing to tell the server
    await remove(queuedItem.key);
    flash = t('claim_cancelled_now', { title });
    return ctx.rerender();
  }
  const op = { op: 'transition', op_id: newId(), submission: c.uuid, action: 'cancel', expected_state: c.state };
  await add({ key: op.op_id, user: userKey(ctx.session), kind: 'transition', op, title: `${t('cancel_claim')}: ${title}` });
  flash = t('claim_cancelling');
  if (navigator.onLine) {
    await ctx.flushSoon();
    if (!(await ctx.outbox.get(op.op_id))) {
      await claimState(ctx, { refresh: true });
      flash = t('claim_cancelled_now', { title });
    }
  }
  return ctx.rerender();
}

function claimLabel(c) {
  const label = c.state_label || stateLabel(c.state);
  return c.state === 'waitlisted' && c.waitlist_position
    ? `${label} · ${t('claim_waitlist_position', { n: c.waitlist_position })}` : label;
}

function statusBox() {
  const box = h('div', { class: 'notice', role: 'status', 'data-testid': 'claim-status' }, flash);
  flash = '';
  return box;
}

export async function postsView(ctx) {
  let posts = await cached(ctx.session, 'posts');
  if (navigator.onLine) {
    posts = await api('/posts?open=1').catch(() => posts);
    if (posts) await cacheSet(userKey(ctx.session), 'posts', posts);
  }
  const all = posts ? posts.items : [];
  const kind = new URLSearchParams(location.search).get('kind');
  const shown = kind ? all.filter((p) => p.kind === kind) : all;
  const signup = await formDefinition(ctx.session, 'volunteer-signup');
  const state = await claimState(ctx, { refresh: true });
  await sweepRefused(ctx, state);
  const list = shown.map((post) => {
    const mine = heldClaim(state, post.id);
    const queued = state.queued.find((i) => i.op.data.post === post.id);
    const action = mine || queued
      ? [h('span', { class: 'badge held', 'data-testid': 'held' }, mine ? claimLabel(mine) : t('claim_queued')), ' ',
         h('button', { type: 'button', class: 'danger', 'data-testid': 'cancel-claim', dataset: { post: post.id },
           onclick: () => cancelClaim(ctx, mine || { post, state: 'claimed' }, mine ? null : queued) }, t('cancel_claim'))]
      : h('button', { class: 'primary', type: 'button', 'data-testid': 'claim', dataset: { post: post.id },
          onclick: (event) => { event.target.disabled = true; claim(ctx, post, signup, all); } }, t('claim'));
    return h('li', { class: 'card', dataset: { post: post.id } },
      h('h3', {}, post.title), h('div', { class: 'help' }, `${post.grid_name} · ${dateTime(post.starts_at)}${post.place ? ` · ${post.place}` : ''}`),
      h('div', {}, t('capacity', post)), post.description ? h('p', {}, post.description) : null,
      h('div', { class: 'row' }, action));
  });
  return h('section', {}, backHome(), h('h2', {}, kind === 'activity' ? t('activities_tile') : t('posts')), statusBox(),
    claimsCard(ctx, state, all), h('ul', { class: 'list' }, list));
}

// 我的认领 on its own screen (a home tile leads here).
export async function claimsView(ctx) {
  const posts = await cached(ctx.session, 'posts');
  const state = await claimState(ctx, { refresh: true });
  await sweepRefused(ctx, state);
  return h('section', {}, backHome(), h('h2', {}, t('my_claims')), statusBox(), claimsCard(ctx, state, posts ? posts.items : [], true),
    h('p', {}, h('a', { href: '/app/posts', 'data-link': true, class: 'button' }, t('posts'))));
}

// Each claim by its post's name, time and place, its state in words, and a cancel button.
function claimsCard(ctx, state, posts, ownScreen = false) {
  const rows = state.claims.map((c) => {
    const pending = state.cancelling.has(c.uuid);
    const post = c.post;
    return h('li', { class: 'claim', dataset: { claim: c.id } },
      h('a', { href: `/app/item/${c.id}`, 'data-link': true },
        post ? `${post.title}（${dateTime(post.starts_at)}）` : t('post_missing')), ' ',
      h('span', { class: 'badge' }, pending ? t('claim_cancelling') : claimLabel(c)),
      c.can_cancel && !pending ? h('div', { class: 'row' }, h('button', { type: 'button', class: 'small danger', 'data-testid': 'cancel-claim',
        onclick: () => cancelClaim(ctx, c, null) }, t('cancel_claim'))) : null);
  });
  const queued = state.queued.map((i) => {
    const post = posts.find((p) => p.id === i.op.data.post);
    return h('li', { class: 'claim' }, post ? `${post.title}（${dateTime(post.starts_at)}）` : t('post_missing'), ' ',
      h('span', { class: 'badge' }, t('claim_queued')),
      h('div', { class: 'row' }, h('button', { type: 'button', class: 'small danger', 'data-testid': 'cancel-claim',
        onclick: () => cancelClaim(ctx, { post, state: 'claimed' }, i) }, t('cancel_claim'))));
  });
  return h('div', { class: 'card' }, h('h3', {}, t('my_claims')),
    h('ul', { class: 'list claims', 'data-testid': 'my-claims' }, queued, rows),
    rows.length || queued.length ? null : h('p', { class: 'help' }, ownScreen
      // On its own screen there is no list below: a link to the posts instead.
      ? [t('my_claims_none_here'), ' ', h('a', { href: '/app/posts', 'data-link': true, 'data-testid': 'go-posts' }, t('go_posts'))]
      : t('my_claims_none')));
}

export async function pointsView(ctx) {
  let points = await cached(ctx.session, 'points');
  if (navigator.onLine) points = await api('/points/me').catch(() => points);
  return h('section', {}, backHome(), h('h2', {}, t('points')),
    h('p', { class: 'big-number' }, `${t('total_points')}: `, h('strong', { 'data-testid': 'points-total' }, points ? points.total : 0)),
    h('ul', { class: 'list' }, (points ? points.entries : []).map((e) => h('li', { class: 'card' },
      h('div', { class: 'help' }, dateOnly(e.at)),
      e.submission_id
        ? h('a', { href: `/app/item/${e.submission_id}`, 'data-link': true, 'data-testid': 'points-line' }, pointsLine(e))
        : h('span', { 'data-testid': 'points-line' }, pointsLine(e))))));
}

// Why the points were given and how many: the server's sentence says both ("办结来信 #2：+5");
// else the form's name and the letter's number, with the points added here.
function pointsLine(e) {
  if (e.text) return e.text;
  return t('points_reason', { reason: pointsReason(e), n: e.points });
}

function pointsReason(e) {
  const [slug, action] = String(e.reason || '').split(':');
  const form = formLabel(slug) || t('points');
  const what = action ? actionLabel(action) : '';
  return [what, e.submission_id ? `${form} #${e.submission_id}` : form].filter(Boolean).join(' · ');
}

// Joint meetings: partners see those they are invited to and the decisions for their unit.
export async function meetingsView(ctx) {
  let meetings = await cached(ctx.session, 'meetings');
  if (navigator.onLine) meetings = await api('/meetings').catch(() => meetings);
  const list = meetings ? meetings.items : [];
  if (!list.length) return h('section', {}, backHome(), h('h2', {}, t('meetings')), h('p', { class: 'card' }, t('no_meetings')));
  return h('section', {}, backHome(), h('h2', {}, t('meetings')), h('ul', { class: 'list' }, list.map((m) => h('li', { class: 'card', dataset: { meeting: m.id } },
    h('strong', {}, m.title), h('div', { class: 'help' }, `${dateTime(m.starts_at)} · ${m.place} · ${m.grid_name}`),
    m.decisions.length ? h('div', {}, h('div', {}, t('decisions')), h('ul', {}, m.decisions.map((d) =>
      h('li', {}, h('a', { href: `/app/item/${d.dispatch}`, 'data-link': true }, `#${d.dispatch}`), ` → ${d.partner || ''}`)))) : null))));
}

export { trackView } from './public.js';
