// Drafts: every form saves itself on this phone as the person types (IndexedDB, per person and
// per form), so a phone call, the back button, a reload, an app update or a closed browser never
// loses what was typed. One draft per person and form; it goes when the form is submitted.
import { db, kvDel, kvGet, kvSet } from './db.js';

const PREFIX = 'draft:';

// public QR forms are keyed by building ("s:B1"), the others by form slug.
export function draftKey(user, form) { return `${PREFIX}${user}:${form}`; }

export async function getDraft(user, form) { return (await kvGet(draftKey(user, form))) || null; }

export async function saveDraft(user, form, draft) {
  await kvSet(draftKey(user, form), { ...draft, user, form, saved_at: Date.now() });
  notify();
}

export async function deleteDraft(user, form) {
  await kvDel(draftKey(user, form));
  notify();
}

export async function listDrafts(user) {
  const prefix = `${PREFIX}${user}:`;
  const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
  const list = await (await db()).getAll('kv', range);
  return list.sort((a, b) => b.saved_at - a.saved_at);
}

const listeners = new Set();
export function onDraftsChange(fn) { listeners.add(fn); }
function notify() { listeners.forEach((fn) => fn()); }

// The form's values as typed (not validated): {name: string | boolean | string[]}; photos are
// not kept (a draft holds words and choices; the photo is taken again when sending).
export function snapshot(form) {
  const values = {};
  for (const el of form.elements) {
    if (!el.name || el.type === 'file' || el.type === 'submit' || el.type === 'button') continue;
    if (el.type === 'checkbox') {
      const group = form.querySelectorAll(`input[type=checkbox][name="${CSS.escape(el.name)}"]`);
      if (group.length > 1) {
        values[el.name] = [...group].filter((i) => i.checked).map((i) => i.value);
      } else {
        values[el.name] = el.checked;
      }
    } else if (el.type === 'radio') {
      if (el.checked) values[el.name] = el.value;
    } else {
      values[el.name] = el.value;
    }
  }
  return values;
}

export function restore(form, values) {
  for (const [name, value] of Object.entries(values || {})) {
    const els = form.querySelectorAll(`[name="${CSS.escape(name)}"]`);
    els.forEach((el) => {
      if (el.type === 'file') return;
      if (el.type === 'checkbox') el.checked = Array.isArray(value) ? value.includes(el.value) : Boolean(value);
      else if (el.type === 'radio') el.checked = el.value === value;
      else el.value = value;
    });
  }
  form.dispatchEvent(new Event('change'));
}

export function sameValues(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

// The first words of a draft (its longest text), for the drafts list.
export function draftWords(draft, max = 30) {
  const texts = Object.values(draft.values || {}).filter((v) => typeof v === 'string' && v.trim() && !/^[\w.@+-]+$/.test(v.trim()));
  const text = texts.sort((x, y) => y.length - x.length)[0] || '';
  const chars = [...text.trim()];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : chars.join('');
}
