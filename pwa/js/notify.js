// In-app notifications and Web Push on this phone: the unread count in the header (kept for
// offline use), the list (read marks go to the server, so every device of the person agrees;
// marked offline, they are sent when the signal is back), and the "push on this phone" switch.
import { api } from './api.js';
import { cacheGet, cacheSet, getSession, kvGet, kvSet } from './db.js';
import { h } from './dom.js';
import { dateTime } from './format.js';
import { t } from './i18n.js';
import { userKey } from './state.js';
import { backHome } from './views/nav.js';

const PUSH_KEY = (user) => `push-opt-in:${user}`;
const PENDING_KEY = (user) => `notify-read-pending:${user}`;
let goTo = null;

async function list(session) {
  const entry = await cacheGet(userKey(session), 'notifications');
  return entry ? entry.value : null;
}

// The header's bell: the unread count as last known (offline too).
export async function paintBadge(session) {
  const chip = document.getElementById('notify');
  if (!chip) return;
  chip.hidden = !session;
  if (!session) return;
  const data = await list(session);
  const n = data ? data.unread : 0;
  // Words, not a bell: an emoji shows as an empty box on phones without an emoji font.
  chip.querySelector('.notify-word').textContent = t('notifications');
  chip.querySelector('[data-testid="notify-count"]').textContent = String(n);
  chip.classList.toggle('has-items', n > 0);
  // The accessible name starts with what is seen ("消息 3"); the sentence is the tooltip.
  chip.setAttribute('aria-label', `${t('notifications')} ${n}`);
  chip.title = t('notify_unread', { n });
}

// Online: send read marks made offline, then fetch the list and keep it.
export async function refreshNotifications(session) {
  if (!session || session.expired || !navigator.onLine) return;
  const pending = (await kvGet(PENDING_KEY(session.user))) || [];
  if (pending.length) {
    await api('/notifications/read', { method: 'POST', body: pending.includes('all') ? { all: true } : { ids: pending } });
    await kvSet(PENDING_KEY(session.user), []);
  }
  await cacheSet(userKey(session), 'notifications', await api('/notifications'));
  await paintBadge(session);
}

async function markRead(session, ids) {
  const data = await list(session);
  if (data) {
    for (const item of data.items) if (ids === 'all' || ids.includes(item.id)) item.read = true;
    data.unread = data.items.filter((i) => !i.read).length;
    await cacheSet(userKey(session), 'notifications', data);
  }
  const pending = (await kvGet(PENDING_KEY(session.user))) || [];
  await kvSet(PENDING_KEY(session.user), ids === 'all' ? ['all'] : [...new Set([...pending, ...ids])]);
  await paintBadge(session);
  refreshNotifications(session).catch(() => {});
}

export async function notificationsView(ctx) {
  const session = ctx.session;
  await refreshNotifications(session).catch(() => {});
  const data = await list(session);
  const items = data ? data.items : [];
  const open = (item) => async (event) => {
    event.preventDefault();
    await markRead(session, [item.id]);
    ctx.go(item.submission_id ? `/app/item/${item.submission_id}` : '/app/');
  };
  return h('section', {}, backHome(),
    h('h2', {}, t('notifications')),
    await pushSwitch(session),
    items.length ? h('button', { type: 'button', class: 'small', 'data-testid': 'read-all',
      onclick: async () => { await markRead(session, 'all'); ctx.rerender(); } }, t('notify_read_all')) : null,
    data ? null : h('p', { class: 'help' }, t('no_cache')),
    h('ul', { class: 'list', 'data-testid': 'notifications' }, items.length ? items.map((item) =>
      h('li', { class: item.read ? 'read' : 'unread', dataset: { notification: item.id } },
        h('a', { href: item.submission_id ? `/app/item/${item.submission_id}` : '/app/', onclick: open(item) },
          item.read ? '' : '● ', item.text),
        // Which letter, in words: its form and first words (a tracking code says nothing).
        item.excerpt ? h('div', { class: 'excerpt', 'data-testid': 'notification-letter' },
          item.form_title ? t('notify_letter', { form: item.form_title, words: item.excerpt }) : item.excerpt) : null,
        h('div', { class: 'help' }, dateTime(item.created_at))))
      : h('li', {}, t('notify_none'))));
}

// --- Web Push ---------------------------------------------------------------------------

function supported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function keyBytes(base64url) {
  const raw = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function registration() {
  return navigator.serviceWorker.getRegistration('/app/');
}

// After sign-in (and on every start) with the switch on: make sure the server has this
// phone's subscription for this person.
export async function syncPush(session) {
  if (!session || session.expired || !supported() || !navigator.onLine) return;
  if ((await kvGet(PUSH_KEY(session.user))) !== true || Notification.permission !== 'granted') return;
  const reg = await registration();
  if (!reg) return;
  let sub = await reg.pushManager.getSubscription();
  if (!sub) {
    const { public_key: key } = await api('/push/key');
    sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  }
  await api('/push/subscriptions', { method: 'POST', body: sub.toJSON() });
}

// Sign-out: this phone stops receiving the person's pushes.
export async function forgetPush(session) {
  if (!session || !supported()) return;
  const reg = await registration();
  const sub = reg && await reg.pushManager.getSubscription();
  if (!sub) return;
  if (navigator.onLine && !session.expired) {
    await api('/push/subscriptions', { method: 'DELETE', body: { endpoint: sub.endpoint }, token: session.token }).catch(() => {});
  }
  await sub.unsubscribe().catch(() => {});
}

async function pushSwitch(session) {
  if (!supported()) return h('p', { class: 'help' }, t('push_unsupported'));
  const on = (await kvGet(PUSH_KEY(session.user))) === true && Notification.permission === 'granted';
  const status = h('span', { class: 'help', role: 'status' });
  const box = h('input', { type: 'checkbox', 'data-testid': 'push-toggle', checked: on });
  box.addEventListener('change', async () => {
    status.textContent = '';
    try {
      if (box.checked) {
        if ((await Notification.requestPermission()) !== 'granted') throw new Error(t('push_denied'));
        await kvSet(PUSH_KEY(session.user), true);
        await syncPush(session);
        status.textContent = t('push_on');
      } else {
        await kvSet(PUSH_KEY(session.user), false);
        await forgetPush(session);
        status.textContent = t('push_off');
      }
    } catch (err) {
      box.checked = false;
      await kvSet(PUSH_KEY(session.user), false);
      status.textContent = err.message || t('push_failed');
    }
  });
  return h('div', { class: 'card' }, h('label', { class: 'check' }, box, ' ', t('push_label')), status);
}

// After each render: the bell; when a person has just signed in, their list and their push
// subscription (if they switched it on here before).
let shownUser = null;
export async function afterRender(session) {
  await paintBadge(session);
  const user = session ? session.user : null;
  if (user && user !== shownUser) {
    shownUser = user;
    refreshNotifications(session).catch(() => {});
    syncPush(session).catch(() => {});
  }
  if (!user) shownUser = null;
}

// Start: the bell, its refresh every minute and when the signal is back, and the service
// worker's word that a push arrived or was tapped.
export function startNotifications(ctx) {
  goTo = ctx.go;
  const refresh = async () => {
    const session = await getSession();
    if (session && !session.expired) await refreshNotifications(session).catch(() => {});
  };
  window.addEventListener('online', refresh);
  setInterval(refresh, 60000);
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.addEventListener('message', (event) => {
      const msg = event.data || {};
      if (msg.type === 'notifications-changed') refresh();
      if (msg.type === 'open' && typeof msg.url === 'string' && msg.url.startsWith('/app/') && goTo) goTo(msg.url);
    });
  }
}
