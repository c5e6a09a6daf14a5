// The outbox: everything the person submits or decides goes here first, then to POST /api/v1/sync.
// Items leave only when the server answered created/duplicate/applied; nothing is dropped silently.
import { db, kvGet, kvSet, getSession } from './db.js';

export const PUBLIC = '_public';  // residents' QR-code submissions, no account
const BATCH = 50;
const channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('tongxin-outbox') : null;
const listeners = new Set();

export function onChange(fn) { listeners.add(fn); }
export function offChange(fn) { listeners.delete(fn); }
function changed() {
  listeners.forEach((fn) => fn());
  if (channel) channel.postMessage('changed');
}
if (channel) channel.onmessage = () => listeners.forEach((fn) => fn());

// crypto.randomUUID exists only in a secure context (https or localhost); on plain HTTP over a
// LAN it is missing, so make a version-4 uuid from getRandomValues (available everywhere).
export function newId() {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// The first words of what an item says (for lists): its longest text value, shortened.
export function firstWords(item, max = 30) {
  const data = (item && item.op && item.op.data) || {};
  // Codes (a choice's value, a phone number) are not words: keep strings with spaces or Chinese.
  const texts = Object.values(data).filter((v) => typeof v === 'string' && v.trim() && !/^[\w.@+-]+$/.test(v.trim()));
  const text = (item && item.op && item.op.comment) || texts.sort((a, b) => b.length - a.length)[0] || '';
  const chars = [...text.trim()];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : chars.join('');
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

// What left the phone: kept for the sent list (about four weeks, at most 200 entries).
export const SENT_DAYS = 28;
async function logSent(user, item, result) {
  const sub = result.submission || {};
  const cutoff = Date.now() - SENT_DAYS * 86400000;
  const log = (await sentLog(user)).filter((e) => e.key !== item.key && e.sent_at >= cutoff);
  log.unshift({ key: item.key, title: item.title, sent_at: Date.now(), status: result.status,
                kind: item.kind, form: item.op && item.op.form, created_at: item.created_at,
                excerpt: firstWords(item), grid_name: sub.grid_name || item.grid_name || null,
                tracking_code: sub.tracking_code, submission_id: sub.id,
                state: sub.state || null, state_label: sub.state_label || null, checked_at: Date.now() });
  await kvSet(`sent:${user}`, log.slice(0, 200));
}

// The sent list's states, asked again of the server (the caller passes its fetcher).
export async function updateSent(user, entries) {
  const log = await sentLog(user);
  const byKey = new Map(entries.map((e) => [e.key, e]));
  await kvSet(`sent:${user}`, log.map((e) => (byKey.has(e.key) ? { ...e, ...byKey.get(e.key) } : e)));
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
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const post = (batch) => fetch('/api/v1/sync', {
    method: 'POST', headers, body: JSON.stringify({ ops: batch.map((i) => i.op) }),
  });
  for (let start = 0; start < waiting.length; start += BATCH) {
    const batch = waiting.slice(start, start + BATCH);
    const res = await post(batch);
    if (res.status === 401) return { sent, stuck, auth: true };
    if (res.status >= 500) {
      // One poison item must not hold back the rest: after repeated server errors for a batch
      // while the server is otherwise up, send its items one by one and set the failing one aside.
      for (const item of batch) item.server_errors = (item.server_errors || 0) + 1;
      await Promise.all(batch.map(async (item) => (await db()).put('outbox', item)));
      const repeated = batch.some((i) => i.server_errors >= (batch.length > 1 ? 2 : 3));
      if (!repeated || !(await serverUp())) throw new Error(`sync failed: ${res.status}`);
      const alone = await oneByOne(user, batch, post);
      sent += alone.sent;
      stuck += alone.stuck;
      if (alone.auth) return { sent, stuck, auth: true };
      changed();
      continue;
    }
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

async function serverUp() {
  try {
    return (await fetch('/healthz', { cache: 'no-store' })).ok;
  } catch (err) {
    return false;
  }
}

async function oneByOne(user, batch, post) {
  let sent = 0;
  let stuck = 0;
  for (const item of batch) {
    const res = await post([item]);
    if (res.status === 401) return { sent, stuck, auth: true };
    if (res.status >= 500) {
      item.status = 'failing';
      item.errors = { code: 'server_error' };
      item.attempts += 1;
      await (await db()).put('outbox', item);
      stuck += 1;
      continue;
    }
    if (!res.ok) throw new Error(`sync failed: ${res.status}`);
    const result = (await res.json()).results[0];
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
  item.server_errors = 0;
  await save(item);
}
