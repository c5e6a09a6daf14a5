// The form builder's helpers: add a field without typing JSON, and a live preview drawn by the
// field app's own renderer (the same code the captains' phones run).
import { renderForm } from '/app/js/forms/render.js';

const definition = document.getElementById('definition');
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
});
definition.addEventListener('input', redraw);
redraw();
