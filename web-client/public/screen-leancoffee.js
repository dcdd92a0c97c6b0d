// Lean Coffee on the projector: while topics are written and dotted, what to do and the hall's
// counts; from discussion on, the hall's most-dotted topics and every table (its current topic,
// time left, a thumbs vote open), a screenful at a time (screen.js pages them like the poster).
// A `tables` frame that changes neither which tables there are nor the top topics is shown in
// place, so the pages keep turning.
import { h } from './ui.js';
import { brief, top, clocked } from './participant-leancoffee.js';

export const busy = (S) => /discuss|done/.test(S.activity.phase) && S.hall?.tables.length > 0;
export const paged = (S) => busy(S) && [S.hall.tables, card];
export const card = (s) => h('div', { class: 'lct', role: 'listitem', 'data-table': s.table }, brief(s, 'h3'));

const names = (H) => JSON.stringify([H?.tables.map((s) => s.table), H?.top]);
export function frame(m, S) {
  if (m.type !== 'tables') return false;
  clocked(m);
  const same = names(S.hall) === names(m);
  S.hall = m;
  if (!busy(S)) return true;
  if (!same) return false;
  document.querySelectorAll('.stage [data-table]').forEach((el) => el.replaceChildren(...brief(m.tables.find((s) => s.table === el.dataset.table), 'h3')));
  return true;
}

export function body(S, live, pager) {
  const { phase } = S.activity;
  clocked(S.hall);
  if (!busy(S)) return [h('p', { class: 'big', t: phase === 'lobby' ? 'screen_lobby' : `lcScr_${phase}` }), live];
  const tables = pager(['lcTablesN', { n: S.hall.tables.length }], 'lcs');
  if (S.hall.top?.length) tables.prepend(h('section', { 'aria-labelledby': 'lth' }, h('h2', { id: 'lth', t: 'lcTop' }), top(S.hall.top.slice(0, 3))));
  return [h('h1', { class: 'sr', t: `lcT_${phase}` }), tables];
}

export const counts = (phase, p = {}) => h('p', { class: 'count', t: phase === 'collect' ? ['lcScrTopics', p] : phase === 'vote' && ['lcScrVoters', p] });
