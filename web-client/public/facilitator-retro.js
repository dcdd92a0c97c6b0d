// The retrospective on the facilitator's page: what "next" and "back" do in lobby → collect →
// vote (only with dots) → done, the hall's counts, the settings line, and the board to
// moderate: each column with its notes and their dots (the facilitator sees the blind vote
// live), each note's "Hide" or "Show again" and "Remove the author" (facilitator.js toggle and
// removal, `participant.remove {retro}`). facilitator.js asks for
// these by kind; frame() keeps the board (merged by socket.js) in S.retro, beside
// welcome.view.retro, and board() shows it.
import { h } from './ui.js';

let x; // from facilitator.js: {S, send, fail, render (the board)}

export const bind = (ctx) => { x = ctx; };
export const boardTitle = 'rtBoardTitle';

export const nextLabel = (a, it) => ({ lobby: 'rtNextCollect', collect: it.dots ? ['rtNextVote', { label: it.columns[it.vote_column] }] : 'rtNextDone',
  vote: 'rtNextResult' })[a.phase];

// [button, question asked first] or nothing.
export const backLabel = (a, it) => ({ vote: ['rtBackCollect', 'rtBackCollectQ'],
  done: it.dots ? ['rtBackVote', 'rtBackVoteQ'] : ['rtBackCollect', 'rtBackCollectQ'] })[a.phase] || null;

const item = () => x.S.session.agenda[x.S.activity.index];

export const stats = (p, stat) => p && [p.notes.map((n, c) => stat(['rtIn', { label: item().columns[c] }], n)),
  stat('rtWriters', p.writers), p.voters > 0 && stat('rtVoters', p.voters)];

export const settings = (it) => [it.dots ? 'rtSettingsDots' : 'rtSettings', { ...it, columns: it.columns.join(' / '), label: it.columns[it.vote_column] }];

export function frame(m) {
  if (m.type !== 'retro') return false;
  x.S.retro = m.notes;
  return true;
}

// The columns as the hall sees them, with the dots on the vote column's notes where there is a
// vote (ordered by them once it has opened), then the hidden notes. A note's "Hide" or "Show
// again" keeps its data-k as it moves between the lists, so focus stays on it.
export function board(toggle, removal) {
  const it = item();
  const notes = x.S.retro || [];
  const row = (n) => h('li', {}, h('span', { class: 'text' }, n.text),
    it.dots > 0 && n.column === it.vote_column && h('span', { class: 'muted', t: ['rtDots', { n: n.dots || 0 }] }), toggle(n.id, n.text, n.hidden, 'retro.hide', { note: n.id }), removal('retro', n.id, n.text));
  const hidden = notes.filter((n) => n.hidden);
  return [h('div', { class: 'poster' }, it.columns.map((label, c) => {
    let list = notes.filter((n) => !n.hidden && n.column === c);
    if (it.dots && c === it.vote_column && /vote|done/.test(x.S.activity.phase)) list = [...list].sort((p, q) => (q.dots || 0) - (p.dots || 0));
    return h('div', { class: 'group' }, h('h3', {}, label, ` (${list.length})`),
      list.length ? h('ul', { class: 'wall-list' }, list.map(row)) : h('p', { class: 'muted', t: 'noNotes' }));
  })), hidden.length > 0 && [h('h3', { t: 'hiddenTitle' }), h('ul', { class: 'wall-list' }, hidden.map(row))]];
}
