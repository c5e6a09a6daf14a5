// What a resident sees without an account: the QR page of a building (/app/s/<code>) and the
// tracking page of a letter (/app/t/<code>, /app/t/ asks for the code).
import { api } from '../api.js';
import { cacheGet } from '../db.js';
import { h } from '../dom.js';
import { dateOnly, dateTime, roleLabel, stateLabel } from '../format.js';
import { t } from '../i18n.js';
import { firstWords, items, offChange, onChange, PUBLIC, sentLog } from '../outbox.js';
import '../words-field.js';
import '../words-roles.js';

// The building's QR page: its name and community on top, the form next, then (collapsed) the
// building's notices and activities. Similar letters only once the resident has typed, matched
// against what they typed: category, date and a neutral line, never anyone's words.
export async function publicView(ctx, code, formView) {
  const view = await formView(ctx, 'suggestion', { publicCode: code });
  const form = view.querySelector(':scope > form');   // the letter (activities have forms too)
  if (!form) return view;
  const building = (await cacheGet(PUBLIC, `notices:${code}`))?.value?.building;
  const heading = h('div', { class: 'building-head' },
    h('p', { class: 'building-name', 'data-testid': 'building-name' }, building ? building.name : code),
    building && (building.community || building.estate)
      ? h('p', { class: 'help building-place' }, [building.community, building.estate].filter(Boolean).join(' · ')) : null);
  view.prepend(heading);
  const extras = [...view.querySelectorAll(':scope > .notices, :scope > .activities')];
  const similar = view.querySelector(':scope > .similar') || h('div', { class: 'similar' });
  similar.replaceChildren();
  similar.setAttribute('aria-live', 'polite');
  // The similar letters go just above the submit button, where the resident is looking.
  const submit = form.querySelector('button[type=submit]');
  form.insertBefore(similar, submit);
  const mine = h('div', { class: 'card my-letters', 'data-testid': 'my-letters' });
  view.append(mine);
  await myLetters(mine);
  // The list follows the outbox: a letter saved offline gets its code when it is sent.
  const follow = () => { if (mine.isConnected) myLetters(mine).catch(() => {}); else offChange(follow); };
  onChange(follow);
  view.addEventListener('fate', follow);
  if (extras.length) {
    const more = h('details', { class: 'card more' }, h('summary', {}, t('more_about_building')));
    extras.forEach((el) => { el.classList.remove('card'); more.append(el); });
    view.append(more);
  }
  const content = form.querySelector('textarea[name=content]');
  if (content) {
    let timer = null;
    content.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => showSimilar(code, content.value, similar), 600);
    });
  }
  return view;
}

// "What you sent" from this phone: kept here (the sent log), each with its tracking code, and
// what still waits for signal. A resident has no account: this phone is their memory.
async function myLetters(box) {
  const log = (await sentLog(PUBLIC)).filter((e) => e.kind === 'submit' && e.tracking_code);
  const waiting = (await items(PUBLIC)).filter((i) => i.kind === 'submit');
  if (!log.length && !waiting.length) { box.hidden = true; return; }
  box.hidden = false;
  box.replaceChildren(h('h3', {}, t('my_letters')), h('p', { class: 'help' }, t('my_letters_help')),
    h('ul', { class: 'list' },
      waiting.map((i) => h('li', { class: 'my-letter' }, h('div', {}, firstWords(i) || i.title),
        h('div', { class: 'help' }, `${t('saved_on', { time: dateTime(i.created_at) })} · ${t('letter_waiting')}`))),
      log.map((e) => h('li', { class: 'my-letter', dataset: { key: e.key } }, h('div', {}, e.excerpt || e.title),
        h('div', { class: 'help' }, [e.grid_name, dateTime(e.sent_at), e.state_label].filter(Boolean).join(' · ')),
        h('div', {}, `${t('tracking_code')}：`,
          h('a', { href: `/app/t/${encodeURIComponent(e.tracking_code)}`, 'data-link': true, class: 'tracking' }, e.tracking_code))))));
}

async function showSimilar(code, text, box) {
  if (!navigator.onLine || text.replace(/\s/g, '').length < 4) { box.replaceChildren(); return; }
  let res;
  try {
    res = await api(`/submissions/similar?grid_code=${encodeURIComponent(code)}&text=${encodeURIComponent(text.slice(0, 500))}`, { token: null });
  } catch (err) { return; }
  if (!res.items.length) { box.replaceChildren(); return; }
  const supported = new Set(JSON.parse(localStorage.getItem('tongxin-me-too') || '[]'));
  box.replaceChildren(h('p', {}, t('similar_typed')), h('ul', { class: 'list' }, res.items.map((item) => {
    const done = supported.has(item.id);
    const count = h('span', { class: 'help' }, item.supporters ? ` · ${t('me_too_count', { n: item.supporters })}` : '');
    return h('li', { class: 'card similar-item' },
      h('strong', {}, item.category_label || ''), ' ', h('span', { class: 'help' }, item.date || dateOnly(item.created_at)),
      h('div', {}, item.category_label ? t('similar_open') : item.excerpt), count,
      h('div', { class: 'row' }, h('button', { type: 'button', class: 'small', 'data-testid': 'me-too', disabled: done,
        onclick: async (e) => {
          // One voice per phone: remembered here, so a second tap adds nothing.
          e.target.disabled = true;
          try {
            const r = await api(`/submissions/${item.id}/me-too`, { method: 'POST', token: null });
            supported.add(item.id);
            localStorage.setItem('tongxin-me-too', JSON.stringify([...supported]));
            e.target.textContent = `${t('me_too_done')} ✓`;
            count.textContent = ` · ${t('me_too_count', { n: r.supporters })}`;
          } catch (err) { e.target.disabled = false; }
        } }, done ? `${t('me_too_done')} ✓` : t('me_too'))));
  })));
}

function askForCode(ctx, message) {
  const input = h('input', { name: 'code', id: 'track-code', autocomplete: 'off', autocapitalize: 'characters', maxlength: 16, required: true });
  const form = h('form', { class: 'tx-form card' },
    message ? h('p', { class: 'error', role: 'alert', 'data-testid': 'track-error' }, message) : null,
    h('label', { class: 'label', for: 'track-code' }, t('track_ask')), input,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, t('track_go'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = input.value.replace(/\s/g, '').toUpperCase();
    if (code) ctx.go(`/app/t/${encodeURIComponent(code)}`);
  });
  return form;
}

export async function trackView(ctx, code) {
  const title = h('h2', {}, t('tracking'));
  if (!code) return h('section', {}, title, askForCode(ctx, ''));
  let res;
  try {
    res = await api(`/track/${encodeURIComponent(code)}`, { token: null });
  } catch (err) {
    if (err.status === 404) {
      // The server says it in words with its hint; the phone's own words if it said nothing.
      const said = err.body && err.body.error && err.body.error.message;
      return h('section', {}, title, askForCode(ctx, said || t('track_unknown_hint')));
    }
    return h('section', {}, title, h('div', { class: 'card' }, navigator.onLine ? err.message : t('offline')),
      askForCode(ctx, ''));
  }
  const replies = res.replies || [];
  return h('section', {}, title,
    h('div', { class: 'card' }, h('div', {}, `${t('tracking_code')}: ${res.tracking_code}`),
      h('div', {}, `${t('state')}: `, h('strong', { 'data-testid': 'track-state' }, stateLabel(res))),
      h('div', { class: 'help' }, res.grid_name, res.created_at ? ` · ${t('submitted_on', { time: dateTime(res.created_at) })}` : '')),
    h('div', { class: 'card' }, h('h3', {}, t('replies')),
      replies.length ? h('ul', { class: 'list replies', 'data-testid': 'replies' }, replies.map((r) => h('li', { class: 'reply' },
        h('div', { class: 'help' }, dateTime(r.at), r.tier ? ` · ${t('reply_by', { tier: r.tier_label || roleLabel(r.tier) })}` : ''),
        h('p', {}, r.comment))))
        : h('p', { class: 'help' }, t('no_replies_yet'))),
    h('p', {}, h('a', { href: '/app/t/', 'data-link': true }, t('track_again'))));
}
