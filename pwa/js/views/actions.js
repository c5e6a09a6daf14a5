// The actions on an item's screen: each a small form with what it needs (a comment, the
// original letter, the building it goes to, the partner unit), kept as a draft on this phone
// until sent; after sending, the item is shown again in its new state with the word in view.
import { api } from '../api.js';
import { cacheSet } from '../db.js';
import { h } from '../dom.js';
import { dateTime } from '../format.js';
import { pick, t } from '../i18n.js';
import { add, get, newId, remove, sentLog } from '../outbox.js';
import { deleteDraft, getDraft, restore, sameValues, saveDraft, snapshot } from '../drafts.js';
import { cached, userKey } from '../state.js';
import { errorWords } from './lists.js';
import '../words-field.js';

// What the next rendering of an item says at the top: {id: {text, warn}}.
const said = new Map();
export function takeSaid(id) {
  const note = said.get(String(id));
  said.delete(String(id));
  return note || null;
}

export const draftForm = (item, action) => `item:${item.id}:${action.action}`;

function field(name, id, label, control, required = true) {
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { class: 'label', for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    control, h('div', { class: 'error', id: `${id}-error`, role: 'alert' }));
}

function originalPicker(item, action) {
  const id = `dup-${item.id}`;
  const list = action.originals || [];
  if (!list.length) return h('p', { class: 'help' }, t('no_originals'));
  return field('duplicate_of', id, t('pick_original'), h('select', { name: 'duplicate_of', id, 'aria-describedby': `${id}-error` },
    h('option', { value: '' }, t('choose')),
    list.map((o) => h('option', { value: o.id },
      `${o.excerpt || t('number_short', { n: o.id })} · ${dateTime(o.created_at)}${o.state_label ? ` · ${o.state_label}` : ''}`))));
}

function targetPicker(item, action) {
  const id = `to-${item.id}`;
  const list = action.targets || [];
  if (!list.length) return h('p', { class: 'help' }, t('no_targets'));
  return field('grid_code', id, t('pick_target'), h('select', { name: 'grid_code', id, 'aria-describedby': `${id}-error` },
    h('option', { value: '' }, t('choose')),
    list.map((n) => h('option', { value: n.code }, n.level === 'estate' ? t('whole_estate', { name: n.name }) : n.name))));
}

function partnerPicker(item, action) {
  const id = `partner-${item.id}`;
  const list = action.partners;
  // An item kept from before the server offered the list: type the unit's name.
  const control = list
    ? h('select', { name: 'partner', id, 'aria-describedby': `${id}-error` }, h('option', { value: '' }, t('choose')),
      list.map((o) => h('option', { value: o.name }, o.people === 0 ? `${o.name}（${t('no_partner_accounts')}）` : o.name)))
    : h('input', { name: 'partner', id, 'aria-describedby': `${id}-error` });
  const row = field('partner', id, t('partner'), control);
  // A unit with no account would never see the dispatch: said once under the list.
  if ((list || []).some((o) => o.people === 0)) row.append(h('div', { class: 'help' }, t('partner_nobody')));
  return row;
}

// Whether the resident reads this reply on their tracking page (as the console's checkbox):
// offered where the action takes a comment on a resident's letter, and ticked: a resident
// whose letter is answered or refused should hear why.
function publicReplyChoice(item, action) {
  const takesComment = action.comment === 'required' || action.action === 'resolve';
  if (!takesComment || item.form !== 'suggestion') return null;
  const id = `public-reply-${item.id}-${action.action}`;
  return h('div', { class: 'public-reply' },
    h('label', { class: 'check', for: id },
      h('input', { type: 'checkbox', name: 'public_reply', id, checked: true }),
      t('public_reply')),
    h('div', { class: 'help' }, t('public_reply_hint')));
}

function needsComment(action) { return action.comment === 'required'; }

export function actionForm(ctx, item, action, status, keeper) {
  const commentId = `comment-${item.id}-${action.action}`;
  const takesComment = needsComment(action) || action.action === 'resolve' || action.action === 'reject';
  const form = h('form', { class: 'action card', novalidate: true, dataset: { action: action.action } },
    takesComment ? field('comment', commentId, t('comment'),
      h('textarea', { name: 'comment', id: commentId, rows: 3, 'aria-describedby': `${commentId}-error` }), needsComment(action)) : null,
    action.duplicate_of === 'required' ? originalPicker(item, action) : null,
    action.reroute ? targetPicker(item, action) : null,
    action.partner === 'required' ? partnerPicker(item, action) : null,
    publicReplyChoice(item, action),
    h('button', { type: 'submit', class: 'primary', 'data-action': action.action }, pick(action.label)));
  const button = form.querySelector('button[type=submit]');
  // Nothing to pick from: the words say why, and no button invites a tap that must fail.
  if ((action.duplicate_of === 'required' && !(action.originals || []).length)
      || (action.reroute && !(action.targets || []).length)) button.remove();
  keeper.watch(form, draftForm(item, action), `${pick(action.label)} #${item.id}`);
  let busy = false;  // a double tap makes one action
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    const missing = missingInputs(form, action);
    showFieldErrors(form, missing);
    if (missing.length) return;
    busy = true;
    button.disabled = true;
    try {
      await send(ctx, item, action, form, status, keeper);
    } finally {
      busy = false;
      if (form.isConnected) button.disabled = false;
    }
  });
  return form;
}

// What the action needs and the person has not given yet: [[name, words]].
function missingInputs(form, action) {
  const missing = [];
  const value = (name) => (form[name] ? form[name].value.trim() : '');
  if (needsComment(action) && !value('comment')) missing.push(['comment', t('comment_needed')]);
  if (action.duplicate_of === 'required' && !value('duplicate_of')) missing.push(['duplicate_of', t('original_needed')]);
  if (action.reroute && !value('grid_code')) missing.push(['grid_code', t('target_needed')]);
  if (action.partner === 'required' && !value('partner')) missing.push(['partner', t('partner_needed')]);
  return missing;
}

// Errors beside their fields; the first one in view and focused (read out by screen readers).
export function showFieldErrors(form, missing) {
  form.querySelectorAll('.error').forEach((el) => { el.textContent = ''; });
  form.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
  const wanted = new Map(missing);
  let first = null;
  form.querySelectorAll('.field').forEach((row) => {
    const name = row.dataset.field;
    if (!wanted.has(name)) return;
    row.classList.add('invalid');
    row.querySelector('.error').textContent = [].concat(wanted.get(name)).join(' ');
    first = first || row;
  });
  if (first) {
    first.scrollIntoView({ block: 'center' });
    const control = first.querySelector('input, select, textarea');
    if (control) control.focus({ preventScroll: true });
  }
  return first;
}

async function send(ctx, item, action, form, status, keeper) {
  const user = userKey(ctx.session);
  const comment = form.comment ? form.comment.value.trim() : '';
  const op = { op: 'transition', op_id: newId(), submission: item.uuid, action: action.action,
               expected_state: item.state, comment: comment || undefined,
               partner: form.partner ? form.partner.value.trim() : undefined,
               duplicate_of: form.duplicate_of ? Number(form.duplicate_of.value) : undefined,
               grid_code: form.grid_code ? form.grid_code.value : undefined,
               public_reply: Boolean(form.public_reply && form.public_reply.checked && comment) };
  await add({ key: op.op_id, user, kind: 'transition', op, title: `${pick(action.label)} #${item.id}`,
              grid_name: item.grid_name });
  // The draft has done its job once the action is in the outbox (it waits there, offline too).
  await keeper.forget(form);
  if (!navigator.onLine) {
    await dropFromInbox(ctx, item);
    say(status, t('action_queued'));
    form.closest('.actions').querySelectorAll('button').forEach((b) => { b.disabled = true; });
    return;
  }
  say(status, t('sending'));
  await ctx.flushSoon();
  const entry = (await sentLog(user)).find((e) => e.key === op.op_id);
  if (entry) {
    await dropFromInbox(ctx, item);
    said.set(String(item.id), { text: entry.state_label ? t('action_done_state', { state: entry.state_label }) : t('action_done') });
    ctx.rerender();
    return;
  }
  const left = await get(op.op_id);
  if (!left || left.status === 'waiting') {   // the server did not answer: it goes later
    await dropFromInbox(ctx, item);
    say(status, t('action_queued'));
    return;
  }
  // Refused: said here, where it can be corrected; it does not linger in the outbox, and what
  // was typed is still in the form (and kept as a draft again).
  await remove(op.op_id);
  if (left.status === 'conflict') {
    said.set(String(item.id), { text: await staleWords(ctx, item, user, op.op_id), warn: true });
    ctx.rerender();
    return;
  }
  await keeper.keep(form);
  const fields = (left.errors && left.errors.fields) || {};
  const named = Object.entries(fields).filter(([name]) => form.querySelector(`.field[data-field="${name}"]`));
  say(status, `${t('not_accepted')} ${errorWords(left)}`, true);
  if (named.length) showFieldErrors(form, named);
}

// A stale state: the item moved on. Whose doing, and where it is now, in calm words.
async function staleWords(ctx, item, user, opId) {
  let now = null;
  try { now = await api(`/submissions/${item.id}`); } catch (err) { now = null; }
  const mine = (await sentLog(user)).some((e) => e.kind === 'transition' && e.key !== opId
    && String(e.submission_id) === String(item.id));
  const state = now ? now.state_label : '';
  if (mine) return state ? t('stale_mine_state', { state }) : t('stale_mine');
  return state ? t('stale_other_state', { state }) : t('stale_other');
}

function say(status, text, warn = false) {
  status.textContent = text;
  status.classList.toggle('warn', warn);
  status.focus({ preventScroll: true });
  status.scrollIntoView({ block: 'center' });
}

async function dropFromInbox(ctx, item) {
  const inbox = await cached(ctx.session, 'inbox');
  if (inbox) {
    inbox.items = inbox.items.filter((s) => s.id !== item.id);
    await cacheSet(userKey(ctx.session), 'inbox', inbox);
  }
}

// Keeps what is typed in an item's action forms as drafts (per item and action), like form
// drafts: restored when the item is opened again, listed under 草稿, gone once sent.
export function draftKeeper(ctx, item) {
  const user = userKey(ctx.session);
  const forms = new Map();   // form → {key, title, baseline, timer}
  const save = async (form) => {
    const entry = forms.get(form);
    if (!entry || entry.sent) return;
    clearTimeout(entry.timer);
    entry.timer = null;
    const values = snapshot(form);
    if (sameValues(values, entry.baseline)) await deleteDraft(user, entry.key);
    else await saveDraft(user, entry.key, { title: entry.title, href: `/app/item/${item.id}`, values });
  };
  const keeper = {
    watch(form, key, title) {
      const entry = { key, title, baseline: snapshot(form), timer: null };
      forms.set(form, entry);
      getDraft(user, key).then((draft) => {
        if (draft && !sameValues(draft.values, entry.baseline)) restore(form, draft.values);
      }).catch(() => {});
      const soon = () => { clearTimeout(entry.timer); entry.timer = setTimeout(() => save(form).catch(() => {}), 250); };
      form.addEventListener('input', soon);
      form.addEventListener('change', soon);
    },
    async forget(form) {
      const entry = forms.get(form);
      if (!entry) return;
      clearTimeout(entry.timer);
      entry.timer = null;
      entry.sent = true;
      await deleteDraft(user, entry.key);
    },
    keep(form) {
      const entry = forms.get(form);
      if (entry) entry.sent = false;
      return save(form);
    },
    // Leaving the screen (or hiding the browser): save at once what waits for its timer.
    async flush() {
      let kept = false;
      for (const [form, entry] of forms) {
        if (entry.sent) continue;
        if (entry.timer) await save(form);
        if (!sameValues(snapshot(form), entry.baseline)) kept = true;
      }
      return kept;
    },
  };
  const onHide = () => { keeper.flush().catch(() => {}); };
  window.addEventListener('pagehide', onHide);
  document.addEventListener('visibilitychange', onHide);
  ctx.beforeLeave = async () => {
    window.removeEventListener('pagehide', onHide);
    document.removeEventListener('visibilitychange', onHide);
    return (await keeper.flush()) ? t('reply_kept') : null;
  };
  return keeper;
}
