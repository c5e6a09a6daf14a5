// The inbox and a submission's detail, with actions that work offline through the outbox.
import { api } from '../api.js';
import { h } from '../dom.js';
import { cacheSet } from '../db.js';
import { formatTime, pick, t } from '../i18n.js';
import { add, newId } from '../outbox.js';
import { cached, userKey } from '../state.js';

function summary(item) {
  const data = item.data || {};
  return data.content || data.description || data.real_name || data.title || `#${item.id}`;
}

export async function inboxView(ctx) {
  const inbox = await cached(ctx.session, 'inbox');
  const items = inbox ? inbox.items : [];
  if (!items.length) return h('section', {}, h('h2', {}, t('inbox')), h('p', { class: 'card' }, t('no_items')));
  return h('section', {}, h('h2', {}, `${t('inbox')} (${items.length})`),
    h('ul', { class: 'list' }, items.map((item) => h('li', { class: 'card' },
      h('a', { href: `/app/item/${item.id}`, 'data-link': true, class: 'item-link' },
        h('span', { class: 'badge' }, item.state_label || item.state), ' ',
        h('span', { class: 'grid' }, item.grid_name), h('div', { class: 'summary' }, summary(item)))))));
}

export async function detailView(ctx, id) {
  let item = null;
  if (navigator.onLine) {
    try { item = await api(`/submissions/${id}`); } catch (err) { item = null; }
  }
  if (!item) {
    const inbox = await cached(ctx.session, 'inbox');
    item = inbox && inbox.items.find((s) => String(s.id) === String(id));
  }
  if (!item) return h('div', { class: 'card' }, t('no_cache'));
  const status = h('div', { class: 'notice', role: 'status' });
  const actions = (item.actions || []).map((action) => actionForm(ctx, item, action, status));
  const fields = Object.entries(item.data || {}).map(([k, v]) => h('div', { class: 'kv' },
    h('span', { class: 'k' }, k), h('span', { class: 'v' }, Array.isArray(v) ? v.join(', ') : String(v))));
  return h('section', {}, h('h2', {}, `#${item.id} · ${item.grid_name}`),
    h('p', {}, h('span', { class: 'badge' }, item.state_label || item.state)),
    h('div', { class: 'card' }, fields), status,
    h('div', { class: 'actions' }, actions),
    item.history ? h('div', { class: 'card' }, h('h3', {}, t('history')), h('ol', {}, item.history.map((e) =>
      h('li', {}, `${e.at.replace('T', ' ').slice(0, 16)} ${e.actor_name || e.actor || ''}: ${e.action} → ${e.to_state}`,
        e.comment ? h('div', { class: 'help' }, e.comment) : null)))) : null);
}

function actionForm(ctx, item, action, status) {
  const needsComment = action.comment === 'required';
  const form = h('form', { class: 'action card' },
    needsComment || action.action === 'resolve' ? h('textarea', { name: 'comment', placeholder: t('comment'), rows: 2 }) : null,
    action.partner === 'required' ? h('input', { name: 'partner', placeholder: t('partner') }) : null,
    h('button', { type: 'submit', class: 'primary', 'data-action': action.action }, pick(action.label) || action.action));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const comment = form.comment ? form.comment.value.trim() : '';
    if (needsComment && !comment) { status.textContent = `${t('comment')}: ${t('required')}`; return; }
    const op = { op: 'transition', op_id: newId(), submission: item.uuid, action: action.action,
                 expected_state: item.state, comment: comment || undefined,
                 partner: form.partner ? form.partner.value.trim() : undefined };
    await add({ key: op.op_id, user: userKey(ctx.session), kind: 'transition', op,
                title: `${pick(action.label) || action.action} #${item.id}` });
    const inbox = await cached(ctx.session, 'inbox');
    if (inbox) {
      inbox.items = inbox.items.filter((s) => s.id !== item.id);
      await cacheSet(userKey(ctx.session), 'inbox', inbox);
    }
    form.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    status.textContent = t('action_queued');
    ctx.flushSoon();
  });
  return form;
}

export function when(ms) { return formatTime(ms); }
