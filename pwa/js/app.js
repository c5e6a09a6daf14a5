// The field app: routing, status bar, outbox flushing with backoff, service worker.
import { clearSession, getSession, setSession } from './db.js';
import { h, clear } from './dom.js';
import { loadMeta } from './format.js';
import { lang, setLang, t } from './i18n.js';
import * as outbox from './outbox.js';
import { forgetImages } from './photos.js';
import { refreshCaches, userKey } from './state.js';
import { formView } from './views/form.js';
import { fixView, homeView, outboxPanel } from './views/home.js';
import { detailView, inboxView } from './views/inbox.js';
import { loginView } from './views/login.js';
import { claimsView, meetingsView, pointsView, postsView } from './views/posts.js';
import { publicView, trackView } from './views/public.js';
import { lettersView } from './views/roles.js';

const main = document.getElementById('main');
const countEl = document.querySelector('[data-testid="outbox-count"]');
const netEl = document.getElementById('net');
const noticeEl = document.getElementById('notice');
let failures = 0;
let retryTimer = null;
let probeTimer = null;

const ctx = {
  session: null,
  outbox,
  go(path) { history.pushState({}, '', path); render(); },
  rerender() { render(); },
  flushSoon,
};

async function render() {
  document.documentElement.lang = lang() === 'en' ? 'en' : 'zh-CN';
  document.getElementById('lang').textContent = t('language');
  document.getElementById('sign-out').textContent = t('sign_out');
  const persist = document.getElementById('persist');
  if (persist.dataset.persisted) persist.textContent = t(persist.dataset.persisted === 'true' ? 'storage_persisted' : 'storage_not_persisted');
  await loadMeta();
  const session = await getSession();
  ctx.session = session && !session.expired ? session : null;
  const path = location.pathname.replace(/\/+$/, '') || '/app';
  const parts = path.split('/').slice(2).map(decodeURIComponent);
  let view;
  if (parts[0] === 's' && parts[1]) view = await publicView(ctx, parts[1], formView);
  else if (parts[0] === 't') view = await trackView(ctx, parts[1] || '');
  else if (!ctx.session) view = loginView(ctx);
  else if (parts[0] === 'new' && parts[1]) view = await formView(ctx, parts[1]);
  else if (parts[0] === 'inbox') view = await inboxView(ctx);
  else if (parts[0] === 'item' && parts[1]) view = await detailView(ctx, parts[1]);
  else if (parts[0] === 'posts') view = await postsView(ctx);
  else if (parts[0] === 'claims') view = await claimsView(ctx);
  else if (parts[0] === 'letters') view = await lettersView(ctx);
  else if (parts[0] === 'points') view = await pointsView(ctx);
  else if (parts[0] === 'meetings') view = await meetingsView(ctx);
  else if (parts[0] === 'outbox') view = await outboxPanel(ctx);
  else if (parts[0] === 'fix' && parts[1]) view = await fixView(ctx, parts[1], formView);
  else view = await homeView(ctx);
  clear(main).append(view);
  document.getElementById('sign-out').hidden = !ctx.session;
  if (session && session.expired) showNotice(t('session_expired'));
  updateStatus();
}

async function updateStatus() {
  const session = await getSession();
  const n = await outbox.count(userKey(session && !session.expired ? session : null));
  countEl.textContent = String(n);
  countEl.parentElement.classList.toggle('has-items', n > 0);
  netEl.textContent = navigator.onLine ? t('online') : t('offline');
  document.body.classList.toggle('is-offline', !navigator.onLine);
}

function showNotice(text) { noticeEl.textContent = text; noticeEl.hidden = !text; }

// Send what waits. On failure: exponential backoff capped at 5 minutes, and meanwhile a cheap
// probe of /healthz every few seconds, so items go the moment the server answers again.
async function flushSoon() {
  clearTimeout(retryTimer);
  let result = null;
  try {
    result = await outbox.flush();
    failures = 0;
    clearInterval(probeTimer);
    probeTimer = null;
    if (result.auth) {
      const session = await getSession();
      if (session) await setSession({ ...session, expired: true });
      showNotice(t('session_expired'));
    }
    if (result.sent) {
      const session = await getSession();
      if (session && !session.expired) refreshCaches(session).catch(() => {});
    }
  } catch (err) {
    failures += 1;
    const delay = Math.min(1000 * 2 ** failures, 5 * 60 * 1000);
    retryTimer = setTimeout(flushSoon, delay);
    if (!probeTimer) probeTimer = setInterval(probe, 3000);
    registerBackgroundSync();
  }
  updateStatus();
  return result;
}

async function probe() {
  if (!navigator.onLine) return;
  try {
    const res = await fetch('/healthz', { cache: 'no-store' });
    if (res.ok) flushSoon();
  } catch (err) { /* still down */ }
}

async function registerBackgroundSync() {
  const reg = await navigator.serviceWorker?.getRegistration('/app/');
  if (reg && reg.sync) reg.sync.register('outbox').catch(() => {});
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-link]');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
  event.preventDefault();
  ctx.go(link.getAttribute('href'));
});
window.addEventListener('popstate', render);
window.addEventListener('online', () => { updateStatus(); flushSoon(); });
window.addEventListener('offline', updateStatus);
let rerenderTimer = null;
outbox.onChange(() => {
  updateStatus();
  // Views that list the outbox show each item's fate as it changes; forms are left alone.
  const path = location.pathname.replace(/\/+$/, '');
  if (path === '/app' || path === '/app/outbox') {
    clearTimeout(rerenderTimer);
    rerenderTimer = setTimeout(render, 100);
  }
});
setInterval(async () => {
  const session = await getSession();
  if (await outbox.count(userKey(session)) > 0 && navigator.onLine) flushSoon();
}, 30000);

document.getElementById('lang').addEventListener('click', () => { setLang(lang() === 'en' ? 'zh' : 'en'); render(); });
document.getElementById('sync-button').addEventListener('click', () => flushSoon());
document.getElementById('sign-out').addEventListener('click', async () => {
  const session = await getSession();
  const waiting = session ? (await outbox.items(session.user)).length : 0;
  if (waiting && !confirm(t('unsent_warning', { n: waiting }))) return;
  if (session && navigator.onLine && !session.expired) {
    fetch('/api/v1/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${session.token}` } }).catch(() => {});
  }
  await clearSession();
  await forgetImages().catch(() => {});
  ctx.go('/app/');
});

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  const reg = await navigator.serviceWorker.register('/app/sw.js', { scope: '/app/', type: 'module' });
  const offerUpdate = (worker) => {
    const banner = document.getElementById('update');
    banner.hidden = false;
    banner.querySelector('button').onclick = () => worker.postMessage('skip-waiting');
  };
  if (reg.waiting && navigator.serviceWorker.controller) offerUpdate(reg.waiting);
  reg.addEventListener('updatefound', () => {
    const worker = reg.installing;
    worker.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offerUpdate(worker);
    });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (document.documentElement.dataset.updating === '1' && !reloading) { reloading = true; location.reload(); }
  });
  document.getElementById('update').addEventListener('click', () => { document.documentElement.dataset.updating = '1'; });
  navigator.serviceWorker.addEventListener('message', (event) => { if (event.data === 'outbox-changed') updateStatus(); });
}

async function persistStorage() {
  const el = document.getElementById('persist');
  if (!navigator.storage || !navigator.storage.persist) return;
  const granted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
  el.textContent = granted ? t('storage_persisted') : t('storage_not_persisted');
  el.dataset.persisted = String(granted);
}

async function boot() {
  await render();
  registerWorker().catch(() => {});
  persistStorage().catch(() => {});
  const session = await getSession();
  if (navigator.onLine) {
    refreshCaches(session && !session.expired ? session : null).catch(async (err) => {
      if (err.status === 401 && session) { await setSession({ ...session, expired: true }); render(); }
    });
    flushSoon();
  }
  document.body.dataset.ready = '1';
}

boot();
export { h };
