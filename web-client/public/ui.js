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

// Replaces root's children, keeping focus (and caret) on the element it was on, or on the new
// one with the same data-k, so live updates never throw a keyboard or screen-reader user out.
// Where that control is gone, focus goes to the view's heading (a disabled submit button
// gives it to its form's field), never to <body>; so it does when a new view (another
// heading in #view) comes while nothing had focus, but not on the projector, which nobody
// reads by focus and where the ring would show.
const lost = new WeakSet(); // roots whose focus went with a render that had no heading
// The focused element, which may have lost focus since without anyone moving it: disabled
// while its request is on its way, or taken out of the page into the view being built.
let last = null;
let dropped = false;
addEventListener('focusin', (e) => { last = e.target; dropped = false; });
addEventListener('focusout', (e) => { dropped = !e.relatedTarget && e.target.disabled; });
const heading = (root) => root.querySelector('h1') || root.querySelector('h2');

export function fill(root, kids) {
  const body = document.activeElement === document.body;
  const active = body && last && (dropped || !last.isConnected) ? last : document.activeElement;
  const inside = root.contains(active) || (body && lost.has(root));
  const key = inside && active.getAttribute('data-k');
  const sel = [active.selectionStart, active.selectionEnd];
  const before = heading(root)?.textContent;
  root.replaceChildren(...clean([kids]));
  lost.delete(root);
  let again = root.contains(active) ? active : key && [...root.querySelectorAll('[data-k]')].find((el) => el.getAttribute('data-k') === key);
  if (again?.disabled) again = again.form?.querySelector('textarea, input');
  const head = heading(root);
  const news = root.id === 'view' && !document.body.matches('.screen') && before != null && head?.textContent !== before;
  if (!again && (inside || (news && document.activeElement === document.body))) {
    if (!head) {
      if (inside) lost.add(root);
      return;
    }
    head.tabIndex = -1;
    again = head;
  }
  if (again && again !== document.activeElement) {
    again.focus({ preventScroll: again !== head });
    if (sel[0] != null && again.setSelectionRange) again.setSelectionRange(...sel);
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

// Tells screen-reader users what happened, without moving focus: politely, or (`urgent`: an
// error) at once, in an alert of its own. Said once: a region is written only here, never
// re-rendered with the view. What comes while the last is not yet said is said with it
// ("Round 2 of 5. The card to score: …").
const loud = h('div', { class: 'sr', role: 'alert' });
$('say').after(loud);
const saying = new Map();
export function say(text, urgent) {
  const region = urgent ? loud : $('say');
  const [timer, before] = saying.get(region) || [];
  const all = before && before !== text ? `${before.replace(/[^.!?…:]$/, '$&.')} ${text}` : text;
  clearTimeout(timer);
  region.textContent = '';
  saying.set(region, [setTimeout(() => { saying.delete(region); region.textContent = all; }, 100), all]);
}

// The page's title: what the view shows, then where ([key, params] or text), then "Lapp".
let titleParts;
export function titled(...parts) {
  titleParts = parts;
  document.title = [...parts.filter(Boolean).map((p) => (Array.isArray(p) ? t(...p) : p)), 'Lapp'].join(' – ');
}
onLang(() => titleParts && titled(...titleParts));

// The name of a button repeated for each item: its text and its item, "Star: Fewer meetings".
export const named = (key, item) => ['named', { what: { inLang: () => t(key) }, item }];

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
export function gone(root, reason) {
  titled([`gone_${reason}`]);
  say(t(`gone_${reason}`), true);
  fill(root, [h('h1', { t: `gone_${reason}` }),
    known(`gone_${reason}Hint`) && h('p', { t: `gone_${reason}Hint` }), h('p', {}, h('a', { href: '/', t: 'toHome' }))]);
}

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
