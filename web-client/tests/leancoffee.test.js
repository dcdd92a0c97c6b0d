// Lean Coffee at one table of five (the Lillestrøm meetup), on five phones in two languages:
// topics added and seen live by the others, one merged into another, dots that nobody sees
// until voting closes, the discussion with the current topic and its countdown, the thumbs
// vote at the end of a timebox (all five up: extended at once), "Next topic" tapped twice that
// moves the table once, an action item with an owner, and the end. The facilitator's page
// shows the hall and steps into the table; the projector shows the table and the hall's
// most-dotted topics. axe finds nothing on each phone state, the facilitator and the screen;
// the phones reflow at 320px; focus stays on "Add topic"'s box, on a dot's button and on
// "Next topic", and each result is said once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, startServer, createSession, launch, open, axe, reflows, checkErrors, shot, until } from './helpers.js';

// Runs in the page before its scripts: every text a live region comes to hold, once per change.
function recordLiveRegions() {
  window.heard = [];
  const live = '[aria-live], [role=alert], [role=status]';
  new MutationObserver((records) => {
    const regions = new Set();
    for (const r of records) {
      const at = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (at?.closest(live)) regions.add(at.closest(live));
    }
    for (const region of regions) {
      const text = region.textContent.trim();
      if (text && region.isConnected) window.heard.push(`${region.id || region.getAttribute('role')}: ${text}`);
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
}

// `text` reached region `region` exactly once (given time for a repeat to come).
async function saidOnce(page, region, text, what) {
  const is = (h) => h.startsWith(`${region}: `) && h.includes(text);
  await until(async () => (await page.evaluate(() => window.heard)).some(is), `${what}: "${text}" said`)
    .catch(async (e) => assert.fail(`${e.message}; heard ${JSON.stringify(await page.evaluate(() => window.heard))}`));
  await page.waitForTimeout(400);
  const heard = await page.evaluate(() => window.heard);
  assert.equal(heard.filter(is).length, 1, `${what}: "${text}" said once, in ${JSON.stringify(heard)}`);
}

const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  if (el.matches('[role=group]')) return `GROUP ${document.getElementById(el.getAttribute('aria-labelledby')).textContent}`;
  return el.matches('input, textarea, section') ? `${el.tagName} #${el.id || el.getAttribute('data-k')}` : `${el.tagName} ${el.getAttribute('aria-label') || el.textContent.trim()}`;
});
async function focusIs(page, expected, what) {
  await until(async () => (await focused(page)) === expected, `${what}: focus on ${expected}`, 5000)
    .catch(async (e) => assert.fail(`${e.message}, not on ${await focused(page)}`));
}

async function phoneOf(browser, url, name, { nb } = {}) {
  const page = await open(browser, null, nb ? { locale: 'nb-NO', init: () => localStorage.setItem('lapp.lang', 'nb') } : {});
  await page.context().addInitScript(recordLiveRegions);
  await page.goto(url);
  await page.locator('#name').fill(name);
  await page.locator('#zone').fill('Bord 1');
  await page.locator('#zone').press('Enter');
  await page.locator('#view h1').filter({ hasNotText: /^(Join|Bli med)/ }).waitFor();
  return page;
}

async function check(page, what) {
  await axe(page, what);
  await reflows(page, what);
}

const TMM = 'Too many meetings';
const SLOW = 'Slow laptops';
const AGENDA = 'Meetings without an agenda';

test('Lean Coffee: topics, a merge, blind dots, the discussion, the thumbs vote, an action item', async () => {
  const server = await startServer();
  const browser = await launch();
  const raw = [];
  try {
    const created = await createSession(server.base, {
      title: 'Lillestrøm meetup', language: 'en',
      agenda: [{ kind: 'leancoffee', prompt: 'What shall we talk about?', max_topics: 5, max_chars: 140, dots: 3, timeboxes: [12, 30], vote_seconds: 20 }],
    });
    const fac = await connect(server.base, { code: created.code, role: 'facilitator', key: created.key });
    raw.push(fac);
    const ada = await phoneOf(browser, created.urls.participant, 'Ada');
    const bo = await phoneOf(browser, created.urls.participant, 'Bo', { nb: true });
    const cy = await phoneOf(browser, created.urls.participant, 'Cy');
    const di = await phoneOf(browser, created.urls.participant, 'Di');
    const eve = await phoneOf(browser, created.urls.participant, 'Eve');
    const phones = [ada, bo, cy, di, eve];
    const desk = await open(browser, created.urls.facilitator, { viewport: { width: 1280, height: 900 } });
    await desk.getByRole('heading', { level: 1, name: 'Lillestrøm meetup' }).waitFor();
    const screen = await open(browser, created.urls.screen, { viewport: { width: 1024, height: 768 } });

    // The facilitator starts it from the page: its buttons say what Lean Coffee's steps are.
    await fac.send('activity.start', { index: 0 });
    await desk.getByRole('button', { name: 'Open topics' }).click();

    // Collect: a counter, the topics left, and each new topic seen live at the table.
    await ada.getByRole('heading', { level: 1, name: 'Suggest topics' }).waitFor();
    await bo.getByRole('heading', { level: 1, name: 'Foreslå temaer' }).waitFor();
    await ada.locator('.eyebrow', { hasText: 'Table: Bord 1' }).waitFor();
    assert.equal(await ada.title(), 'Collecting – Participant – Lillestrøm meetup – Lapp');
    const box = ada.getByLabel('New topic');
    await box.fill('x'.repeat(150));
    await ada.locator('#lctc', { hasText: '10 characters too many' }).waitFor();
    assert.ok(await ada.getByRole('button', { name: 'Add topic' }).isDisabled());
    await box.fill(TMM);
    await ada.getByRole('button', { name: 'Add topic' }).click();
    await ada.locator('.lc li', { hasText: TMM }).waitFor();
    await focusIs(ada, 'TEXTAREA #lct', 'topic added: focus on the box');
    await saidOnce(ada, 'say', 'Topic added.', 'topic added');
    await ada.getByText('4 of 5 topics left').waitFor();
    for (const phone of [bo, cy, di, eve]) await phone.locator('.lc li', { hasText: TMM }).waitFor();
    await saidOnce(cy, 'say', `New topic: “${TMM}”`, 'a topic of another');
    for (const [phone, label, text] of [[cy, 'New topic', SLOW], [di, 'New topic', AGENDA], [eve, 'New topic', 'Delete me']]) {
      await phone.getByLabel(label).fill(text);
      await phone.getByLabel(label).press('Tab');
      await phone.keyboard.press('Enter');
      await ada.locator('.lc li', { hasText: text }).waitFor();
    }
    // Eve deletes her own topic; nobody else has a Delete button for it.
    assert.equal(await ada.getByRole('button', { name: 'Delete: Delete me' }).count(), 0);
    await eve.getByRole('button', { name: 'Delete: Delete me' }).click();
    await ada.locator('.lc li', { hasText: 'Delete me' }).waitFor({ state: 'detached' });
    await saidOnce(eve, 'say', 'Topic deleted.', 'topic deleted');

    // A merge in two steps, by keyboard: "Merge: …", then the topic it goes into.
    await cy.getByRole('button', { name: `Merge: ${AGENDA}`, exact: true }).focus();
    await cy.keyboard.press('Enter');
    await focusIs(cy, `GROUP Merge “${AGENDA}” into which topic?`, 'the merge question');
    const question = cy.getByRole('group', { name: `Merge “${AGENDA}” into which topic?` });
    await question.getByRole('button', { name: `Into: ${TMM}`, exact: true }).focus();
    await cy.keyboard.press('Enter');
    for (const phone of phones) await phone.locator('.lc li', { hasText: TMM }).getByText(new RegExp(`^(Merged with|Slått sammen med): ${AGENDA}$`)).waitFor();
    await saidOnce(cy, 'say', `Merged into “${TMM}”.`, 'merged');
    await focusIs(cy, `BUTTON Merge: ${TMM}`, 'merged: focus on the topic merged into');
    assert.equal(await ada.locator('.lc > li').count(), 2);
    await check(ada, 'Lean Coffee: collect (en)');
    await check(bo, 'Lean Coffee: collect (nb)');
    await shot(ada, 'participant-leancoffee-collect');

    // Vote: dots, blind until voting closes; the facilitator sees them stepped into the table.
    await desk.getByRole('button', { name: 'Start dot voting' }).click();
    await ada.getByRole('heading', { level: 1, name: 'Vote with dots' }).waitFor();
    await ada.locator('#view .big', { hasText: '3 dots left' }).waitFor();
    const more = ada.getByRole('button', { name: `Add a dot: ${TMM}`, exact: true });
    await more.focus();
    await ada.keyboard.press('Enter');
    await ada.locator('#view .big', { hasText: '2 dots left' }).waitFor();
    await ada.keyboard.press('Enter');
    await ada.locator('#view .big', { hasText: '1 dot left' }).waitFor();
    await focusIs(ada, `BUTTON Add a dot: ${TMM}`, 'a dot: focus stays');
    await saidOnce(ada, 'say', '1 dot left', 'a dot');
    await ada.getByRole('button', { name: `Add a dot: ${SLOW}`, exact: true }).click();
    await ada.locator('#view .big', { hasText: '0 dots left' }).waitFor();
    assert.equal(await more.getAttribute('aria-disabled'), 'true', 'no dot left to add');
    for (let n = 1; n <= 3; n++) {
      await bo.getByRole('button', { name: `Legg til en prikk: ${TMM}`, exact: true }).click();
      await bo.locator('.lc li', { hasText: TMM }).getByText(`Dine: ${n}`).waitFor();
    }
    await bo.locator('#view .big', { hasText: '0 prikker igjen' }).waitFor();
    await cy.getByRole('button', { name: `Add a dot: ${SLOW}`, exact: true }).click();
    await cy.locator('#view .big', { hasText: '2 dots left' }).waitFor();
    // Blind: no phone shows how many dots a topic has, only its own.
    for (const phone of phones) assert.equal(await phone.locator('.lc .meta', { hasText: /\d+ (dot|prikk)/ }).count(), 0, 'no counts while voting');
    await ada.locator('.lc li', { hasText: TMM }).getByText('Yours: 2').waitFor();
    await desk.getByRole('button', { name: 'Step in: Bord 1', exact: true }).click();
    await desk.locator('.lc li', { hasText: TMM }).getByText('5 dots').waitFor();
    await focusIs(desk, 'BUTTON All tables', 'stepped in');
    await check(ada, 'Lean Coffee: vote (en)');
    await check(bo, 'Lean Coffee: vote (nb)');
    await axe(desk, 'Lean Coffee: the facilitator in a table, voting');

    // Discuss: the ranked topics with their dots, the current topic big with its countdown.
    await desk.getByRole('button', { name: 'Close voting and start talking' }).click();
    const talking = Date.now();
    await ada.getByRole('heading', { level: 1, name: 'The conversation' }).waitFor();
    await ada.locator('#view .card', { hasText: TMM }).waitFor();
    await ada.locator('#view [role=timer][data-end]', { hasText: /^Time left 0:(0\d|1[0-2])$/ }).waitFor();
    await saidOnce(ada, 'say', `Now: “${TMM}”`, 'the first topic');
    await ada.locator('ol.lc li', { hasText: TMM }).getByText('5 dots').waitFor();
    assert.deepEqual(await ada.locator('ol.lc .text').allTextContents(), [`#1 ${TMM}`, `#2 ${SLOW}`]);
    // An action item with an owner from the table, seen by everyone at it.
    await ada.getByLabel('New action item for this topic').fill('Cancel the Monday meeting');
    await ada.getByLabel('Owner (optional)').selectOption({ label: 'Bo' });
    await ada.getByRole('button', { name: 'Add item' }).click();
    for (const phone of [ada, cy]) await phone.locator('#view li', { hasText: 'Cancel the Monday meeting' }).getByText('Owner: Bo').waitFor();
    await bo.locator('#view li', { hasText: 'Cancel the Monday meeting' }).getByText('Ansvarlig: Bo').waitFor();
    await saidOnce(ada, 'say', 'Item added.', 'item added');
    assert.equal(await bo.getByRole('button', { name: 'Slett: Cancel the Monday meeting' }).count(), 0, 'only its author deletes it');
    await check(ada, 'Lean Coffee: discuss (en)');
    await check(bo, 'Lean Coffee: discuss (nb)');
    await shot(ada, 'participant-leancoffee-discuss');

    // The hall: the projector and the facilitator see the table, its topic and time left.
    await screen.locator('.lct', { hasText: TMM }).waitFor();
    await screen.getByRole('heading', { name: '1 table' }).waitFor();
    await screen.locator('.lctop li', { hasText: TMM }).waitFor();
    await screen.locator('.lct [role=timer]').waitFor();
    await axe(screen, 'Lean Coffee: the screen, discussing');
    await shot(screen, 'screen-leancoffee');
    await desk.getByRole('button', { name: 'All tables' }).click();
    await desk.locator('.notes li', { hasText: 'Bord 1' }).getByText(TMM).waitFor();
    await desk.locator('ol.lctop li', { hasText: TMM }).getByText('5 dots').waitFor();
    await focusIs(desk, 'BUTTON Step in: Bord 1', 'back to all tables');
    await axe(desk, 'Lean Coffee: the facilitator, the hall');

    // The timebox ends: the thumbs vote, announced, with focus on it (nobody was typing).
    await ada.locator('#view h2', { hasText: 'Action items (1)' }).click(); // focus nowhere in particular
    await ada.getByRole('heading', { level: 2, name: 'Time is up. Keep going on this topic?' }).waitFor({ timeout: 30000 });
    assert.ok(Date.now() - talking > 9000, 'the vote opened when the timebox ended');
    await saidOnce(ada, 'say', 'Time is up. Keep going on this topic?', 'the thumbs vote');
    await focusIs(ada, 'SECTION #lcv', 'the thumbs vote');
    await ada.locator('.thumbs [role=timer]', { hasText: /^Vote closes in 0:[0-2]\d$/ }).waitFor();
    await ada.keyboard.press('Tab');
    await ada.keyboard.press('Enter');
    await until(async () => (await ada.getByRole('button', { name: 'Yes, go on' }).getAttribute('aria-pressed')) === 'true', 'Ada: up');
    await saidOnce(ada, 'say', 'You chose: Yes, go on', 'the thumb');
    await ada.getByRole('button', { name: 'Either way' }).click(); // changeable while open
    await until(async () => (await ada.getByRole('button', { name: 'Either way' }).getAttribute('aria-pressed')) === 'true', 'Ada: sideways');
    await ada.getByText('1 of 5 have voted').waitFor();
    await check(ada, 'Lean Coffee: the thumbs vote');
    await shot(ada, 'participant-leancoffee-thumbs');
    await ada.getByRole('button', { name: 'Yes, go on' }).click();
    await bo.getByRole('button', { name: 'Ja, fortsett' }).click();
    for (const phone of [cy, di, eve]) await phone.getByRole('button', { name: 'Yes, go on' }).click();
    // All five up: closed at once, and extended by the next timebox.
    await ada.locator('#view .ok', { hasText: 'Extended: 0:30 more' }).waitFor();
    await saidOnce(ada, 'say', 'Extended: 0:30 more', 'extended');
    await bo.locator('#view .ok', { hasText: 'Forlenget: 0:30 til' }).waitFor();
    await ada.locator('#view [role=timer][data-end]', { hasText: /^Time left 0:(2\d|30)$/ }).waitFor();
    await ada.locator('ol.lc li', { hasText: TMM }).getByText('extended 1×').waitFor();

    // "Next topic" tapped twice: the table moves once; the second tap is told politely.
    const next = ada.getByRole('button', { name: 'Next topic' });
    await next.dblclick();
    await ada.locator('#view .card', { hasText: SLOW }).waitFor();
    await saidOnce(ada, 'say', `Now: “${SLOW}”`, 'the next topic');
    await saidOnce(ada, 'say', 'The table had already moved on.', 'the second tap');
    await focusIs(ada, 'BUTTON Next topic', 'next topic: focus stays');
    assert.deepEqual((await ada.evaluate(() => window.heard)).filter((h) => h.startsWith('alert')), [], 'nothing urgent said');
    await ada.locator('ol.lc li', { hasText: TMM }).getByText('discussed').waitFor();
    for (const phone of [bo, cy]) await phone.locator('#view .card', { hasText: SLOW }).waitFor();

    // The facilitator steps in: extends and restarts the timer of the table.
    await desk.getByRole('button', { name: 'Step in: Bord 1', exact: true }).click();
    await desk.locator('#view .card', { hasText: SLOW }).waitFor();
    await desk.getByRole('button', { name: 'Restart the timer' }).click();
    await desk.getByRole('button', { name: 'Extend' }).click();
    await ada.locator('ol.lc li', { hasText: SLOW }).getByText('extended 1×').waitFor();
    await axe(desk, 'Lean Coffee: the facilitator in a table, discussing');

    // Done: what the table talked about, with its action items.
    await desk.getByRole('button', { name: 'End the conversations' }).click();
    await ada.getByRole('heading', { level: 1, name: 'What you talked about' }).waitFor();
    await ada.locator('#view li', { hasText: 'Cancel the Monday meeting' }).getByText('Owner: Bo').waitFor();
    await bo.getByRole('heading', { level: 1, name: 'Dette snakket dere om' }).waitFor();
    await check(ada, 'Lean Coffee: done (en)');
    await check(bo, 'Lean Coffee: done (nb)');
    await screen.getByText('Done', { exact: true }).first().waitFor();
    await axe(screen, 'Lean Coffee: the screen, done');
    checkErrors(...phones, desk, screen);
  } finally {
    raw.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});

// A hall of 140 tables (a participant each, on raw sockets): the projector shows the hall's
// most-dotted topics and the tables a screenful at a time at 1024×768 and 1280×720, with
// nothing cut off and no scrolling.
test('Lean Coffee on the projector: 140 tables, a page at a time at 1024×768', async () => {
  const server = await startServer();
  const browser = await launch();
  const raw = [];
  try {
    const created = await createSession(server.base, { title: 'Hall', language: 'en', agenda: [{ kind: 'leancoffee', prompt: 'What shall we talk about?', timeboxes: [600] }] });
    const fac = await connect(server.base, { code: created.code, role: 'facilitator', key: created.key });
    raw.push(fac);
    const people = await Promise.all(Array.from({ length: 140 }, (_, i) => connect(server.base, { code: created.code, role: 'participant', name: `P${i}`, zone: `Table ${i + 1}` })));
    raw.push(...people);
    await fac.send('activity.start', { index: 0 });
    await fac.send('phase.next');
    await Promise.all(people.map((p, i) => p.send('topic.add', { text: `What table ${i + 1} wants to talk about, long enough to need a second line` })));
    await fac.send('phase.next');
    await Promise.all(people.slice(0, 12).map((p) => p.send('dots.set', { topic: p.frames.findLast((m) => m.type === 'table').topics[0].id, count: 2 })));
    await fac.send('phase.next');
    const screen = await open(browser, created.urls.screen, { viewport: { width: 1024, height: 768 } });
    await screen.getByRole('heading', { level: 2, name: '140 tables' }).waitFor();
    await screen.locator('.lct [role=timer]').first().waitFor();
    await screen.locator('.lctop li', { hasText: 'What table 1 wants' }).getByText('2 dots').waitFor();
    const pages = Number((await screen.locator('#pageof').textContent()).match(/^Page 1 of (\d+)$/)?.[1]);
    assert.ok(pages > 1 && pages < 20, `${pages} pages`);
    const fits = () => screen.evaluate(() => {
      const cards = [...document.querySelectorAll('.lct')];
      const root = document.documentElement;
      const page = document.querySelector('.page').getBoundingClientRect();
      return cards.length > 5 && root.scrollHeight <= innerHeight && root.scrollWidth <= innerWidth
        && cards.every((card) => card.getBoundingClientRect().bottom <= Math.min(page.bottom, innerHeight) + 1);
    });
    assert.ok(await fits(), 'a page of tables fits the screen');
    await axe(screen, 'Lean Coffee: 140 tables on the screen');
    await screen.getByRole('button', { name: 'Next page' }).click();
    await screen.locator('#pageof', { hasText: `Page 2 of ${pages}` }).waitFor();
    assert.ok(await fits(), 'page 2 fits too');
    await screen.setViewportSize({ width: 1280, height: 720 });
    await until(fits, 'a page of tables fits at 1280×720', 5000);
    await shot(screen, 'screen-leancoffee-hall');
    checkErrors(screen);
  } finally {
    raw.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});
