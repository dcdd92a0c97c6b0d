// The retrospective (Plus/Delta, or other columns such as Start/Stop/Continue) on the phone:
// add short notes to the columns and delete one's own while the board is open, put one's dots
// on the notes of the vote column (blind: nobody sees the counts until the vote closes), and
// read everyone's notes, live, and at the end with the vote column ordered by dots.
// participant.js hands the `retro` frames here (socket.js has merged the updates, so m.notes
// is the whole board) and calls view(); it puts welcome.view.retro into S.retro, and clears
// S.retro with the rest when the activity changes. The board is anonymous: the phone learns
// its own notes from each `ack.retro` and its dots from its own requests, and both again from
// every whole board (`mine`, `my_dots`: the welcome's, each phase change's), so a reload
// loses nothing.
import { h, field, say, named, errKey } from './ui.js';
import { t } from './i18n.js';
import { draft } from './socket.js';

let x; // from participant.js: {S, send, render, item, title, prompt, wait, counted, code}
let box = {}; // this activity's text box, kept across re-renders so what is typed stays
let oops = null; // {at, key}: the last refused request, told beside where it was made
// What the phone knows of its own: {of: activity, from: the board it was learnt with, mine:
// ids of the notes it wrote, dots: note id -> its dots there}.
let me = {};

export const bind = (ctx) => { x = ctx; };

function learn(notes) {
  me = { of: x.S.activity?.index, from: notes, mine: new Set(notes.filter((n) => n.mine).map((n) => n.id)),
    dots: new Map(notes.filter((n) => n.my_dots).map((n) => [n.id, n.my_dots])) };
}

// An update keeps what the phone knows, but for the notes it takes away (their dots went back
// to their voters) and a note of one's own shown again (which says so). A welcome's board that
// came before this module is learnt first: an update's notes do not say whose they are.
export function frame(m) {
  if (x.S.retro && x.S.retro !== me.from) learn(x.S.retro);
  x.S.retro = m.notes;
  if (!m.update || !me.mine) return learn(m.notes);
  me.from = m.notes;
  (m.removed || []).forEach((id) => me.dots.delete(id));
  m.notes.forEach((n) => n.mine && me.mine.add(n.id));
}

// Sends a request; a refusal is said at once, and shown beside where it was made (`at`).
async function send(type, fields, at) {
  oops = null;
  try { return await x.send(type, fields); } catch (e) {
    oops = { at, key: errKey(e.code) };
    say(t(oops.key), true);
    return null;
  }
}
const problem = (at) => oops?.at === at && h('p', { class: 'error', t: oops.key });
const focus = (k) => document.querySelector(`#view [data-k="${k}"]`)?.focus();

export function view(a) {
  const { S, title, prompt, wait } = x;
  const it = x.item();
  if (S.retro && S.retro !== me.from) learn(S.retro); // the welcome's whole board
  if (me.of !== a.index) me = { of: a.index, mine: new Set(), dots: new Map() };
  if (box.of !== a.index) box = { of: a.index };
  if (box.phase !== a.phase) oops = null;
  box.phase = a.phase;
  const notes = (S.retro || []).filter((n) => !n.hidden);
  const label = it.columns[it.vote_column];
  if (a.phase === 'collect') {
    const own = notes.filter((n) => me.mine.has(n.id));
    return [title('rtCollectTitle'), prompt(), writer(it, own),
      h('h2', { t: ['rtYours', { n: own.length }] }), problem('del'),
      own.length ? h('ul', { class: 'notes' }, own.map((n) => h('li', {}, h('p', {}, h('span', { class: 'muted' }, `${it.columns[n.column]}: `), n.text),
        h('button', { 'data-k': `rd${n.id}`, t: 'noteDelete', label: named('noteDelete', n.text), onclick: () => del(n) }))))
        : h('p', { class: 'muted', t: 'noNotes' }),
      board(it, notes), wait(it.dots ? 'rtWaitVote' : 'rtWaitDone', { label })];
  }
  if (a.phase === 'vote') {
    const left = dotsLeft(it, notes);
    return [title('rtVoteTitle'), prompt(), h('p', { class: 'big', t: ['rtLeft', { n: left, dots: it.dots }] }),
      h('p', { class: 'hint', t: ['rtBlind', { label }] }), problem('dot'),
      board(it, notes, (n) => n.column === it.vote_column && dotRow(n, left), false, true), wait('rtWaitResult')];
  }
  const ranked = it.dots > 0;
  return [title('rtDoneTitle'), prompt(), board(it, notes, (n) => ranked && n.column === it.vote_column && h('p', { class: 'rank', t: ['rtDots', { n: n.dots || 0 }] }), ranked)];
}

// Each column with its notes, one's own marked; `extra(note)` adds to a note, `ranked` orders
// the vote column by dots (ties in the order written), `first` puts it first.
function board(it, notes, extra = () => null, ranked, first) {
  const columns = it.columns.map((label, c) => {
    let list = notes.filter((n) => n.column === c);
    if (ranked && c === it.vote_column) list = [...list].sort((p, q) => (q.dots || 0) - (p.dots || 0));
    return h('section', { 'aria-labelledby': `rc${c}` }, h('h2', { id: `rc${c}` }, label, h('span', { class: 'muted' }, ` (${list.length})`)),
      list.length ? h(ranked && c === it.vote_column ? 'ol' : 'ul', { class: 'notes' }, list.map((n) => h('li', {},
        h('p', {}, n.text, me.mine.has(n.id) && h('span', { class: 'muted', t: 'you' })), extra(n))))
        : h('p', { class: 'muted', t: 'noNotes' }));
  });
  if (first) columns.unshift(...columns.splice(it.vote_column, 1));
  return columns;
}

// One text box, and a button for each column ("Add to Plus"); a full column's is disabled.
function writer(it, own) {
  if (!box.form) {
    const area = h('textarea', { id: 'rtt', 'data-k': 'rtt', rows: 3, value: draft('rtt', x.S.activity.index) });
    const count = h('p', { class: 'count', id: 'rttc' });
    const gate = {}; // x.counted says whether the text may go, on this stand-in for one button
    const buttons = it.columns.map((label, c) => h('button', { class: 'primary', value: c, 'data-k': `rta${c}`, t: ['rtAddTo', { label }] }));
    const err = h('div');
    const hint = it.columns.join() === 'Plus,Delta' && 'rtPlusDelta';
    const form = h('form', { onsubmit: async (e) => {
      e.preventDefault();
      const column = Number(e.submitter?.value || 0);
      const text = area.value.trim();
      buttons.forEach((b) => { b.disabled = true; });
      const ack = await send('retro.add', { column, text }, 'add');
      if (ack?.retro) {
        me.mine.add(ack.retro);
        // Shown at once; the board's update brings it as stored.
        const list = x.S.retro || [];
        if (!list.some((n) => n.id === ack.retro)) x.S.retro = me.from = [...list, { id: ack.retro, column, text }];
        area.value = '';
        say(t('rtAdded', { label: it.columns[column] }));
      }
      x.render();
      area.focus();
    } }, field('rtNoteLabel', area, hint), count, err, h('div', { class: 'row' }, buttons),
    h('p', { class: 'hint', id: 'rttl', t: ['rtLimits', it] }));
    const counted = x.counted(area, count, gate);
    area.setAttribute('aria-describedby', `${hint ? 'rtth ' : ''}rttl rttc`);
    form.sync = (mine) => {
      counted();
      buttons.forEach((b, c) => { b.disabled = gate.disabled || mine.filter((n) => n.column === c).length >= it.max_notes; });
      err.replaceChildren(...[problem('add')].filter(Boolean));
    };
    area.oninput = () => form.sync(box.own);
    box.form = form;
  }
  box.own = own;
  box.form.sync(own);
  return box.form;
}

async function del(n) {
  const keys = [...document.querySelectorAll('#view [data-k^="rd"]')].map((b) => b.getAttribute('data-k'));
  const at = keys.indexOf(`rd${n.id}`);
  if (!(await send('retro.delete', { note: n.id }, 'del'))) return x.render();
  x.S.retro = me.from = (x.S.retro || []).filter((o) => o.id !== n.id);
  me.mine.delete(n.id);
  say(t('noteDeleted'));
  x.render();
  // To the next of one's notes (else the one before), or back to the text box.
  const rest = keys.filter((k) => k !== `rd${n.id}`);
  focus(rest[Math.min(at, rest.length - 1)] || 'rtt');
}

const dotsLeft = (it, notes) => it.dots - notes.reduce((sum, n) => sum + (me.dots.get(n.id) || 0), 0);

// "−", one's dots on the note, "+": named with the note, kept focusable when they cannot act.
function dotRow(n, left) {
  const mine = me.dots.get(n.id) || 0;
  return h('div', { class: 'row dots' },
    h('button', { 'data-k': `rm${n.id}`, label: named('rtTakeDot', n.text), 'aria-disabled': !mine && 'true', onclick: () => dot(n, -1) }, '−'),
    h('span', { class: 'rn', t: ['rtYourDots', { n: mine }] }),
    h('button', { 'data-k': `rp${n.id}`, label: named('rtAddDot', n.text), 'aria-disabled': !left && 'true', onclick: () => dot(n, 1) }, '+'));
}

async function dot(n, by) {
  const had = me.dots.get(n.id) || 0;
  const notes = (x.S.retro || []).filter((o) => !o.hidden);
  if (had + by < 0 || (by > 0 && dotsLeft(x.item(), notes) < 1)) return;
  me.dots.set(n.id, had + by);
  x.render();
  if (await send('retro.dots', { note: n.id, count: had + by }, 'dot')) say(t('rtDotSaid', { n: had + by, text: n.text, left: dotsLeft(x.item(), notes) }));
  else me.dots.set(n.id, had);
  x.render();
}
