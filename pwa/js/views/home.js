// Home: who I am, what waits for me, and the outbox with every item's fate.
import { h } from '../dom.js';
import { dateTime, formLabel, roleLabel } from '../format.js';
import { pick, t } from '../i18n.js';
import { add, firstWords, items, newId, PUBLIC, remove, retry, sentLog } from '../outbox.js';
import { errorWords, listsNav } from './lists.js';
import { cached, formDefinition, userKey } from '../state.js';
import { roleTiles } from './roles.js';

export async function homeView(ctx) {
  const me = ctx.session.me || {};
  const inbox = await cached(ctx.session, 'inbox');
  const forms = await cached(ctx.session, 'forms');
  const roles = (me.roles || []).map((r) => `${roleLabel(r.role)}${r.grid_name ? ` · ${r.grid_name}` : ''}${r.org ? ` · ${r.org}` : ''}`);
  const notices = await cached(ctx.session, 'notices');
  return h('section', {},
    h('div', { class: 'card' }, h('h2', {}, me.display_name || ctx.session.user), h('div', { class: 'help' }, roles.join('；')),
      h('p', {}, h('a', { href: '/app/password', 'data-link': true, 'data-testid': 'password-link' }, t('password_change')))),
    roleTiles(ctx, { inbox, forms, notices }),
    await listsNav(ctx),
    await noticesPanel(ctx),
    await outboxPanel(ctx));
}

// Notices from the committee or branch: readable offline; "relayed" goes through the outbox.
async function noticesPanel(ctx) {
  const notices = await cached(ctx.session, 'notices');
  const list = notices ? notices.items : [];
  if (!list.length) return null;
  const queued = new Set((await items(userKey(ctx.session))).filter((i) => i.kind === 'relay')
    .map((i) => i.op.notice));
  const isCaptain = (ctx.session.me.roles || []).some((r) => r.role === 'captain');
  return h('div', { class: 'card notices' }, h('h3', {}, t('notices')),
    h('ul', { class: 'list' }, list.map((n) => h('li', { class: 'notice-item', dataset: { notice: n.id } },
      h('strong', {}, n.title), h('p', {}, n.body), n.photo ? noticePhoto(ctx, n.id) : null,
      isCaptain ? (n.relayed || queued.has(n.id)
        ? h('span', { class: 'badge', 'data-testid': 'relayed' }, t('relayed'))
        : h('button', { type: 'button', 'data-testid': 'relay', onclick: async () => {
            const op = { op: 'relay', op_id: newId(), notice: n.id };
            await add({ key: op.op_id, user: userKey(ctx.session), kind: 'relay', op, title: `${t('relay')}: ${n.title}` });
            ctx.flushSoon();
            ctx.rerender();
          } }, t('relay'))) : null))));
}

export async function outboxPanel(ctx) {
  const user = userKey(ctx.session);
  const list = [...await items(user), ...(user === PUBLIC ? [] : await items(PUBLIC))];
  const log = await sentLog(user);
  const rows = list.map((item) => h('li', { class: `card outbox-item status-${item.status}`, dataset: { key: item.key } },
    h('div', {}, h('strong', {}, item.title || formLabel(item.op && item.op.form) || t('outbox')), ' · ', h('span', { class: 'badge' }, t(item.status))),
    h('div', { class: 'help' }, [item.grid_name,
      t('saved_on', { time: dateTime(item.created_at) })].filter(Boolean).join(' · ')),
    firstWords(item) ? h('p', { class: 'excerpt' }, firstWords(item)) : null,
    item.errors || item.status === 'failing' ? h('div', { class: 'error' }, errorWords(item)) : null,
    item.kind === 'submit' && item.status !== 'invalid'
      ? h('a', { href: `/app/fix/${item.key}`, 'data-link': true, class: 'open-item' }, t('open_fix')) : null,
    item.status === 'failing' ? h('div', { class: 'row' },
      h('button', { type: 'button', onclick: async () => { await retry(item.key); ctx.flushSoon(); ctx.rerender(); } }, t('retry')),
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (confirm(t('confirm_discard'))) { await remove(item.key); ctx.rerender(); }
      } }, t('discard'))) : null,
    item.status === 'waiting' || item.status === 'failing' ? null : h('div', { class: 'row' },
      item.status === 'invalid' && item.kind === 'submit'
        ? h('a', { class: 'button', href: `/app/fix/${item.key}`, 'data-link': true }, t('fix')) : null,
      item.status !== 'invalid' ? h('button', { type: 'button', onclick: async () => { await retry(item.key, { asNew: true }); ctx.flushSoon(); ctx.rerender(); } }, t('resubmit')) : null,
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (confirm(t('confirm_discard'))) { await remove(item.key); ctx.rerender(); }
      } }, t('discard')))));
  const exportButton = h('button', { type: 'button', onclick: () => exportItems(list) }, t('export_json'));
  return h('div', { class: 'card outbox' },
    h('h3', {}, t('outbox'), ' ', h('span', { class: 'badge' }, list.length)),
    list.length ? h('ul', { class: 'list' }, rows) : h('p', {}, t('outbox_empty')),
    h('div', { class: 'row' }, h('button', { type: 'button', class: 'primary', 'data-testid': 'sync-now', onclick: () => ctx.flushSoon(true) }, t('sync_now')),
      list.length ? exportButton : null),
    log.length ? h('p', { class: 'help', 'data-testid': 'last-sent' }, t('last_sent', { time: dateTime(log[0].sent_at) })) : null);
}

function exportItems(list) {
  const plain = list.map(({ photos, ...rest }) => ({ ...rest, photos: (photos || []).map((p) => p.name) }));
  const blob = new Blob([JSON.stringify(plain, null, 2)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `tongxin-outbox-${new Date().toISOString().slice(0, 10)}.json`;
  a.click();
}

export async function fixView(ctx, key, formView) {
  const item = (await items(userKey(ctx.session))).find((i) => i.key === key)
    || (await items(PUBLIC)).find((i) => i.key === key);
  if (!item) return h('p', {}, t('not_found'));
  const definition = await formDefinition(ctx.session, item.op.form);
  const view = await formView(ctx, item.op.form, { fix: { ...item, definition } });
  const errors = item.errors && item.errors.fields;
  if (errors) {
    const { showErrors } = await import('../forms/render.js');
    showErrors(view.querySelector('form'), errors);
  }
  return view;
}

// The photo comes with the bearer token (an <img> cannot send it), so through a blob URL.
function noticePhoto(ctx, id) {
  const img = h('img', { class: 'notice-photo', alt: '' });
  if (navigator.onLine) {
    fetch(`/api/v1/notices/${id}/photo`, { headers: { Authorization: `Bearer ${ctx.session.token}` } })
      .then((r) => (r.ok ? r.blob() : null)).then((blob) => { if (blob) img.src = URL.createObjectURL(blob); })
      .catch(() => {});
  }
  return img;
}
