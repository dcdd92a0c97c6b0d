// /f/{code}#key=…: the facilitator's laptop. The key, from the address fragment, goes only
// into the join frame and the Authorization header. Invite, run and edit the agenda (next,
// back, reset, timer, reveal), watch progress, the leaderboard, poster or wall of micro-actions
// (facilitator-actions.js) and the new notes, moderate, export, sum up, delete. Every move
// names the step it leaves (`from`), so a double click or a second tab moves the session
// once; its button is marked busy until the answer comes. Focus never falls to <body> (the
// focusout handler below), every result is said once, and a button repeated for each item is
// named with it.
import { h, header, fill, say, clock, bar, phase, field, errKey, tx, gone, points, named, titled } from './ui.js';
import { t } from './i18n.js';
import { follow, kept, keep } from './socket.js';
import * as actions from './facilitator-actions.js';
import * as lc from './facilitator-leancoffee.js';
import * as retro from './facilitator-retro.js';

const kinds = { actions, leancoffee: lc, retro }; // the methods with a module of their own

let code;
let key;
let sock;
const S = { feed: new Map(), busy: false, asking: null, editing: null };
const part = {}; // the sections, each re-rendered on its own frames
// The last error, shown in place. Not a live region: it is re-rendered with its panel, and
// would be read again each time; say() tells it once.
const flash = h('p', { class: 'error' });
let root;

// Where the control that had focus was taken away by a render (a step that removed it,
// another tab's change), focus goes to the same control elsewhere on the page (a card's
// "Show again" after "Hide"), else to the first of its data-then that is there, else to its
// panel's heading, else to the page's: never to <body>. Focus a person moved away themselves
// (the control is still there) is left alone.
addEventListener('focusout', (e) => {
  const was = e.target;
  const panel = was.closest?.('section');
  if (e.relatedTarget || !root?.contains(was)) return;
  queueMicrotask(() => {
    if (was.isConnected || document.activeElement !== document.body) return;
    const find = (k) => k && (root.querySelector(`[data-k="${k}"]`) || document.getElementById(k));
    const to = [was.getAttribute('data-k'), ...(was.dataset.then || '').split(' ')].map(find).find(Boolean)
      || (panel?.isConnected && panel.querySelector('h2')) || root.querySelector('h1');
    if (!to) return;
    if (!to.matches('button, input, textarea, select, a')) to.tabIndex = -1;
    to.focus();
  });
});

export function start(el, joinCode) {
  root = el;
  code = joinCode;
  key = new URLSearchParams(location.hash.slice(1)).get('key');
  header([]);
  if (!key) return gone(root, 'forbidden');
  Object.values(kinds).forEach((k) => k.bind?.({ S, send: (type, fields) => sock.send(type, fields), fail, render: renderBoard }));
  for (const name of ['now', 'progress', 'board', 'agenda', 'boardTitle', 'feed', 'lock']) part[name] = h(name === 'boardTitle' ? 'h2' : 'div', { id: name });
  const section = (titleKey, ...kids) => h('section', { class: 'panel', 'aria-labelledby': `${titleKey}h` }, h('h2', { id: `${titleKey}h`, t: titleKey }), kids);
  sock = follow(root, { code, role: 'facilitator', key }, { welcome: (w) => {
    Object.assign(S, { progress: w.view.progress, board: w.view.leaderboard, poster: w.view.poster, reveal: w.view.reveal || null, wall: w.view.wall, feed: new Map(),
      hall: w.view.hall, tables: w.view.tables, retro: w.view.retro });
    // A facilitator link opened on this device is remembered on its home page too.
    const list = kept();
    const mine = { code, title: w.session.title, key, url: location.href, created: Date.now() };
    const at = list.findIndex((s) => s.code === code);
    if (at < 0) list.unshift(mine); else list[at] = { ...mine, created: list[at].created };
    keep(list);
    feed(w.view.feed);
    fill(root, [h('h1', {}, w.session.title), h('p', { class: 'lead', t: 'facLead' }),
      h('div', { class: 'cols' },
        h('div', {}, section('nowTitle', part.now), section('progressTitle', part.progress),
          h('section', { class: 'panel', 'aria-labelledby': 'boardTitle' }, part.boardTitle, part.board),
          h('section', { class: 'panel', 'aria-labelledby': 'feedh', id: 'feedPanel' }, h('h2', { id: 'feedh', t: 'feedTitle' }), part.feed)),
        h('div', {}, section('inviteTitle', invite()), section('agenda', part.agenda), section('dataTitle', data())))]);
    renderAll();
  }, frame, busy: () => S.editing != null || !!addPrompt.value.trim() }, S); // an upgrade's reload waits for edits
}

function renderAll() {
  renderNow();
  renderProgress();
  renderBoard();
  renderFeed();
  renderAgenda();
  renderLock();
}

function frame(m, news) {
  // A new activity, or this one reset to its lobby: nothing shown of it before stays.
  if (news === 'activity' || (news && m.phase === 'lobby')) Object.assign(S, { board: null, poster: null, reveal: null, wall: null, feed: new Map(), asking: null, hall: null, tables: null, retro: null });
  if (news) {
    const now = t(...phase(m, S.session.agenda));
    say(news === 'activity' ? t('fStarted', { n: m.index + 1, phase: now }) : now);
    if (S.asking?.on === 'now') S.asking = null;
  }
  if (kinds[S.activity?.kind]?.frame?.(m)) return renderBoard();
  if (m.type === 'progress') return renderProgress(S.progress = m);
  if (m.type === 'leaderboard') return renderBoard(S.board = m);
  if (m.type === 'poster') return renderBoard(S.poster = m.groups);
  if (m.type === 'wall') return renderBoard(S.wall = m.actions);
  if (m.type === 'feed') { feed(m.notes); renderBoard(); return renderFeed(); }
  if (m.type === 'agenda') return renderAgenda();
  if (m.type === 'lock') { // from this tab's click or another's: said either way
    say(`${t(m.locked ? 'nowLocked' : 'nowOpen')} ${t(m.locked ? 'lockedNote' : 'openNote')}`);
    return renderLock();
  }
  if (m.type === 'reveal') { // said when what the screen shows changed, from this tab or another
    const was = S.reveal;
    S.reveal = m.count ? m : null;
    if (was?.count !== S.reveal?.count || was?.shown !== S.reveal?.shown) say(t(...(S.reveal ? revealed() : ['fCleared'])));
  }
  if (m.type === 'error') fail(m.code);
  renderAll();
}

function fail(errorCode) {
  flash.textContent = t(errKey(errorCode));
  say(flash.textContent, true);
}

const feed = (notes) => (notes || []).forEach((n) => (n.deleted ? S.feed.delete(n.id) : S.feed.set(n.id, n)));

async function ask(type, fields) {
  flash.textContent = '';
  try { return await sock.send(type, fields); } catch (e) { fail(e.code); return null; }
}

// Where the session is, as a move's `from` names it.
function from() {
  const a = S.activity;
  if (!a) return {};
  return { index: a.index, phase: a.phase, ...(a.round && { round: a.round }), ...(a.level && { level: a.level }) };
}

// A move of the whole hall: sent once, its button busy until the answer (aria-disabled, not
// disabled, which would throw focus off it).
const busy = () => (S.busy ? 'true' : null);
async function move(type, fields) {
  if (S.busy) return;
  S.busy = true;
  S.asking = null;
  renderAll();
  await ask(type, { ...fields, from: from() });
  S.busy = false;
  renderAll();
}

// A question asked in place before a move that pulls every phone along or drops data. `id`
// names the button that asked, which gets the focus back on "No", and after "Yes" if it is
// still there (else `then`).
function confirmBox(id, question, yesKey, onYes, then = 'next') {
  const qid = `q${id}`;
  const box = h('div', { class: 'confirm', role: 'group', 'aria-labelledby': qid, tabindex: -1, 'data-k': `c${id}` },
    h('p', { id: qid, t: question }),
    h('div', { class: 'row' }, h('button', { class: 'danger', 'data-k': `y${id}`, 'data-then': `${id} ${then}`, t: yesKey, 'aria-disabled': busy(),
      onclick: () => S.busy || onYes() }),
      h('button', { t: 'cancel', 'data-k': `n${id}`, onclick: () => { S.asking = null; renderAll(); document.querySelector(`[data-k="${id}"]`)?.focus(); } })));
  return box;
}

// Opens a question: rendered, then focused so a screen reader reads it.
function askFirst(on, id, question, yesKey, onYes, then) {
  if (S.busy) return;
  S.asking = { on, id, question, yesKey, onYes, then };
  renderAll();
  document.querySelector(`[data-k="c${id}"]`)?.focus();
}
const asked = (id) => S.asking?.id === id && confirmBox(id, S.asking.question, S.asking.yesKey, S.asking.onYes, S.asking.then);

// the running activity

// What "next" will do, said on its button.
function nextLabel(a, it) {
  const sizes = it.sizes || [];
  return {
    lobby: a.kind === 'scoring' ? 'nextWriting' : 'nextSolo',
    writing: ['nextRound', { next: 1 }],
    round: a.round < it.rounds ? ['nextCloseRound', { round: a.round, next: a.round + 1 }] : ['nextResults', a],
    solo: ['nextLevel', { size: sizes[0] }],
    level: a.level < sizes.length ? ['nextLevel', { size: sizes[a.level] }] : 'nextPoster',
  }[a.phase];
}

// What "back" reopens, with what it drops, or nothing where there is no way back.
function backLabel(a, it) {
  if (a.phase === 'round') return a.round > 1 ? [['backRound', { round: a.round - 1 }], ['backRoundQ', { round: a.round - 1, now: a.round }]] : ['backWriting', ['backWritingQ', a]];
  if (a.phase === 'results') return [['backRound', { round: it.rounds }], ['backResultsQ', { round: it.rounds }]];
  if (a.phase === 'poster') return [['backLevel', { size: it.sizes[it.sizes.length - 1] }], 'backPosterQ'];
  return null;
}

const num = (id, max, value) => h('input', { id, 'data-k': id, type: 'number', min: 0, max, value, class: 'short' });
const minutes = num('tmin', 120, 3);
const seconds = num('tsec', 59, 0);
const advance = h('input', { id: 'tadv', 'data-k': 'tadv', type: 'checkbox' });
const timer = async (fields) => {
  const s = fields.seconds;
  if (await ask('timer.set', fields)) say(t(...(s ? ['fTimerOn', { time: `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` }] : ['fTimerOff'])));
};
const timerForm = h('form', { onsubmit: (e) => {
  e.preventDefault();
  timer({ seconds: Math.min(7200, 60 * minutes.value + 1 * seconds.value), advance: advance.checked });
} }, h('fieldset', {}, h('legend', { t: 'timerTitle' }),
  h('div', { class: 'row' }, field('minutes', minutes), field('seconds', seconds)),
  h('div', { class: 'check' }, advance, h('label', { for: 'tadv', t: 'advance' })),
  h('div', { class: 'row' }, h('button', { 'data-k': 'tset', t: 'setTimer' }), h('button', { type: 'button', 'data-k': 'tstop', t: 'stopTimer', onclick: () => timer({ seconds: 0 }) }))));
const count = num('rcount', 100, 10);
const revealAll = () => ask('reveal', { count: 1 * count.value });
const revealForm = h('form', { onsubmit: (e) => { e.preventDefault(); revealAll(); } },
  h('fieldset', {}, h('legend', { t: 'revealTitle' }), field('top', count),
    h('div', { class: 'row' }, h('button', { class: 'primary', 'data-k': 'rall', t: 'reveal' }),
      h('button', { type: 'button', 'data-k': 'rone', t: 'revealOne', onclick: () => ask('reveal', { count: 1 * count.value, shown: 1 }) }),
      h('button', { type: 'button', 'data-k': 'rclear', t: 'clearScreen', onclick: () => ask('reveal', { count: 0 }) }))));
let settingsFor = null;

// What the screen shows now, as [key, params], said as the facilitator would check it.
function revealed() {
  const r = S.reveal;
  if (!r || !r.count) return ['revealNone'];
  if (r.shown == null) return ['revealShown', { n: r.count }];
  return ['revealOneShown', { shown: r.shown, n: r.count, rank: r.entries[0]?.rank ?? '–' }];
}

function screenShows() {
  const r = S.reveal;
  return [h('p', { class: 'hint', t: revealed() }), r?.shown != null
    && h('button', { class: 'primary', 'data-k': 'rnext', t: ['revealNext', { n: r.count - r.shown }], onclick: () => ask('reveal', { count: r.count, shown: r.shown + 1 }) })];
}

// The page's title: the step, this view and the session ("Round 2 of 5 – Facilitator – …").
const title = () => titled(S.activity && phase(S.activity, S.session.agenda), ['roleFacilitator'], S.session.title);

function renderNow() {
  const a = S.activity;
  title();
  fill(part.now, (() => {
    if (!a) return h('p', { t: 'noActivity' });
    const it = S.session.agenda[a.index];
    const mine = kinds[a.kind] || { nextLabel, backLabel };
    const next = mine.nextLabel(a, it);
    const back = mine.backLabel(a, it);
    // A new activity starts with its own settings, not the last one's "move on at zero".
    if (settingsFor !== a.index) { settingsFor = a.index; count.value = it.top || 10; advance.checked = false; }
    return [
      h('p', { class: 'eyebrow', t: `kind_${a.kind}` }), h('p', { class: 'prompt' }, a.prompt),
      h('p', { class: 'phase', t: phase(a, S.session.agenda) }), clock,
      h('div', { class: 'row' },
        next ? h('button', { class: 'primary', 'data-k': 'next', t: next, 'aria-disabled': busy(), 'aria-busy': busy(), onclick: () => move('phase.next', {}) })
          : h('p', { t: 'finished' }),
        back && h('button', { 'data-k': 'back', t: back[0], 'aria-disabled': busy(), onclick: () => askFirst('now', 'back', back[1], 'backYes', () => move('phase.back', {})) })),
      asked('back'), flash, timerForm,
      a.phase === 'results' && [revealForm, screenShows()],
      h('div', { class: 'row' }, h('button', { class: 'danger', 'data-k': 'reset', t: 'resetActivity', 'aria-disabled': busy(),
        onclick: () => askFirst('now', 'reset', ['resetQ', { n: a.index + 1 }], 'resetYes', () => move('activity.reset', { index: a.index })) })),
      asked('reset'),
    ];
  })());
}

// progress, leaderboard, poster, the feed of new notes

function renderProgress() {
  const p = S.progress;
  const stat = (labelKey, value) => value != null && h('div', { class: 'stat' }, h('dt', { t: labelKey }), h('dd', {}, `${value}`));
  const grouping = S.activity?.kind === 'grouping';
  fill(part.progress, [
    h('dl', { class: 'stats' }, stat('joined', p.participants), stat('connected', p.connected),
      S.activity?.kind === 'scoring' && stat('cards', p.cards), stat('sittingOut', p.sitting_out),
      grouping && [stat('notesN', p.notes), stat('soloWriters', p.solo_writers)], stat('groups', p.groups), stat('groupsEmpty', p.groups_empty),
      kinds[S.activity?.kind]?.stats?.(p[S.activity.kind], stat)),
    p.phase === 'round' && [h('p', { t: ['scoredOf', p] }), bar(p.scored, p.handed, 'scoredBar')],
    p.groups != null && [h('p', { t: ['starredOf', p] }), bar(p.groups_starred, p.groups, 'starredBar')],
  ]);
}

// A line of text with the buttons that act on it.
const item = (text, extra, button, lead, more) => h('li', {}, lead, h('span', { class: 'text' }, text), extra, button, more);

// "Hide" or "Show again" for a card, note or action, named with its text ("Hide: Too many
// meetings") and said when done. Both have the same data-k, so focus goes with the item from
// one list to the other, also from the feed to the hidden notes.
function toggle(id, text, hidden, type, what) {
  const key = hidden ? 'unhide' : 'hide';
  return h('button', { 'data-k': `v${id}`, t: key, label: named(key, text), onclick: async () => {
    if (await ask(type, { ...what, hidden: !hidden })) say(t(hidden ? 'fUnhidden' : 'fHidden', { text }));
  } });
}

// Removing whoever wrote a card or note (a bot, an offensive name): asked first, in place. The
// author stays unknown here too: the server finds them from what they wrote.
const removal = (kind, id, text) => h('div', { class: 'remove' },
  h('button', { class: 'danger link', 'data-k': `rm${id}`, t: 'removeAuthor', label: named('removeAuthor', text),
    onclick: () => askFirst('board', `rm${id}`, 'removeQ', 'removeYes', async () => {
      S.asking = null;
      if (await ask('participant.remove', { [kind]: id })) say(t('removed'));
      renderAll();
    }, '') }),
  asked(`rm${id}`));

const note = (n, hidden) => toggle(n.id, n.text, hidden, 'note.hide', { note: n.id });

function renderBoard() {
  const grouping = S.activity?.kind === 'grouping';
  const wall = S.activity?.kind === 'actions';
  tx(part.boardTitle, [grouping ? 'ph_poster' : wall ? 'actWallTitle' : 'boardTitle']);
  if (wall) return fill(part.board, actions.wall(S.wall, toggle, removal));
  const k = kinds[S.activity?.kind];
  if (k?.board) { tx(part.boardTitle, [k.boardTitle]); return fill(part.board, k.board(toggle, removal)); }
  const b = S.board || { entries: [] };
  const rounds = S.activity && S.session.agenda[S.activity.index].rounds;
  const card = (c, hidden) => toggle(c.card ?? c.id, c.text, hidden, 'card.hide', { card: c.card ?? c.id });
  const hidden = grouping ? [...S.feed.values()].filter((n) => n.hidden).map((n) => item(n.text, null, note(n, true)))
    : (b.hidden || []).map((c) => item(c.text, null, card(c, true)));
  const carry = !grouping && S.activity?.phase === 'results' && b.entries[0] ? carryTarget() : null;
  fill(part.board, [
    !S.activity ? null
      : grouping ? (S.poster ? h('div', { class: 'poster' }, S.poster.map((g) => h('div', { class: 'group' }, h('h3', { lang: S.session.language }, g.label),
        h('ul', {}, g.notes.map((n) => item(n.text, h('span', { class: 'muted', t: ['stars', { n: n.stars }] }), note(n, false)))))))
        : h('p', { class: 'muted', t: 'posterLater' }))
        : b.entries.length ? h('ol', { class: 'board' }, b.entries.map((e) => item(e.text, h('span', { class: 'pts', t: points(e, rounds) }),
          card(e, false), h('span', { class: 'rank' }, `#${e.rank}`), removal('card', e.card, e.text))))
          : h('p', { class: 'muted', t: 'boardEmpty' }),
    carry != null && h('button', { 'data-k': 'carry', t: ['carryTop', { n: carry + 1 }], onclick: () => carryInto(carry, b.entries[0].text) }),
    hidden.length > 0 && [h('h3', { t: 'hiddenTitle' }), h('ul', { class: 'hidden-list' }, hidden)],
  ]);
}

// The newest notes first, to hide an offensive one before the poster.
function renderFeed() {
  const grouping = S.activity?.kind === 'grouping';
  document.getElementById('feedPanel')?.toggleAttribute('hidden', !grouping);
  if (!grouping) return fill(part.feed, []);
  const notes = [...S.feed.values()].filter((n) => !n.hidden).reverse().slice(0, 30);
  fill(part.feed, notes.length ? h('ul', { class: 'feed' }, notes.map((n) => item(n.text,
    h('span', { class: 'muted', t: n.group ? ['feedIn', { group: n.group }] : 'feedAlone' }), note(n, false), null, removal('note', n.id, n.text))))
    : h('p', { class: 'muted', t: 'feedEmpty' }));
}

// the agenda: start, start again, edit what has not started

const started = (i) => (S.session.started || []).includes(i);

// The next item after the current one that has not started: where the top card can go.
function carryTarget() {
  const agenda = S.session.agenda;
  for (let i = S.activity.index + 1; i < agenda.length; i++) if (!started(i)) return i;
  return null;
}

function carryInto(i, text) {
  const agenda = structuredClone(S.session.agenda);
  agenda[i].prompt = [...text].slice(0, 500).join('');
  setAgenda(agenda, ['carried', { n: i + 1 }]);
}

async function setAgenda(agenda, doneKey) {
  if (await ask('agenda.set', { agenda })) { S.editing = null; say(t(...[doneKey].flat())); }
  renderAgenda();
}

// Once started, its button is gone: focus goes to what now runs (the Controls panel's heading).
function startActivity(i) {
  const a = S.activity;
  if (!a || a.index === i) return move('activity.start', { index: i });
  askFirst('agenda', `s${i}`, ['startQ', { running: a.index + 1, n: i + 1 }], 'startYes', () => move('activity.start', { index: i }), 'nowTitleh');
}

function renderAgenda() {
  const agenda = S.session.agenda;
  const firstFree = agenda.findIndex((_, i) => !started(i) && agenda.slice(i).every((__, j) => !started(i + j)));
  const movable = (i) => firstFree >= 0 && i >= firstFree; // items after the last started one
  const swap = (i, j) => { const next = [...agenda]; [next[i], next[j]] = [next[j], next[i]]; setAgenda(next, 'agendaSaved'); };
  fill(part.agenda, [h('ol', { class: 'agenda' }, agenda.map((it, i) => {
    const running = S.activity?.index === i;
    const editable = !started(i);
    const n = { n: i + 1 };
    const go = started(i) ? 'resumeActivity' : 'startActivity';
    return h('li', { class: running && 'running' },
      h('p', { class: 'eyebrow', t: [`kind_${it.kind}`] }),
      S.editing === i ? editForm(it, i) : h('p', { id: `a${i}` }, it.prompt),
      h('p', { class: 'muted', t: kinds[it.kind] ? kinds[it.kind].settings(it) : it.sizes ? ['groupingSettings', { sizes: it.sizes.join('-') }] : ['scoringSettings', it] }),
      running ? h('p', { class: 'badge', t: 'running' }) : started(i) && h('p', { class: 'muted', t: 'startedBefore' }),
      h('div', { class: 'row' },
        !running && h('button', { 'data-k': `s${i}`, 'data-then': 'nowTitleh', t: go, label: named(go, it.prompt), 'aria-disabled': busy(), onclick: () => startActivity(i) }),
        editable && S.editing !== i && h('button', { 'data-k': `e${i}`, t: 'editPrompt', label: named('editPrompt', it.prompt), onclick: () => { S.editing = i; renderAgenda(); document.getElementById(`ep${i}`)?.focus(); } }),
        movable(i) && i > firstFree && h('button', { 'data-k': `u${i}`, label: ['moveUp', n], onclick: () => swap(i, i - 1) }, '↑'),
        movable(i) && i < agenda.length - 1 && h('button', { 'data-k': `d${i}`, label: ['moveDown', n], onclick: () => swap(i, i + 1) }, '↓'),
        // No data-k: focus must not stay on the next item's "Remove" (the agenda's heading gets it).
        editable && agenda.length > 1 && h('button', { class: 'danger', t: 'removeActivity', label: named('removeActivity', it.prompt),
          onclick: () => setAgenda(agenda.filter((_, j) => j !== i), 'agendaSaved') })),
      asked(`s${i}`));
  })), addForm()]);
}

function editForm(it, i) {
  const prompt = h('textarea', { id: `ep${i}`, 'data-k': `ep${i}`, rows: 3, maxlength: 500, required: true, value: it.prompt });
  return h('form', { onsubmit: (e) => {
    e.preventDefault();
    const agenda = structuredClone(S.session.agenda);
    agenda[i].prompt = prompt.value.trim();
    setAgenda(agenda, 'agendaSaved');
  } }, field(['promptOf', { n: i + 1 }], prompt), h('div', { class: 'row' }, h('button', { class: 'primary', 'data-k': `es${i}`, 'data-then': `e${i}`, t: 'save' }),
    h('button', { type: 'button', 'data-k': `ec${i}`, 'data-then': `e${i}`, t: 'cancel', onclick: () => { S.editing = null; renderAgenda(); } })));
}

const addPrompt = h('textarea', { 'data-k': 'addp', rows: 2, maxlength: 500, required: true });
// Micro-actions and Lean Coffee come with the question they are known by, to keep or change.
const addKind = h('select', { 'data-k': 'addk', onchange: () => {
  const given = { actions: 'actPromptDefault', leancoffee: 'lcPromptDefault' }[addKind.value];
  if (given && !addPrompt.value.trim()) addPrompt.value = t(given);
} }, ['scoring', 'grouping', 'actions', 'leancoffee', 'retro'].map((kind) => h('option', { value: kind, t: `kind_${kind}` })));
function addForm() {
  return h('form', { onsubmit: (e) => {
    e.preventDefault();
    const item = { kind: addKind.value, prompt: addPrompt.value.trim() };
    addPrompt.value = '';
    setAgenda([...S.session.agenda, item], 'agendaSaved');
  } }, h('fieldset', {}, h('legend', { t: 'addActivity' }), field('kind', addKind), field('prompt', addPrompt), h('button', { 'data-k': 'addb', t: 'add' })));
}

// invitation and data

function invite() {
  const links = [['linkParticipant', `${location.origin}/j/${code}`], ['linkScreen', `${location.origin}/screen/${code}`], ['linkFacilitator', location.href]];
  return [
    h('div', { class: 'invite' }, h('img', { class: 'qr', src: `/api/sessions/${code}/qr.svg`, width: 160, height: 160, alt: ['qrAlt', { code }] }),
      h('p', { class: 'code-big' }, h('span', { class: 'sr', t: 'codeWord' }), code)),
    part.lock,
    links.map(([labelKey, url], i) => {
      const input = h('input', { id: `l${i}`, readonly: true, value: url });
      return h('div', { class: 'copy' }, field(labelKey, input), h('button', { type: 'button', t: 'copy', label: named('copy', { inLang: () => t(labelKey) }), onclick: async () => {
        try { await navigator.clipboard.writeText(input.value); } catch { input.select(); document.execCommand('copy'); }
        say(t('copied'));
      } }));
    }),
  ];
}

// Closing the session to new participants; those already in still come back. The button is
// not disabled while the answer comes (focus would fall off it); a click meanwhile does nothing.
let locking = false;
function renderLock() {
  const locked = !!S.session.locked;
  fill(part.lock, [h('p', { id: 'lockh', class: locked ? 'closed' : 'hint', t: locked ? 'lockedNote' : 'openNote' }),
    h('button', { 'data-k': 'lock', 'aria-describedby': 'lockh', t: locked ? 'lockOpen' : 'lockClose', onclick: async () => {
      if (locking) return;
      locking = true;
      await ask('session.lock', { locked: !locked });
      locking = false;
    } })]);
}

function data() {
  const status = h('p', { role: 'status' });
  const auth = { headers: { Authorization: `Bearer ${key}` } };
  const askDelete = h('button', { class: 'danger', t: 'deleteSession', onclick: () => { confirm.hidden = false; confirm.focus(); } });
  const confirm = h('div', { class: 'confirm', hidden: true, tabindex: -1 }, h('p', { t: 'deleteConfirm' }),
    h('div', { class: 'row' }, h('button', { class: 'danger', t: 'deleteYes', onclick: async () => {
      const response = await fetch(`/api/sessions/${code}`, { method: 'DELETE', ...auth });
      if (!response.ok) return (status.textContent = t('err_generic'));
      keep(kept().filter((s) => s.code !== code));
      sock.stop('deleted');
    } }), h('button', { t: 'cancel', onclick: () => { confirm.hidden = true; askDelete.focus(); } })));
  const download = async (format) => {
    const response = await fetch(`/api/sessions/${code}/export?format=${format}`, auth);
    if (!response.ok) return (status.textContent = t('err_generic'));
    const a = h('a', { href: URL.createObjectURL(await response.blob()), download: `lapp-${code}.${format}` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 9000);
  };
  return [h('div', { class: 'row' }, h('button', { t: 'exportJson', onclick: () => download('json') }), h('button', { t: 'exportCsv', onclick: () => download('csv') }),
    actions.summary(code, auth, () => (status.textContent = t('err_generic')))), askDelete, confirm, status];
}
