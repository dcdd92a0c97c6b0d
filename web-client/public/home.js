// /: join a session by its code, or (facilitators) create one, a title, the language of group
// names and an agenda, with POST /api/sessions; then on to the facilitator link of the answer.
// The sessions this device created are listed here, with their facilitator links. A server
// that lets only some create sessions (GET /api/about: create_token) asks for its token, which
// this device then remembers.
import { h, header, fill, field, tx, say, titled, named } from './ui.js';
import { t, lang, onLang } from './i18n.js';
import { kept, keep } from './socket.js';

const TOKEN = 'lapp.createToken';

const num = (name, max, value) => h('input', { name, type: 'number', min: 1, max, value, required: true });

function activity(list) {
  const kind = h('select', { name: 'kind' }, ['scoring', 'grouping', 'actions', 'leancoffee', 'retro'].map((k) => h('option', { value: k, t: `kind_${k}` })));
  const chars = num('max_chars', 1000, 280);
  const prompt = h('textarea', { name: 'prompt', rows: 2, required: true, maxlength: 500 });
  const scoring = h('div', { class: 'row' }, field('rounds', num('rounds', 10, 5)), field('top', num('top', 100, 10)));
  const grouping = h('div', { class: 'row', hidden: true },
    field('sizes', h('select', { name: 'sizes' }, ['3-9', '3-6', '2-4'].map((sizes) => h('option', { value: sizes }, `1-${sizes}`)))));
  // Days as "7, 30": each buddy gets a calendar reminder on each.
  const actions = h('div', { hidden: true }, field('followUpDays', h('input', { name: 'days', value: '7, 30', pattern: '[0-9 ,]*' }), 'followUpDaysHint'));
  kind.onchange = () => {
    [scoring, grouping, actions].forEach((row, i) => { row.hidden = kind.value !== ['scoring', 'grouping', 'actions'][i]; });
    const given = { actions: 'actPromptDefault', leancoffee: 'lcPromptDefault' }[kind.value];
    if (given && !prompt.value.trim()) prompt.value = t(given);
    if (/^(140|280)$/.test(chars.value)) chars.value = /leancoffee|retro/.test(kind.value) ? 140 : 280; // each method's default
  };
  return h('fieldset', {}, h('legend'), field('kind', kind), field('prompt', prompt), scoring, grouping, actions,
    field('maxChars', chars),
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
    if (base.kind === 'actions') return { ...base, follow_up_days: get('days').split(',').map(Number).filter(Boolean) };
    if (/leancoffee|retro/.test(base.kind)) return base;
    return base.kind === 'scoring' ? { ...base, rounds: +get('rounds'), top: +get('top') } : { ...base, sizes: get('sizes').split('-').map(Number) };
  });
}

// The remembered sessions; `asking` is the code whose Forget waits for a yes.
function sessions(box, asking) {
  const list = kept();
  const when = (ms) => new Date(ms).toLocaleString(lang() === 'nb' ? 'nb-NO' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  const forget = (i) => {
    keep(list.filter((_, j) => j !== i));
    sessions(box);
    say(t('forgotten', list[i]));
    const left = box.querySelectorAll('.sessions a');
    (left[Math.min(i, left.length - 1)] || document.getElementById('hc')).focus();
  };
  box.hidden = !list.length;
  fill(box, [h('h2', { id: 'hm', t: 'mySessions' }), h('p', { class: 'hint', t: 'mySessionsNote' }),
    h('ul', { class: 'sessions' }, list.map((s, i) => h('li', {},
      h('a', { href: s.url }, s.title),
      h('p', { class: 'muted', t: ['madeAt', { code: s.code, when: when(s.created) }] }),
      asking !== s.code ? h('button', { 'data-k': `f${s.code}`, t: 'forgetSession', label: named('forgetSession', s.title), onclick: () => {
        sessions(box, s.code);
        box.querySelector('.confirm').focus();
      } })
        : h('div', { class: 'confirm', role: 'group', tabindex: -1, 'aria-labelledby': 'fq' }, h('p', { id: 'fq', t: ['forgetQ', s] }),
          h('div', { class: 'row' }, h('button', { class: 'danger', 'data-k': 'fy', t: 'forgetYes', onclick: () => forget(i) }),
            h('button', { 'data-k': 'fn', t: 'cancel', onclick: () => { sessions(box); box.querySelector(`[data-k="f${s.code}"]`).focus(); } })))))),
  ]);
}

export function start(root) {
  header([]);
  titled();
  // No pattern or maxlength: "629 787" as read off a screen is fine, the spaces go.
  const code = h('input', { inputmode: 'numeric', autocomplete: 'off', required: true, class: 'code-in', 'data-k': 'code' });
  const codeError = h('p', { class: 'error', id: 'codeErr', role: 'alert' });
  const title = h('input', { required: true, maxlength: 200 });
  const names = h('select', {}, h('option', { value: 'free', t: 'namesFree' }), h('option', { value: 'generated', t: 'namesGenerated' }),
    h('option', { value: 'off', t: 'namesOff' }));
  const language = h('select', {}, h('option', { value: 'nb', lang: 'nb' }, 'Norsk bokmål'), h('option', { value: 'en', lang: 'en' }, 'English'));
  language.value = lang();
  const list = h('div');
  list.append(activity(list));
  number(list);
  const error = h('p', { class: 'error', role: 'alert' });
  const create = h('button', { class: 'primary', t: 'create' });
  const token = h('input', { type: 'password', autocomplete: 'off', 'data-k': 'token', value: localStorage.getItem(TOKEN) });
  const tokenError = h('p', { class: 'error', id: 'tokenErr', role: 'alert' });
  const tokenBox = h('div', { hidden: true }, field('createToken', token, 'createTokenHint'), tokenError);
  token.setAttribute('aria-describedby', `${token.getAttribute('aria-describedby')} tokenErr`);
  const asked = (wrong) => {
    tokenBox.hidden = false;
    token.required = true;
    fill(tokenError, wrong && h('span', { t: 'tokenWrong' }));
    if (wrong) token.setAttribute('aria-invalid', 'true'); else token.removeAttribute('aria-invalid');
  };
  fetch('/api/about').then((r) => r.json()).then((about) => about.create_token && asked(false)).catch(() => {});
  const mine = h('section', { class: 'panel', 'aria-labelledby': 'hm' });
  sessions(mine);
  onLang(() => mine.hidden || sessions(mine));
  const codeField = field('codeLabel', code, 'codeHint');
  const described = code.getAttribute('aria-describedby');
  fill(root, [
    h('h1', { t: 'homeTitle' }), h('p', { class: 'lead', t: 'homeLead' }),
    h('section', { class: 'panel', 'aria-labelledby': 'hj' }, h('h2', { id: 'hj', t: 'joinTitle' }),
      h('form', { onsubmit: (e) => {
        e.preventDefault();
        const digits = code.value.replace(/\D/g, '');
        if (digits.length === 6) return location.assign(`/j/${digits}`);
        tx(codeError, ['codeInvalid']);
        code.setAttribute('aria-invalid', 'true');
        code.setAttribute('aria-describedby', `${described} codeErr`);
        code.focus();
      } }, codeField, codeError, h('button', { class: 'primary', t: 'join' }))),
    mine,
    h('section', { class: 'panel', 'aria-labelledby': 'hc' }, h('h2', { id: 'hc', tabindex: -1, t: 'createTitle' }), h('p', { t: 'createLead' }),
      h('form', { onsubmit: async (e) => {
        e.preventDefault();
        create.disabled = true;
        error.textContent = '';
        if (!tokenBox.hidden) asked(false);
        const name = title.value.trim();
        const secret = !tokenBox.hidden && token.value.trim();
        const response = await fetch('/api/sessions', { method: 'POST',
          headers: { 'Content-Type': 'application/json', ...(secret && { Authorization: `Bearer ${secret}` }) },
          body: JSON.stringify({ title: name, language: language.value, names: names.value, agenda: agenda(list) }) }).catch(() => null);
        const body = await response?.json().catch(() => null);
        if (response?.status === 401 || response?.status === 403) {
          localStorage.removeItem(TOKEN);
          asked(true);
          create.disabled = false;
          return token.focus();
        }
        if (secret && response) localStorage.setItem(TOKEN, secret);
        if (response?.ok && body) {
          keep([{ code: body.code, title: name, key: body.key, url: body.urls.facilitator, created: Date.now() },
            ...kept().filter((s) => s.code !== body.code)]);
          return location.assign(body.urls.facilitator);
        }
        error.textContent = `${t('createFailed')} ${body?.message || ''}`;
        create.disabled = false;
      } },
      tokenBox, field('title', title), field('groupLanguage', language, 'groupLanguageHint'), field('namesLabel', names), h('h3', { t: 'agenda' }), list,
      h('button', { type: 'button', t: 'addActivity', onclick: () => {
        list.append(activity(list));
        number(list);
        list.lastChild.querySelector('select').focus();
      } }), error, create)),
  ]);
}
