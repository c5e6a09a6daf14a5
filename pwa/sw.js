// The service worker (an ES module worker). The server prepends `VERSION` and `PRECACHE`
// (every shell file with a content hash), so each release gets a new cache by itself.
import { flush } from './js/outbox.js';
import { IMAGE_CACHE } from './js/photos.js';

const CACHE = `tongxin-shell-${VERSION}`;
const SHELL = '/app/';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await Promise.all(PRECACHE.map(async ({ url }) => {
      const response = await fetch(url, { cache: 'reload' });
      if (!response.ok) throw new Error(`precache ${url}: ${response.status}`);
      await cache.put(url, response);
    }));
    // The first install takes over at once; an update waits until the person chooses
    // "reload", so that a half-filled form is never thrown away by a new version.
    if (!self.registration.active) await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('tongxin-shell-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
  // A page that opened while this worker was activating missed its claim: it asks again.
  if (event.data === 'claim') event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/v1/uploads/')) { event.respondWith(image(request)); return; }
  if (!url.pathname.startsWith('/app/')) return;  // the API and everything else: network
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    if (request.mode === 'navigate') {
      return (await cache.match(SHELL)) || fetch(request);
    }
    return (await cache.match(url.pathname)) || fetch(request);
  })());
});

// Photos: from the network while it answers, kept as viewed; offline, the kept copy. The
// cache is emptied on sign-out (photos.js), so the next person on this phone does not see them.
async function image(request) {
  const cache = await caches.open(IMAGE_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request.url, response.clone());
    return response;
  } catch (err) {
    const kept = await cache.match(request.url);
    if (kept) return kept;
    throw err;
  }
}

// Background Sync: the browser wakes us when the network is back, even with the app closed.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  event.waitUntil((async () => {
    await flush();
    for (const client of await self.clients.matchAll()) client.postMessage('outbox-changed');
  })());
});

// Web Push: show the item's title and words; a tap opens the item in the app.
self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (err) { data = { body: event.data ? event.data.text() : '' }; }
  event.waitUntil((async () => {
    await self.registration.showNotification(data.title || '同心', {
      body: data.body || '', tag: data.tag, icon: '/app/icons/icon-192.png',
      data: { url: typeof data.url === 'string' && data.url.startsWith('/app/') ? data.url : '/app/' },
    });
    for (const client of await self.clients.matchAll({ type: 'window' })) client.postMessage({ type: 'notifications-changed' });
  })());
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || '/app/';
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((c) => new URL(c.url).pathname.startsWith('/app/'));
    if (open) {
      open.postMessage({ type: 'open', url });
      return open.focus();
    }
    return self.clients.openWindow(url);
  })());
});
