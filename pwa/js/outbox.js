// The outbox: everything the person submits or decides goes here first, then to POST /api/v1/sync.
// Items leave only when the server answered created/duplicate/applied; nothing is dropped silently.
import { db, kvGet, kvSet, getSession } from './db.js';

export const PUBLIC = '_public';  // residents' QR-code submissions, no account
const BATCH = 50;
const channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('tongxin-outbox') : null;
const listeners = new Set();

export function onChange(fn) { listeners.add(fn); }
function changed() {
  listeners.forEach((fn) => fn());
  if (channel) channel.postMessage('changed');
}
if (channel) channel.onmessage = () => listeners.forEach((fn) => fn());

export function newId() {
  return crypto.randomUUID();
}

// item: {key, user, kind: 'submit'|'transition', op, photos?: [{field, blob, name, upload_id}], title}
export async function add(item) {
  const full = { status: 'waiting', attempts: 0, created_at: Date.now(), errors: null, ...item };
  await (await db()).put('outbox', full);
  changed();
  return full;
}

export async function items(user) {
  const all = await (await db()).getAllFromIndex('outbox', 'user', user);
  return all.sort((a, b) => a.created_at - b.created_at);
}

export async function get(key) { return (await db()).get('outbox', key); }

export async function save(item) {
  await (await db()).put('outbox', item);
  changed();
}

export async function remove(key) {
  await (await db()).delete('outbox', key);
  changed();
}

export async function count(user) {
  const mine = await items(user);
  const pub = user === PUBLIC ? [] : await items(PUBLIC);
  return mine.length + pub.length;
}

export async function sentLog(user) { return (await kvGet(`sent:${user}`)) || []; }

async function logSent(user, item, result) {
  const log = await sentLog(user);
  log.unshift({ key: item.key, title: item.title, sent_at: Date.now(), status: result.status,
                tracking_code: result.submission && result.submission.tracking_code,
                submission_id: result.submission && result.submission.id });
  await kvSet(`sent:${user}`, log.slice(0, 50));
}

async function uploadPhotos(item, token) {
  let touched = false;
  for (const photo of item.photos || []) {
    if (photo.upload_id) continue;
    const form = new FormData();
    form.append('file', photo.blob, photo.name || 'photo.jpg');
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const res = await fetch('/api/v1/uploads', { method: 'POST', body: form, headers });
    if (res.status === 201) {
      photo.upload_id = (await res.json()).id;
      const data = item.op.data;
      data[photo.field] = [...(data[photo.field] || []), photo.upload_id];
      touched = true;
    } else if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 401) {
      const body = await res.json().catch(() => ({}));
      item.status = 'invalid';
      item.errors = body.error || { message: String(res.status) };
      touched = true;
      break;
    } else {
      throw new Error(`upload failed: ${res.status}`);
    }
  }
  if (touched) await save(item);
}

// Send one person's waiting items. Returns {sent, stuck, auth?}. Throws on network/server failure.
async function flushUser(user, token) {
  let sent = 0;
  let stuck = 0;
  let waiting = (await items(user)).filter((i) => i.status === 'waiting');
  for (const item of waiting) await uploadPhotos(item, token);
  waiting = (await items(user)).filter((i) => i.status === 'waiting');
  for (let start = 0; start < waiting.length; start += BATCH) {
    const batch = waiting.slice(start, start + BATCH);
    const headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const res = await fetch('/api/v1/sync', {
      method: 'POST', headers, body: JSON.stringify({ ops: batch.map((i) => i.op) }),
    });
    if (res.status === 401) return { sent, stuck, auth: true };
    if (!res.ok) throw new Error(`sync failed: ${res.status}`);
    const { results } = await res.json();
    for (let n = 0; n < batch.length; n += 1) {
      const item = batch[n];
      const result = results[n];
      if (['created', 'duplicate', 'applied'].includes(result.status)) {
        await logSent(user, item, result);
        await (await db()).delete('outbox', item.key);
        sent += 1;
      } else {
        item.status = result.status;
        item.errors = result.errors || null;
        item.attempts += 1;
        await (await db()).put('outbox', item);
        stuck += 1;
      }
    }
    changed();
  }
  return { sent, stuck };
}

// Flush the signed-in person's items and the public ones, one flusher at a time on this phone
// (the page and the service worker both call this; the lock keeps them from sending twice).
export async function flush() {
  const run = async () => {
    const session = await getSession();
    const total = { sent: 0, stuck: 0, auth: false };
    const pub = await flushUser(PUBLIC, null);
    total.sent += pub.sent;
    if (session && !session.expired) {
      const mine = await flushUser(session.user, session.token);
      total.sent += mine.sent;
      total.stuck += mine.stuck;
      total.auth = Boolean(mine.auth);
    }
    return total;
  };
  if (typeof navigator !== 'undefined' && navigator.locks) {
    return navigator.locks.request('outbox-flush', run);
  }
  return run();
}

// Re-queue a stuck item (after fixing it, or "submit as new" with a fresh uuid).
export async function retry(key, { asNew = false, data = null } = {}) {
  const item = await get(key);
  if (!item) return;
  if (data) item.op.data = data;
  if (asNew) {
    if (item.kind === 'submit') item.op.uuid = newId();
    else item.op.op_id = newId();
    delete item.op.expected_state;
  }
  item.status = 'waiting';
  item.errors = null;
  await save(item);
}
