// /f/{code}#key=…: the facilitator's laptop. The key, from the address fragment, goes only
// into the join frame and the Authorization header. Invite, run the agenda (next phase,
// timer, reveal), watch progress and the leaderboard or poster, moderate, export, delete.
import { h, header, fill, say, clock, bar, phase, field, errKey, tx, gone } from './ui.js';
import { t } from './i18n.js';
import { follow } from './socket.js';

let code;
let key;
let sock;
const S = { hiddenNotes: new Map() };
const part = {}; // the sections, each re-rendered on its own frames
const flash = h('p', { class: 'error', role: 'alert' });

export function start(root, joinCode) {
  code = joinCode;
  key = new URLSearchParams(location.hash.slice(1)).get('key');
  header([]);
  if (!key) return gone(root, 'forbidden');
  for (const name of ['now', 'progress', 'board', 'agenda', 'boardTitle']) part[name] = h(name === 'boardTitle' ? 'h2' : 'div', { id: name });
  const section = (titleKey, ...kids) => h('section', { class: 'panel', 'aria-labelledby': `${titleKey}h` }, h('h2', { id: `${titleKey}h`, t: titleKey }), kids);
  sock = follow(root, { code, role: 'facilitator', key }, { welcome: (w) => {
    Object.assign(S, { progress: w.view.progress, board: w.view.leaderboard, poster: w.view.poster });
    fill(root, [h('h1', {}, w.session.title), h('p', { class: 'lead', t: 'facLead' }),
      h('div', { class: 'cols' },
        h('div', {}, section('nowTitle', part.now), section('progressTitle', part.progress),
          h('section', { class: 'panel', 'aria-labelledby': 'boardTitle' }, part.boardTitle, part.board)),
        h('div', {}, section('inviteTitle', invite()), section('agenda', part.agenda), section('dataTitle', data())))]);
    renderAll();
  }, frame }, S);
}

function renderAll() {
  renderNow();
  renderProgress();
  renderBoard();
  fill(part.agenda, h('ol', { class: 'agenda' }, S.session.agenda.map((it, i) => h('li', { class: S.activity?.index === i && 'running' },
    h('p', { class: 'eyebrow', t: `kind_${it.kind}` }), h('p', { id: `a${i}` }, it.prompt),
    h('p', { class: 'muted', t: it.sizes ? ['groupingSettings', { sizes: it.sizes.join('-') }] : ['scoringSettings', it] }),
    S.activity?.index === i ? h('p', { class: 'badge', t: 'running' })
      : h('button', { 'data-k': `a${i}`, 'aria-describedby': `a${i}`, t: 'startActivity', onclick: () => ask('activity.start', { index: i }) })))));
}

function frame(m, news) {
  if (news === 'activity') Object.assign(S, { board: null, poster: null, reveal: null });
  if (news) say(t(...phase(m, S.session.agenda)));
  if (m.type === 'progress') return renderProgress(S.progress = m);
  if (m.type === 'leaderboard') return renderBoard(S.board = m);
  if (m.type === 'poster') return renderBoard(S.poster = m.groups);
  if (m.type === 'reveal') S.reveal = m;
  if (m.type === 'error') flash.textContent = t(errKey(m.code));
  renderAll();
}

async function ask(type, fields) {
  flash.textContent = '';
  try { return await sock.send(type, fields); } catch (e) { flash.textContent = t(errKey(e.code)); return null; }
}

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
const count = num('rcount', 1000, 10);
const revealForm = h('form', { onsubmit: (e) => { e.preventDefault(); ask('reveal', { count: 1 * count.value }); } },
  h('fieldset', {}, h('legend', { t: 'revealTitle' }), field('top', count),
    h('div', { class: 'row' }, h('button', { class: 'primary', t: 'reveal' }),
      h('button', { type: 'button', t: 'clearScreen', onclick: () => ask('reveal', { count: 0 }) }))));
let revealFor = null;

function renderNow() {
  const a = S.activity;
  fill(part.now, (() => {
    if (!a) return h('p', { t: 'noActivity' });
    const it = S.session.agenda[a.index];
    const next = nextLabel(a, it);
    if (revealFor !== a.index) { revealFor = a.index; count.value = it.top; S.reveal = null; }
    return [
      h('p', { class: 'eyebrow', t: `kind_${a.kind}` }), h('p', { class: 'prompt' }, a.prompt),
      h('p', { class: 'phase', t: phase(a, S.session.agenda) }), clock,
      next ? h('button', { class: 'primary', 'data-k': 'next', t: next, onclick: () => ask('phase.next', {}) }) : h('p', { t: 'finished' }),
      flash, timerForm,
      a.phase === 'results' && [revealForm, h('p', { class: 'hint', t: S.reveal?.count ? ['revealShown', { n: S.reveal.count }] : 'revealNone' })],
    ];
  })());
}

// progress, leaderboard, poster

function renderProgress() {
  const p = S.progress;
  const stat = (labelKey, value) => value != null && h('div', { class: 'stat' }, h('dt', { t: labelKey }), h('dd', {}, `${value}`));
  fill(part.progress, [
    h('dl', { class: 'stats' }, stat('joined', p.participants), stat('connected', p.connected),
      S.activity?.kind === 'scoring' && stat('cards', p.cards), stat('groups', p.groups)),
    p.phase === 'round' && [h('p', { t: ['scoredOf', p] }), bar(p.scored, p.handed, 'scoredBar')],
    p.groups != null && [h('p', { t: ['starredOf', p] }), bar(p.groups_starred, p.groups, 'starredBar')],
  ]);
}

// A line of text with a button that acts on it (and is described by it).
const item = (id, text, extra, buttonKey, onclick, lead) => h('li', {}, lead, h('span', { class: 'text', id: `x${id}` }, text), extra,
  h('button', { 'data-k': `${buttonKey}${id}`, 'aria-describedby': `x${id}`, t: buttonKey, onclick }));

function renderBoard() {
  const grouping = S.activity?.kind === 'grouping';
  tx(part.boardTitle, [grouping ? 'ph_poster' : 'boardTitle']);
  const b = S.board || { entries: [] };
  const hideNote = async (id, text, hidden) => {
    if (await ask('note.hide', { note: id, hidden })) S.hiddenNotes[hidden ? 'set' : 'delete'](id, text);
    renderBoard();
  };
  const hidden = grouping ? [...S.hiddenNotes].map(([id, text]) => item(id, text, null, 'unhide', () => hideNote(id, text, false)))
    : (b.hidden || []).map((c) => item(c.id, c.text, null, 'unhide', () => ask('card.hide', { card: c.id, hidden: false })));
  fill(part.board, [
    !S.activity ? null
      : grouping ? (S.poster ? h('div', { class: 'poster' }, S.poster.map((g) => h('div', { class: 'group' }, h('h3', { lang: S.session.language }, g.label),
        h('ul', {}, g.notes.map((n) => item(n.id, n.text, h('span', { class: 'muted', t: ['stars', { n: n.stars }] }), 'hide', () => hideNote(n.id, n.text, true)))))))
        : h('p', { class: 'muted', t: 'posterLater' }))
        : b.entries.length ? h('ol', { class: 'board' }, b.entries.map((e) => item(e.card, e.text, h('span', { class: 'pts', t: ['points', e] }),
          'hide', () => ask('card.hide', { card: e.card, hidden: true }), h('span', { class: 'rank' }, `#${e.rank}`))))
          : h('p', { class: 'muted', t: 'boardEmpty' }),
    hidden.length > 0 && [h('h3', { t: 'hiddenTitle' }), h('ul', { class: 'hidden-list' }, hidden)],
  ]);
}

// invitation and data

function invite() {
  const links = [['linkParticipant', `${location.origin}/j/${code}`], ['linkScreen', `${location.origin}/screen/${code}`], ['linkFacilitator', location.href]];
  return [
    h('div', { class: 'invite' }, h('img', { class: 'qr', src: `/api/sessions/${code}/qr.svg`, width: 160, height: 160, alt: ['qrAlt', { code }] }),
      h('p', { class: 'code-big' }, h('span', { class: 'sr', t: 'codeWord' }), code)),
    links.map(([labelKey, url], i) => {
      const input = h('input', { id: `l${i}`, readonly: true, value: url });
      return h('div', { class: 'copy' }, field(labelKey, input), h('button', { type: 'button', t: 'copy', 'aria-describedby': `l${i}`, onclick: async () => {
        try { await navigator.clipboard.writeText(input.value); } catch { input.select(); document.execCommand('copy'); }
        say(t('copied'));
      } }));
    }),
  ];
}

function data() {
  const status = h('p', { role: 'status' });
  const auth = { headers: { Authorization: `Bearer ${key}` } };
  const askDelete = h('button', { class: 'danger', t: 'deleteSession', onclick: () => { confirm.hidden = false; confirm.focus(); } });
  const confirm = h('div', { class: 'confirm', hidden: true, tabindex: -1 }, h('p', { t: 'deleteConfirm' }),
    h('div', { class: 'row' }, h('button', { class: 'danger', t: 'deleteYes', onclick: async () => {
      const response = await fetch(`/api/sessions/${code}`, { method: 'DELETE', ...auth });
      if (response.ok) sock.stop('deleted'); else status.textContent = t('err_generic');
    } }), h('button', { t: 'cancel', onclick: () => { confirm.hidden = true; askDelete.focus(); } })));
  const download = async (format) => {
    const response = await fetch(`/api/sessions/${code}/export?format=${format}`, auth);
    if (!response.ok) return (status.textContent = t('err_generic'));
    const a = h('a', { href: URL.createObjectURL(await response.blob()), download: `lapp-${code}.${format}` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 9000);
  };
  return [h('div', { class: 'row' }, h('button', { t: 'exportJson', onclick: () => download('json') }), h('button', { t: 'exportCsv', onclick: () => download('csv') })),
    askDelete, confirm, status];
}
