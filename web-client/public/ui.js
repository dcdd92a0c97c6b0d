// Shared DOM helpers: elements from parts (user text only as text nodes), text that follows
// the language, focus kept across re-renders, announcements, the server-clock countdown.
import { t, lang, setLang, onLang, known } from './i18n.js';

const texts = new WeakMap(); // element -> {t, label, alt}: [key, params] to translate

// h('button', {class, t: 'join', onclick}, ...kids). t (text), label (aria-label) and alt
// take a key or [key, params]. Strings become text nodes; null and false are skipped.
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (/^(t|label|alt)$/.test(k)) tx(el, [v].flat(), k);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...clean(kids));
  return el;
}
const clean = (kids) => kids.flat(9).filter((kid) => kid != null && kid !== false);

export function tx(el, spec, what = 't') {
  texts.set(el, { ...texts.get(el), [what]: spec });
  el.setAttribute('data-t', '');
  paint(el);
  return el;
}

function paint(el) {
  const { t: text, label, alt } = texts.get(el);
  if (text) el.textContent = t(...text);
  if (label) el.setAttribute('aria-label', t(...label));
  if (alt) el.alt = t(...alt);
}
onLang(() => document.querySelectorAll('[data-t]').forEach((el) => texts.has(el) && paint(el)));

export const $ = (id) => document.getElementById(id);

// Replaces root's children, keeping focus (and caret) on the element with the same data-k,
// so live updates never throw a keyboard or screen-reader user out.
export function fill(root, kids) {
  const active = document.activeElement;
  const key = root.contains(active) && active.getAttribute('data-k');
  const sel = key && [active.selectionStart, active.selectionEnd];
  root.replaceChildren(...clean([kids]));
  const again = key && [...root.querySelectorAll('[data-k]')].find((el) => el.getAttribute('data-k') === key);
  if (again && again !== document.activeElement) {
    again.focus({ preventScroll: true });
    if (sel[0] != null) again.setSelectionRange(...sel);
  }
}

// A labelled input; hintKey adds a hint it is described by.
let serial = 0;
export function field(labelKey, input, hintKey) {
  input.id ||= `f${++serial}`;
  const hint = hintKey && h('p', { class: 'hint', id: `${input.id}h`, t: hintKey });
  if (hint) input.setAttribute('aria-describedby', hint.id);
  return h('div', { class: 'field' }, h('label', { for: input.id, t: labelKey }), hint, input);
}

export function header(where) {
  fill($('where'), where);
  langButton();
}
function langButton() {
  const other = lang() === 'nb' ? 'en' : 'nb';
  fill($('lang'), h('button', { class: 'link', lang: other, 'data-k': 'lang', onclick: () => setLang(other) },
    other === 'en' ? 'English' : 'Norsk'));
}
onLang(langButton);

// Tells screen-reader users what happened, without moving focus.
let saying;
export function say(text) {
  $('say').textContent = '';
  clearTimeout(saying);
  saying = setTimeout(() => { $('say').textContent = text; }, 100);
}

// Where activity `a` is, as [key, params]: "Round 2 of 5", "Groups of 3".
export function phase(a, agenda) {
  const it = agenda[a.index];
  if (a.phase === 'round') return ['roundOf', { round: a.round, rounds: it.rounds }];
  if (a.phase === 'level') return ['phLevel', { size: it.sizes[a.level - 1] }];
  return [`ph_${a.phase}`];
}

// A card's score on the scale the method is named for: its mean × rounds ("21.7 / 25"), with
// how many scores it has, as [key, params] for t(); extra params (rank) pass through.
export function points(e, rounds, key = 'points') {
  if (!e.count) return ['unscored'];
  const score = ((e.total / e.count) * rounds).toFixed(1);
  return [key, { ...e, score: { inLang: (l) => (l === 'nb' ? score.replace('.', ',') : score) }, max: 5 * rounds }];
}

export function bar(value, max, label) {
  const part = h('span', { class: 'fill' });
  part.style.width = `${max ? (100 * value) / max : 0}%`;
  return h('div', { class: 'meter', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': max, 'aria-valuenow': value, label }, part);
}

export const errKey = (code) => (known(`err_${code}`) ? `err_${code}` : 'err_generic');

// A page that stops for good, with what to do next where there is something (gone_…Hint).
export const gone = (root, reason) => fill(root, [h('h1', { t: `gone_${reason}` }),
  known(`gone_${reason}Hint`) && h('p', { t: `gone_${reason}Hint` }), h('p', {}, h('a', { href: '/', t: 'toHome' }))]);

// The countdown: deadline - now of the server's clock, from when the frame came, so a phone
// with a wrong clock still counts right.
export const clock = h('p', { class: 'timer', role: 'timer', hidden: true });
let endAt = null;
export function setTimer(a) {
  endAt = a && a.deadline ? performance.now() + (a.deadline - a.now) : null; // (deadline - now) first: exact
  tick();
}
function tick() {
  const left = Math.max(0, Math.ceil((endAt - performance.now()) / 1000));
  const text = `${t('timeLeft')} ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  clock.hidden = endAt == null;
  if (clock.textContent !== text) clock.textContent = text;
  clock.classList.toggle('zero', left === 0);
}
setInterval(tick, 250);
