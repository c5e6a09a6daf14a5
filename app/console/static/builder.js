// The form builder: a form is built in words (labels, kinds of answer by name, states and
// actions by their labels, timers as a number and a unit). The draft lives as JSON in two
// collapsed text boxes of the page and is published by the server's own service function
// (the same one the API calls). The preview is drawn by the field app's own renderer (the code
// the captains' phones run); the workflow diagram is drawn by the server (app/console/svg.py).
import { renderForm } from '/app/js/forms/render.js';

const LANG = document.documentElement.lang === 'en' ? 'en' : 'zh';
const TEXT = {
  zh: { up: '上移', down: '下移', remove: '删除', required: '必填', min: '最小', max: '最多', maxlen: '最长',
    when: '显示条件：当', equals: '等于', choices: '选项', name: '技术名称', label: '名称', comment: '须填写意见',
    points: '积分', timer: '计时', inState: (s) => `在“${s}”停留`, auto: (a) => `未处理则自动“${a}”`,
    route: '按网格分派', untitled: '（未命名表单）', needLabel: '请先填写字段名称。',
    needState: '请填写状态的中文名称。', needAction: '请填写操作的中文名称，并选择从哪里到哪里。',
    addTimer: '添加计时', more: '更多', yes: '是', no: '否', drag: '拖动以调整顺序', who: '谁可以操作', noFields: '还没有字段：在上方填写名称并点“添加字段”。',
    noLabel: (n, name) => `（第 ${n} 个字段 ${name}：还没有中文名称）` },
  en: { up: 'Up', down: 'Down', remove: 'Remove', required: 'Required', min: 'Min', max: 'At most', maxlen: 'Longest',
    when: 'Shown when', equals: 'is', choices: 'Choices', name: 'Machine name', label: 'Name', comment: 'Comment required',
    points: 'Points', timer: 'Timer', inState: (s) => `after staying in “${s}”`, auto: (a) => `“${a}” automatically`,
    route: 'routed by the grid', untitled: '(untitled form)', needLabel: 'Give the field a name first.',
    needState: 'Give the state a Chinese name.', needAction: 'Give the action a Chinese name and choose from and to.',
    addTimer: 'Add a timer', more: 'More', yes: 'Yes', no: 'No', drag: 'Drag to reorder', who: 'Who may do it', noFields: 'No fields yet: type a name above and press “Add field”.',
    noLabel: (n, name) => `(field ${n}, ${name}: no Chinese name yet)` },
}[LANG];
const pickLabel = (label, fallback) => (label && (label[LANG] || label.zh)) || fallback || '';

const editor = document.getElementById('editor');
const definition = document.getElementById('definition');
const workflowBox = document.getElementById('workflow');
const preview = document.getElementById('preview');
const previewTitle = document.getElementById('preview-title');
const fieldList = document.getElementById('field-list');
const transitionTable = document.getElementById('transition-editor');
const words = document.getElementById('builder-words');
const ROLE_WORDS = JSON.parse(words.dataset.roles);
const UNIT_WORDS = JSON.parse(words.dataset.units);
const csrf = editor.querySelector('input[name=csrf_token]').value;

// Kinds of answer by name, from the server's vocabulary (GET /api/v1/meta).
const VOCAB = await fetch('/api/v1/meta').then((r) => (r.ok ? r.json() : {})).then((m) => m.vocabulary || {})
  .catch(() => ({}));
const typeWords = (code) => pickLabel(VOCAB.field_types && VOCAB.field_types[code], code);

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

const readDef = () => JSON.parse(definition.value);
const readWf = () => JSON.parse(workflowBox.value);

async function machineName(label, taken, longest = 56) {
  const url = `${editor.dataset.nameUrl}?label=${encodeURIComponent(label)}&taken=${encodeURIComponent(taken.join(','))}&longest=${longest}`;
  const r = await fetch(url, { credentials: 'same-origin' });
  return (await r.json()).name;
}

// --- The form: title, public, preview ---
const titleZh = document.getElementById('title-zh');
const titleEn = document.getElementById('title-en');
const publicBox = document.getElementById('public');

function drawMeta() {
  const d = readDef();
  titleZh.value = (d.title && d.title.zh) || '';
  titleEn.value = (d.title && d.title.en) || '';
  publicBox.checked = Boolean(d.public);
}

function updateMeta() {
  const d = readDef();
  d.title = { zh: titleZh.value.trim(), en: titleEn.value.trim() };
  d.public = publicBox.checked;
  writeDef(d);
}
[titleZh, titleEn].forEach((i) => i.addEventListener('input', updateMeta));
publicBox.addEventListener('change', updateMeta);

function redraw() {
  preview.replaceChildren();
  try {
    const parsed = readDef();
    previewTitle.textContent = pickLabel(parsed.title) || TEXT.untitled;
    preview.append(renderForm(ownWords(parsed)));
  } catch (err) {
    preview.textContent = String(err.message);
  }
}

// A field whose Chinese label is missing says so in the preview, rather than showing its
// English label in its place (publishing refuses it; phones show Chinese first).
function ownWords(parsed) {
  const fields = (parsed.fields || []).map((f, i) => (f && f.label && typeof f.label === 'object' && !String(f.label.zh || '').trim()
    ? { ...f, label: { zh: TEXT.noLabel(i + 1, f.name || ''), en: TEXT.noLabel(i + 1, f.name || '') } } : f));
  return { ...parsed, fields };
}

function writeDef(parsed) {
  definition.value = JSON.stringify(parsed, null, 2);
  redraw();
  drawFields();
}

// --- Adding a field: its Chinese name and its kind; only the options that kind has ---
const newType = document.getElementById('new-type');
function showOptions() {
  document.querySelectorAll('#adder [data-types]').forEach((box) => {
    box.hidden = !box.dataset.types.split(' ').includes(newType.value);
  });
}
newType.addEventListener('change', showOptions);
showOptions();

document.getElementById('add-field').addEventListener('click', async () => {
  // Read and clear the adder first: the machine name comes back from the server later.
  const value = (id) => document.getElementById(id).value.trim();
  const zh = value('new-zh');
  const en = value('new-en');
  if (!zh && !en) { alert(TEXT.needLabel); return; }
  const type = newType.value;
  const given = value('new-name');
  const field = { name: given, type, required: document.getElementById('new-required').checked,
    label: { zh: zh || en, en: en || '' } };
  if (type === 'select' || type === 'multiselect') {
    field.choices = document.getElementById('new-choices').value.split('\n').map((line) => line.trim())
      .filter(Boolean).map((line) => {
        const [first, second] = line.split('=');
        return second === undefined ? { label: { zh: first.trim(), en: '' } }
          : { value: first.trim(), label: { zh: second.trim(), en: '' } };
      });
  }
  const max = value('new-max');
  if (max && ['integer', 'number', 'photo'].includes(type)) field.max = Number(max);
  const maxlen = value('new-maxlen');
  if (maxlen && ['text', 'textarea'].includes(type)) field.max_length = Number(maxlen);
  ['new-zh', 'new-en', 'new-name', 'new-choices', 'new-max', 'new-maxlen'].forEach((id) => {
    document.getElementById(id).value = '';
  });
  document.getElementById('new-required').checked = false;
  adding = adding.then(async () => {
    const taken = readDef().fields.map((f) => f.name);
    field.name = given || await machineName(zh || en, taken);
    for (const c of field.choices || []) {
      if (!c.value) c.value = await machineName(c.label.zh, field.choices.map((x) => x.value).filter(Boolean), 36);
    }
    const parsed = readDef();
    parsed.fields.push(field);
    writeDef(parsed);
  });
});
let adding = Promise.resolve();
definition.addEventListener('input', () => { redraw(); drawFields(); drawMeta(); });

// --- The field list: reorder, remove, required, options, shown-when, machine name ---
function drawFields() {
  let parsed;
  try { parsed = readDef(); } catch (err) { return; }
  const t = TEXT;
  const change = (fn) => { const p = readDef(); fn(p); writeDef(p); };
  if (!parsed.fields.length) { fieldList.replaceChildren(el('li', { class: 'muted' }, t.noFields)); return; }
  fieldList.replaceChildren(...parsed.fields.map((f, i) => {
    const numberInput = (key, label) => el('label', {}, label, el('input', {
      type: 'number', value: f[key] ?? '', 'data-key': key, size: 5,
      onchange: (e) => change((p) => { const v = e.target.value;
        if (v === '') delete p.fields[i][key]; else p.fields[i][key] = Number(v); }) }));
    const others = parsed.fields.filter((o) => o.name !== f.name);
    const cond = f.visible_if || {};
    return el('li', { class: 'field-row', 'data-name': f.name, 'data-position': i + 1,
      ondragover: (e) => { e.preventDefault(); }, ondrop: (e) => {
        e.preventDefault();
        const from = Number(e.dataTransfer.getData('text/x-field-index'));
        if (!Number.isNaN(from) && from !== i) move(from, i - from);
      } },
      el('span', { class: 'drag-handle', draggable: 'true', title: t.drag, 'aria-hidden': 'true',
        ondragstart: (e) => { e.dataTransfer.setData('text/x-field-index', String(i)); e.dataTransfer.effectAllowed = 'move'; } }, '≡'),
      el('input', { class: 'label-input', value: f.label.zh, 'data-role': 'label', 'aria-label': t.label,
        onchange: (e) => change((p) => { p.fields[i].label.zh = e.target.value.trim(); }) }),
      ' ', el('span', { class: 'muted' }, typeWords(f.type)), ' ',
      el('label', { class: 'check' }, el('input', { type: 'checkbox', checked: Boolean(f.required), 'data-role': 'required',
        onchange: (e) => change((p) => { p.fields[i].required = e.target.checked; }) }), t.required),
      ['integer', 'number'].includes(f.type) ? [numberInput('min', t.min), numberInput('max', t.max)] : null,
      f.type === 'photo' ? numberInput('max', t.max) : null,
      ['text', 'textarea'].includes(f.type) ? numberInput('max_length', t.maxlen) : null,
      ['select', 'multiselect'].includes(f.type) ? el('label', {}, t.choices, el('input', {
        'data-role': 'choices', size: 24, value: (f.choices || []).map((c) => c.label.zh).join('、'),
        onchange: (e) => change((p) => {
          const old = p.fields[i].choices || [];
          p.fields[i].choices = e.target.value.split(/[、,，\n]/).map((s) => s.trim()).filter(Boolean).map((zh) => {
            const kept = old.find((c) => c.label.zh === zh);
            return kept || { label: { zh, en: '' } };
          });
        }) })) : null,
      el('details', { class: 'more' }, el('summary', {}, t.more),
      others.length ? el('label', {}, t.when, el('select', { 'data-role': 'visible-field', onchange: (e) => change((p) => {
        if (!e.target.value) delete p.fields[i].visible_if;
        else {
          const target = p.fields.find((o) => o.name === e.target.value) || {};
          const first = Array.isArray(target.choices) && target.choices.find((c) => c.value);
          p.fields[i].visible_if = { field: e.target.value, equals: first ? first.value : true };
        }
      }) }, el('option', { value: '' }, '—'),
      others.map((o) => el('option', { value: o.name, selected: cond.field === o.name }, o.label.zh)))) : null,
      cond.field ? el('label', {}, t.equals, equalsControl(parsed, cond, (value) => change((p) => {
        p.fields[i].visible_if = { field: cond.field, equals: value }; }))) : null,
      el('label', { class: 'machine' }, t.name, el('input', { value: f.name, size: 12, 'data-role': 'name',
        onchange: (e) => change((p) => { p.fields[i].name = e.target.value.trim(); }) }))),
      el('button', { type: 'button', 'data-role': 'up', disabled: i === 0, 'aria-label': `${t.up} ${f.label.zh}`,
        onclick: () => move(i, -1) }, '↑ ', t.up),
      el('button', { type: 'button', 'data-role': 'down', disabled: i === parsed.fields.length - 1,
        'aria-label': `${t.down} ${f.label.zh}`, onclick: () => move(i, 1) }, '↓ ', t.down),
      el('button', { type: 'button', 'data-role': 'remove', onclick: () => change((p) => { p.fields.splice(i, 1); }) }, t.remove));
  }));
}

// "Shown when … is …": the other field's choices by their labels, yes/no in words.
function equalsControl(parsed, cond, onValue) {
  const target = parsed.fields.find((o) => o.name === cond.field) || {};
  if (Array.isArray(target.choices)) {
    return el('select', { 'data-role': 'visible-equals', onchange: (e) => onValue(e.target.value) },
      target.choices.filter((c) => c.value).map((c) => el('option', { value: c.value, selected: c.value === cond.equals },
        pickLabel(c.label, c.value))));
  }
  if (['boolean', 'consent'].includes(target.type) || typeof cond.equals === 'boolean') {
    return el('select', { 'data-role': 'visible-equals', onchange: (e) => onValue(e.target.value === 'true') },
      el('option', { value: 'true', selected: cond.equals === true }, TEXT.yes),
      el('option', { value: 'false', selected: cond.equals === false }, TEXT.no));
  }
  return el('input', { value: cond.equals ?? '', size: 8, 'data-role': 'visible-equals',
    onchange: (e) => onValue(e.target.value) });
}

function move(i, delta) {
  const p = readDef();
  const [f] = p.fields.splice(i, 1);
  p.fields.splice(i + delta, 0, f);
  writeDef(p);
}

// --- Workflow: who may take each action, comments, points, timers (a number and a unit) ---
const ROLES = ['captain', 'branch', 'committee', 'partner', 'submitter', 'holder'];
const UNITS = ['m', 'h', 'd', 'wh', 'wd'];
const DURATION = /^(\d+)\s*(wd|wh|m|h|d)$/;
let diagramRequest = 0;

async function redrawDiagram() {
  const mine = ++diagramRequest;
  const body = new URLSearchParams({ csrf_token: csrf, workflow: workflowBox.value });
  const r = await fetch(editor.dataset.diagramUrl, { method: 'POST', body, credentials: 'same-origin' });
  if (mine !== diagramRequest || r.status !== 200) return;
  document.getElementById('diagram').innerHTML = await r.text();
}

function drawWorkflow() {
  let wf;
  try { wf = readWf(); } catch (err) { return; }
  const save = () => { workflowBox.value = JSON.stringify(wf, null, 2); drawWorkflow(); redrawDiagram(); };
  const stateWords = (s) => (s === '@route' ? TEXT.route : pickLabel(wf.states[s] && wf.states[s].label, s));
  const actionWords = (a, from) => {
    const t = wf.transitions.find((x) => x.name === a && x.from.includes(from)) || wf.transitions.find((x) => x.name === a);
    return t ? pickLabel(t.label, a) : a;
  };
  const rows = wf.transitions.map((tr) => {
    const points = (tr.effects || []).find((e) => e.type === 'points');
    return el('tr', { 'data-transition': `${tr.name}:${tr.from.join(',')}` },
      el('td', {}, el('strong', {}, pickLabel(tr.label, tr.name)),
        ` ${tr.from.map(stateWords).join('、')} → ${(Array.isArray(tr.to) ? tr.to : [tr.to]).map(stateWords).join(' / ')}`),
      el('td', {}, ROLES.map((role) => el('label', { class: 'check' }, el('input', {
        type: 'checkbox', checked: tr.roles.includes(role), 'data-role': role, onchange: (e) => {
          tr.roles = e.target.checked ? [...tr.roles, role] : tr.roles.filter((r) => r !== role); save(); } }),
        ROLE_WORDS[role]))),
      el('td', {}, el('label', { class: 'check' }, el('input', { type: 'checkbox', checked: tr.comment === 'required',
        'data-role': 'comment', onchange: (e) => { if (e.target.checked) tr.comment = 'required'; else delete tr.comment; save(); } }), TEXT.comment)),
      el('td', {}, el('label', {}, TEXT.points, ' ', el('input', { type: 'number', min: 0, size: 4, value: points ? points.amount : '', 'data-role': 'points',
        onchange: (e) => {
          tr.effects = (tr.effects || []).filter((x) => x.type !== 'points');
          if (Number(e.target.value) > 0) tr.effects.push({ type: 'points', to: points ? points.to : 'actor', amount: Number(e.target.value) });
          save(); } }))));
  });
  const timers = (wf.timers || []).map((timer, i) => {
    const m = DURATION.exec(timer.after || '');
    const unit = el('select', { 'data-role': 'unit', 'aria-label': TEXT.timer, onchange: (e) => {
      const n = DURATION.exec(timer.after || '');
      timer.after = `${n ? n[1] : ''}${e.target.value}`; save(); } },
    UNITS.map((u) => el('option', { value: u, selected: (m ? m[2] : 'h') === u }, UNIT_WORDS[u])));
    return el('tr', { 'data-timer': i },
      el('td', { colspan: 3 }, el('strong', {}, TEXT.timer, '：'), TEXT.inState(stateWords(timer.state)), ' ',
        el('input', { value: m ? m[1] : (timer.after || ''), size: 4, inputmode: 'numeric', 'data-role': 'after',
          'aria-label': TEXT.timer, onchange: (e) => {
            const value = e.target.value.trim();
            const full = DURATION.exec(value);
            // A bare number takes the chosen unit; anything else is sent as typed and the
            // server says, in words, what is wrong with it.
            timer.after = /^\d+$/.test(value) ? `${value}${unit.value}` : (full ? `${full[1]}${full[2]}` : value);
            save(); } }),
        ' ', unit, ' ', TEXT.auto(actionWords(timer.action, timer.state))),
      el('td', {}, el('button', { type: 'button', onclick: () => { wf.timers.splice(i, 1); save(); } }, TEXT.remove)));
  });
  transitionTable.replaceChildren(el('tbody', {}, rows, timers));
  // The action adder's state lists follow the states.
  for (const id of ['action-from', 'action-to']) {
    const select = document.getElementById(id);
    const kept = select.value;
    select.replaceChildren(...Object.keys(wf.states).map((s) => el('option', { value: s, selected: s === kept }, stateWords(s))));
  }
}

document.getElementById('add-state').addEventListener('click', async () => {
  const wf = readWf();
  const zh = document.getElementById('state-zh').value.trim();
  const en = document.getElementById('state-en').value.trim();
  if (!zh) { alert(TEXT.needState); return; }
  const name = await machineName(en || zh, Object.keys(wf.states), 36);
  wf.states[name] = { tier: document.getElementById('state-tier').value, label: { zh, en },
    final: document.getElementById('state-final').checked };
  workflowBox.value = JSON.stringify(wf, null, 2);
  ['state-zh', 'state-en'].forEach((id) => { document.getElementById(id).value = ''; });
  drawWorkflow(); redrawDiagram();
});

document.getElementById('add-action').addEventListener('click', async () => {
  const wf = readWf();
  const zh = document.getElementById('action-zh').value.trim();
  const en = document.getElementById('action-en').value.trim();
  const from = document.getElementById('action-from').value;
  const to = document.getElementById('action-to').value;
  if (!zh || !from || !to) { alert(TEXT.needAction); return; }
  const existing = wf.transitions.find((t) => t.label && t.label.zh === zh);
  const name = existing ? existing.name : await machineName(en || zh, wf.transitions.map((t) => t.name), 36);
  wf.transitions.push({ name, label: { zh, en }, from: [from], to, roles: ['holder'] });
  workflowBox.value = JSON.stringify(wf, null, 2);
  ['action-zh', 'action-en'].forEach((id) => { document.getElementById(id).value = ''; });
  drawWorkflow(); redrawDiagram();
});

workflowBox.addEventListener('input', () => { drawWorkflow(); redrawDiagram(); });
drawMeta();
redraw();
drawFields();
drawWorkflow();
editor.dataset.ready = '1';
