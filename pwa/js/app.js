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
import { backHome } from './views/nav.js';
import { passwordView } from './views/password.js';
import { draftsView, sentView } from './views/lists.js';
import { afterRender, forgetPush, notificationsView, startNotifications } from './notify.js';

const main = document.getElementById('main');
const countEl = document.querySelector('[data-testid="outbox-count"]');
const netEl = document.getElementById('net');
const noticeEl = document.getElementById('notice');
const flashEl = document.getElementById('flash');
let lastPath = null;
applyLargeText();
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
  applyLargeText();
  const persist = document.getElementById('persist');
  if (persist.dataset.persisted === 'true' || persist.dataset.persisted === 'false') {
    persist.querySelector('span').textContent = t(persist.dataset.persisted === 'true' ? 'persist_granted' : 'persist_denied');
    persist.querySelector('button').textContent = t('got_it');
  }
  if (!window.isSecureContext) showInsecure();
  // Leaving a form with typed input: it is kept as a draft, and the person is told so.
  const target = location.pathname;
  let leftWords = null;
  if (ctx.beforeLeave) {
    const leave = ctx.beforeLeave;
    ctx.beforeLeave = null;
    leftWords = await leave().catch(() => null);
  }
  if (target !== lastPath) flashEl.textContent = lastPath !== null && leftWords ? leftWords : '';
  lastPath = target;
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
  else if (parts[0] === 'outbox') view = h('section', {}, backHome(), await outboxPanel(ctx));
  else if (parts[0] === 'drafts') view = await draftsView(ctx);
  else if (parts[0] === 'sent') view = await sentView(ctx);
  else if (parts[0] === 'notifications') view = await notificationsView(ctx);
  else if (parts[0] === 'password') view = passwordView(ctx);
  else if (parts[0] === 'fix' && parts[1]) view = await fixView(ctx, parts[1], formView);
  else view = await homeView(ctx);
  clear(main).append(view);
  oneHeading(main);
  document.getElementById('sign-out').hidden = !ctx.session;
  afterRender(ctx.session).catch(() => {});
  if (session && session.expired) showNotice(t('session_expired'));
  updateStatus();
}

// A resident's pages (the QR page, tracking) and the sign-in screen are not a captain's app.
function screenKind() {
  const path = location.pathname;
  if (path.startsWith('/app/s/')) return 'public';
  if (path.startsWith('/app/t')) return 'track';
  return ctx.session ? 'staff' : 'sign-in';
}

async function updateStatus() {
  const session = await getSession();
  const n = await outbox.count(userKey(session && !session.expired ? session : null));
  const kind = screenKind();
  const resident = kind === 'public' || kind === 'track';
  countEl.textContent = String(n);
  countEl.parentElement.classList.toggle('has-items', n > 0);
  // Residents (and the sign-in screen) see the waiting count only when something waits.
  countEl.parentElement.hidden = kind !== 'staff' && n === 0;
  document.querySelector('#sync-button .chip-label').textContent = t(resident ? 'public_waiting' : 'outbox_label');
  const offlineWords = { public: 'offline_public', track: 'offline_track', 'sign-in': 'offline_sign_in', staff: 'offline' }[kind];
  netEl.textContent = navigator.onLine ? t('online') : t(offlineWords);
  document.body.classList.toggle('is-offline', !navigator.onLine);
  if (resident && n > 0 && !hintDismissed) showPersistHint(t('public_persist'));
}

function showNotice(text) { noticeEl.textContent = text; noticeEl.hidden = !text; }

// Every screen has exactly one <h1>: the screen's own if it has one, else a heading named after
// the screen's first heading (read by screen readers, not shown twice on screen).
function oneHeading(root) {
  const own = root.querySelectorAll('h1');
  if (own.length) return;
  const first = root.querySelector('h2, h3');
  const title = first ? first.textContent.trim() : t('app_name');
  root.prepend(h('h1', { class: 'visually-hidden', 'data-testid': 'screen-title' }, `${t('app_name')} · ${title}`));
  document.title = `${title} · ${t('app_name')}`;
}

// Plain HTTP on a LAN: say so, with what to do (input is still kept: see outbox.newId).
function showInsecure() {
  const el = document.getElementById('insecure');
  el.textContent = t('insecure');
  el.hidden = false;
}

// Large text for older eyes: a toggle in the bar, remembered on this phone (public page too).
function largeText() { return localStorage.getItem('tongxin-large-text') === '1'; }
function applyLargeText() {
  const on = largeText();
  document.documentElement.classList.toggle('large-text', on);
  const button = document.getElementById('large-text');
  if (button) {
    button.textContent = t('large_text');
    button.setAttribute('aria-pressed', String(on));
    button.title = t(on ? 'large_text_on' : 'large_text_off');
  }
}

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
  if (path === '/app' || path === '/app/outbox' || path === '/app/drafts') {
    clearTimeout(rerenderTimer);
    rerenderTimer = setTimeout(render, 100);
  }
});
setInterval(async () => {
  const session = await getSession();
  if (await outbox.count(userKey(session)) > 0 && navigator.onLine) flushSoon();
}, 30000);

document.getElementById('lang').addEventListener('click', () => { setLang(lang() === 'en' ? 'zh' : 'en'); render(); });
document.getElementById('sync-button').addEventListener('click', () => {
  flushSoon();
  if (ctx.session && location.pathname.replace(/\/+$/, '') !== '/app/outbox') ctx.go('/app/outbox');
});
document.getElementById('large-text').addEventListener('click', () => {
  localStorage.setItem('tongxin-large-text', largeText() ? '0' : '1');
  applyLargeText();
});
document.getElementById('sign-out').addEventListener('click', async () => {
  const session = await getSession();
  const waiting = session ? (await outbox.items(session.user)).length : 0;
  if (waiting && !confirm(t('unsent_warning', { n: waiting }))) return;
  if (session && navigator.onLine && !session.expired) {
    fetch('/api/v1/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${session.token}` } }).catch(() => {});
  }
  await forgetPush(session).catch(() => {});
  await clearSession();
  await forgetImages().catch(() => {});
  ctx.go('/app/');
});

// The first install can fail on a weak signal (one of the shell's files does not arrive): the
// app then keeps trying, with growing pauses and when the signal returns, so that the phone
// works offline without the person having to reload.
const register = () => navigator.serviceWorker.register('/app/sw.js', { scope: '/app/', type: 'module' });
let registerRetry = 0;
let registerTimer = null;
function retryRegister() {
  if (navigator.serviceWorker.controller || registerTimer) return;
  const delay = Math.min(60000, 2000 * 2 ** registerRetry++);
  registerTimer = setTimeout(() => {
    registerTimer = null;
    register().then(watchInstall, retryRegister);
  }, delay);
}
function watchInstall(reg) {
  const worker = reg.installing;
  if (!worker) return;
  worker.addEventListener('statechange', () => {
    if (worker.state === 'redundant' && !navigator.serviceWorker.controller && !reg.active) retryRegister();
  });
}
window.addEventListener('online', () => {
  if ('serviceWorker' in navigator && !navigator.serviceWorker.controller) { registerRetry = 0; retryRegister(); }
});

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  let reg;
  try {
    reg = await register();
  } catch (err) {
    retryRegister();
    throw err;
  }
  watchInstall(reg);
  navigator.serviceWorker.ready.then((ready) => {
    if (!navigator.serviceWorker.controller && ready.active) ready.active.postMessage('claim');
  });
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

// A resident with a letter waiting on this phone: the one hint that matters to them.
function showPersistHint(text) {
  const el = document.getElementById('persist');
  el.dataset.persisted = '';
  el.querySelector('span').textContent = text;
  const button = el.querySelector('button');
  button.textContent = t('got_it');
  button.onclick = () => { el.hidden = true; hintDismissed = true; };
  el.hidden = false;
}
let hintDismissed = false;

// Ask to keep this phone's data; say what that means once, in plain words, then never again
// (to staff: a resident hears of it only when a letter waits, see updateStatus).
async function persistStorage() {
  const el = document.getElementById('persist');
  if (!navigator.storage || !navigator.storage.persist) return;
  const granted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
  if (screenKind() !== 'staff') return;
  if (localStorage.getItem('tongxin-persist-told')) return;
  localStorage.setItem('tongxin-persist-told', '1');
  el.dataset.persisted = String(granted);
  el.querySelector('span').textContent = t(granted ? 'persist_granted' : 'persist_denied');
  const button = el.querySelector('button');
  button.textContent = t('got_it');
  button.onclick = () => { el.hidden = true; };
  el.hidden = false;
}

async function boot() {
  await render();
  registerWorker().catch(() => {});
  startNotifications(ctx);
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
