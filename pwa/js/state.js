// Loading and caching what a person needs to work offline.
import { api } from './api.js';
import { cacheGet, cacheSet, getSession } from './db.js';
import { loadMeta } from './format.js';
import { PUBLIC } from './outbox.js';

export async function currentUser() {
  const session = await getSession();
  return session && !session.expired ? session : null;
}

export function userKey(session) { return session ? session.user : PUBLIC; }

// While online: fetch and keep the person's roles, forms, grid, inbox, posts and points.
export async function refreshCaches(session) {
  const key = userKey(session);
  loadMeta({ refresh: true }).catch(() => {});
  if (session) {
    // The public QR-code form must open offline on this phone too.
    api('/forms', { token: null }).then((forms) => cacheSet(PUBLIC, 'forms', forms)).catch(() => {});
  }
  const jobs = session
    ? { me: '/auth/me', forms: '/forms', grid: '/grid', inbox: '/inbox?limit=200',
        posts: '/posts?open=1', points: '/points/me', notices: '/notices', meetings: '/meetings',
        claims: '/posts/claims' }
    : { forms: '/forms' };
  await Promise.all(Object.entries(jobs).map(async ([name, path]) => {
    try {
      await cacheSet(key, name, await api(path, session ? {} : { token: null }));
    } catch (err) {
      if (err.status === 401) throw err;
    }
  }));
}

export async function cached(session, name) {
  const entry = await cacheGet(userKey(session), name);
  return entry ? entry.value : null;
}

export async function formDefinition(session, slug) {
  const forms = (await cached(session, 'forms')) || (await cacheGet(PUBLIC, 'forms'))?.value;
  const found = forms && forms.items.find((f) => f.slug === slug);
  if (found) return found;
  try {
    return await api(`/forms/${encodeURIComponent(slug)}`, session ? {} : { token: null });
  } catch (err) {
    return null;
  }
}

// slug → the form's title, for when the server's vocabulary has not been fetched yet.
export async function formTitles(session) {
  const forms = (await cached(session, 'forms')) || (await cacheGet(PUBLIC, 'forms'))?.value;
  return new Map(((forms && forms.items) || []).map((f) => [f.slug, f.title]));
}
