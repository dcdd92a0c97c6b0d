// The retrospective on the projector: in the lobby, that it starts soon; then the columns side
// by side, live, each note as it comes (without names), the dots only once the vote has
// closed, and then the vote column ordered by them. screen.js asks for these by kind, as for
// the micro-actions; frame() keeps the board (merged by socket.js) in S.retro, beside
// welcome.view.retro, and busy() puts the page into the one-screenful layout from collect on.
// The board pages itself (no paged(): screen.js's pages cut one list, the board has columns):
// a column too long for the screen shows a screenful at a time, all turning together every
// 12 s (Pause stops it, as prefers-reduced-motion does from the start), and a board that fits
// grows to fill the screen.
import { h, tx } from './ui.js';

const TURN_MS = 12000;
const pages = { at: 0, cuts: [], n: 1, paused: matchMedia('(prefers-reduced-motion: reduce)').matches, timer: null };
let seen = {}; // {of: activity, ids}: the notes shown before, so only new ones arrive
const pageOf = h('p');
const pause = h('button', { class: 'link', 'data-k': 'rpause', t: 'scrPause', onclick: () => {
  pages.paused = !pages.paused;
  cycle();
} });
const turn = (by) => () => show(pages.at + by);
const pager = h('div', { class: 'pager' }, pageOf,
  h('button', { class: 'link', 'data-k': 'rprev', label: 'scrPrev', onclick: turn(-1) }, '‹'), pause,
  h('button', { class: 'link', 'data-k': 'rnext', label: 'scrNext', onclick: turn(1) }, '›'));
addEventListener('resize', () => layout());

export const busy = (S) => S.activity.phase !== 'lobby';

export function frame(m, S) {
  if (m.type === 'retro') S.retro = m.notes;
}

export function body(S, live) {
  const a = S.activity;
  const it = S.session.agenda[a.index];
  if (!busy(S)) return [h('p', { class: 'big', t: 'screen_lobby' }), live];
  const notes = (S.retro || []).filter((n) => !n.hidden);
  const before = seen.of === a.index ? seen.ids : null;
  seen = { of: a.index, ids: new Set(notes.map((n) => n.id)) };
  const ranked = a.phase === 'done' && it.dots > 0;
  const label = it.columns[it.vote_column];
  queueMicrotask(layout);
  return [h('h1', { class: 'sr', t: `ph_${a.phase}` }),
    h('div', { class: 'rboard' },
      h('div', { class: 'rtop' }, h('p', { class: 'big', t: { collect: 'rtScrCollect', vote: ['rtScrVote', { label }] }[a.phase] || 'rtDoneTitle' }), live, pager),
      h('div', { class: 'rcols' }, it.columns.map((name, c) => {
        let list = notes.filter((n) => n.column === c);
        const vote = ranked && c === it.vote_column;
        if (vote) list = [...list].sort((p, q) => (q.dots || 0) - (p.dots || 0));
        return h('section', { class: 'rcol', 'aria-labelledby': `rs${c}` }, h('h2', { id: `rs${c}` }, name, h('span', { class: 'n' }, ` ${list.length}`)),
          h(vote ? 'ol' : 'ul', {}, list.map((n) => h('li', { class: before && !before.has(n.id) && 'new' }, n.text,
            vote && h('span', { class: 'stars' }, h('span', { 'aria-hidden': 'true' }, ` ● ${n.dots || 0}`), h('span', { class: 'sr', t: ['rtDots', { n: n.dots || 0 }] }))))));
      })))];
}

// Counts while the phones write and vote.
export const counts = (phase, p = {}) => [phase === 'collect' && h('p', { class: 'count', t: ['rtScrWriters', { n: p.writers || 0 }] }),
  phase === 'vote' && h('p', { class: 'count', t: ['rtScrVoters', { n: p.voters || 0 }] })];

// Cuts each column into pages of what fits its box (in the projector layout, app.css; else the
// page grows with the board and there is one page), then shows the page it was on.
function layout() {
  const board = document.querySelector('.rcols');
  if (!board) return cycle();
  const lists = [...board.querySelectorAll('ul, ol')];
  board.style.fontSize = '';
  lists.forEach((list) => [...list.children].forEach((li) => { li.hidden = false; }));
  const fixed = getComputedStyle(lists[0]).overflowY === 'hidden';
  const fits = () => lists.every((list) => list.scrollHeight <= list.clientHeight + 1) && board.scrollWidth <= board.clientWidth + 1;
  if (fixed && fits()) { // one page: as large as fits, to be read from the back of the hall
    let [lo, hi] = [parseFloat(getComputedStyle(board).fontSize), Math.min(innerHeight / 12, innerWidth / 24)];
    for (let i = 0; i < 8 && hi > lo; i++) {
      const mid = (lo + hi) / 2;
      board.style.fontSize = `${mid}px`;
      if (fits()) lo = mid; else hi = mid;
    }
    board.style.fontSize = `${lo}px`;
  }
  pages.cuts = lists.map((list) => {
    const cuts = [0];
    let top = list.getBoundingClientRect().top;
    if (fixed) [...list.children].forEach((li, i) => {
      const box = li.getBoundingClientRect();
      if (i > cuts.at(-1) && box.bottom - top > list.clientHeight + 1) { cuts.push(i); top = box.top; }
    });
    return cuts;
  });
  pages.n = Math.max(...pages.cuts.map((cuts) => cuts.length));
  show(pages.at);
}

// Shows page `at` of the board: page at mod n of each column that has n pages.
function show(at) {
  const lists = [...document.querySelectorAll('.rcols ul, .rcols ol')];
  pages.at = ((at % pages.n) + pages.n) % pages.n;
  lists.forEach((list, i) => {
    const cuts = pages.cuts[i] || [0];
    const page = pages.at % cuts.length;
    [...list.children].forEach((li, j) => { li.hidden = j < cuts[page] || j >= (cuts[page + 1] ?? Infinity); });
  });
  tx(pageOf, ['scrPageOf', { page: pages.at + 1, pages: pages.n }]);
  pager.classList.toggle('single', pages.n === 1);
  cycle();
}

// Turns the page every TURN_MS unless paused; a new note does not hold the clock back.
function cycle() {
  pause.setAttribute('aria-pressed', pages.paused);
  const turning = !pages.paused && pages.n > 1 && pager.isConnected;
  if (!turning) pages.timer = clearInterval(pages.timer);
  else pages.timer ||= setInterval(() => show(pages.at + 1), TURN_MS);
}
