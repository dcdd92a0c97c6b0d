// /: join a session by its code, or (facilitators) create one, a title, the language of group
// names and an agenda, with POST /api/sessions; then on to the facilitator link of the answer.
import { h, header, fill, field, tx } from './ui.js';
import { t, lang } from './i18n.js';

const num = (name, max, value) => h('input', { name, type: 'number', min: 1, max, value, required: true });

function activity(list) {
  const kind = h('select', { name: 'kind' }, h('option', { value: 'scoring', t: 'kind_scoring' }), h('option', { value: 'grouping', t: 'kind_grouping' }));
  const scoring = h('div', { class: 'row' }, field('rounds', num('rounds', 10, 5)), field('top', num('top', 100, 10)));
  const grouping = h('div', { class: 'row', hidden: true },
    field('sizes', h('select', { name: 'sizes' }, ['3-9', '3-6', '2-4'].map((sizes) => h('option', { value: sizes }, `1-${sizes}`)))));
  kind.onchange = () => { scoring.hidden = kind.value !== 'scoring'; grouping.hidden = !scoring.hidden; };
  return h('fieldset', {}, h('legend'), field('kind', kind),
    field('prompt', h('textarea', { name: 'prompt', rows: 2, required: true, maxlength: 500 })), scoring, grouping,
    field('maxChars', num('max_chars', 1000, 280)),
    h('button', { type: 'button', t: 'removeActivity', onclick: (e) => { e.target.parentNode.remove(); number(list); } }));
}

function number(list) {
  [...list.children].forEach((item, i) => {
    tx(item.firstChild, ['activityN', { n: i + 1 }]);
    item.lastChild.hidden = list.children.length === 1;
  });
}

function agenda(list) {
  return [...list.children].map((item) => {
    const get = (name) => item.querySelector(`[name=${name}]`).value;
    const base = { kind: get('kind'), prompt: get('prompt').trim(), max_chars: +get('max_chars') };
    return base.kind === 'scoring' ? { ...base, rounds: +get('rounds'), top: +get('top') } : { ...base, sizes: get('sizes').split('-').map(Number) };
  });
}

export function start(root) {
  header([]);
  const code = h('input', { inputmode: 'numeric', autocomplete: 'off', pattern: '[0-9]{6}', maxlength: 6, required: true, class: 'code-in' });
  const title = h('input', { required: true, maxlength: 200 });
  const language = h('select', {}, h('option', { value: 'nb', lang: 'nb' }, 'Norsk bokmål'), h('option', { value: 'en', lang: 'en' }, 'English'));
  language.value = lang();
  const list = h('div');
  list.append(activity(list));
  number(list);
  const error = h('p', { class: 'error', role: 'alert' });
  const create = h('button', { class: 'primary', t: 'create' });
  fill(root, [
    h('h1', { t: 'homeTitle' }), h('p', { class: 'lead', t: 'homeLead' }),
    h('section', { class: 'panel', 'aria-labelledby': 'hj' }, h('h2', { id: 'hj', t: 'joinTitle' }),
      h('form', { onsubmit: (e) => { e.preventDefault(); location.assign(`/j/${code.value}`); } },
        field('codeLabel', code, 'codeHint'), h('button', { class: 'primary', t: 'join' }))),
    h('section', { class: 'panel', 'aria-labelledby': 'hc' }, h('h2', { id: 'hc', t: 'createTitle' }), h('p', { t: 'createLead' }),
      h('form', { onsubmit: async (e) => {
        e.preventDefault();
        create.disabled = true;
        error.textContent = '';
        const response = await fetch('/api/sessions', { method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ title: title.value.trim(), language: language.value, agenda: agenda(list) }) }).catch(() => null);
        const body = await response?.json().catch(() => null);
        if (response?.ok) return location.assign(body.urls.facilitator);
        error.textContent = `${t('createFailed')} ${body?.message || ''}`;
        create.disabled = false;
      } },
      field('title', title), field('groupLanguage', language, 'groupLanguageHint'), h('h3', { t: 'agenda' }), list,
      h('button', { type: 'button', t: 'addActivity', onclick: () => {
        list.append(activity(list));
        number(list);
        list.lastChild.querySelector('select').focus();
      } }), error, create)),
  ]);
}
