// Volunteer posts: claim (a volunteer-signup submission through the outbox) and see the result.
import { api } from '../api.js';
import { h } from '../dom.js';
import { actionLabel, dateOnly, dateTime, formLabel, stateLabel } from '../format.js';
import { t } from '../i18n.js';
import { add, newId } from '../outbox.js';
import { cacheSet } from '../db.js';
import { cached, formDefinition, userKey } from '../state.js';

export async function postsView(ctx) {
  let posts = await cached(ctx.session, 'posts');
  if (navigator.onLine) posts = await api('/posts?open=1').catch(() => posts);
  const signup = await formDefinition(ctx.session, 'volunteer-signup');
  const status = h('div', { class: 'notice', role: 'status', 'data-testid': 'claim-status' });
  const list = (posts ? posts.items : []).map((post) => h('li', { class: 'card' },
    h('h3', {}, post.title), h('div', { class: 'help' }, `${post.grid_name} · ${dateTime(post.starts_at)}`),
    h('div', {}, t('capacity', post)), post.description ? h('p', {}, post.description) : null,
    h('button', { class: 'primary', type: 'button', onclick: async (event) => {
      event.target.disabled = true;
      const op = { op: 'submit', uuid: newId(), form: 'volunteer-signup',
                   form_version: signup ? signup.version : undefined, grid_code: post.grid_code,
                   data: { post: post.id }, client_created_at: new Date().toISOString() };
      await add({ key: op.uuid, user: userKey(ctx.session), kind: 'submit', op, title: post.title });
      status.textContent = navigator.onLine ? '' : t('saved_offline');
      await ctx.flushSoon();
      const log = await ctx.outbox.sentLog(userKey(ctx.session));
      const entry = log.find((e) => e.key === op.uuid);
      if (entry && entry.submission_id) {
        const sub = await api(`/submissions/${entry.submission_id}`).catch(() => null);
        if (sub) status.textContent = `${post.title}（${dateTime(post.starts_at)}）：${stateLabel(sub)}`;
      }
    } }, t('claim'))));
  return h('section', {}, h('h2', {}, t('posts')), status, await myClaims(ctx, posts ? posts.items : []),
    h('ul', { class: 'list' }, list));
}

// The person's own claims, each by its post's name and time and its state (kept for offline).
async function myClaims(ctx, openPosts) {
  const me = ctx.session.me || {};
  let claims = await cached(ctx.session, 'claims');
  if (navigator.onLine) {
    try {
      const res = await api('/submissions?form=volunteer-signup&limit=100');
      claims = { items: res.items.filter((s) => s.submitter_id === me.id) };
      await cacheSet(userKey(ctx.session), 'claims', claims);
    } catch (err) { /* keep the cached list */ }
  }
  const items = claims ? claims.items : [];
  if (!items.length) return null;
  const posts = new Map(openPosts.map((p) => [p.id, p]));
  for (const id of new Set(items.map((c) => c.post).filter((id) => id && !posts.has(id)))) {
    if (!navigator.onLine) break;
    const post = await api(`/posts/${id}`).catch(() => null);
    if (post) posts.set(id, post);
  }
  return h('div', { class: 'card' }, h('h3', {}, t('my_claims')),
    h('ul', { class: 'list', 'data-testid': 'my-claims' }, items.map((c) => {
      const post = posts.get(c.post);
      return h('li', {}, h('a', { href: `/app/item/${c.id}`, 'data-link': true },
        post ? `${post.title}（${dateTime(post.starts_at)}）` : t('post_missing')),
      ' ', h('span', { class: 'badge' }, stateLabel(c)));
    })));
}

export async function pointsView(ctx) {
  let points = await cached(ctx.session, 'points');
  if (navigator.onLine) points = await api('/points/me').catch(() => points);
  return h('section', {}, h('h2', {}, t('points')),
    h('p', { class: 'big-number' }, `${t('total_points')}: `, h('strong', { 'data-testid': 'points-total' }, points ? points.total : 0)),
    h('ul', { class: 'list' }, (points ? points.entries : []).map((e) => h('li', { class: 'card' },
      h('div', { class: 'help' }, dateOnly(e.at)),
      e.submission_id
        ? h('a', { href: `/app/item/${e.submission_id}`, 'data-link': true }, t('points_reason', { reason: pointsReason(e), n: e.points }))
        : t('points_reason', { reason: pointsReason(e), n: e.points })))));
}

// Why the points were given: the server's sentence, else the form's name and the letter's number.
function pointsReason(e) {
  if (e.text) return e.text;
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
  if (!list.length) return h('section', {}, h('h2', {}, t('meetings')), h('p', { class: 'card' }, t('no_meetings')));
  return h('section', {}, h('h2', {}, t('meetings')), h('ul', { class: 'list' }, list.map((m) => h('li', { class: 'card', dataset: { meeting: m.id } },
    h('strong', {}, m.title), h('div', { class: 'help' }, `${dateTime(m.starts_at)} · ${m.place} · ${m.grid_name}`),
    m.decisions.length ? h('div', {}, h('div', {}, t('decisions')), h('ul', {}, m.decisions.map((d) =>
      h('li', {}, h('a', { href: `/app/item/${d.dispatch}`, 'data-link': true }, `#${d.dispatch}`), ` → ${d.partner || ''}`)))) : null))));
}

export async function trackView(ctx, code) {
  try {
    const res = await api(`/track/${encodeURIComponent(code)}`, { token: null });
    return h('section', {}, h('h2', {}, t('tracking')),
      h('div', { class: 'card' }, h('div', {}, `${t('tracking_code')}: ${res.tracking_code}`),
        h('div', {}, `${t('state')}: `, h('strong', { 'data-testid': 'track-state' }, stateLabel(res))),
        h('div', { class: 'help' }, res.grid_name)),
      res.replies.length ? h('div', { class: 'card' }, h('h3', {}, t('replies')),
        h('ul', {}, res.replies.map((r) => h('li', {}, h('div', { class: 'help' }, dateTime(r.at)), r.comment)))) : null);
  } catch (err) {
    return h('div', { class: 'card' }, err.message || t('no_cache'));
  }
}
