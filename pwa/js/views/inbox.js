// The inbox and a submission's detail, with actions that work offline through the outbox.
// Everything a person reads goes through format.js: labels, not codes; community time.
import { api } from '../api.js';
import { h } from '../dom.js';
import { cacheGet, cacheSet } from '../db.js';
import { dateTime, eventText, fieldText, formLabel, stateLabel } from '../format.js';
import { pick, t } from '../i18n.js';
import { items as outboxItems } from '../outbox.js';
import { photoStrip } from '../photos.js';
import { actionForm, draftKeeper, takeSaid } from './actions.js';
import { backHome } from './nav.js';
import { cached, formDefinition, formTitles, userKey } from '../state.js';
import { isOverdue, timeLeftLine } from './roles.js';

// One line that says what the item is about, in words.
function summary(item, posts, title) {
  const data = item.data || {};
  if (item.form === 'volunteer-signup' || item.post) {
    const post = (posts || []).find((p) => p.id === (item.post || data.post));
    const who = item.submitter_name || item.submitter_display;
    return t(who ? 'claim_of' : 'claim_of_post', {
      who,
      post: post ? post.title : (item.post_title || t('post_missing')),
      time: post ? dateTime(post.starts_at) : (item.post_starts_at ? dateTime(item.post_starts_at) : '') });
  }
  return data.content || data.description || data.real_name || data.title || title;
}

export async function inboxView(ctx) {
  const inbox = await cached(ctx.session, 'inbox');
  const posts = await cached(ctx.session, 'posts');
  const fetchedAt = (await cacheGet(userKey(ctx.session), 'inbox'))?.at || null;
  const show = new URLSearchParams(location.search).get('show');
  let items = inbox ? [...inbox.items] : [];
  if (show === 'overdue') items = items.filter((i) => isOverdue(i, fetchedAt));
  else if (show === 'escalated') items = items.filter((i) => !i.post && i.state_since && i.created_at && new Date(i.state_since) - new Date(i.created_at) > 1000);
  // Overdue first (they move by themselves any minute), then soonest to move, then the rest.
  const urgency = (i) => (isOverdue(i, fetchedAt) ? 0 : i.auto_at ? 1 : 2);
  items.sort((a, b) => urgency(a) - urgency(b)
    || (a.auto_at && b.auto_at ? a.auto_in_seconds - b.auto_in_seconds : 0));
  const titles = await formTitles(ctx.session);
  const title = (slug) => formLabel(slug) || pick(titles.get(slug));
  if (!items.length) return h('section', {}, backHome(), h('h2', {}, t('inbox')), h('p', { class: 'card' }, t('no_items')));
  return h('section', {}, backHome(), h('h2', {}, `${t('inbox')} (${items.length})`),
    h('ul', { class: 'list' }, items.map((item) => h('li', { class: 'card' },
      h('a', { href: `/app/item/${item.id}`, 'data-link': true, class: 'item-link' },
        h('span', { class: 'badge' }, stateLabel(item)), ' ',
        h('span', { class: 'grid' }, item.grid_name),
        h('div', { class: 'summary' }, summary(item, posts ? posts.items : [], title(item.form))),
        h('div', { class: 'help' }, title(item.form), title(item.form) ? ' · ' : '',
          t('since', { time: dateTime(item.state_since || item.created_at) })),
        timeLeftLine(item, fetchedAt))))));
}

// The fields as label: words. The server's `display` is resolved for the submission's own form
// version; offline (from the cached inbox) the current definition is the best we have.
async function fieldRows(ctx, item) {
  const definition = await formDefinition(ctx.session, item.form);
  const byName = new Map(((definition && definition.fields) || []).map((f) => [f.name, f]));
  const rows = item.display
    ? item.display.map((d) => ({ name: d.name, type: d.type, label: pick(d.label), value: d.value, text: d.text }))
    : Object.entries(item.data || {}).filter(([name]) => byName.has(name)).map(([name, value]) => {
      const field = byName.get(name);
      return { name, label: pick(field.label), value, text: fieldText(field, value) };
    });
  return rows.filter((r) => r.text !== '' || (Array.isArray(r.value) && r.value.length)).map((r) => {
    const field = byName.get(r.name);
    const isPhoto = (field && field.type === 'photo') || r.type === 'photo';
    return h('div', { class: 'kv', dataset: { field: r.name } },
      h('span', { class: 'k' }, r.label),
      isPhoto && Array.isArray(r.value) && r.value.length
        ? photoStrip(ctx, r.value) : h('span', { class: 'v' }, r.text));
  });
}

export async function detailView(ctx, id) {
  let item = null;
  // A letter opened once with signal opens offline too, with its words and history.
  if (navigator.onLine) {
    try {
      item = await api(`/submissions/${id}`);
      await cacheSet(userKey(ctx.session), `item:${id}`, item);
    } catch (err) { item = null; }
  }
  if (!item) item = await cached(ctx.session, `item:${id}`);
  if (!item) {
    const inbox = await cached(ctx.session, 'inbox');
    item = inbox && inbox.items.find((s) => String(s.id) === String(id));
  }
  if (!item) return h('div', { class: 'card' }, t('no_cache'), ' ', h('a', { href: '/app/', 'data-link': true }, t('home')));
  // The word about the last action (or its refusal) at the top, in view and focused.
  const note = takeSaid(item.id);
  const status = h('div', { class: `notice${note && note.warn ? ' warn' : ''}`, role: 'status', tabindex: '-1', 'data-testid': 'action-status' },
    note ? h('strong', { 'data-testid': note.warn ? 'refused' : 'submitted' }, note.text) : null);
  const keeper = draftKeeper(ctx, item);
  // An action on this item waits in the outbox (no signal): say which, and offer no other
  // until it has gone — the buttons on screen are those of the state before it.
  const waiting = (await outboxItems(userKey(ctx.session))).find((o) => o.kind === 'transition'
    && o.op.submission === item.uuid && o.status === 'waiting');
  const actions = waiting ? [] : (item.actions || []).map((action) => actionForm(ctx, item, action, status, keeper));
  if (waiting && !note) {
    const named = (item.actions || []).find((a) => a.action === waiting.op.action);
    status.append(h('strong', { 'data-testid': 'action-waiting' },
      t('action_waiting', { action: named ? pick(named.label) : waiting.title })),
    ' ', h('a', { href: '/app/outbox', 'data-link': true }, t('see_outbox')));
  }
  if (note) whenShown(status, () => { status.focus({ preventScroll: true }); status.scrollIntoView({ block: 'center' }); });
  const facts = [
    item.partner ? h('div', { class: 'help' }, t('partner_unit', { name: item.partner })) : null,
    item.duplicate_of ? h('div', { class: 'help' }, h('a', { href: `/app/item/${item.duplicate_of}`, 'data-link': true },
      t('duplicate_of', { id: item.duplicate_of }))) : null,
    item.supporters ? h('div', { class: 'help' }, t('supporters', { n: item.supporters })) : null,
  ];
  const definition = await formDefinition(ctx.session, item.form);
  const title = formLabel(item.form) || (definition ? pick(definition.title) : '');
  return h('section', {}, backHome('/app/inbox', t('back_inbox')), h('h2', {}, `${title} #${item.id} · ${item.grid_name}`),
    h('p', {}, h('span', { class: 'badge', 'data-testid': 'item-state' }, stateLabel(item)), ' ',
      h('span', { class: 'help' }, t('submitted_on', { time: dateTime(item.created_at) }))),
    status,
    h('div', { class: 'card fields' }, await fieldRows(ctx, item), facts),
    h('div', { class: 'actions' }, actions),
    item.history ? h('div', { class: 'card' }, h('h3', {}, t('history')), h('ol', { class: 'history' }, item.history.map((e) =>
      // A timer's comment is the machine's note; its sentence says it in words.
      h('li', {}, e.text || eventText(e), e.comment && !e.system && !(e.text || '').includes(e.comment)
        ? h('div', { class: 'help' }, e.comment) : null)))) : null,
    h('p', {}, h('a', { href: '/app/inbox', 'data-link': true }, t('back'))));
}

// Once `el` is on the screen (the view is attached after it is built), run `fn`.
function whenShown(el, fn, tries = 60) {
  if (el.isConnected) fn();
  else if (tries > 0) requestAnimationFrame(() => whenShown(el, fn, tries - 1));
}
