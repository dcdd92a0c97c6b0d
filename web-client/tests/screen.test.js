// The projector (/screen/{code}) in a hall: the top 10 with long cards fitted to 1920×1080 and
// 1024×768, #1 largest and on screen; the reveal one card at a time; the poster of 150 groups
// (300 participants, played as raw WebSocket clients) with the hall's most starred notes and
// every group a page at a time. axe finds nothing in either language, and it reflows at 320px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, startServer, createSession, launch, open, axe, reflows, checkErrors, shot, until, PROJECTOR } from './helpers.js';

const SMALL = { width: 1024, height: 768 };


// Where each element matching selector is, and its font size, in the page's viewport.
const boxes = (page, selector) => page.evaluate((sel) => [...document.querySelectorAll(sel)].map((el) => {
  const r = el.getBoundingClientRect();
  return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, font: parseFloat(getComputedStyle(el).fontSize), text: el.textContent };
}), selector);
const inside = (page, box) => box.top >= 0 && box.left >= 0 && box.bottom <= page.viewportSize().height + 0.5 && box.right <= page.viewportSize().width + 0.5;
const scrolls = (page) => page.evaluate(() => document.documentElement.scrollHeight > innerHeight || document.documentElement.scrollWidth > innerWidth);

// The view fits: every element of selector is wholly in the viewport, and nothing scrolls.
async function fitted(page, selector, n) {
  await until(async () => {
    const all = await boxes(page, selector);
    return all.length === n && all.every((box) => inside(page, box)) && !(await scrolls(page));
  }, `${n} × ${selector} inside ${JSON.stringify(page.viewportSize())}`);
  return boxes(page, selector);
}

async function bothLanguages(page, what, check = async () => {}) {
  await axe(page, `${what} (en)`);
  await check();
  await page.getByRole('button', { name: 'Norsk' }).click();
  await axe(page, `${what} (nb)`);
  await check();
  await page.getByRole('button', { name: 'English' }).click();
}

const LONG = (i) => `Card ${i}: ${'we spend too much time in meetings that could have been an email, and '.repeat(4)}`.slice(0, 279).trimEnd() + '.';

test('the top 10 fit the projector with #1 largest, also one card at a time', async (t) => {
  const server = await startServer();
  const browser = await launch();
  const clients = [];
  try {
    const created = await createSession(server.base, {
      title: 'Hall', language: 'en', agenda: [{ kind: 'scoring', prompt: 'What slows your team down the most?', rounds: 3, top: 10 }],
    });
    // Lets the test hand the page a frame as if from the server, when the server cannot send it.
    const tap = () => { const Real = window.WebSocket; window.WebSocket = class extends Real { constructor(...a) { super(...a); window.lastSocket = this; } }; };
    const screen = await open(browser, created.urls.screen, { viewport: PROJECTOR, init: tap });
    const fac = await connect(server.base, { code: created.code, role: 'facilitator', key: created.key });
    clients.push(fac);
    const people = [];
    for (let i = 0; i < 12; i++) people.push(await connect(server.base, { code: created.code, role: 'participant', name: `P${i}` }));
    clients.push(...people);
    await fac.send('activity.start', { index: 0 });
    await fac.send('phase.next');
    // Before the results: a QR code to scan from the middle of the hall, the address on one
    // line, and a large countdown.
    await fac.send('timer.set', { seconds: 120 });
    for (const size of [PROJECTOR, SMALL]) {
      await screen.setViewportSize(size);
      await screen.locator('.timer:not([hidden])').waitFor();
      const [qr] = await boxes(screen, '.join .qr');
      assert.ok(qr.bottom - qr.top >= size.height * 0.35 && inside(screen, qr), `the QR code is ${qr.bottom - qr.top}px high`);
      const [timer] = await boxes(screen, '.timer');
      assert.ok(timer.font >= size.height / 14 && inside(screen, timer), `the countdown is ${timer.font}px`);
      assert.ok(await screen.locator('#jh').evaluate((el) => el.scrollWidth <= el.clientWidth
        && el.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(el).fontSize)), 'the address on one line');
    }
    await screen.setViewportSize(PROJECTOR);
    await bothLanguages(screen, 'writing, with a timer');
    await reflows(screen, 'writing, with a timer');
    await fac.send('timer.set', { seconds: 0 });
    // Cards 0, 3, 6 and 9 are as long as a card can be; card 0 gets the best scores.
    const texts = people.map((_, i) => (i % 3 === 0 ? LONG(i) : `Card ${i}: fewer forms`));
    await Promise.all(people.map((p, i) => p.send('card.write', { text: texts[i] })));
    for (let round = 1; round <= 3; round++) {
      await fac.send('phase.next');
      await Promise.all(people.map(async (p) => {
        const hand = await p.wait((m) => m.type === 'hand' && m.round === round, `hand ${round}`);
        if (!hand.card) return;
        const author = texts.indexOf(hand.card.text);
        await p.send('card.score', { round, card: hand.card.id, score: author === 0 ? 5 : 1 + ((author + round) % 4) });
      }));
    }
    await fac.send('phase.next');
    await fac.send('reveal', { count: 10 });
    const top = (await fac.wait((m) => m.type === 'reveal' && m.count === 10, 'the reveal')).entries;
    assert.equal(top.length, 10);
    assert.equal(top[0].text, texts[0]);

    // Best first, #1 largest, every card wholly on screen at both sizes, and no scrolling.
    for (const size of [PROJECTOR, SMALL]) {
      await screen.setViewportSize(size);
      const cards = await fitted(screen, '.countdown li', 10);
      assert.deepEqual(await screen.locator('.countdown .text').allTextContents(), top.map((e) => e.text), 'best first');
      assert.deepEqual(await screen.locator('.countdown li').evaluateAll((lis) => lis.map((li) => Number(li.dataset.rank))), top.map((e) => e.rank));
      assert.ok(cards.slice(1).every((c) => c.font < cards[0].font), `#1 is the largest at ${size.width}: ${cards.map((c) => c.font)}`);
      assert.ok(cards[0].font >= (size === PROJECTOR ? 28 : 20), `#1 is big: ${cards[0].font}px`);
      // The long #1 is not cut short.
      assert.ok(await screen.locator('.countdown li:first-child .text').evaluate((el) => el.scrollHeight <= el.clientHeight + 1), '#1 shown whole');
      // The join panel is a strip in the corner, its address on one line.
      const [strip] = await boxes(screen, '.join');
      assert.ok(inside(screen, strip) && strip.bottom - strip.top < size.height / 5, `a small join strip: ${JSON.stringify(strip)}`);
      assert.ok(await screen.locator('#jh').evaluate((el) => el.scrollWidth <= el.clientWidth), 'the address fits on one line');
    }
    await screen.setViewportSize(PROJECTOR);
    await shot(screen, 'screen-reveal-top10');
    await bothLanguages(screen, 'the top 10', async () => {
      await fitted(screen, '.countdown li', 10);
      const label = await screen.locator('.countdown li:first-child .pts').textContent();
      const score = ((top[0].total / top[0].count) * 3).toFixed(1);
      assert.ok([`${score} / 15 from 3 scores`, `${score.replace('.', ',')} / 15 fra 3 vurderinger`].includes(label), label);
    });
    await reflows(screen, 'the top 10');

    // One at a time: shown k of 10 is the lowest k, best first; the card just revealed (#11-k)
    // stands alone, largest and centred; those before it are listed smaller.
    // A server that does not know `shown` reveals all 10: then the test hands the screen the
    // frames such a server would send.
    await fac.send('reveal', { count: 0 });
    await screen.locator('.countdown').waitFor({ state: 'detached' });
    const before = fac.frames.length;
    await fac.send('reveal', { count: 10, shown: 1 });
    const probe = fac.frames.slice(before).find((m) => m.type === 'reveal');
    const oneAtATime = probe.shown === 1;
    t.diagnostic(oneAtATime ? 'one at a time: revealed by the server' : 'one at a time: frames handed to the screen (the server ignores `shown`)');
    if (oneAtATime) assert.deepEqual(probe.entries, top.slice(9));
    else await until(async () => (await screen.locator('.countdown li').count()) === 10, 'the reveal of a server without `shown`');
    for (let shown = 1; shown <= 10; shown++) {
      const entries = top.slice(10 - shown);
      const frame = shown < 10 ? { type: 'reveal', count: 10, shown, entries } : { type: 'reveal', count: 10, entries };
      if (oneAtATime && shown > 1) await fac.send('reveal', shown < 10 ? { count: 10, shown } : { count: 10 });
      else if (!oneAtATime) await screen.evaluate((f) => window.lastSocket.onmessage({ data: JSON.stringify(f) }), frame);
      await until(async () => (await screen.locator('.countdown li:first-child').getAttribute('data-rank')) === String(entries[0].rank)
        && (await screen.locator('.countdown li').count()) === shown, `${shown} shown`);
      if (shown === 10) break;
      for (const size of shown === 9 ? [PROJECTOR, SMALL] : [PROJECTOR]) {
        await screen.setViewportSize(size);
        const cards = await fitted(screen, '.countdown li', shown);
        assert.ok(cards[0].text.includes(entries[0].text.slice(0, 40)), 'the card just revealed comes first');
        assert.ok(cards.slice(1).every((c) => c.font < cards[0].font / 2), `the card just revealed is the largest: ${cards.map((c) => c.font)}`);
        const middle = (cards[0].left + cards[0].right) / 2;
        assert.ok(Math.abs(middle - size.width / 2) < size.width / 8, `centred: ${middle}`);
      }
      if (shown === 3) {
        await shot(screen, 'screen-reveal-one-at-a-time');
        await bothLanguages(screen, 'a reveal one at a time');
      }
      await screen.setViewportSize(PROJECTOR);
    }
    assert.equal(await screen.locator('.countdown.all').count(), 1, 'the whole top 10 once #1 is out');
    await fitted(screen, '.countdown li', 10);
    checkErrors(screen);
  } finally {
    clients.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});

test('the poster of 150 groups: the hall\'s most starred notes, and every group a page at a time', async () => {
  const server = await startServer();
  const browser = await launch();
  const clients = [];
  try {
    const created = await createSession(server.base, {
      title: 'Hall', language: 'en', agenda: [{ kind: 'grouping', prompt: 'What do we do first?', sizes: [2] }],
    });
    const screen = await open(browser, created.urls.screen, { viewport: PROJECTOR });
    const fac = await connect(server.base, { code: created.code, role: 'facilitator', key: created.key });
    clients.push(fac);
    const people = [];
    for (let batch = 0; batch < 300; batch += 50) {
      people.push(...await Promise.all(Array.from({ length: 50 }, (_, i) => connect(server.base, { code: created.code, role: 'participant', name: `P${batch + i}` }))));
    }
    clients.push(...people);
    await screen.getByText('300 joined').waitFor();
    await fac.send('activity.start', { index: 0 });
    await fac.send('phase.next');
    const mine = await Promise.all(people.map(async (p, i) => (await p.send('note.add', { text: `Note ${i}: ask the users before we build anything` })).note));
    // In groups 1 to 10 both members star the group's first note (2 stars); elsewhere each
    // stars their own (1 star each). So the hall's top 10 are exactly those 10 notes.
    await fac.send('phase.next');
    await Promise.all(people.map(async (p, i) => {
      const group = await p.wait((m) => m.type === 'group' && m.level === 1, 'a group');
      const first = [...group.notes].sort((x, y) => Number(x.id.slice(1)) - Number(y.id.slice(1)))[0].id;
      await p.send('note.star', { note: Number(group.label.match(/\d+$/)[0]) <= 10 ? first : mine[i], on: true });
    }));
    await fac.send('phase.next');
    const groups = (await fac.wait((m) => m.type === 'poster', 'the poster')).groups;
    assert.equal(groups.length, 150);
    const best = groups.flatMap((g) => g.notes.filter((n) => n.stars === 2).map((n) => n.text));
    assert.equal(best.length, 10);

    const bestOnScreen = () => screen.locator('.best li').evaluateAll((lis) => lis.map((li) => ({
      text: li.querySelector('.text').textContent, stars: li.querySelector('.stars [aria-hidden]').textContent })));
    await until(async () => (await bestOnScreen()).length === 10, 'the hall\'s top 10 notes');
    assert.deepEqual((await bestOnScreen()).map((n) => n.text).sort(), [...best].sort());
    assert.ok((await bestOnScreen()).every((n) => n.stars === '★ 2'), 'with their stars');
    const pager = screen.locator('#pageof');
    // Every group, page by page, each page wholly on screen.
    const pageThrough = async () => {
      const [, n] = (await pager.textContent()).match(/^Page 1 of (\d+)$/).map(Number);
      const seen = [];
      for (let page = 1; page <= n; page++) {
        await until(async () => (await pager.textContent()) === `Page ${page} of ${n}`, `page ${page}`);
        const shown = await boxes(screen, '.page .group');
        assert.ok(shown.length > 0 && shown.every((box) => inside(screen, box)), `page ${page} is on screen`);
        seen.push(...await screen.locator('.page .group h3').allTextContents());
        await screen.getByRole('button', { name: 'Next page' }).click();
      }
      await until(async () => (await pager.textContent()) === `Page 1 of ${n}`, 'back to page 1');
      assert.deepEqual(seen, groups.map((g) => g.label), 'every group once, in order');
      return n;
    };
    const bigPages = await pageThrough();
    assert.ok(bigPages > 1 && bigPages < 40, `${bigPages} pages at 1920×1080`);
    assert.ok(!(await scrolls(screen)), 'the poster does not scroll');
    assert.ok((await boxes(screen, '.best li')).every((box) => inside(screen, box)), 'the top notes are on screen');
    const starFont = (await boxes(screen, '.page .stars'))[0].font;
    assert.ok(starFont >= 24, `star counts readable from the back: ${starFont}px`);
    await shot(screen, 'screen-poster-150');
    await screen.setViewportSize(SMALL);
    await until(async () => (await pager.textContent()).startsWith('Page 1 of '), 'pages at 1024×768');
    assert.ok(await pageThrough() >= bigPages, 'at least as many pages on a smaller screen');
    assert.ok(!(await scrolls(screen)), 'the poster does not scroll at 1024×768');
    await screen.setViewportSize(PROJECTOR);

    // Under prefers-reduced-motion the pages wait; unpaused they turn by themselves.
    const pause = screen.getByRole('button', { name: 'Pause' });
    assert.equal(await pause.getAttribute('aria-pressed'), 'true');
    await bothLanguages(screen, 'the poster of 150 groups');
    await pause.click();
    assert.equal(await pause.getAttribute('aria-pressed'), 'false');
    await until(async () => (await pager.textContent()).startsWith('Page 2 of '), 'the next page by itself', 16000);
    await pause.click();
    await reflows(screen, 'the poster');
    checkErrors(screen);
  } finally {
    clients.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});
