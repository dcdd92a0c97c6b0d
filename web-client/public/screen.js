// /screen/{code}: the projector (no key: it sees only what is revealed), read from the back of
// a hall. The join panel (a big QR; a corner strip while results or the poster are up); the
// prompt, phase and a large countdown; the top cards fitted to the screen, #1 largest, or one
// at a time; the 1-3-9 poster: the hall's most starred notes, then every group a screenful at
// a time; the micro-actions (screen-actions.js), their wall paged like the poster.
import { h, header, fill, clock, bar, phase, tx, points, titled } from './ui.js';
import { onLang } from './i18n.js';
import { follow } from './socket.js';
import * as actions from './screen-actions.js';
import * as lc from './screen-leancoffee.js';
import * as retro from './screen-retro.js';

const kinds = { actions, leancoffee: lc, retro }; // the methods with a module of their own

const S = {};
let seen = new Set(); // cards already revealed, so only new ones arrive (lowest rank first)
// Progress changes often (people come and go) and refreshes only these, so a reveal is never
// rebuilt and its arrival never cut short.
const live = h('div');
const joined = h('p', { class: 'count' });
// The join panel's heading: where to join, or, while the session is closed to new
// participants, that it is (the QR code is dimmed then; those already in come back by it).
const joinAt = h('h2', { id: 'jh' });
// The poster's groups or the wall's actions, a screenful a page: `cuts` are the index of each
// page's first one.
const TURN_MS = 12000;
const pages = { cuts: [0], at: 0, paused: matchMedia('(prefers-reduced-motion: reduce)').matches, timer: null };

export function start(root, code) {
  header([]);
  const main = h('div', { class: 'main' });
  follow(root, { code, role: 'screen' }, {
    welcome(w) {
      Object.assign(S, { progress: w.view.progress, reveal: w.view.reveal, poster: w.view.poster, wall: w.view.wall, hall: w.view.hall, retro: w.view.retro });
      fill(root, h('div', { class: 'stage' }, main, h('aside', { class: 'join', 'aria-labelledby': 'jh' }, joinAt,
        h('p', { class: 'code-big' }, h('span', { class: 'sr', t: 'codeWord' }), code),
        h('img', { class: 'qr', src: `/api/sessions/${code}/qr.svg`, width: 240, height: 240, alt: ['qrAlt', { code }] }), joined)));
      render();
    },
    frame(m, news) {
      if (news === 'activity') Object.assign(S, { reveal: null, poster: null, wall: null, hall: null, retro: null });
      if (m.type === 'progress') return renderLive(S.progress = m);
      if (m.type === 'lock') { renderJoin(); return layout(); }
      if (kinds[S.activity?.kind]?.frame?.(m, S)) return;
      if (m.type === 'reveal') S.reveal = m.count ? m : null;
      if (m.type === 'poster') S.poster = m.groups;
      if (m.type === 'wall') S.wall = m.actions.filter((x) => !x.hidden);
      render();
    },
  }, S);

  function render() {
    const a = S.activity;
    const reveal = a && a.phase === 'results' && S.reveal?.entries.length ? S.reveal : null;
    const busy = a && (a.phase === 'poster' || a.phase === 'wall' || reveal || kinds[a.kind]?.busy?.(S));
    if (!reveal) seen = new Set();
    titled(a && phase(a, S.session.agenda), ['roleScreen'], S.session.title);
    if (!paged()) Object.assign(pages, { cuts: [0], at: 0 });
    main.parentNode.classList.toggle('busy', !!busy);
    document.body.classList.toggle('fit', !!busy); // one screenful, no scrolling (app.css)
    fill(main, (!a ? [h('h1', {}, S.session.title), h('p', { class: 'big', t: 'screenWelcome' })] : [
      h('div', { class: 'head' }, h('p', { class: 'eyebrow', t: phase(a, S.session.agenda) }), h(busy ? 'p' : 'h1', { class: 'prompt' }, a.prompt), clock),
      kinds[a.kind] ? kinds[a.kind].body(S, live, pager)
        : a.phase === 'poster' ? poster()
        : reveal ? revealed(reveal)
          : [h('p', { class: 'big', t: `screen_${a.phase}` }), live],
    ]));
    renderLive();
    renderJoin();
    layout();
    cycle();
  }
  onLang(() => S.session && render()); // the score labels' decimal comma, and every text's length, change
  addEventListener('resize', layout);
}

function renderJoin() {
  tx(joinAt, S.session.locked ? ['closedNew'] : ['joinAt', { host: location.host }]);
  joinAt.closest('.join')?.classList.toggle('locked', !!S.session.locked);
}

function renderLive() {
  const a = S.activity || {};
  const p = S.progress;
  tx(joined, ['joinedN', { n: p.participants }]);
  fill(live, kinds[a.kind] ? kinds[a.kind].counts(a.phase, p[a.kind]) : [
    a.phase === 'writing' && h('p', { class: 'count', t: ['cardsN', { n: p.cards }] }),
    a.phase === 'round' && [bar(p.scored, p.handed, 'scoredBar'), h('p', { class: 'count', t: ['scoredOf', p] })],
    a.phase === 'level' && p.groups != null && [bar(p.groups_starred, p.groups, 'starredBar'), h('p', { class: 'count', t: ['starredOf', p] })],
  ]);
}

// Sizes everything to the screen as it is now: after each render and on every resize.
function layout() {
  const where = document.getElementById('jh');
  if (where) shrink(where);
  const list = document.querySelector('.countdown');
  if (list) fit(list, Math.min(innerHeight / 16, innerWidth / 20));
  const poster = document.querySelector('.stage .poster');
  if (!poster || !paged()) return;
  // The hall's most starred notes only when the groups need more than one page: else every
  // note is in view already.
  const first = pages.cuts[pages.at] || 0;
  poster.querySelector('.best')?.remove();
  poster.classList.remove('two');
  const page = poster.querySelector('.page');
  page.style.fontSize = '';
  paginate(first);
  // A wall (or Lean Coffee's tables) that fits on one page grows to fill it, to be read from the
  // back of the hall.
  if (S.activity.kind !== 'grouping') return pages.cuts.length === 1 && getComputedStyle(page).overflowY === 'hidden' && fit(page, Math.min(innerHeight / 12, innerWidth / 24));
  const best = pages.cuts.length > 1 && hallBest();
  if (!best) return;
  poster.prepend(best);
  poster.classList.add('two');
  fit(best.querySelector('ol'), Math.min(innerHeight / 18, innerWidth / 24));
  paginate(first);
}

// The largest font size (px) at which el's content fits its box: in the projector layout the
// box is what the screen has left; elsewhere it grows with its content and only `most` counts.
// It is kept relative to the viewport, so it shrinks with the window until the next fit.
function fit(el, most) {
  let [lo, hi] = [10, Math.max(10, most)];
  const fits = (px) => {
    el.style.fontSize = `${px}px`;
    return el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1;
  };
  if (fits(hi)) lo = hi;
  else for (let i = 0; i < 10; i++) {
    const mid = (lo + hi) / 2;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  el.style.fontSize = `min(${(100 * lo) / innerWidth}vw, ${(100 * lo) / innerHeight}vh)`;
}

// A line that must not wrap (an address) gets smaller until it fits its width.
function shrink(el) {
  el.style.fontSize = '';
  if (el.scrollWidth <= el.clientWidth) return;
  const px = parseFloat(getComputedStyle(el).fontSize);
  el.style.fontSize = `${Math.max(8, Math.floor(px * (el.clientWidth / el.scrollWidth) * 10) / 10 - 0.5)}px`;
}

// The revealed cards, best first. With `shown` (one at a time) entries[0] is the card just
// revealed: it stands alone, largest, and those before it line up below; otherwise the whole
// top, #1 largest. Newly revealed cards arrive lowest rank first, #1 last.
function revealed(r) {
  const before = seen;
  const rounds = S.session.agenda[S.activity.index].rounds;
  seen = new Set(r.entries.map((e) => e.card));
  const items = r.entries.map((e) => h('li', { 'data-rank': e.rank, class: !before.has(e.card) && 'new' },
    h('span', { class: 'rank' }, `#${e.rank}`), h('span', { class: 'text' }, e.text), h('span', { class: 'pts', t: points(e, rounds) })));
  items.filter((li) => li.classList.contains('new')).reverse().forEach((li, i) => { li.style.animationDelay = `${0.7 * i}s`; });
  const one = r.shown != null;
  return [h('h1', { id: 'rh', class: 'sr', t: 'topCards' }),
    h('ol', { class: `countdown ${one ? 'one' : 'all'}${!one && items.length > 4 ? ' cols' : ''}`, 'aria-labelledby': 'rh' }, items)];
}

function poster() {
  if (!S.poster) return h('p', { class: 'big', t: 'posterLater' });
  return [h('h1', { class: 'sr', t: 'ph_poster' }), pager('scrAllGroups')];
}

// What is paged now, [items, how one is shown], or nothing.
const paged = () => (S.activity?.phase === 'poster' && S.poster ? [S.poster, group]
  : S.activity?.phase === 'wall' && S.wall?.length ? [S.wall, actions.card] : kinds[S.activity?.kind]?.paged?.(S) || null);

// A list shown a page at a time (layout() cuts the pages), turned by hand or by the clock.
function pager(titleKey, kind = '') {
  const turn = (by) => () => { show(pages.at + by); cycle(); };
  return h('div', { class: `poster ${kind}` },
    h('section', { class: 'pages', 'aria-labelledby': 'gh' },
      h('div', { class: 'pager' }, h('h2', { id: 'gh', t: titleKey }), h('p', { id: 'pageof' }),
        h('button', { class: 'link', 'data-k': 'prev', label: 'scrPrev', onclick: turn(-1) }, '‹'),
        h('button', { class: 'link', 'data-k': 'pause', 'aria-pressed': String(pages.paused), t: 'scrPause',
          onclick: (ev) => { pages.paused = !pages.paused; ev.currentTarget.setAttribute('aria-pressed', pages.paused); cycle(); } }),
        h('button', { class: 'link', 'data-k': 'next', label: 'scrNext', onclick: turn(1) }, '›')),
      h('div', { class: 'page' })));
}

// The ten notes with the most stars in the whole hall, with their group (layout() adds it).
function hallBest() {
  const best = S.poster.flatMap((g) => g.notes.map((n) => ({ ...n, label: g.label }))).sort((x, y) => y.stars - x.stars).slice(0, 10);
  return best.length > 0 && h('section', { class: 'best', 'aria-labelledby': 'bh' }, h('h2', { id: 'bh', t: 'scrTopNotes' }),
    h('ol', {}, best.map((n) => h('li', {}, h('span', { class: 'text' }, n.text), stars(n.stars), h('span', { class: 'from', lang: S.session.language }, n.label)))));
}

const stars = (n) => h('span', { class: 'stars' }, h('span', { 'aria-hidden': 'true' }, `★ ${n}`), h('span', { class: 'sr', t: ['stars', { n }] }));

// A group on the poster: its best five notes, most stars first (the export has them all).
const MOST_NOTES = 5;
function group(g) {
  const notes = [...g.notes].sort((x, y) => y.stars - x.stars);
  return h('div', { class: 'group', role: 'listitem' }, h('h3', { lang: S.session.language }, g.label), notes.length
    ? [h('ul', {}, notes.slice(0, MOST_NOTES).map((n) => h('li', {}, h('span', { class: 'text' }, n.text), stars(n.stars)))),
      notes.length > MOST_NOTES && h('p', { class: 'more', t: ['scrMore', { n: notes.length - MOST_NOTES }] })]
    : h('p', { class: 'muted', t: 'noStarred' }));
}

// Cuts the groups into pages of as many as fit the page's box (of PAGE_SIZE where the box grows
// with its content, as on a phone), and shows the page with group `first`.
const PAGE_SIZE = 10;
function paginate(first) {
  const box = document.querySelector('.page');
  const fixed = getComputedStyle(box).overflowY === 'hidden'; // the projector layout (app.css)
  const list = h('div', { class: 'groups', role: 'list' });
  fill(box, list);
  pages.cuts = [0];
  const [items, shown] = paged();
  items.forEach((g, i) => {
    const card = shown(g);
    list.append(card);
    if (list.children.length > 1 && (fixed ? list.offsetHeight > box.clientHeight + 1 : list.children.length > PAGE_SIZE)) {
      list.replaceChildren(card);
      pages.cuts.push(i);
    }
  });
  show(pages.cuts.findLastIndex((cut) => cut <= first));
}

function show(at) {
  const box = document.querySelector('.page');
  if (!box) return;
  const n = pages.cuts.length;
  pages.at = ((at % n) + n) % n;
  const [items, shown] = paged();
  fill(box, h('div', { class: 'groups', role: 'list' }, items.slice(pages.cuts[pages.at], pages.cuts[pages.at + 1]).map(shown)));
  tx(document.getElementById('pageof'), ['scrPageOf', { page: pages.at + 1, pages: n }]);
  document.querySelector('.pager').classList.toggle('single', n === 1);
}

// Turns the page every TURN_MS unless paused (from the start under prefers-reduced-motion).
function cycle() {
  clearInterval(pages.timer);
  pages.timer = !pages.paused && pages.cuts.length > 1 && document.querySelector('.page') ? setInterval(() => show(pages.at + 1), TURN_MS) : null;
}
