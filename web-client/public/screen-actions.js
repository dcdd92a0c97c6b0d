// The micro-actions (#mikrohandling) on the projector: while writing, the question (screen.js
// shows it large) and how many have written; while pairing, how to find a buddy and how many
// pairs have; at the wall, the actions their writers chose to show, without names, a page at
// a time (screen.js pages them like the poster).
import { h } from './ui.js';
import { lang } from './i18n.js';

export function body(S, live, pager) {
  const phase = S.activity.phase;
  if (phase === 'wall') return [h('h1', { class: 'sr', t: 'ph_wall' }), S.wall?.length ? pager('actWallScreen', 'wall') : h('p', { class: 'big', t: 'scrActWallEmpty' })];
  // How to pair, as the phones say it: in the session's language, then the screen's if another.
  const said = S.session.language || lang();
  return [phase === 'pairing' ? [h('p', { class: 'big pairing', lang: said, t: `scrActPair_${said}` }), said !== lang() && h('p', { class: 'big', t: `scrActPair_${lang()}` })]
    : h('p', { class: 'big', t: phase === 'writing' ? 'scrActWriting' : 'screen_lobby' }), live];
}

// Counts in pairs while pairing: paired_chosen counts both people of each pair.
export const counts = (phase, p = {}) => [phase === 'writing' && h('p', { class: 'count', t: ['scrActWritten', { n: p.written || 0 }] }),
  phase === 'pairing' && h('p', { class: 'count', t: ['scrActPairs', { n: Math.floor((p.paired_chosen || 0) / 2) }] })];

export const card = (x) => h('div', { class: 'act', role: 'listitem' }, x.text);
