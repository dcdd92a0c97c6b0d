// Lean Coffee on the phone, for one's own table (the `table` frame): collect (add topics
// against a counter, delete one's own, merge one into another in two steps), vote (dots, blind
// until voting closes), discuss (the ranked topics, the current one big with its countdown,
// "Next topic", the thumbs vote on going on, action items with an owner) and done. The
// facilitator's page shows a table it steps into through table() with its own moves, and it
// and the projector count down with left().
import { h, field, say, named, errKey } from './ui.js';
import { t } from './i18n.js';
import { draft } from './socket.js';

let x; // from participant.js: {S, send, render, item, title, prompt, wait, counted}
let merging = null; // the topic whose "Merge" asks for the topic to merge it into
let keep = {}; // the text boxes of this table, kept across re-renders

export const bind = (ctx) => { x = ctx; };

// The server's clock as the last frame told it, so a phone with a wrong clock counts right:
// taken from each frame (or welcome view) once, when it comes.
let skew = 0;
const told = new WeakSet();
export const clocked = (m) => { if (m && !told.has(m)) { told.add(m); skew = m.now - performance.now(); } };
export const mmss = (ms, s = Math.max(0, Math.ceil(ms / 1000))) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
// A countdown to `end` (server ms), kept going by the tick, not by re-rendering.
const tick = (el) => {
  const now = `${el.dataset.key ? `${t(el.dataset.key)} ` : ''}${mmss(el.dataset.end - performance.now() - skew)}`;
  if (el.textContent !== now) el.textContent = now;
  return el;
};
export const left = (end, key) => tick(h('p', { class: 'timer', role: 'timer', 'data-end': end, 'data-key': key }));
setInterval(() => document.querySelectorAll('[data-end]').forEach(tick), 250);

// A table in brief, as the hall sees it (the projector, the facilitator): its name, the topic
// discussed now, the time left and whether it is voting on going on; and the hall's most-dotted
// topics.
export const brief = (s, H) => [h(H, {}, tableName(s)), h('p', { class: 'text' }, s.current || h('span', { t: s.finished ? 'ph_done' : 'lcNotYet' })),
  h('div', { class: 'meta' }, s.ends && !s.finished && left(s.ends), s.voting && h('span', { class: 'badge', t: 'lcVoting' }))];
export const top = (list) => h('ol', { class: 'lctop' }, list.map((o) => h('li', {},
  h('span', { class: 'text' }, o.text), h('span', { class: 'from' }, tableName(o)), h('span', { class: 'stars', t: ['lcDots', { n: o.dots }] }))));

const focus = (k) => {
  const el = document.querySelector(`#view [data-k="${CSS.escape(k)}"]`);
  el?.focus();
  return el;
};
const who = (p) => ({ inLang: () => p.name || t('axSomeone') });
export const tableName = (T) => T.table || t('lcAll');
const outcome = (T) => (T.last_vote.extended ? ['lcExtended', { time: mmss(1000 * T.seconds) }] : ['lcMovedOn']);
const current = (T) => T.topics.find((p) => p.id === T.current);

// Sends; `done` runs on the ack before the view is drawn again. A refusal is said at once and
// shown (`stale`, the table had moved on already: politely).
async function act(c, type, fields, done) {
  try {
    const ack = await c.send(type, fields);
    done?.();
    return ack;
  } catch (e) {
    if (e.code === 'stale') say(t('lcStale')); else c.fail(e.code);
    return null;
  } finally { c.render(); }
}

// What changed at the table, said once: others' new topics, the topic now discussed, the thumbs
// vote opening (it gets focus unless someone is typing) and how it ended.
export function frame(m) {
  const was = x.S.table;
  clocked(m);
  x.S.table = m;
  if (!was) return;
  const fresh = m.topics.filter((p) => !p.mine && !was.topics.some((o) => o.id === p.id));
  if (fresh.length && x.S.activity.phase === 'collect') say(fresh.map((p) => t('lcSayNew', p)).join(' '));
  if (m.vote && !was.vote) {
    say(t('lcThumbsQ'));
    queueMicrotask(() => document.activeElement.matches('input, textarea, select') || focus('lcv'));
  }
  if (!m.vote && was.vote && m.last_vote) say(t(...outcome(m)));
  if (m.current !== was.current && current(m)) say(t('lcSayNow', current(m)));
}

export function view(a) {
  const T = x.S.table;
  clocked(T);
  const c = { T, it: x.item(), index: a.index, phase: a.phase, render: x.render,
    send: (type, fields) => { x.S.flash = null; return x.send(type, fields); },
    fail: (code) => { x.S.flash = code; say(t(errKey(code)), true); } };
  return [T?.table && h('p', { class: 'eyebrow', t: ['lcAt', { table: T.table }] }), x.title(`lcT_${a.phase}`), x.prompt(),
    T ? [a.phase === 'collect' && adder(c), table(c), /collect|vote/.test(a.phase) && x.wait(`lcWait_${a.phase}`)] : x.wait('lcNoTable')];
}

// One table in its phase, for its members or (c.fac) a facilitator: {T, it, index, phase, fac,
// send, fail, render}.
export function table(c) {
  const { T, phase } = c;
  const H = c.fac ? 'h4' : 'h2';
  fresh(c);
  if (phase !== 'discuss') {
    return [phase === 'vote' && !c.fac && [h('p', { class: 'big', t: ['lcDotsLeft', { n: T.dots_left ?? c.it.dots }] }), h('p', { class: 'hint', t: 'lcBlind' })],
      topics(c, H), phase === 'done' && items(c, H)];
  }
  const now = current(T);
  const V = T.vote;
  return [
    V && h('section', { class: 'thumbs', 'aria-labelledby': 'lcq', 'data-k': 'lcv', tabindex: -1 },
      h(H, { id: 'lcq', t: 'lcThumbsQ' }), left(V.closes, 'lcCloses'),
      c.fac ? h('p', { t: ['lcTally', V] }) : h('div', { class: 'row' }, ['up', 'sideways', 'down'].map((v) =>
        h('button', { class: `th-${v}`, 'data-k': v, 'aria-pressed': `${V.mine === v}`, onclick: async () => {
          if (await act(c, 'thumb', { vote: v })) say(t('lcChose', { v: t(`lcTh_${v}`) }));
        } }, h('span', { 'aria-hidden': 'true' }, v === 'down' ? '👎' : '👍'), h('span', { t: `lcTh_${v}` })))),
      h('p', { class: 'hint', t: ['lcVoted', { n: V.up + V.sideways + V.down, of: V.voters }] })),
    now ? [h('p', { class: 'muted', t: 'lcNow' }), h('p', { class: 'card' }, now.text), T.ends && !V && left(T.ends, 'timeLeft')]
      : T.finished && h('p', { class: 'big', t: 'lcAllDone' }),
    T.last_vote && !V && h('p', { class: 'ok', t: outcome(T) }),
    h('div', { class: 'row' }, T.current && h('button', { class: 'primary', 'data-k': 'lcnext', t: 'lcNext',
      onclick: () => act(c, 'topic.next', { from: T.current, table: c.fac ? T.table : undefined }) }),
    c.fac && T.current && [h('button', { 'data-k': 'lcext', t: 'lcExtend', onclick: async () => { if (await act(c, 'topic.extend', { table: T.table })) say(t('lcOk')); } }),
      h('button', { 'data-k': 'lcrs', t: 'lcReset', onclick: async () => { if (await act(c, 'timebox.reset', { table: T.table })) say(t('lcOk')); } })]),
    T.current && adding(c), items(c, H), topics(c, H),
  ];
}

function topics(c, H) {
  const { T, phase } = c;
  const ranked = /discuss|done/.test(phase);
  const most = Math.min(c.it.max_dots_per_topic || c.it.dots, c.it.dots);
  return [h(H, { t: [ranked ? 'lcRanked' : 'lcTopicsN', { n: T.topics.length }] }), !T.topics.length ? h('p', { class: 'muted', t: 'lcNoTopics' })
    : h(ranked ? 'ol' : 'ul', { class: 'notes lc' }, T.topics.map((p, i) => {
      const mine = p.my_dots || 0;
      const full = !T.dots_left || mine >= most;
      const dot = async (n) => { if (await act(c, 'dots.set', { topic: p.id, count: n })) say(t('lcDotsLeft', { n: x.S.table.dots_left })); };
      return h('li', { class: p.id === T.current && 'now' },
        h('p', { class: 'text' }, ranked && h('span', { class: 'rank' }, `#${i + 1} `), p.text),
        p.merged && h('p', { class: 'hint' }, h('span', { t: 'lcAlso' }), ` ${p.merged.join(' · ')}`),
        h('p', { class: 'meta muted' }, [p.mine && 'lcYours', p.dots != null && ['lcDots', { n: p.dots }], p.discussed && 'lcDiscussed',
          p.extended && ['lcExt', { n: p.extended }], p.id === T.current && 'lcNow'].filter(Boolean).map((k) => h('span', { t: k }))),
        phase === 'vote' && !c.fac && h('div', { class: 'row dots' },
          h('button', { 'data-k': `-${p.id}`, 'aria-disabled': `${!mine}`, label: named('lcLess', p.text), onclick: () => mine && dot(mine - 1) }, '−'),
          h('span', { t: ['lcMine', { n: mine }] }),
          h('button', { 'data-k': `+${p.id}`, 'aria-disabled': `${full}`, label: named('lcMore', p.text), onclick: () => full || dot(mine + 1) }, '+')),
        merging === p.id ? mergeInto(c, p) : h('div', { class: 'row' },
          (phase === 'collect' || (c.fac && phase === 'vote')) && T.topics.length > 1
            && h('button', { 'data-k': `m${p.id}`, t: 'lcMerge', label: named('lcMerge', p.text), onclick: () => { merging = p.id; c.render(); focus(`q${p.id}`); } }),
          phase === 'collect' && p.mine && !p.merged && h('button', { 'data-k': `d${p.id}`, t: 'noteDelete', label: named('noteDelete', p.text),
            onclick: async () => { if (await act(c, 'topic.delete', { topic: p.id })) { say(t('lcDeleted')); focus('lct'); } } })),
        c.remove?.('topic', p.id, p.text));
    }))];
}

// The second step of a merge: the topic to merge `p` into, or cancel (also with Escape).
function mergeInto(c, p) {
  const done = (k) => { merging = null; c.render(); focus(k); };
  return h('div', { class: 'confirm', role: 'group', tabindex: -1, 'data-k': `q${p.id}`, 'aria-labelledby': `q${p.id}h`, onkeydown: (e) => e.key === 'Escape' && done(`m${p.id}`) },
    h('p', { id: `q${p.id}h`, t: ['lcMergeQ', p] }),
    h('div', { class: 'row' }, c.T.topics.filter((o) => o.id !== p.id).map((o) => h('button', { 'data-k': `i${o.id}`, label: named('lcInto', o.text), onclick: async () => {
      merging = null;
      if (await act(c, 'topic.merge', { topic: p.id, into: o.id })) { say(t('lcMerged', o)); focus(`m${o.id}`) || focus('lct'); }
    } }, o.text)), h('button', { 'data-k': `n${p.id}`, t: 'cancel', onclick: () => done(`m${p.id}`) })));
}

// The text boxes belong to one table in one activity.
const fresh = (c) => { if (keep.of !== `${c.index}/${c.T.table}`) keep = { of: `${c.index}/${c.T.table}` }; };

// A new topic, against max_chars (the counter) and max_topics (how many are left).
function adder(c) {
  fresh(c);
  const n = c.it.max_topics - c.T.topics.filter((p) => p.mine).length;
  if (!keep.add) {
    const area = h('textarea', { id: 'lct', 'data-k': 'lct', rows: 3, value: draft('lct', c.index) });
    const count = h('p', { class: 'count', id: 'lctc' });
    const button = h('button', { class: 'primary', t: 'lcAdd' });
    const form = h('form', { onsubmit: async (e) => {
      e.preventDefault();
      button.disabled = true;
      if (await act(c, 'topic.add', { text: area.value.trim() }, () => { area.value = ''; })) say(t('lcAdded'));
    } }, field('lcTopic', area), count, button);
    form.update = x.counted(area, count, button);
    area.oninput = form.update;
    keep.add = form;
  }
  keep.add.update();
  return [n > 0 && keep.add, h('p', { class: 'hint', t: ['lcLeft', { n: Math.max(0, n), max: c.it.max_topics }] })];
}

// An action item on the topic now discussed, with an owner from the table if one is chosen.
function adding(c) {
  const input = keep.item ||= h('input', { id: 'lci', 'data-k': 'lci', maxlength: c.it.max_chars });
  const owner = h('select', { id: 'lco', 'data-k': 'lco', onchange: () => { keep.owner = owner.value; } },
    h('option', { value: '', t: 'lcNobody' }), c.T.members.map((p) => h('option', { value: p.pid }, p.name || `${t('axSomeone')} (${p.pid})`)));
  owner.value = keep.owner || '';
  return h('form', { onsubmit: async (e) => {
    e.preventDefault();
    const fields = { text: input.value.trim(), owner: owner.value || undefined, table: c.fac ? c.T.table : undefined };
    if (await act(c, 'item.add', fields, () => { input.value = ''; })) say(t('lcItemAdded'));
  } }, field('lcItem', input), field('lcOwner', owner), h('button', { 'data-k': 'lcia', t: 'lcAddItem' }));
}

function items(c, H) {
  const list = c.T.items || [];
  return [h(H, { t: ['lcItemsN', { n: list.length }] }), list.length > 0 && h('ul', { class: 'notes' }, list.map((i) => h('li', {},
    h('p', { class: 'text' }, i.text),
    h('p', { class: 'meta muted' }, h('span', { t: i.owner ? ['lcOwnerIs', { name: who(i.owner) }] : 'lcNobody' }), h('span', {}, current({ ...c.T, current: i.topic })?.text)),
    (i.mine || c.fac) && h('button', { 'data-k': `x${i.id}`, t: 'noteDelete', label: named('noteDelete', i.text),
      onclick: async () => { if (await act(c, 'item.delete', { item: i.id })) { say(t('lcItemDeleted')); focus('lci'); } } }))))];
}
