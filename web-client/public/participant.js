// /j/{code}: the participant's phone. Join, then write a card, score the card in hand each
// round, see how yours did; or write alone, find your group by its label, star the best notes.
// All state comes from the server (welcome.view), so a reload loses nothing.
import { h, header, fill, say, clock, field, errKey } from './ui.js';
import { t } from './i18n.js';
import { follow, saved } from './socket.js';

let root;
let code;
let sock;
const S = {};
let boxes = {}; // the card and note fields of this activity live across re-renders

export function start(el, joinCode) {
  root = el;
  code = joinCode;
  header([]);
  const me = saved(code);
  if (me && me.resume) return go(me);
  const name = h('input', { id: 'name', autocomplete: 'nickname', maxlength: 40 });
  const zone = h('input', { id: 'zone', maxlength: 40 });
  fill(root, [h('h1', { t: ['joinHeading', { code }] }),
    h('form', { onsubmit: (e) => { e.preventDefault(); go({ name: name.value.trim(), zone: zone.value.trim() }); } },
      field('nameLabel', name), field('zoneLabel', zone, 'zoneHint'), h('button', { class: 'primary', t: 'join' }))]);
}

function go(who) {
  fill(root, h('p', { t: 'connecting' }));
  sock = follow(root, { code, role: 'participant', ...who }, { welcome, frame, replaced }, S);
}

function replaced() {
  fill(root, [h('h1', { t: 'replaced' }),
    h('button', { class: 'primary', t: 'useHere', onclick: () => { fill(root, []); sock.reopen(); } })]);
}

function welcome(w) {
  const v = w.view;
  Object.assign(S, { you: w.you, mine: v.mine, hand: v.hand, results: v.results, reveal: v.reveal, group: v.group, notes: v.notes || [], flash: null });
  render();
}

function frame(m, news) {
  const { type } = m;
  if (type === 'activity') {
    if (news === 'activity') Object.assign(S, { mine: null, hand: null, results: null, reveal: null, group: null, notes: [] });
    if (S.group?.level !== m.level) S.group = null;
    S.flash = null;
    render();
    return say([...root.querySelectorAll('.eyebrow, h1')].map((el) => el.textContent).join(': '));
  }
  if (type === 'hand') say(t(m.card ? 'sayHand' : 'saySitOut', m));
  if (type === 'group' && S.group?.id !== m.id) say(`${t('sayGroup')} ${m.label}`);
  if (type === 'mine') S.mine = m.card;
  else if (type === 'results') S.results = m.yours;
  else if (type === 'reveal') S.reveal = m.count ? m : null;
  else if (type === 'error') S.flash = m.code;
  else if (type === 'hand' || type === 'group') S[type] = m;
  render();
}

async function ask(type, fields) {
  S.flash = null;
  try { return await sock.send(type, fields); } catch (e) { S.flash = e.code; return null; } finally { render(); }
}

const item = () => S.session.agenda[S.activity.index];
const wait = (key, params) => h('p', { class: 'wait' }, h('span', { class: 'dot' }), h('span', { t: [key, params] }));
const title = (key, params) => h('h1', { t: [key, params] });
const prompt = () => h('p', { class: 'prompt' }, S.activity.prompt);

function render() {
  const a = S.activity;
  fill(root, [
    S.flash && h('p', { class: 'error', role: 'alert', t: errKey(S.flash) }),
    clock,
    !a ? [title('welcome'), S.you.name && h('p', { t: ['youAre', S.you] }), wait('waitStart')]
      : a.phase === 'lobby' ? [title('getReady'), prompt(), wait('waitWriting')]
      : a.kind === 'scoring' ? scoring(a) : grouping(a),
  ]);
}

// A text field counted against max_chars; the count is said (politely) when it runs short.
function textBox(id, labelKey, sendKey, send) {
  if (boxes.of !== S.activity.index) boxes = { of: S.activity.index };
  if (boxes[id]) return boxes[id];
  const max = item().max_chars;
  const area = h('textarea', { id, 'data-k': id, rows: 4 });
  const count = h('p', { class: 'count', id: `${id}c` });
  const button = h('button', { class: 'primary', t: sendKey });
  let quiet;
  const form = h('form', { onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    const text = area.value.trim();
    if (await ask(id === 'card' ? 'card.write' : 'note.add', { text })) send(text);
    render();
  } }, field(labelKey, area), count, button);
  area.setAttribute('aria-describedby', count.id);
  form.update = () => {
    const n = [...area.value.trim()].length;
    count.textContent = n > max ? t('tooMany', { n: n - max }) : t('charCount', { n, max });
    count.classList.toggle('over', n > max);
    button.disabled = n > max || !n;
    clearTimeout(quiet);
    if (max - n < 20) quiet = setTimeout(() => say(count.textContent), 1000);
  };
  area.oninput = form.update;
  form.area = area;
  return (boxes[id] = form);
}

// 25/10

function scoring(a) {
  if (a.phase === 'writing') {
    const box = textBox('card', 'cardLabel', 'saveCard', () => say(t('cardSaved')));
    if (S.mine && !box.area.value) box.area.value = S.mine.text;
    box.update();
    const dirty = S.mine && box.area.value.trim() !== S.mine.text;
    return [title('writeTitle'), prompt(), box, S.mine && h('p', { class: dirty ? 'hint' : 'ok', t: dirty ? 'notSaved' : 'cardSaved' }), wait('waitRound1')];
  }
  if (a.phase === 'round') return round(a.round, item().rounds);
  const top = S.reveal ? S.reveal.entries : [];
  return [
    title('ph_results'), prompt(),
    h('h2', { t: 'cardLabel' }), S.mine && h('div', { class: 'card' }, S.mine.text),
    h('p', { class: 'big', t: S.results ? ['yourResult', S.results] : S.mine ? 'notRanked' : 'noCard' }),
    h('h2', { t: 'topCards' }),
    top.length ? h('ol', { class: 'top' }, top.map((e) => h('li', {},
      h('span', { class: 'rank' }, `#${e.rank}`), h('span', { class: 'text' }, e.text), h('span', { class: 'muted', t: ['points', e] }))))
      : wait('waitReveal'),
  ];
}

function round(r, rounds) {
  const hand = S.hand && S.hand.round === r ? S.hand : {};
  const next = r < rounds ? wait('waitNextRound', { next: r + 1 }) : wait('waitResults', { round: r });
  if (!hand.card) return [title('roundOf', { round: r, rounds }), h('div', { class: 'card empty', t: 'sitOut' }), next];
  const score = async (n) => {
    const before = hand.score;
    Object.assign(hand, { score: n, sending: true });
    render();
    if (await ask('card.score', { round: r, card: hand.card.id, score: n })) say(t('scored', { score: n }));
    else hand.score = before;
    hand.sending = false;
    render();
  };
  return [
    title('roundOf', { round: r, rounds }), h('p', { class: 'muted' }, S.activity.prompt),
    h('div', { class: 'card', id: 'hand' }, hand.card.text),
    h('h2', { id: 'sq', t: 'scoreQ' }),
    h('div', { class: 'scores', role: 'group', 'aria-labelledby': 'sq', 'aria-describedby': 'sh' }, [1, 2, 3, 4, 5].map((n) =>
      h('button', { class: 'score', 'aria-pressed': `${hand.score === n}`, 'data-k': `s${n}`, onclick: () => score(n) }, `${n}`))),
    h('p', { id: 'sh', class: 'hint scale' }, h('span', { t: 'scoreLow' }), h('span', { t: 'scoreHigh' })),
    h('p', hand.score && !hand.sending ? { class: 'ok scored', t: ['scored', hand] } : { class: 'hint', t: hand.sending ? 'sending' : 'notScored' }),
    next,
  ];
}

// 1-3-9

function grouping(a) {
  const sizes = item().sizes;
  if (a.phase === 'poster') return [title('ph_poster'), h('p', { t: 'posterLead' })];
  const box = textBox('note', 'noteLabel', 'addNote', (text) => {
    if (a.phase === 'solo') S.notes.push({ text });
    box.area.value = '';
    say(t('noteAdded'));
  });
  box.update();
  if (a.phase === 'solo') return [title('ph_solo'), prompt(), h('p', { t: 'soloLead' }), notes(S.notes), box, wait('waitGroups', { size: sizes[0] })];
  const g = S.group;
  const l = a.level;
  const size = { size: sizes[l - 1] };
  if (!g) return [title('levelTitle', size), wait('waitGroup')];
  return [
    h('p', { class: 'eyebrow', t: ['levelTitle', size] }), h('h1', { class: 'label', lang: S.session.language }, g.label), h('p', { t: 'findGroup' }),
    h('h2', { t: ['members', { n: g.members.length }] }),
    h('ul', { class: 'members' }, g.members.map((m) => h('li', {}, m.name || h('span', { t: 'noName' }),
      m.pid === S.you.pid && h('span', { class: 'muted', t: 'you' })))),
    h('h2', { t: 'notesTitle' }), h('p', { class: 'hint', t: 'starHint' }),
    notes(g.notes, true), box,
    l < sizes.length ? wait('waitMerge', { size: sizes[l] }) : wait('waitPoster'),
  ];
}

function notes(list, starring) {
  // The group frame says who starred each note, so every phone shows its own star.
  const mine = list.filter((note) => (note.starred_by || []).includes(S.you.pid)).map((note) => note.id);
  const star = async (id, on) => {
    if (await ask('note.star', { note: id, on })) render();
  };
  if (!list.length) return h('p', { class: 'muted', t: 'noNotes' });
  return h('ul', { class: 'notes' }, list.map((note, i) => h('li', {},
    h('p', { class: 'text', id: `t${i}` }, note.text),
    starring && h('div', { class: 'star' },
      h('button', { 'aria-pressed': `${mine.includes(note.id)}`, 'data-k': note.id, 'aria-describedby': `t${i}`, t: 'star',
        onclick: () => star(note.id, !mine.includes(note.id)) }),
      h('span', { class: 'muted', t: ['stars', { n: note.stars }] })))));
}
