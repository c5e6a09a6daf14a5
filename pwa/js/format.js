// The one place that turns codes and instants into words. Vocabulary and time zone come from
// GET /api/v1/meta (kept in IndexedDB for offline use); the sentences from the catalogue.
import { kvGet, kvSet } from './db.js';
import { lang, pick, t } from './i18n.js';

// Used only until the server has been asked once: the server's own default zone.
const FALLBACK_ZONE = 'Asia/Shanghai';
let meta = null;

// Loads the server's meta into memory: memory, then IndexedDB, then (online) the network.
export async function loadMeta({ refresh = false } = {}) {
  if (!meta) meta = (await kvGet('meta').catch(() => null)) || null;
  if ((refresh || !meta) && navigator.onLine) {
    try {
      const res = await fetch('/api/v1/meta', { headers: { Accept: 'application/json' } });
      if (res.ok) {
        meta = await res.json();
        await kvSet('meta', meta).catch(() => {});
      }
    } catch (err) { /* offline or down: keep what we have */ }
  }
  return meta;
}

export function zone() { return (meta && meta.timezone) || FALLBACK_ZONE; }

function locale() { return lang() === 'en' ? 'en-GB' : 'zh-CN'; }

function vocabulary(kind, code) {
  const words = meta && meta.vocabulary && meta.vocabulary[kind];
  return words && words[code] ? pick(words[code]) : '';
}

// Labels by code, from the server's vocabulary. An unknown code gives '' (never the code).
export const roleLabel = (code) => vocabulary('roles', code);
export const levelLabel = (code) => vocabulary('levels', code);
export const formLabel = (slug) => vocabulary('forms', slug);
export const actionLabel = (code) => vocabulary('actions', code);
export function stateLabel(item) {
  if (!item) return '';
  if (typeof item === 'string') return vocabulary('states', item);
  return item.state_label || vocabulary('states', item.state);
}

export function yesNo(value) { return vocabulary('booleans', value ? 'true' : 'false') || (value ? t('yes') : t('no')); }

const formatters = new Map();
function formatter(kind) {
  const key = `${kind}|${locale()}|${zone()}`;
  if (!formatters.has(key)) {
    const base = { timeZone: zone(), hour12: false };
    const options = {
      datetime: { ...base, month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit' },
      datetimeYear: { ...base, year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit' },
      date: { ...base, year: 'numeric', month: 'long', day: 'numeric' },
      year: { ...base, year: 'numeric' },
    }[kind];
    formatters.set(key, new Intl.DateTimeFormat(locale(), options));
  }
  return formatters.get(key);
}

function toDate(value) {
  if (value === null || value === undefined || value === '') return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

// An instant (ISO string with offset, Date or ms) in the community's time: "12月2日 12:14".
export function dateTime(value) {
  const d = toDate(value);
  if (!d) return '';
  const sameYear = formatter('year').format(d) === formatter('year').format(new Date());
  return formatter(sameYear ? 'datetime' : 'datetimeYear').format(d);
}

export function dateOnly(value) {
  const d = toDate(value);
  return d ? formatter('date').format(d) : '';
}

// A span as people say it: "2 小时 15 分", "3 天", "45 分".
export function duration(seconds) {
  let s = Math.max(0, Math.round(Number(seconds) || 0));
  const days = Math.floor(s / 86400); s -= days * 86400;
  const hours = Math.floor(s / 3600); s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  const parts = [];
  if (days) parts.push(t('n_days', { n: days }));
  if (hours) parts.push(t('n_hours', { n: hours }));
  if (minutes && !days) parts.push(t('n_minutes', { n: minutes }));
  return parts.length ? parts.join(' ') : t('n_minutes', { n: 0 });
}

// A field's value as words, from its definition (used where the server sent no `display`).
export function fieldText(field, value) {
  if (value === null || value === undefined || value === '') return '';
  if (!field) return Array.isArray(value) ? value.join('、') : String(value);
  const choice = (v) => {
    const found = (field.choices || []).find((c) => c.value === v);
    return found ? pick(found.label) : String(v);
  };
  switch (field.type) {
    case 'boolean': case 'consent': return yesNo(value);
    case 'select': return choice(value);
    case 'multiselect': return (Array.isArray(value) ? value : [value]).map(choice).join('、');
    case 'photo': return t('n_photos', { n: Array.isArray(value) ? value.length : 1 });
    case 'datetime': return dateTime(value);
    case 'date': return dateOnly(value);
    default: return Array.isArray(value) ? value.join('、') : String(value);
  }
}

// One history event as a sentence, when the server sent no `text`.
export function eventText(e) {
  const resident = e.actor_id == null && !e.actor;
  const who = e.system ? t('system_actor') : (resident ? t('resident') : (e.actor_name || e.actor));
  const state = stateLabel(e.to_state);
  return `${dateTime(e.at)} ${who} · ${state}`;
}

// A wall time typed on this phone ("2026-12-02T09:00" from <input type=datetime-local>) read in
// the community's zone, as an instant with its offset: "2026-12-02T09:00:00+08:00".
export function fromLocalInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || '');
  if (!m) return value;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let offset = offsetMinutes(new Date(wall));
  offset = offsetMinutes(new Date(wall - offset * 60000));
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const pad = (n) => String(n).padStart(2, '0');
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function offsetMinutes(date) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone: zone(), hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit' }).formatToParts(date).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute);
  return Math.round((asUtc - Math.floor(date.getTime() / 60000) * 60000) / 60000);
}
