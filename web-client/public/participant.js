// /j/{code}: the participant's phone. Check the code and show the session's title, join, then
// write a card, score the card in hand each round, see how yours did; or write alone, find
// your group by its label, star the best notes, edit or delete your own while their level is
// open, and see your group's starred notes and the hall's at the poster.
// All state comes from the server (welcome.view), so a reload loses nothing; the phone keeps
// only which group notes it wrote, since the group frame does not say who wrote a note.
import { h, header, fill, say, clock, field, errKey, points, titled, named, phase } from './ui.js';
import { t, lang, setLang } from './i18n.js';
import { follow, saved, draft } from './socket.js';

// The methods with a module of their own, by agenda kind, and the frames each one takes. A
// module is fetched when its activity first shows (joining needs none of them, and each is a
// request a phone on a crowded network waits for); frames that come before it are kept in order
// and given to it once it is there.
const modules = { actions: 'participant-actions.js', leancoffee: 'participant-leancoffee.js', retro: 'participant-retro.js' };
const frames = { action: 'actions', wall: 'actions', table: 'leancoffee', retro: 'retro' };
const kinds = {}; // kind → its module, once loaded
const waiting = {}; // kind → the frames that came before its module
const fetching = {};

let root;
let code;
let sock;
const S = {};
let boxes = {}; // the card and note fields of this activity live across re-renders
let fresh = false; // a join without resume: an open round then means "joined late"
let editing = null; // {id, form} while a note is edited, {id} while its deletion is asked

// The session's language, unless the person chose one; the header's switch stores theirs,
// which then wins.
function speak(language) {
  if (!language || language === lang() || localStorage.getItem('lapp.lang')) return;
  setLang(language, { remember: false });
}

export async function start(el, joinCode) {
  root = el;
  code = joinCode;
  header([]);
  const me = saved(code);
  if (me && me.resume) return go(me);
  fill(root, h('p', { t: 'checkingCode' }));
  // An unknown code is told before anyone types a name; if the lookup cannot answer, the
  // join itself will tell.
  const response = await fetch(`/api/sessions/${code}`).catch(() => null);
  const found = response?.ok ? await response.json().catch(() => null) : null;
  if (response?.status === 404) {
    titled(['unknownCode', { code }]);
    say(t('unknownCode', { code }), true);
    return fill(root, [h('h1', { t: ['unknownCode', { code }] }), h('p', { t: 'unknownHint' }), h('p', {}, h('a', { href: '/', t: 'toHome' }))]);
  }
  if (response?.status === 429) {
    say(t('lookupBusy'), true);
    return fill(root, [h('h1', { t: 'lookupBusy' }),
      h('button', { class: 'primary', 'data-k': 'again', t: 'lookupAgain', onclick: () => start(el, joinCode) })]);
  }
  speak(found?.language);
  titled(['join'], ['roleParticipant'], found?.title);
  const name = h('input', { id: 'name', autocomplete: 'nickname', maxlength: 40 });
  const zone = h('input', { id: 'zone', maxlength: 40 });
  fill(root, [found?.title ? [h('h1', { t: ['joinTitled', found] }), h('p', { class: 'muted', t: ['codeIs', { code }] })]
    : h('h1', { t: ['joinHeading', { code }] }),
  h('form', { onsubmit: (e) => { e.preventDefault(); go({ name: name.value.trim(), zone: zone.value.trim() }); } },
    // A session that names people (or names nobody) asks for no name.
    (!found?.names || found.names === 'free') ? field('nameLabel', name) : h('p', { class: 'hint', t: `names_${found.names}` }),
    field('zoneLabel', zone, 'zoneHint'), h('button', { class: 'primary', t: 'join' }))]);
}

function go(who) {
  fresh = !who.resume;
  if (fresh) localStorage.removeItem(`lapp.n.${code}`); // a new participant has written nothing
  fill(root, h('p', { t: 'connecting' }));
  // An open note editor is not kept over an upgrade's reload (the new boxes are): wait for it.
  sock = follow(root, { code, role: 'participant', ...who }, { welcome, frame, replaced, busy: () => !!editing }, S);
}

// Fetches a method's module (once; again after a failure, a moment later), then hands it the
// frames that came meanwhile and shows it.
function need(kind) {
  if (kinds[kind] || fetching[kind]) return;
  fetching[kind] = true;
  import(`./${modules[kind]}`).then((module) => {
    module.bind({ S, send: (type, fields) => sock.send(type, fields), render, item, title, prompt, wait, counted, code });
    kinds[kind] = module;
    (waiting[kind] || []).forEach((m) => module.frame(m));
    delete waiting[kind];
    render();
  }, () => setTimeout(() => { fetching[kind] = false; need(kind); }, 2000));
}

function replaced() {
  titled(['replaced']);
  say(t('replaced'));
  fill(root, [h('h1', { t: 'replaced' }),
    h('button', { class: 'primary', t: 'useHere', onclick: () => { fill(root, []); sock.reopen(); } })]);
}

// welcome.view.poster is the poster's groups (the phone's own group); top, the hall's best,
// may come beside it or inside an object.
const posterOf = (p, top) => (p == null ? null : Array.isArray(p) ? { groups: p, top } : { groups: p.groups || [], top: p.top || top });

function welcome(w) {
  const v = w.view;
  const a = S.activity;
  speak(w.session.language);
  if (fresh && a?.phase === 'round' && !v.hand?.card) S.lateIn = a.round;
  if (fresh) say(t('welcome'));
  fresh = false;
  Object.assign(S, { you: w.you, mine: v.mine, hand: v.hand, results: v.results, reveal: v.reveal, group: v.group, notes: v.notes || [],
    poster: posterOf(v.poster, v.top), flash: null, action: v.action, wall: v.wall, table: v.table, retro: v.retro, followUp: w.follow_up });
  if (v.notes) v.notes.forEach((note) => wrote(note.id, 0));
  render();
}

function frame(m, news) {
  const { type } = m;
  if (type === 'activity') {
    // A new activity, or this one reset to its lobby: nothing shown of it before stays.
    if (news === 'activity' || (news && m.phase === 'lobby')) Object.assign(S, { mine: null, hand: null, results: null, reveal: null, group: null, notes: [], poster: null, lateIn: null, before: null, action: null, wall: null, table: null, retro: null });
    if (S.group && S.group.level !== m.level) Object.assign(S, { before: S.group.label, group: null });
    editing = null;
    S.flash = S.ranked = null;
    render();
    return say([...root.querySelectorAll('.eyebrow, h1')].map((el) => el.textContent).join(': '));
  }
  told(m);
  if (type === 'mine') S.mine = m.card;
  else if (type === 'results') S.results = m.yours;
  else if (type === 'reveal') S.reveal = m.count ? m : null;
  else if (type === 'error') S.flash = m.code;
  else if (type === 'poster') S.poster = posterOf(m.groups, m.top);
  else if (frames[type] && kinds[frames[type]]) kinds[frames[type]].frame(m);
  else if (frames[type]) {
    (waiting[frames[type]] ||= []).push(m);
    need(frames[type]);
  }
  else if (type === 'hand' || type === 'group') S[type] = m;
  else if (type === 'notes' && S.group?.id === m.group) S.group = { ...S.group, notes: noted(S.group.notes, m) };
  render(); // also for `agenda`: socket.js has put the new agenda into S.session
  if (type === 'hand' && !m.card) say(root.querySelector('.late')?.textContent || t('saySitOut', m));
}

// A group's notes after a `notes` frame: each note in place of the one of its id, or, new, at
// the end; the removed ones gone.
function noted(notes, m) {
  const gone = new Set(m.removed || []);
  const fresh = new Map(m.notes.map((n) => [n.id, n]));
  const kept = notes.filter((n) => !gone.has(n.id)).map((n) => fresh.get(n.id) || n);
  return [...kept, ...m.notes.filter((n) => !notes.some((o) => o.id === n.id))];
}

// What a frame changes for this person, said once: the card in hand, the group (and its
// growing), the top cards as they are revealed, their own card's rank, an error.
function told(m) {
  const { type } = m;
  const was = { hand: S.hand, group: S.group, reveal: S.reveal }[type];
  const size = { n: m.members?.length, label: m.label };
  if (type === 'hand' && m.card && (was?.round !== m.round || was.card?.id !== m.card.id)) say(t('sayCard', m.card));
  if (type === 'group' && was?.id !== m.id) say(m.level > 1 ? t('sayGrew', size) : `${t('sayGroup')} ${m.label}`);
  if (type === 'group' && was?.id === m.id && size.n > was.members.length) say(t('sayGrew', size));
  const e = m.entries?.[0];
  if (type === 'reveal' && e && (was?.count !== m.count || was.shown !== m.shown || was.entries[0]?.text !== e.text)) {
    say(t(m.shown ? 'sayShown' : 'sayTop', { ...e, n: m.entries.length }));
  }
  if (type === 'results' && JSON.stringify(m.yours) !== S.ranked) {
    S.ranked = JSON.stringify(m.yours);
    say(t(...(m.yours ? points(m.yours, item().rounds, 'yourResult') : [S.mine ? 'notRanked' : 'noCard'])));
  }
  if (type === 'error') say(t(errKey(m.code)), true);
}

async function ask(type, fields) {
  S.flash = null;
  try { return await sock.send(type, fields); } catch (e) {
    S.flash = e.code;
    say(t(errKey(e.code)), true);
    return null;
  } finally { render(); }
}

const item = () => S.session.agenda[S.activity.index];
const wait = (key, params) => h('p', { class: 'wait' }, h('span', { class: 'dot' }), h('span', { t: [key, params] }));
const title = (key, params) => h('h1', { t: [key, params] });
const prompt = () => h('p', { class: 'prompt' }, S.activity.prompt);
const focus = (k) => root.querySelector(`[data-k="${k}"]`)?.focus();

function render() {
  const a = S.activity;
  titled(a ? phase(a, S.session.agenda) : ['welcome'], ['roleParticipant'], S.session.title);
  fill(root, [
    S.flash && h('p', { class: 'error', t: errKey(S.flash) }),
    clock,
    !a ? [title('welcome'), S.you.name && h('p', { t: ['youAre', S.you] }), wait('waitStart')]
      : a.phase === 'lobby' ? [title('getReady'), prompt(), wait('waitWriting')]
      : kinds[a.kind] ? kinds[a.kind].view(a) : modules[a.kind] ? loading(a.kind)
      : a.kind === 'scoring' ? scoring(a) : grouping(a),
  ]);
}

function loading(kind) {
  need(kind);
  return [title('getReady'), wait('connecting')];
}

// Counts a text field against max_chars (read each time: the agenda can change) and says the
// count (politely) when it runs short; returns the function to call on every change.
function counted(area, count, button) {
  let quiet;
  area.setAttribute('aria-describedby', count.id);
  return () => {
    const max = item().max_chars;
    const n = [...area.value.trim()].length;
    count.textContent = n > max ? t('tooMany', { n: n - max }) : t('charCount', { n, max });
    count.classList.toggle('over', n > max);
    button.disabled = n > max || !n;
    clearTimeout(quiet);
    if (max - n < 20) quiet = setTimeout(() => say(count.textContent), 1000);
  };
}

// A text field for a new card or note; send(text, ack) runs once it is stored.
function textBox(id, labelKey, sendKey, send) {
  if (boxes.of !== S.activity.index) boxes = { of: S.activity.index };
  if (boxes[id]) return boxes[id];
  // What was typed here before the page reloaded for an upgrade (socket.js) comes back.
  const area = h('textarea', { id, 'data-k': id, rows: 4, value: draft(id, S.activity.index) });
  const count = h('p', { class: 'count', id: `${id}c` });
  const button = h('button', { class: 'primary', t: sendKey });
  const form = h('form', { onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    const text = area.value.trim();
    const ack = await ask(id === 'card' ? 'card.write' : 'note.add', { text });
    if (ack) send(text, ack);
    render();
  } }, field(labelKey, area), count, button);
  form.update = counted(area, count, button);
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
    h('p', { class: 'big', t: S.results ? points(S.results, item().rounds, 'yourResult') : S.mine ? 'notRanked' : 'noCard' }),
    h('h2', { t: 'topCards' }),
    top.length ? h('ol', { class: 'top' }, top.map((e) => h('li', {},
      h('span', { class: 'rank' }, `#${e.rank}`), h('span', { class: 'text' }, e.text), h('span', { class: 'muted', t: points(e, item().rounds) }))))
      : wait('waitReveal'),
  ];
}

function round(r, rounds) {
  const hand = S.hand && S.hand.round === r ? S.hand : {};
  const next = r < rounds ? wait('waitNextRound', { next: r + 1 }) : wait('waitResults', { round: r });
  if (!hand.card) {
    // Someone who came in after the hand-out, with every card already in a hand, is told why
    // there is nothing to score and when there will be.
    const late = S.lateIn === r && [h('p', { class: 'big', t: 'lateWelcome' }),
      h('div', { class: 'card empty late', t: [r < rounds ? 'lateJoin' : 'lateJoinLast', { round: r }] })];
    return [title('roundOf', { round: r, rounds }), late || h('div', { class: 'card empty', t: 'sitOut' }), next];
  }
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
    h('div', { class: 'scores', role: 'group', 'aria-labelledby': 'sq hand', 'aria-describedby': 'sh' }, [1, 2, 3, 4, 5].map((n) =>
      h('button', { class: 'score', 'aria-pressed': `${hand.score === n}`, 'data-k': `s${n}`, onclick: () => score(n) }, `${n}`))),
    h('p', { id: 'sh', class: 'hint scale' }, h('span', { t: 'scoreLow' }), h('span', { t: 'scoreHigh' })),
    h('p', hand.score && !hand.sending ? { class: 'ok scored', t: ['scored', hand] } : { class: 'hint', t: hand.sending ? 'sending' : 'notScored' }),
    next,
  ];
}

// 1-3-9

// The notes this phone wrote, per code and activity: {index: {note id: level}}, level 0 for
// notes written alone. Only a note of the open level can be edited or deleted.
const written = () => JSON.parse(localStorage.getItem(`lapp.n.${code}`) || '{}');
function wrote(id, level) {
  const all = written();
  (all[S.activity.index] ||= {})[id] = level;
  localStorage.setItem(`lapp.n.${code}`, JSON.stringify(all));
}
const openLevel = () => (S.activity.phase === 'solo' ? 0 : S.activity.level);

function grouping(a) {
  const sizes = item().sizes;
  if (a.phase === 'poster') return poster();
  const box = textBox('note', 'noteLabel', 'addNote', (text, ack) => {
    wrote(ack.note, openLevel());
    if (S.activity.phase === 'solo') S.notes.push({ id: ack.note, text, stars: 0 });
    box.area.value = '';
    say(t('noteAdded'));
  });
  box.update();
  if (a.phase === 'solo') return [title('ph_solo'), prompt(), h('p', { t: 'soloLead' }), notes(S.notes), box, wait('waitGroups', { size: sizes[0] })];
  const g = S.group;
  const l = a.level;
  // "About": groups are balanced, not exact, so a group of 9 may hold 6 or 11.
  const target = sizes.length > 1 ? ['levelAbout', { level: l, levels: sizes.length, size: sizes[l - 1] }] : ['groupsAbout', { size: sizes[l - 1] }];
  if (!g) return [title(...target), wait('waitGroup')];
  return [
    h('p', { class: 'eyebrow', t: target }), h('h1', { class: 'label', lang: S.session.language }, g.label), h('p', { t: 'findGroup' }),
    l > 1 && h('div', { class: 'grew' },
      h('p', { t: S.before ? ['grewFrom', { before: S.before, prev: l - 1 }] : ['grew', { prev: l - 1 }] }),
      h('p', { t: ['starsAgain', { prev: l - 1 }] })),
    h('h2', { t: ['groupCount', { n: g.members.length }] }),
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
  const ours = written()[S.activity.index] || {};
  return h('ul', { class: 'notes' }, list.map((note) => {
    const own = ours[note.id] === openLevel();
    if (own && editing?.id === note.id && editing.form) return h('li', {}, editing.form);
    return h('li', {},
      h('p', { class: 'text' }, note.text),
      own && h('p', { class: 'hint', t: 'yourNote' }),
      starring && h('div', { class: 'star' },
        h('button', { 'aria-pressed': `${mine.includes(note.id)}`, 'data-k': note.id, t: 'star', label: named('star', note.text),
          onclick: () => star(note.id, !mine.includes(note.id)) }),
        h('span', { class: 'muted', t: ['stars', { n: note.stars }] })),
      own && (editing?.id === note.id ? asking(note) : h('div', { class: 'row tools' },
        h('button', { 'data-k': `e-${note.id}`, t: 'noteEdit', label: named('noteEdit', note.text), onclick: () => {
          editing = { id: note.id, form: editor(note) };
          render();
          focus(`x-${note.id}`);
        } }),
        h('button', { 'data-k': `d-${note.id}`, t: 'noteDelete', label: named('noteDelete', note.text), onclick: () => {
          editing = { id: note.id };
          render();
          root.querySelector('.confirm').focus();
        } }))));
  }));
}

// Ends an edit or a deletion: the note in solo is only on this phone, so it changes here;
// at a level the server has already sent the group again.
function done(id, change, focusKey, said) {
  if (S.activity.phase === 'solo') S.notes = change(S.notes);
  editing = null;
  render();
  focus(focusKey);
  if (said) say(t(said));
}

function editor(note) {
  const area = h('textarea', { id: `x-${note.id}`, 'data-k': `x-${note.id}`, rows: 4, value: note.text });
  const count = h('p', { class: 'count', id: `xc-${note.id}` });
  const save = h('button', { class: 'primary', 'data-k': `v-${note.id}`, t: 'saveNote' });
  const cancel = () => done(note.id, (list) => list, `e-${note.id}`);
  const form = h('form', { class: 'edit', onsubmit: async (e) => {
    e.preventDefault();
    save.disabled = true;
    const text = area.value.trim();
    if (await ask('note.edit', { note: note.id, text })) done(note.id, (list) => list.map((n) => (n.id === note.id ? { ...n, text } : n)), `e-${note.id}`, 'noteSaved');
    else update();
  }, onkeydown: (e) => { if (e.key === 'Escape') cancel(); } },
  field('editNote', area), count, h('div', { class: 'row' }, save, h('button', { type: 'button', 'data-k': `c-${note.id}`, t: 'cancel', onclick: cancel })));
  const update = counted(area, count, save);
  area.oninput = update;
  update();
  return form;
}

function asking(note) {
  const del = async () => {
    if (await ask('note.delete', { note: note.id })) done(note.id, (list) => list.filter((n) => n.id !== note.id), 'note', 'noteDeleted');
  };
  const cancel = () => done(note.id, (list) => list, `d-${note.id}`);
  // data-k: a group frame arriving meanwhile re-renders, and focus must stay on the question.
  return h('div', { class: 'confirm', role: 'group', tabindex: -1, 'data-k': `q-${note.id}`, 'aria-labelledby': `q-${note.id}`,
    onkeydown: (e) => { if (e.key === 'Escape') cancel(); } },
  h('p', { id: `q-${note.id}`, t: 'deleteNoteQ' }),
  h('div', { class: 'row' }, h('button', { class: 'danger', 'data-k': `y-${note.id}`, t: 'deleteNoteYes', onclick: del }),
    h('button', { 'data-k': `n-${note.id}`, t: 'cancel', onclick: cancel })));
}

// The poster on the phone: its own group's starred notes, most stars first, then the hall's.
function poster() {
  const p = S.poster;
  if (!p) return [title('ph_poster'), h('p', { t: 'posterLead' })];
  const byStars = (list) => [...list].sort((x, y) => y.stars - x.stars);
  const ranked = (list) => h('ol', { class: 'top' }, list.map((n) => h('li', {},
    h('span', { class: 'rank' }, `#${1 + list.filter((o) => o.stars > n.stars).length}`), h('span', { class: 'text' }, n.text),
    h('span', { class: 'muted', t: ['stars', { n: n.stars }] }))));
  return [
    title('ph_poster'), h('p', { t: 'phonePosterLead' }),
    p.groups.length ? p.groups.map((g) => h('section', { class: 'mine-poster', 'aria-labelledby': `pg-${g.id}` },
      h('h2', { id: `pg-${g.id}` }, h('span', { t: 'yourGroup' }), ' ', h('span', { lang: S.session.language }, g.label)),
      g.notes.length ? ranked(byStars(g.notes)) : h('p', { class: 'muted', t: 'noStarred' })))
      : h('p', { class: 'muted', t: 'posterNoGroup' }),
    p.top && h('section', { 'aria-labelledby': 'ptop' }, h('h2', { id: 'ptop', t: 'hallTop' }),
      p.top.length ? ranked(byStars(p.top)) : h('p', { class: 'muted', t: 'noStarred' })),
  ];
}
