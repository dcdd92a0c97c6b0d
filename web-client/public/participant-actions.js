// The micro-actions (#mikrohandling) on the phone: write one small action ("I will …"), find a
// buddy by their four-digit code (or get one at random when pairing closes), choose whether
// the action goes on the wall (without a name), leave a contact line only a buddy sees (once
// both have left one), and keep the personal follow-up link. All of it comes from the
// server's `action` and `wall` frames; participant.js hands them here and calls view().
import { h, field, say, tx, named } from './ui.js';
import { t, known } from './i18n.js';
import { draft } from './socket.js';

let x; // from participant.js: {S, send, render, item, title, prompt, wait, counted, code}
let keep = {}; // this activity's fields, kept across re-renders so what is typed stays
let oops = null; // {at, key}: the last refused request, told beside where it was made

export const bind = (ctx) => { x = ctx; };

// "Name (zone)", with "Someone" (in whatever language is shown) where there is no name.
const who = (p) => ({ inLang: () => (p.name || t('axSomeone')) + (p.zone ? ` (${p.zone})` : '') });
const person = (p, key) => h('p', { t: [key, { name: who(p) }] });
// Shown beside where it was asked; said (at once) only when it happens, not at each re-render.
const problem = (at) => oops?.at === at && h('p', { class: 'error', t: oops.key });
const refused = (at, key) => { oops = { at, key }; say(t(key), true); };
const focus = (k) => document.querySelector(`#view [data-k="${k}"]`)?.focus();

// Sends a request; a refusal is worded for what was asked (`at`), else as any error is.
async function send(type, fields, at) {
  oops = null;
  try { return await x.send(type, fields); } catch (e) {
    refused(at, [`axErr_${at}_${e.code}`, `axErr_${e.code}`, `err_${e.code}`].find(known) || 'err_generic');
    return null;
  } finally { x.render(); }
}

export function frame(m) {
  const { S } = x;
  if (m.type === 'wall') { S.wall = m.actions; return; }
  const was = S.action || {};
  S.action = m;
  // A button that goes with this frame (a request answered elsewhere) leaves focus somewhere
  // sensible: not the heading ui.fill falls back to, but where the pairing now stands.
  const held = document.activeElement?.closest('#view [data-k]');
  queueMicrotask(() => held && document.activeElement.matches('body, #view h1') && focus(m.buddies ? 'bd' : 'bcode'));
  const asks = (m.asking || []).find((p) => !(was.asking || []).some((q) => q.pid === p.pid));
  const names = (list) => list.map((p) => p.name || t('axSomeone')).join(', ');
  if (asks) say(t('axAsksYou', { name: names([asks]) }));
  else if (m.buddies?.length > (was.buddies?.length || 0)) say(t('axSayBuddy', { name: names(m.buddies) }));
  else if (was.asked && !m.asked && !m.buddies) say(t('axSayNotFree', { name: names([was.asked]) }));
  else if (was.buddies && !m.buddies) say(t('axSayUndone'));
}

export function view(a) {
  const { S, title, prompt, wait } = x;
  const A = S.action || {};
  if (keep.of !== a.index || (!S.action && keep.had)) keep = { of: a.index };
  if (keep.phase !== a.phase) oops = null;
  Object.assign(keep, { had: !!S.action, phase: a.phase });
  if (a.phase === 'writing') return [title('axWriteTitle'), prompt(), writer(), wait('axWaitPairing')];
  const after = A.text && [contact(A), link()];
  if (a.phase === 'pairing') {
    return [title('axPairTitle'), A.text ? [h('p', { t: 'axPairLead' }), finder(A)] : h('p', { class: 'big', t: 'axWriteFirst' }),
      mates(A, true), h('h2', { t: 'axYours' }), prompt(), writer(), after, !A.buddies && wait('axWaitWall')];
  }
  const wall = S.wall || [];
  const shown = h('input', { type: 'checkbox', id: 'onwall', 'data-k': 'onwall', checked: !!A.wall, 'aria-describedby': 'onwallh', onchange: async (e) => {
    const on = e.target.checked;
    A.wall = on;
    if (!(await send('action.wall', { shown: on }, 'wall')) && S.action) S.action.wall = !on;
  } });
  return [
    title('axWallTitle'),
    A.text ? [h('h2', { t: 'axYours' }), h('p', { class: 'card' }, A.text),
      h('div', { class: 'check' }, shown, h('label', { for: 'onwall', t: 'axOnWall' })), h('p', { class: 'hint', id: 'onwallh', t: 'axOnWallHint' }), problem('wall')]
      : [h('p', { class: 'big', t: 'axLateWrite' }), prompt(), writer()],
    mates(A), after,
    h('section', { 'aria-labelledby': 'wl' }, h('h2', { id: 'wl', t: ['axWallN', { n: wall.length }] }),
      wall.length ? h('ul', { class: 'notes wall' }, wall.map((w) => h('li', {}, h('p', {}, w.text, w.id === A.id && h('span', { class: 'muted', t: 'you' })))))
        : h('p', { class: 'muted', t: 'axWallEmpty' })),
  ];
}

// The action's text box, the same element across re-renders (and restored after an upgrade).
function writer() {
  const A = x.S.action || {};
  if (!keep.write) {
    const area = h('textarea', { id: 'act', 'data-k': 'act', rows: 3, value: draft('act', x.S.activity.index) ?? A.text ?? t('axStart') });
    const count = h('p', { class: 'count', id: 'actc' });
    const button = h('button', { class: 'primary', 'data-k': 'acts', t: 'axSave' });
    const status = h('p');
    const err = h('div');
    const form = h('form', { onsubmit: async (e) => {
      e.preventDefault();
      button.disabled = true;
      if (await send('action.write', { text: area.value.trim() }, 'write')) say(t('axSaved'));
    } }, field('axLabel', area, 'axHint'), count, err, button, status);
    const counted = x.counted(area, count, button);
    area.setAttribute('aria-describedby', 'acth actc');
    form.sync = () => {
      counted();
      const saved = (x.S.action || {}).text;
      const dirty = saved != null && area.value.trim() !== saved;
      status.hidden = saved == null;
      status.className = dirty ? 'hint' : 'ok';
      tx(status, [dirty ? 'notSaved' : 'axSaved']);
      err.replaceChildren(...[problem('write')].filter(Boolean));
    };
    area.oninput = form.sync;
    keep.write = form;
  }
  keep.write.sync();
  return keep.write;
}

function finder(A) {
  if (A.buddies) return null;
  const input = keep.code ||= h('input', { id: 'bcode', 'data-k': 'bcode', class: 'code-in', inputmode: 'numeric', autocomplete: 'off', maxlength: 4 });
  const ask = async (e) => {
    e.preventDefault();
    const code = input.value.replace(/\D/g, '');
    if (code.length !== 4) {
      refused('ask', 'axErr_ask_format');
      return x.render();
    }
    if (await send('buddy.ask', { code }, 'ask')) {
      input.value = '';
      focus('bw');
    }
  };
  const answer = async (p, accept) => {
    if (await send('buddy.answer', { pid: p.pid, accept }, 'answer')) focus(accept ? 'bd' : 'bcode');
  };
  return [
    A.code && h('div', { class: 'mycode' }, h('p', { id: 'mc', t: 'axYourCode' }),
      h('p', { class: 'code-big', 'aria-describedby': 'mc' }, A.code.split('').join(' '))),
    A.asked ? h('div', { class: 'panel' }, person(A.asked, 'axAsked'),
      h('button', { 'data-k': 'bw', t: 'axWithdraw', onclick: async () => { if (await send('buddy.withdraw', {}, 'withdraw')) focus('bcode'); } }), problem('withdraw'))
      : h('form', { onsubmit: ask }, field('axBuddyCode', input, 'axCodeHint'), problem('ask'), h('button', { class: 'primary', 'data-k': 'ba', t: 'axAsk' })),
    A.asking && h('section', { 'aria-labelledby': 'rq' }, h('h2', { id: 'rq', t: 'axRequests' }), problem('answer'),
      h('ul', { class: 'notes' }, A.asking.map((p) => h('li', {}, person(p, 'axAsksYou'), h('div', { class: 'row' },
        h('button', { class: 'primary', 'data-k': `y${p.pid}`, t: 'axAccept', label: named('axAccept', who(p)), onclick: () => answer(p, true) }),
        h('button', { 'data-k': `n${p.pid}`, t: 'axDecline', label: named('axDecline', who(p)), onclick: () => answer(p, false) })))))),
  ];
}

// One's buddy (two in a trio): who, where, their action and their contact line once both
// left one. Also on the follow-up page, with the buddy's status.
export function mate(b, status) {
  return h('div', { class: 'panel mate' },
    h('p', { class: 'big' }, b.name || h('span', { t: 'axSomeone' }), b.zone && h('span', { class: 'muted' }, ` · ${b.zone}`)),
    b.action ? h('p', { class: 'card' }, b.action) : h('p', { class: 'muted', t: 'axNoAction' }),
    status && h('p', { t: ['fuBuddyStatus', { status: { inLang: () => t(`st_${b.status || 'not_started'}`) } }] }),
    b.contact ? h('p', {}, h('span', { t: 'axTheirContact' }), ' ', h('strong', {}, b.contact)) : !status && h('p', { class: 'hint', t: 'axContactBoth' }));
}

function mates(A, pairing) {
  if (!A.buddies) return null;
  return h('section', { 'aria-labelledby': 'bd' },
    h('h2', { id: 'bd', 'data-k': 'bd', tabindex: -1, t: A.buddies.length > 1 ? 'axBuddies' : 'axBuddy' }),
    A.random && h('p', { class: 'hint', t: 'axRandom' }), A.buddies.map((b) => mate(b)),
    pairing && [problem('undo'), h('button', { 'data-k': 'bu', t: 'axUndo', onclick: async () => { if (await send('buddy.undo', {}, 'undo')) focus('bcode'); } })]);
}

// The contact line, with what happens to it said in both languages whatever the page shows.
function contact(A) {
  const input = keep.contact ||= h('input', { id: 'contact', 'data-k': 'contact', maxlength: 100, value: A.contact || '', 'aria-describedby': 'consent' });
  return h('section', { 'aria-labelledby': 'ct' }, h('h2', { id: 'ct', t: 'axContactTitle' }),
    h('form', { onsubmit: async (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (await send('contact.set', { text }, 'contact')) say(t(text ? 'axContactSaved' : 'axContactCleared'));
    } }, field('axContactLabel', input),
    h('div', { id: 'consent', class: 'hint' }, h('p', { lang: 'nb', t: 'axConsentNb' }), h('p', { lang: 'en', t: 'axConsentEn' })),
    problem('contact'), h('button', { 'data-k': 'cs', t: 'axContactSave' })),
    A.contact && h('p', { class: 'ok', t: A.buddies?.some((b) => b.contact) ? 'axContactShared' : 'axContactSaved' }));
}

function link() {
  if (!x.S.followUp) return null;
  const url = `${location.origin}/a/${x.code}#${x.S.followUp}`;
  const input = h('input', { id: 'fu', readonly: true, value: url });
  return h('section', { 'aria-labelledby': 'fl' }, h('h2', { id: 'fl', t: 'axLinkTitle' }), h('p', { t: 'axLinkLead' }),
    h('div', { class: 'copy' }, field('axLinkLabel', input), h('button', { type: 'button', 'data-k': 'fuc', t: 'copy', label: named('copy', { inLang: () => t('axLinkTitle') }), onclick: async () => {
      try { await navigator.clipboard.writeText(url); } catch { input.select(); document.execCommand('copy'); }
      say(t('copied'));
    } })));
}
