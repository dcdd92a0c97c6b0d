// /f/{code}#key=…: the facilitator's laptop. The key, from the address fragment, goes only
// into the join frame and the Authorization header. Invite, run and edit the agenda (next,
// back, reset, timer, reveal), watch progress, the leaderboard, poster or wall of micro-actions
// (facilitator-actions.js) and the new notes, moderate, export, sum up, delete. Every move
// names the step it leaves (`from`), so a double click or a second tab moves the session
// once; its button is disabled until the answer comes.
import { h, header, fill, say, clock, bar, phase, field, errKey, tx, gone, points } from './ui.js';
import { t } from './i18n.js';
import { follow, kept, keep } from './socket.js';
import * as actions from './facilitator-actions.js';

let code;
let key;
let sock;
const S = { feed: new Map(), busy: false, asking: null, editing: null };
const part = {}; // the sections, each re-rendered on its own frames
const flash = h('p', { class: 'error', role: 'alert' });

export function start(root, joinCode) {
  code = joinCode;
  key = new URLSearchParams(location.hash.slice(1)).get('key');
  header([]);
  if (!key) return gone(root, 'forbidden');
  for (const name of ['now', 'progress', 'board', 'agenda', 'boardTitle', 'feed', 'lock']) part[name] = h(name === 'boardTitle' ? 'h2' : 'div', { id: name });
  const section = (titleKey, ...kids) => h('section', { class: 'panel', 'aria-labelledby': `${titleKey}h` }, h('h2', { id: `${titleKey}h`, t: titleKey }), kids);
  sock = follow(root, { code, role: 'facilitator', key }, { welcome: (w) => {
    Object.assign(S, { progress: w.view.progress, board: w.view.leaderboard, poster: w.view.poster, reveal: w.view.reveal || null, wall: w.view.wall, feed: new Map() });
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
  if (news === 'activity' || (news && m.phase === 'lobby')) Object.assign(S, { board: null, poster: null, reveal: null, wall: null, feed: new Map(), asking: null });
  if (news) {
    say(t(...phase(m, S.session.agenda)));
    if (S.asking?.on === 'now') S.asking = null;
  }
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
  if (m.type === 'reveal') S.reveal = m.count ? m : null;
  if (m.type === 'error') flash.textContent = t(errKey(m.code));
  renderAll();
}

const feed = (notes) => (notes || []).forEach((n) => (n.deleted ? S.feed.delete(n.id) : S.feed.set(n.id, n)));

async function ask(type, fields) {
  flash.textContent = '';
  try { return await sock.send(type, fields); } catch (e) { flash.textContent = t(errKey(e.code)); return null; }
}

// Where the session is, as a move's `from` names it.
function from() {
  const a = S.activity;
  if (!a) return {};
  return { index: a.index, phase: a.phase, ...(a.round && { round: a.round }), ...(a.level && { level: a.level }) };
}

// A move of the whole hall: sent once, its button disabled until the answer.
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
// names the button that asked, which gets the focus back on "No".
function confirmBox(id, question, yesKey, onYes) {
  const qid = `q${id}`;
  const box = h('div', { class: 'confirm', role: 'group', 'aria-labelledby': qid, tabindex: -1, 'data-k': `c${id}` },
    h('p', { id: qid, t: question }),
    h('div', { class: 'row' }, h('button', { class: 'danger', 'data-k': `y${id}`, t: yesKey, disabled: S.busy, onclick: onYes }),
      h('button', { t: 'cancel', 'data-k': `n${id}`, onclick: () => { S.asking = null; renderAll(); document.querySelector(`[data-k="${id}"]`)?.focus(); } })));
  return box;
}

// Opens a question: rendered, then focused so a screen reader reads it.
function askFirst(on, id, question, yesKey, onYes) {
  S.asking = { on, id, question, yesKey, onYes };
  renderAll();
  document.querySelector(`[data-k="c${id}"]`)?.focus();
}
const asked = (id) => S.asking?.id === id && confirmBox(id, S.asking.question, S.asking.yesKey, S.asking.onYes);

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
const timerForm = h('form', { onsubmit: (e) => {
  e.preventDefault();
  ask('timer.set', { seconds: Math.min(7200, 60 * minutes.value + 1 * seconds.value), advance: advance.checked });
} }, h('fieldset', {}, h('legend', { t: 'timerTitle' }),
  h('div', { class: 'row' }, field('minutes', minutes), field('seconds', seconds)),
  h('div', { class: 'check' }, advance, h('label', { for: 'tadv', t: 'advance' })),
  h('div', { class: 'row' }, h('button', { t: 'setTimer' }), h('button', { type: 'button', t: 'stopTimer', onclick: () => ask('timer.set', { seconds: 0 }) }))));
const count = num('rcount', 100, 10);
const revealAll = () => ask('reveal', { count: 1 * count.value });
const revealForm = h('form', { onsubmit: (e) => { e.preventDefault(); revealAll(); } },
  h('fieldset', {}, h('legend', { t: 'revealTitle' }), field('top', count),
    h('div', { class: 'row' }, h('button', { class: 'primary', 'data-k': 'rall', t: 'reveal' }),
      h('button', { type: 'button', 'data-k': 'rone', t: 'revealOne', onclick: () => ask('reveal', { count: 1 * count.value, shown: 1 }) }),
      h('button', { type: 'button', 'data-k': 'rclear', t: 'clearScreen', onclick: () => ask('reveal', { count: 0 }) }))));
let settingsFor = null;

// What the screen shows now, said as the facilitator would check it.
function screenShows() {
  const r = S.reveal;
  if (!r || !r.count) return h('p', { class: 'hint', t: 'revealNone' });
  if (r.shown == null) return h('p', { class: 'hint', t: ['revealShown', { n: r.count }] });
  const e = r.entries[0];
  return [h('p', { class: 'hint', t: ['revealOneShown', { shown: r.shown, n: r.count, rank: e ? e.rank : '–' }] }),
    h('button', { class: 'primary', 'data-k': 'rnext', t: ['revealNext', { n: r.count - r.shown }], onclick: () => ask('reveal', { count: r.count, shown: r.shown + 1 }) })];
}

function renderNow() {
  const a = S.activity;
  fill(part.now, (() => {
    if (!a) return h('p', { t: 'noActivity' });
    const it = S.session.agenda[a.index];
    const mine = a.kind === 'actions' ? actions : { nextLabel, backLabel };
    const next = mine.nextLabel(a, it);
    const back = mine.backLabel(a, it);
    // A new activity starts with its own settings, not the last one's "move on at zero".
    if (settingsFor !== a.index) { settingsFor = a.index; count.value = it.top || 10; advance.checked = false; }
    return [
      h('p', { class: 'eyebrow', t: `kind_${a.kind}` }), h('p', { class: 'prompt' }, a.prompt),
      h('p', { class: 'phase', t: phase(a, S.session.agenda) }), clock,
      h('div', { class: 'row' },
        next ? h('button', { class: 'primary', 'data-k': 'next', t: next, disabled: S.busy, 'aria-busy': S.busy ? 'true' : null, onclick: () => move('phase.next', {}) })
          : h('p', { t: 'finished' }),
        back && h('button', { 'data-k': 'back', t: back[0], disabled: S.busy, onclick: () => askFirst('now', 'back', back[1], 'backYes', () => move('phase.back', {})) })),
      asked('back'), flash, timerForm,
      a.phase === 'results' && [revealForm, screenShows()],
      h('div', { class: 'row' }, h('button', { class: 'danger', 'data-k': 'reset', t: 'resetActivity', disabled: S.busy,
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
      S.activity?.kind === 'actions' && actions.stats(p.actions, stat)),
    p.phase === 'round' && [h('p', { t: ['scoredOf', p] }), bar(p.scored, p.handed, 'scoredBar')],
    p.groups != null && [h('p', { t: ['starredOf', p] }), bar(p.groups_starred, p.groups, 'starredBar')],
  ]);
}

// A line of text with a button that acts on it (and is described by it).
const item = (id, text, extra, buttonKey, onclick, lead, more) => h('li', {}, lead, h('span', { class: 'text', id: `x${id}` }, text), extra,
  h('button', { 'data-k': `${buttonKey}${id}`, 'aria-describedby': `x${id}`, t: buttonKey, onclick }), more);

// Removing whoever wrote a card or note (a bot, an offensive name): asked first, in place. The
// author stays unknown here too: the server finds them from what they wrote.
const removal = (kind, id) => h('div', { class: 'remove' },
  h('button', { class: 'danger link', 'data-k': `rm${id}`, 'aria-describedby': `x${id}`, t: 'removeAuthor',
    onclick: () => askFirst('board', `rm${id}`, 'removeQ', 'removeYes', async () => {
      S.asking = null;
      if (await ask('participant.remove', { [kind]: id })) say(t('removed'));
      renderAll();
    }) }),
  asked(`rm${id}`));

const hideNote = (id, hidden) => ask('note.hide', { note: id, hidden });

function renderBoard() {
  const grouping = S.activity?.kind === 'grouping';
  const wall = S.activity?.kind === 'actions';
  tx(part.boardTitle, [grouping ? 'ph_poster' : wall ? 'actWallTitle' : 'boardTitle']);
  if (wall) return fill(part.board, actions.wall(S.wall, ask, removal));
  const b = S.board || { entries: [] };
  const rounds = S.activity && S.session.agenda[S.activity.index].rounds;
  const hidden = grouping ? [...S.feed.values()].filter((n) => n.hidden).map((n) => item(n.id, n.text, null, 'unhide', () => hideNote(n.id, false)))
    : (b.hidden || []).map((c) => item(c.id, c.text, null, 'unhide', () => ask('card.hide', { card: c.id, hidden: false })));
  const carry = !grouping && S.activity?.phase === 'results' && b.entries[0] ? carryTarget() : null;
  fill(part.board, [
    !S.activity ? null
      : grouping ? (S.poster ? h('div', { class: 'poster' }, S.poster.map((g) => h('div', { class: 'group' }, h('h3', { lang: S.session.language }, g.label),
        h('ul', {}, g.notes.map((n) => item(n.id, n.text, h('span', { class: 'muted', t: ['stars', { n: n.stars }] }), 'hide', () => hideNote(n.id, true)))))))
        : h('p', { class: 'muted', t: 'posterLater' }))
        : b.entries.length ? h('ol', { class: 'board' }, b.entries.map((e) => item(e.card, e.text, h('span', { class: 'pts', t: points(e, rounds) }),
          'hide', () => ask('card.hide', { card: e.card, hidden: true }), h('span', { class: 'rank' }, `#${e.rank}`), removal('card', e.card))))
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
  fill(part.feed, notes.length ? h('ul', { class: 'feed' }, notes.map((n) => item(`f${n.id}`, n.text,
    h('span', { class: 'muted', t: n.group ? ['feedIn', { group: n.group }] : 'feedAlone' }), 'hide', () => hideNote(n.id, true), null, removal('note', n.id))))
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

function startActivity(i) {
  const a = S.activity;
  if (!a || a.index === i) return move('activity.start', { index: i });
  askFirst('agenda', `s${i}`, ['startQ', { running: a.index + 1, n: i + 1 }], 'startYes', () => move('activity.start', { index: i }));
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
    return h('li', { class: running && 'running' },
      h('p', { class: 'eyebrow', t: [`kind_${it.kind}`] }),
      S.editing === i ? editForm(it, i) : h('p', { id: `a${i}` }, it.prompt),
      h('p', { class: 'muted', t: it.kind === 'actions' ? actions.settings(it) : it.sizes ? ['groupingSettings', { sizes: it.sizes.join('-') }] : ['scoringSettings', it] }),
      running ? h('p', { class: 'badge', t: 'running' }) : started(i) && h('p', { class: 'muted', t: 'startedBefore' }),
      h('div', { class: 'row' },
        !running && h('button', { 'data-k': `s${i}`, 'aria-describedby': `a${i}`, t: started(i) ? 'resumeActivity' : 'startActivity', disabled: S.busy, onclick: () => startActivity(i) }),
        editable && S.editing !== i && h('button', { 'data-k': `e${i}`, 'aria-describedby': `a${i}`, t: 'editPrompt', onclick: () => { S.editing = i; renderAgenda(); document.getElementById(`ep${i}`)?.focus(); } }),
        movable(i) && i > firstFree && h('button', { 'data-k': `u${i}`, label: ['moveUp', n], onclick: () => swap(i, i - 1) }, '↑'),
        movable(i) && i < agenda.length - 1 && h('button', { 'data-k': `d${i}`, label: ['moveDown', n], onclick: () => swap(i, i + 1) }, '↓'),
        editable && agenda.length > 1 && h('button', { class: 'danger', 'data-k': `r${i}`, 'aria-describedby': `a${i}`, t: 'removeActivity',
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
  } }, field(['promptOf', { n: i + 1 }], prompt), h('div', { class: 'row' }, h('button', { class: 'primary', t: 'save' }),
    h('button', { type: 'button', t: 'cancel', onclick: () => { S.editing = null; renderAgenda(); } })));
}

const addPrompt = h('textarea', { 'data-k': 'addp', rows: 2, maxlength: 500, required: true });
// Micro-actions come with the question they are known by, to keep or change.
const addKind = h('select', { 'data-k': 'addk', onchange: () => { if (addKind.value === 'actions' && !addPrompt.value.trim()) addPrompt.value = t('actPromptDefault'); } },
  ['scoring', 'grouping', 'actions'].map((kind) => h('option', { value: kind, t: `kind_${kind}` })));
function addForm() {
  return h('form', { onsubmit: (e) => {
    e.preventDefault();
    const item = { kind: addKind.value, prompt: addPrompt.value.trim() };
    addPrompt.value = '';
    setAgenda([...S.session.agenda, item], 'agendaSaved');
  } }, h('fieldset', {}, h('legend', { t: 'addActivity' }), field('kind', addKind), field('prompt', addPrompt), h('button', { t: 'add' })));
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
      return h('div', { class: 'copy' }, field(labelKey, input), h('button', { type: 'button', t: 'copy', 'aria-describedby': `l${i}`, onclick: async () => {
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
