// A blank submission of a form: /app/new/<slug> (signed in) and /app/s/<building> (public).
import { api } from '../api.js';
import { h } from '../dom.js';
import { dateTime } from '../format.js';
import { pick, t } from '../i18n.js';
import { add, get, newId, offChange, onChange, PUBLIC, sentLog } from '../outbox.js';
import { tellFate } from './lists.js';
import { backHome } from './nav.js';
import { deleteDraft, getDraft, restore, sameValues, saveDraft, snapshot } from '../drafts.js';
import { collect, downscale, naturalOrder, renderForm, showErrors } from '../forms/render.js';
import { cached, formDefinition, userKey } from '../state.js';

export async function formView(ctx, slug, { publicCode = null, fix = null } = {}) {
  const session = publicCode ? null : ctx.session;
  const definition = fix ? fix.definition : await formDefinition(session, slug);
  if (!definition) {
    // Online, the server was asked and knows no such form (or it is closed); offline, the
    // phone has not kept it yet.
    return h('section', {}, publicCode ? null : backHome(),
      h('p', { class: 'card', 'data-testid': 'form-missing' }, t(navigator.onLine ? 'form_missing' : 'no_cache')));
  }
  const grid = session ? await cached(session, 'grid') : null;
  const posts = session ? await cached(session, 'posts') : null;
  const params = new URLSearchParams(location.search);
  const buildings = (grid ? grid.items : []).filter((n) => n.level === 'building')
    .sort((a, b) => naturalOrder(a.name, b.name));
  const form = renderForm(definition, { nodes: grid ? grid.items : [], posts: posts ? posts.items : [] });
  const where = h('select', { name: 'grid_code', id: 'f-grid_code', 'aria-describedby': 'e-grid_code' },
    h('option', { value: '' }, t('choose')), buildings.map((n) => h('option', { value: n.code }, n.name)));
  const preset = fix ? fix.op.grid_code : params.get('grid_code');
  if (preset) where.value = preset;
  else if (buildings.length === 1) where.value = buildings[0].code;
  const needsWhere = !publicCode && !definition.fields.some((f) => f.type === 'post');
  if (needsWhere) {
    form.prepend(h('div', { class: 'field', dataset: { field: 'grid_code' } },
      h('label', { class: 'label', for: 'f-grid_code' }, t('building'), h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')),
      where, h('div', { class: 'error', id: 'e-grid_code', role: 'alert' })));
  }
  if (fix) prefill(form, definition, fix.op.data);
  const status = h('div', { class: 'notice', role: 'status', 'data-testid': 'form-status' });
  const similar = h('div', { class: 'similar' });
  const submitButton = h('button', { type: 'submit', class: 'primary big' }, t('submit'));
  form.append(status, submitButton);
  const draftUser = publicCode ? PUBLIC : userKey(session);
  const draftForm = publicCode ? `s:${publicCode}` : definition.slug;
  const draftNote = h('div', { class: 'notice draft-note', role: 'status', 'data-testid': 'draft-note' });
  const autosave = fix ? null : await draftKeeper(ctx, form, {
    user: draftUser, form: draftForm, note: draftNote,
    describe: () => ({ title: pick(definition.title), slug: definition.slug, public_code: publicCode,
                       grid_name: needsWhere && where.value ? where.selectedOptions[0].textContent : null }),
  });
  // One tap, one item: the uuid is made once per filling and kept until it is handed to the
  // outbox, and a second tap while the first is handled does nothing.
  let uuid = newId();
  let busy = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    submitButton.disabled = true;
    try {
      await submit();
    } finally {
      busy = false;
      submitButton.disabled = false;
    }
  });
  async function submit() {
    const { data, photos, errors } = collect(form, definition);
    let gridCode = publicCode || where.value;
    if (!publicCode && !needsWhere) {
      const post = (posts ? posts.items : []).find((p) => p.id === data.post);
      gridCode = post ? post.grid_code : gridCode || (buildings[0] && buildings[0].code) || '';
    }
    if (needsWhere && !gridCode) errors.grid_code = t('required');
    showErrors(form, errors);
    if (Object.keys(errors).length) return;
    const stored = [];
    for (const p of photos) stored.push({ field: p.field, name: p.file.name, blob: await downscale(p.file) });
    if (fix) {
      await ctx.outbox.retry(fix.key, { data });
      ctx.go('/app/outbox');
      ctx.flushSoon();
      return;
    }
    const op = { op: 'submit', uuid, form: definition.slug, form_version: definition.version,
                 grid_code: gridCode, data, client_created_at: new Date().toISOString() };
    const user = publicCode ? PUBLIC : userKey(session);
    const gridName = needsWhere && where.value ? where.selectedOptions[0].textContent : null;
    await add({ key: op.uuid, user, kind: 'submit', op, photos: stored, title: pick(definition.title),
                grid_name: gridName });
    uuid = newId();
    if (autosave) await autosave.done();
    form.reset();
    if (autosave) restore(form, autosave.baseline);
    form.dispatchEvent(new Event('change'));
    status.textContent = navigator.onLine ? t('sending') : t('saved_offline');
    if (navigator.onLine) await ctx.flushSoon();
    await tellFate(ctx, op.uuid, user, status, Boolean(publicCode));
    followUntilSent(ctx, op.uuid, user, status, Boolean(publicCode));
  }
  if (publicCode && navigator.onLine) loadSimilar(publicCode, similar).catch(() => {});
  const board = publicCode ? await publicNotices(publicCode) : null;
  const events = publicCode && navigator.onLine ? await publicActivities(publicCode) : null;
  return h('section', {},
    publicCode ? null : fix ? backHome('/app/outbox', t('back_outbox')) : backHome(),
    h('h2', {}, publicCode ? t('public_title') : pick(definition.title)),
    draftNote,
    publicCode ? h('p', { class: 'help' }, t('anonymous_note')) : null,
    definition.description ? h('p', { class: 'help' }, pick(definition.description)) : null,
    board, events, similar, form);
}

// Saved offline: when the item leaves the outbox later (signal back, this page or the service
// worker sending it), say what became of it here, with the tracking code for a resident.
function followUntilSent(ctx, key, user, status, isPublic) {
  const check = async () => {
    if (!status.isConnected) { offChange(check); return; }
    const sent = (await sentLog(user)).some((e) => e.key === key);
    const item = await get(key);
    if (!sent && item && item.status === 'waiting') return;
    offChange(check);
    await tellFate(ctx, key, user, status, isPublic);
    status.dispatchEvent(new CustomEvent('fate', { bubbles: true }));
  };
  onChange(check);
}

function prefill(form, definition, data) {
  for (const field of definition.fields) {
    const value = data[field.name];
    if (value === undefined) continue;
    if (field.type === 'multiselect') {
      form.querySelectorAll(`input[name="${field.name}"]`).forEach((i) => { i.checked = value.includes(i.value); });
    } else if (field.type === 'boolean' || field.type === 'consent') {
      form.querySelector(`[name="${field.name}"]`).checked = Boolean(value);
    } else if (field.type !== 'photo') {
      form.querySelector(`[name="${field.name}"]`).value = value;
    }
  }
  form.dispatchEvent(new Event('change'));
}



// Autosave into a draft as the person types; when they leave with typed input, keep it and say so.
async function draftKeeper(ctx, form, { user, form: formKey, note, describe }) {
  const baseline = snapshot(form);
  const draft = await getDraft(user, formKey);
  if (draft && !sameValues(draft.values, baseline)) {
    restore(form, draft.values);
    note.append(t('draft_restored', { time: dateTime(draft.saved_at) }), ' ',
      h('button', { type: 'button', class: 'small', 'data-testid': 'draft-clear', onclick: async () => {
        await deleteDraft(user, formKey);
        restore(form, baseline);
        note.textContent = '';
      } }, t('draft_clear')));
  }
  let timer = null;
  let pending = Promise.resolve();
  const save = () => {
    clearTimeout(timer);
    timer = null;
    const values = snapshot(form);
    pending = pending.then(() => (sameValues(values, baseline)
      ? deleteDraft(user, formKey)
      : saveDraft(user, formKey, { ...describe(), values }))).catch(() => {});
    return pending;
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(save, 250); };
  form.addEventListener('input', soon);
  form.addEventListener('change', soon);
  const onHide = () => { if (timer) save(); };
  window.addEventListener('pagehide', onHide);
  document.addEventListener('visibilitychange', onHide);
  ctx.beforeLeave = async () => {
    window.removeEventListener('pagehide', onHide);
    document.removeEventListener('visibilitychange', onHide);
    await save();
    return sameValues(snapshot(form), baseline) ? null : t('draft_kept');
  };
  return {
    baseline,
    // The item is in the outbox now: the draft has done its job.
    async done() {
      clearTimeout(timer);
      await pending;
      await deleteDraft(user, formKey);
      note.textContent = '';
    },
  };
}

// The building's current notices for residents; kept for offline display too.
async function publicNotices(code) {
  const { cacheGet, cacheSet } = await import('../db.js');
  let notices = null;
  if (navigator.onLine) {
    try {
      notices = await api(`/notices/public?grid_code=${encodeURIComponent(code)}`, { token: null });
      await cacheSet(PUBLIC, `notices:${code}`, notices);
    } catch (err) { notices = null; }
  }
  if (!notices) notices = (await cacheGet(PUBLIC, `notices:${code}`))?.value;
  if (!notices || !notices.items.length) return null;
  return h('div', { class: 'card notices' }, h('h3', {}, t('notices')),
    h('ul', { class: 'list' }, notices.items.map((n) => h('li', {}, h('strong', {}, n.title), h('p', {}, n.body),
      n.photo ? h('img', { class: 'notice-photo', alt: '', src: `/api/v1/notices/${n.id}/photo` }) : null))));
}

// Activities residents may join without an account (online only: places are counted live).
async function publicActivities(code) {
  let list;
  try {
    list = await api(`/posts/public?grid_code=${encodeURIComponent(code)}`, { token: null });
  } catch (err) { return null; }
  if (!list.items.length) return null;
  return h('div', { class: 'card activities' }, h('h3', {}, t('activities')),
    h('ul', { class: 'list' }, list.items.map((a) => {
      const status = h('div', { class: 'notice', role: 'status' });
      const signup = h('form', { class: 'tx-form', dataset: { activity: a.id } },
        h('label', { class: 'label' }, t('your_name'), h('input', { name: 'name', required: true, maxlength: 50 })),
        h('label', { class: 'label' }, t('your_phone'), h('input', { name: 'phone', type: 'tel', required: true })),
        h('button', { type: 'submit', class: 'primary' }, t('sign_up')), status);
      signup.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (!navigator.onLine) { status.textContent = t('online_only'); return; }
        try {
          await api(`/posts/${a.id}/residents`, { method: 'POST', token: null,
            body: { name: signup.name.value.trim(), phone: signup.phone.value.trim() } });
          status.textContent = t('signed_up');
          signup.querySelector('button').disabled = true;
        } catch (err) { status.textContent = err.message; }
      });
      return h('li', {}, h('strong', {}, a.title), h('div', { class: 'help' },
        `${dateTime(a.starts_at)} · ${a.place || a.grid_name} · `,
        t('places_left', { n: Math.max(a.resident_capacity - a.residents_signed, 0) })), signup);
    })));
}

async function loadSimilar(code, box) {
  const res = await api(`/submissions/similar?grid_code=${encodeURIComponent(code)}`, { token: null });
  if (!res.items.length) return;
  box.append(h('p', {}, t('similar')), h('ul', { class: 'list' }, res.items.map((item) => h('li', { class: 'card' },
    item.excerpt, ' ', h('button', { type: 'button', class: 'small', onclick: async (e) => {
      await api(`/submissions/${item.id}/me-too`, { method: 'POST', token: null });
      e.target.disabled = true;
      e.target.textContent = `${t('me_too')} ✓`;
    } }, t('me_too'))))));
}
