// Photos as pictures: a thumbnail that opens full size. The image URLs need the bearer token
// (an <img> cannot send it), so they come through fetch and a blob URL; the service worker keeps
// every image once viewed, so they show offline too.
import { getSession } from './db.js';
import { h } from './dom.js';
import { t } from './i18n.js';

export const IMAGE_CACHE = 'tongxin-images';

async function imageUrl(id, size) {
  const session = await getSession();
  const headers = session && session.token ? { Authorization: `Bearer ${session.token}` } : {};
  const path = `/api/v1/uploads/${encodeURIComponent(id)}${size ? `?size=${size}` : ''}`;
  const res = await fetch(path, { headers });
  if (!res.ok) throw new Error(String(res.status));
  return URL.createObjectURL(await res.blob());
}

function open(id) {
  const img = h('img', { class: 'photo-full', alt: t('photo') });
  const note = h('p', { class: 'help' }, t('loading'));
  const overlay = h('div', { class: 'photo-overlay', role: 'dialog', 'aria-label': t('photo'), 'data-testid': 'photo-overlay' },
    img, note, h('button', { type: 'button', class: 'primary', onclick: () => overlay.remove() }, t('close')));
  overlay.addEventListener('click', (event) => { if (event.target === overlay) overlay.remove(); });
  document.body.append(overlay);
  imageUrl(id).then((url) => { img.src = url; note.remove(); })
    .catch(() => { note.textContent = t('photo_offline'); });
}

export function photoStrip(ctx, ids) {
  return h('div', { class: 'photos', 'data-testid': 'photos' }, ids.map((id) => {
    const img = h('img', { class: 'thumb', alt: t('open_photo') });
    const button = h('button', { type: 'button', class: 'thumb-button', title: t('open_photo'), onclick: () => open(id) }, img);
    imageUrl(id, 'thumb').catch(() => imageUrl(id))
      .then((url) => { img.src = url; })
      .catch(() => { button.replaceChildren(h('span', { class: 'help' }, t('photo_offline'))); });
    return button;
  }));
}

// On sign-out the next person on this phone must not see these pictures.
export async function forgetImages() {
  if (typeof caches !== 'undefined') await caches.delete(IMAGE_CACHE);
}
