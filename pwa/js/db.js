// IndexedDB through idb: the outbox and per-user caches. Shared by the page and the worker.
import { openDB } from '../vendor/idb-8.0.4.js';

let dbPromise;

export function db() {
  if (!dbPromise) {
    dbPromise = openDB('tongxin', 1, {
      upgrade(database) {
        const outbox = database.createObjectStore('outbox', { keyPath: 'key' });
        outbox.createIndex('user', 'user');
        database.createObjectStore('kv');
      },
    });
  }
  return dbPromise;
}

export async function kvGet(key) { return (await db()).get('kv', key); }
export async function kvSet(key, value) { return (await db()).put('kv', value, key); }
export async function kvDel(key) { return (await db()).delete('kv', key); }

// The signed-in person on this phone: {user: username, token, me}.
export async function getSession() { return (await kvGet('session')) || null; }
export async function setSession(session) { return kvSet('session', session); }
export async function clearSession() { return kvDel('session'); }

export async function cacheGet(user, name) { return kvGet(`cache:${user}:${name}`); }
export async function cacheSet(user, name, value) {
  return kvSet(`cache:${user}:${name}`, { value, at: Date.now() });
}
