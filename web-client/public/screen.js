// /screen/{code}: the projector (no key: it sees only what is revealed). Join code, QR and
// count; the prompt and phase; the top cards as a count-down (#1 last); the 1-3-9 poster.
import { h, header, fill, clock, bar, phase, tx } from './ui.js';
import { follow } from './socket.js';

const S = {};
let shown = new Set(); // cards already counted down, so only new ones arrive one by one
// Progress changes often (people come and go) and refreshes only these, so a count-down being
// revealed is never rebuilt and its arrival never cut short.
const live = h('div');
const joined = h('p', { class: 'count' });

export function start(root, code) {
  header([]);
  const main = h('div');
  follow(root, { code, role: 'screen' }, {
    welcome(w) {
      Object.assign(S, { progress: w.view.progress, reveal: w.view.reveal, poster: w.view.poster });
      fill(root, h('div', { class: 'stage' }, main, h('aside', { class: 'join', 'aria-labelledby': 'jh' }, h('h2', { id: 'jh', t: ['joinAt', { host: location.host }] }),
        h('p', { class: 'code-big' }, h('span', { class: 'sr', t: 'codeWord' }), code),
        h('img', { class: 'qr', src: `/api/sessions/${code}/qr.svg`, width: 240, height: 240, alt: ['qrAlt', { code }] }), joined)));
      render();
    },
    frame(m, news) {
      if (news === 'activity') Object.assign(S, { reveal: null, poster: null });
      if (m.type === 'progress') return renderLive(S.progress = m);
      if (m.type === 'reveal') S.reveal = m.count ? m : null;
      if (m.type === 'poster') S.poster = m.groups;
      render();
    },
  }, S);

  function render() {
    const a = S.activity;
    const busy = a && (a.phase === 'poster' || (a.phase === 'results' && S.reveal));
    main.parentNode.classList.toggle('busy', !!busy);
    fill(main, (!a ? [h('h1', {}, S.session.title), h('p', { class: 'big', t: 'screenWelcome' })] : [
      h('p', { class: 'eyebrow', t: phase(a, S.session.agenda) }), h(busy ? 'p' : 'h1', { class: 'prompt' }, a.prompt), clock,
      a.phase === 'poster' ? poster()
        : S.reveal && a.phase === 'results' ? countdown(S.reveal.entries)
          : [h('p', { class: 'big', t: `screen_${a.phase}` }), live],
    ]));
    renderLive();
  }
}

function renderLive() {
  const a = S.activity || {};
  const p = S.progress;
  tx(joined, ['joinedN', { n: p.participants }]);
  fill(live, [
    a.phase === 'writing' && h('p', { class: 'count', t: ['cardsN', { n: p.cards }] }),
    a.phase === 'round' && [bar(p.scored, p.handed, 'scoredBar'), h('p', { class: 'count', t: ['scoredOf', p] })],
    a.phase === 'level' && p.groups != null && [bar(p.groups_starred, p.groups, 'starredBar'), h('p', { class: 'count', t: ['starredOf', p] })],
  ]);
}

// Lowest revealed rank first, #1 last; newly revealed cards arrive one after the other.
function countdown(entries) {
  const before = shown;
  let delay = 0;
  shown = new Set(entries.map((e) => e.card));
  return [h('h1', { id: 'rh', class: 'sr', t: 'topCards' }), h('ol', { class: `countdown n${Math.min(entries.length, 7)}`, 'aria-labelledby': 'rh' },
    [...entries].reverse().map((e) => {
      const li = h('li', { 'data-rank': e.rank, class: !before.has(e.card) && 'new' },
        h('span', { class: 'rank' }, `#${e.rank}`), h('span', { class: 'text' }, e.text), h('span', { class: 'pts', t: ['points', e] }));
      if (!before.has(e.card)) {
        li.style.animationDelay = `${delay}s`;
        delay += 0.7;
      }
      return li;
    }))];
}

function poster() {
  if (!S.poster) return h('p', { class: 'big', t: 'posterLater' });
  return [h('h1', { class: 'sr', t: 'ph_poster' }), h('div', { class: 'poster' }, S.poster.map((g) => h('section', { class: 'group' },
    h('h2', { lang: S.session.language }, g.label), g.notes.length ? h('ul', {}, g.notes.map((n) => h('li', {}, n.text, ' ', h('span', { class: 'pts', t: ['stars', { n: n.stars }] }))))
      : h('p', { class: 'muted', t: 'noStarred' }))))];
}
