// Lean Coffee on the facilitator's page: what "next" and "back" do (lobby → collect → vote →
// discuss → done), the hall's counts, every table (its current topic, time left, a thumbs vote
// open), the hall's most-dotted topics once voting has closed, and "step in": one table as its
// members see it, dots shown, where the facilitator merges, moves on, extends, restarts the
// timer and adds action items. facilitator.js asks for these by kind.
import { h, named } from './ui.js';
import { table, brief, top, clocked, mmss, tableName } from './participant-leancoffee.js';

let x; // from facilitator.js: {S, send, fail, render (the board)}
let at = null; // the table stepped into, by name, in activity `of`
let of = null;

export const bind = (ctx) => { x = ctx; };
export const boardTitle = 'lcHall';

export const nextLabel = (a) => ({ lobby: 'lcNext_lobby', collect: 'lcNext_collect', vote: 'lcNext_vote', discuss: 'lcNext_discuss' })[a.phase];
export const backLabel = (a) => ({ vote: ['lcBack_vote', 'lcBack_voteQ'] })[a.phase] || null;

export const stats = (p, stat) => p && ['tables', 'topics', 'voters', 'dots', 'discussing', 'finished', 'items'].map((k) => stat(`lcStat_${k}`, p[k]));

export const settings = (it) => ['lcSettings', { ...it, boxes: (it.timeboxes || []).map((s) => mmss(1000 * s)).join(', ') }];

// The hall (`tables`) and each table as its members see it (`table`), kept in S.
export function frame(m) {
  const { S } = x;
  if (m.type === 'tables') S.hall = m;
  else if (m.type === 'table') S.tables = [...(S.tables || []).filter((o) => o.table !== m.table), m];
  else return false;
  clocked(m);
  return true;
}

const focus = (k) => setTimeout(() => document.querySelector(`#view [data-k="${CSS.escape(k)}"]`)?.focus());

export function board(toggle, removal) {
  const { S } = x;
  const a = S.activity;
  const H = S.hall || { tables: [] };
  if (of !== a.index) [at, of] = [null, a.index];
  clocked(S.hall);
  const T = at != null && (S.tables || []).find((o) => o.table === at);
  if (T) {
    return [h('button', { 'data-k': 'lcout', t: 'lcAllTables', onclick: () => { at = null; x.render(); focus(`in${T.table}`); } }),
      h('h3', { t: ['lcAt', { table: tableName(T) }] }),
      table({ T, it: S.session.agenda[a.index], index: a.index, phase: a.phase, fac: true, remove: removal, send: x.send, render: x.render, fail: x.fail })];
  }
  return [H.top?.length > 0 && [h('h3', { t: 'lcTop' }), top(H.top)], h('h3', { t: ['lcTablesN', { n: H.tables.length }] }),
    h('ul', { class: 'notes lch' }, H.tables.map((s) => h('li', {}, brief(s, 'h4'), h('p', { class: 'muted', t: ['lcBrief', s] }),
      h('button', { 'data-k': `in${s.table}`, t: 'lcStepIn', label: named('lcStepIn', tableName(s)), onclick: () => { at = s.table; x.render(); focus('lcout'); } }))))];
}
