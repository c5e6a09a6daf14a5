// Renders a form version's fields, evaluates visible_if, validates like the server does.
import { h } from '../dom.js';
import { dateTime, fromLocalInput } from '../format.js';
import { pick, t } from '../i18n.js';

const PHONE = /^1[3-9]\d{9}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function control(field, ctx) {
  const name = field.name;
  const common = { name, id: `f-${name}`, 'aria-describedby': `e-${name}` };
  switch (field.type) {
    case 'textarea':
      return h('textarea', { ...common, rows: 5, maxlength: field.max_length || 5000 });
    case 'integer':
      return h('input', { ...common, type: 'number', step: 1, inputmode: 'numeric', min: field.min, max: field.max });
    case 'number':
      return h('input', { ...common, type: 'number', step: 'any', min: field.min, max: field.max });
    case 'date':
      return h('input', { ...common, type: 'date' });
    case 'datetime':
      return h('input', { ...common, type: 'datetime-local' });
    case 'phone':
      return h('input', { ...common, type: 'tel', inputmode: 'tel', autocomplete: 'tel' });
    case 'email':
      return h('input', { ...common, type: 'email' });
    case 'boolean':
    case 'consent':
      return h('input', { ...common, type: 'checkbox', value: 'true' });
    case 'select':
      return h('select', common, h('option', { value: '' }, t('choose')),
        field.choices.map((c) => h('option', { value: c.value }, pick(c.label))));
    case 'multiselect':
      return h('div', { class: 'choices', id: common.id }, field.choices.map((c) => h('label', { class: 'choice' },
        h('input', { type: 'checkbox', name, value: c.value }), ' ', pick(c.label))));
    case 'grid':
      return h('select', common, h('option', { value: '' }, t('choose')),
        (ctx.nodes || []).map((n) => h('option', { value: n.code }, n.name)));
    case 'post':
      return h('select', common, h('option', { value: '' }, t('choose')),
        (ctx.posts || []).map((p) => h('option', { value: p.id }, `${p.title} · ${dateTime(p.starts_at)}`)));
    case 'photo':
      return h('input', { ...common, type: 'file', accept: 'image/jpeg,image/png,image/webp', multiple: true, capture: 'environment' });
    default:
      return h('input', { ...common, type: 'text', maxlength: field.max_length || 200 });
  }
}

export function renderForm(definition, ctx = {}) {
  const rows = definition.fields.map((field) => {
    const input = control(field, ctx);
    const isCheck = field.type === 'boolean' || field.type === 'consent';
    const label = h('label', { for: `f-${field.name}`, class: 'label' }, pick(field.label),
      field.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null);
    const help = field.help ? h('div', { class: 'help' }, pick(field.help)) : null;
    const error = h('div', { class: 'error', id: `e-${field.name}`, role: 'alert' });
    const row = h('div', { class: `field field-${field.type}`, dataset: { field: field.name } },
      isCheck ? h('label', { class: 'check' }, input, ' ', pick(field.label)) : [label, input], help, error);
    if (field.default !== undefined && field.default !== null) setValue(input, field, field.default);
    return row;
  });
  const form = h('form', { class: 'tx-form', novalidate: true }, rows);
  const refresh = () => applyVisibility(form, definition);
  form.addEventListener('input', refresh);
  form.addEventListener('change', refresh);
  refresh();
  return form;
}

function setValue(input, field, value) {
  if (field.type === 'boolean' || field.type === 'consent') input.checked = Boolean(value);
  else if (field.type !== 'multiselect' && field.type !== 'photo') input.value = value;
}

function rawValue(form, field) {
  if (field.type === 'multiselect') {
    return [...form.querySelectorAll(`input[name="${field.name}"]:checked`)].map((i) => i.value);
  }
  const input = form.querySelector(`[name="${field.name}"]`);
  if (!input) return undefined;
  if (field.type === 'boolean' || field.type === 'consent') return input.checked;
  if (field.type === 'photo') return [...(input.files || [])];
  return input.value.trim();
}

function visible(field, values) {
  const cond = field.visible_if;
  if (!cond) return true;
  const value = values[cond.field];
  if ('equals' in cond) return value === cond.equals;
  if ('in' in cond) return cond.in.includes(value);
  if (cond.not_empty) return !(value === undefined || value === '' || value === false || (Array.isArray(value) && !value.length));
  return true;
}

function applyVisibility(form, definition) {
  const values = {};
  for (const field of definition.fields) values[field.name] = rawValue(form, field);
  for (const field of definition.fields) {
    const row = form.querySelector(`[data-field="${field.name}"]`);
    row.hidden = !visible(field, values);
  }
}

// Returns {data, photos, errors}. Hidden fields are neither validated nor sent.
export function collect(form, definition) {
  const values = {};
  for (const field of definition.fields) values[field.name] = rawValue(form, field);
  const data = {};
  const photos = [];
  const errors = {};
  for (const field of definition.fields) {
    if (!visible(field, values)) continue;
    let value = values[field.name];
    const empty = value === undefined || value === '' || (Array.isArray(value) && !value.length)
      || (field.type === 'consent' && value === false);
    if (empty) {
      if (field.required) errors[field.name] = field.type === 'consent' ? t('must_agree') : t('required');
      if (field.type === 'boolean' && value === false) data[field.name] = false;
      continue;
    }
    const problem = check(field, value);
    if (problem) { errors[field.name] = problem; continue; }
    if (field.type === 'photo') {
      value.forEach((file) => photos.push({ field: field.name, file }));
      continue;
    }
    if (field.type === 'integer') value = Number.parseInt(value, 10);
    else if (field.type === 'number') value = Number(value);
    else if (field.type === 'post') value = Number.parseInt(value, 10);
    else if (field.type === 'phone') value = value.replace(/[\s-]/g, '').replace(/^\+86/, '');
    else if (field.type === 'datetime') value = fromLocalInput(value);
    data[field.name] = value;
  }
  return { data, photos, errors };
}

function check(field, value) {
  const len = typeof value === 'string' ? [...value].length : 0;
  if (field.type === 'text' || field.type === 'textarea') {
    const max = field.max_length || (field.type === 'text' ? 200 : 5000);
    if (len > max) return t('too_long', { max });
    if (field.min_length && len < field.min_length) return t('too_short', { min: field.min_length });
    if (field.pattern && !new RegExp(field.pattern).test(value)) return t('bad_format');
  }
  if (field.type === 'integer' || field.type === 'number') {
    const n = Number(value);
    if (!Number.isFinite(n)) return t('not_number');
    if (field.type === 'integer' && !Number.isInteger(n)) return t('not_integer');
    if (field.min !== undefined && field.min !== null && n < field.min) return t('too_small', { min: field.min });
    if (field.max !== undefined && field.max !== null && n > field.max) return t('too_big', { max: field.max });
  }
  if (field.type === 'phone' && !PHONE.test(value.replace(/[\s-]/g, '').replace(/^\+86/, ''))) return t('phone_invalid');
  if (field.type === 'email' && !EMAIL.test(value)) return t('email_invalid');
  return null;
}

export function showErrors(form, errors) {
  form.querySelectorAll('.error').forEach((el) => { el.textContent = ''; });
  form.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
  const rows = [];
  for (const [name, message] of Object.entries(errors || {})) {
    const key = name.startsWith('data.') ? name.slice(5) : name;
    const el = form.querySelector(`#e-${CSS.escape(key)}`);
    if (!el) continue;
    el.textContent = Array.isArray(message) ? message.join(' ') : message;
    el.parentElement.classList.add('invalid');
    rows.push(el.parentElement);
  }
  // The first error on the screen (not the first named), in view, its field focused: the
  // person reads what to fix where their eyes and the screen reader are.
  const first = rows.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1))[0];
  if (first) {
    first.scrollIntoView({ block: 'center' });
    const control = first.querySelector('input:not([type=hidden]), select, textarea');
    if (control) control.focus({ preventScroll: true });
  }
}

// "2栋" before "10栋": names compared with their numbers as numbers.
export function naturalOrder(a, b) {
  return String(a).localeCompare(String(b), 'zh-CN', { numeric: true });
}

// Phones take big photos; keep about 1600 px on the long side before storing them.
export async function downscale(file, longSide = 1600) {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, longSide / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.size < 1.5 * 1024 * 1024) return file;
    const canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
  } catch (err) {
    return file;
  }
}
