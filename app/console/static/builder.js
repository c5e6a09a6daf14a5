// The form builder's helpers: add a field without typing JSON, and a live preview drawn by the
// field app's own renderer (the same code the captains' phones run).
import { renderForm } from '/app/js/forms/render.js';

const definition = document.getElementById('definition');
// Codes in words: role and field-type labels from the server's vocabulary (GET /api/v1/meta).
const VOCAB = await fetch('/api/v1/meta').then((r) => (r.ok ? r.json() : {})).then((m) => m.vocabulary || {})
  .catch(() => ({}));
const say = (group, code) => (VOCAB[group] && VOCAB[group][code] && VOCAB[group][code].zh) || code;
const ROLE_WORDS = { holder: '当前处理层级', submitter: '提交人' };
const preview = document.getElementById('preview');

function redraw() {
  preview.replaceChildren();
  try {
    const parsed = JSON.parse(definition.value);
    preview.append(renderForm(parsed));
  } catch (err) {
    preview.textContent = String(err.message);
  }
}

document.getElementById('add-field').addEventListener('click', () => {
  const parsed = JSON.parse(definition.value);
  const name = document.getElementById('new-name').value.trim();
  const type = document.getElementById('new-type').value;
  if (!name) return;
  const field = {
    name, type, required: document.getElementById('new-required').checked,
    label: { zh: document.getElementById('new-zh').value.trim() || name,
             en: document.getElementById('new-en').value.trim() || name },
  };
  if (type === 'select' || type === 'multiselect') {
    field.choices = document.getElementById('new-choices').value.split('\n').map((line) => line.trim())
      .filter(Boolean).map((line) => {
        const [value, zh] = line.split('=');
        return { value: value.trim(), label: { zh: (zh || value).trim(), en: value.trim() } };
      });
  }
  parsed.fields.push(field);
  definition.value = JSON.stringify(parsed, null, 2);
  redraw();
  drawFields();
});
definition.addEventListener('input', redraw);
redraw();

// --- Field list: reorder, remove, required, limits and visible_if without touching JSON ---
const fieldList = document.getElementById('field-list');
const TEXT = { zh: { up: '上移', down: '下移', remove: '删除', required: '必填', min: '最小', max: '最大',
  maxlen: '最长', when: '显示条件：当', equals: '等于' } };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  children.flat().filter((c) => c !== null && c !== undefined && c !== false)
    .forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
  return node;
}

function write(parsed) {
  definition.value = JSON.stringify(parsed, null, 2);
  redraw();
  drawFields();
}

function drawFields() {
  if (!fieldList) return;
  let parsed;
  try { parsed = JSON.parse(definition.value); } catch (err) { return; }
  const t = TEXT.zh;
  fieldList.replaceChildren(...parsed.fields.map((f, i) => {
    const numberInput = (key, label) => el('label', {}, label, el('input', {
      type: 'number', value: f[key] ?? '', 'data-key': key, size: 5,
      onchange: (e) => { const p = JSON.parse(definition.value); const v = e.target.value;
        if (v === '') delete p.fields[i][key]; else p.fields[i][key] = Number(v); write(p); } }));
    const others = parsed.fields.filter((o) => o.name !== f.name);
    const cond = f.visible_if || {};
    return el('li', { class: 'field-row', 'data-name': f.name },
      el('strong', {}, f.label.zh), ' ', el('span', { class: 'muted', title: f.name }, say('field_types', f.type)), ' ',
      el('label', { class: 'check' }, el('input', { type: 'checkbox', checked: Boolean(f.required), 'data-role': 'required',
        onchange: (e) => { const p = JSON.parse(definition.value); p.fields[i].required = e.target.checked; write(p); } }), t.required),
      ['integer', 'number'].includes(f.type) ? [numberInput('min', t.min), numberInput('max', t.max)] : null,
      ['text', 'textarea'].includes(f.type) ? numberInput('max_length', t.maxlen) : null,
      el('label', {}, t.when, el('select', { 'data-role': 'visible-field', onchange: (e) => {
        const p = JSON.parse(definition.value);
        if (!e.target.value) delete p.fields[i].visible_if;
        else p.fields[i].visible_if = { field: e.target.value, equals: coerce(cond.equals ?? true) };
        write(p); } }, el('option', { value: '' }, '—'),
        others.map((o) => el('option', { value: o.name, selected: cond.field === o.name }, o.label.zh)))),
      cond.field ? el('label', {}, t.equals, el('input', { value: JSON.stringify(cond.equals ?? ''), size: 8,
        onchange: (e) => { const p = JSON.parse(definition.value); p.fields[i].visible_if = { field: cond.field, equals: coerce(e.target.value) }; write(p); } })) : null,
      el('button', { type: 'button', 'data-role': 'up', disabled: i === 0, onclick: () => move(i, -1) }, t.up),
      el('button', { type: 'button', 'data-role': 'down', disabled: i === parsed.fields.length - 1, onclick: () => move(i, 1) }, t.down),
      el('button', { type: 'button', 'data-role': 'remove', onclick: () => {
        const p = JSON.parse(definition.value); p.fields.splice(i, 1); write(p); } }, t.remove));
  }));
}

function coerce(value) {
  if (typeof value !== 'string') return value;
  try { return JSON.parse(value); } catch (err) { return value; }
}

function move(i, delta) {
  const p = JSON.parse(definition.value);
  const [f] = p.fields.splice(i, 1);
  p.fields.splice(i + delta, 0, f);
  write(p);
}

// --- Workflow: who may take each transition, comments, points, timers ---
const workflowBox = document.getElementById('workflow');
const transitionTable = document.getElementById('transition-editor');
const ROLES = ['captain', 'branch', 'committee', 'partner', 'submitter', 'holder'];

function drawWorkflow() {
  if (!transitionTable) return;
  let wf;
  try { wf = JSON.parse(workflowBox.value); } catch (err) { return; }
  const save = () => { workflowBox.value = JSON.stringify(wf, null, 2); drawWorkflow(); };
  const stateWords = (s) => (s === '@route' ? '按网格分派' : (wf.states[s] && wf.states[s].label ? wf.states[s].label.zh : s));
  const actionWords = (a, from) => {
    const t = wf.transitions.find((x) => x.name === a && x.from.includes(from)) || wf.transitions.find((x) => x.name === a);
    return t && t.label ? t.label.zh : a;
  };
  const rows = wf.transitions.map((tr) => {
    const points = (tr.effects || []).find((e) => e.type === 'points');
    return el('tr', { 'data-transition': `${tr.name}:${tr.from.join(',')}` },
      el('td', { title: tr.name }, el('strong', {}, tr.label ? tr.label.zh : tr.name),
        ` ${tr.from.map(stateWords).join('、')} → ${(Array.isArray(tr.to) ? tr.to : [tr.to]).map(stateWords).join(' / ')}`),
      el('td', {}, ROLES.map((role) => el('label', { class: 'check' }, el('input', {
        type: 'checkbox', checked: tr.roles.includes(role), 'data-role': role, onchange: (e) => {
          tr.roles = e.target.checked ? [...tr.roles, role] : tr.roles.filter((r) => r !== role); save(); } }),
        ROLE_WORDS[role] || say('roles', role)))),
      el('td', {}, el('label', { class: 'check' }, el('input', { type: 'checkbox', checked: tr.comment === 'required',
        'data-role': 'comment', onchange: (e) => { if (e.target.checked) tr.comment = 'required'; else delete tr.comment; save(); } }), '意见必填')),
      el('td', {}, el('input', { type: 'number', min: 0, size: 4, value: points ? points.amount : '', 'data-role': 'points',
        onchange: (e) => {
          tr.effects = (tr.effects || []).filter((x) => x.type !== 'points');
          if (Number(e.target.value) > 0) tr.effects.push({ type: 'points', to: points ? points.to : 'actor', amount: Number(e.target.value) });
          save(); } })));
  });
  const timers = (wf.timers || []).map((timer, i) => el('tr', { 'data-timer': i },
    el('td', { colspan: 2 }, '⏱ ', el('input', { value: timer.after, size: 5, 'data-role': 'after',
      onchange: (e) => { timer.after = e.target.value.trim(); save(); } }),
      ` 在“${stateWords(timer.state)}”未处理 → 自动${actionWords(timer.action, timer.state)}`),
    el('td', { colspan: 2 }, el('button', { type: 'button', onclick: () => { wf.timers.splice(i, 1); save(); } }, '删除'))));
  transitionTable.replaceChildren(el('tbody', {}, rows, timers));
}

if (workflowBox) workflowBox.addEventListener('input', drawWorkflow);
definition.addEventListener('input', drawFields);
drawFields();
drawWorkflow();
