// The retrospective (Plus/Delta) on three phones (two in English, one in bokmål), the
// facilitator's page and the projector: everyone adds notes to Plus and Delta and sees the
// others' live, the screen shows the columns live; one deletes a note of their own, another
// reloads and still has theirs; the facilitator hides a note (it leaves the phones and the
// screen) and shows it again; the blind dot vote on Delta (no counts on phones or screen, live
// on the facilitator's page; a note hidden then gives its dots back), then the result, Delta
// ordered by dots, back to the vote and on again. Focus stays on the text box after adding,
// goes to the next note after deleting and stays on "+" after a dot; each is said once. Then a
// Start/Stop/Continue retrospective, its labels everywhere, and a board long enough to need
// pages on a 1024×768 projector. axe finds nothing on the phone, the facilitator and the
// screen in each step, and each reflows at 320px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, startServer, createSession, launch, open, axe, reflows, checkErrors, shot, until, PROJECTOR } from './helpers.js';

const SMALL = { width: 1024, height: 768 };

// Runs in the page before its scripts: every text a live region comes to hold, once per change.
function recordLiveRegions() {
  window.heard = [];
  new MutationObserver(() => {
    for (const region of document.querySelectorAll('[aria-live], [role=alert], [role=status]')) {
      const text = region.textContent.trim();
      if (text && text !== region.last) window.heard.push(`${region.id || region.getAttribute('role')}: ${text}`);
      region.last = text;
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
}

async function join(browser, url, name, nb) {
  const phone = await open(browser, null, { locale: nb ? 'nb-NO' : 'en-US', init: nb ? () => localStorage.setItem('lapp.lang', 'nb') : undefined });
  await phone.context().addInitScript(recordLiveRegions);
  await phone.goto(url);
  await phone.locator('#name').fill(name);
  await phone.locator('#name').press('Enter');
  await phone.locator('#view h1').filter({ hasNotText: /^(Join|Bli med)/ }).waitFor();
  return phone;
}

const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return el.matches('input, textarea') ? `${el.tagName} #${el.id}` : `${el.tagName} ${el.getAttribute('aria-label') || el.textContent.trim()}`;
});
async function focusIs(page, expected, what) {
  await until(async () => (await focused(page)) === expected, `${what}: focus on ${expected}`, 5000)
    .catch(async (e) => assert.fail(`${e.message}, not on ${await focused(page)}`));
}
async function saidOnce(page, text, what) {
  const is = (h) => h.startsWith('say: ') && h.includes(text);
  await until(async () => (await page.evaluate(() => window.heard)).some(is), `${what}: "${text}" said`)
    .catch(async (e) => assert.fail(`${e.message}; heard ${JSON.stringify(await page.evaluate(() => window.heard))}`));
  await page.waitForTimeout(400);
  assert.equal((await page.evaluate(() => window.heard)).filter(is).length, 1, `${what}: "${text}" said once`);
}

async function check(page, what) {
  await axe(page, what);
  await reflows(page, what);
}

// A column on a phone (a section headed "Plus (3)"), on the screen (headed "Plus 3"), and its
// notes' texts.
const column = (page, label) => page.locator('#view section', { has: page.getByRole('heading', { level: 2, name: new RegExp(`^${label}\\b`) }) });
const texts = (page, label) => column(page, label).locator('li').evaluateAll((els) => els.filter((el) => !el.hidden).map((el) => (el.querySelector('p') || el).firstChild.textContent));
async function shows(page, label, expected, what) {
  await until(async () => JSON.stringify(await texts(page, label)) === JSON.stringify(expected), `${what}: ${label} ${JSON.stringify(expected)}`)
    .catch(async (e) => assert.fail(`${e.message}, not ${JSON.stringify(await texts(page, label))}`));
}

// Adds a note to a column from the phone's one text box; focus goes back to the box.
async function add(page, text, button) {
  await page.locator('#rtt').fill(text);
  await page.getByRole('button', { name: button, exact: true }).click();
  await until(async () => (await page.locator('#rtt').inputValue()) === '', `${text} added`);
  await focusIs(page, 'TEXTAREA #rtt', `after adding ${text}`);
}

test('Plus/Delta: notes live on phones and the screen, delete, hide, the blind dot vote and the ordered result', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const created = await createSession(server.base, {
      title: 'Sprint 12', language: 'en',
      agenda: [{ kind: 'retro', prompt: 'How did the sprint go?', dots: 3 }],
    });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    const screen = await open(browser, created.urls.screen, { viewport: SMALL });
    await fac.getByText('Plus / Delta: up to 10 notes each, 140 characters, 3 dots on Delta').waitFor();
    const ada = await join(browser, created.urls.participant, 'Ada');
    const bo = await join(browser, created.urls.participant, 'Bo', true);
    const cy = await join(browser, created.urls.participant, 'Cy');
    await screen.getByText('3 joined').waitFor();

    await fac.getByRole('button', { name: /^Start: / }).click();
    await ada.getByRole('heading', { level: 1, name: 'Get ready' }).waitFor();
    await fac.getByRole('button', { name: 'Open the board for notes' }).click();
    await fac.getByRole('button', { name: 'Close the notes and open the dot vote on Delta' }).waitFor();
    for (const [phone, heading] of [[ada, 'Add your notes'], [bo, 'Skriv notater'], [cy, 'Add your notes']]) {
      await phone.getByRole('heading', { level: 1, name: heading }).waitFor();
    }
    await screen.getByText('Add your notes on your phone.').waitFor();

    // Everyone adds notes; each phone and the screen see the others' as they come.
    await add(ada, 'Good pairing', 'Add to Plus');
    await saidOnce(ada, 'Added to Plus.', 'added');
    await add(ada, 'Too many meetings', 'Add to Delta');
    await add(bo, 'Trege bygg', 'Legg til i Delta');
    await add(cy, 'Nice demo', 'Add to Plus');
    await add(cy, 'Flaky tests', 'Add to Delta');
    for (const page of [ada, bo, cy, screen]) {
      await shows(page, 'Plus', ['Good pairing', 'Nice demo'], 'the board');
      await shows(page, 'Delta', ['Too many meetings', 'Trege bygg', 'Flaky tests'], 'the board');
    }
    await ada.getByRole('heading', { level: 2, name: 'Your notes (2)' }).waitFor();
    assert.equal(await column(ada, 'Plus').getByText('(you)').count(), 1, 'one\'s own note is marked');
    assert.equal(await column(bo, 'Plus').getByText('(deg)').count(), 0);

    // A note written by mistake, deleted: focus goes to the next of one's notes, or the box.
    await add(cy, 'Oops', 'Add to Plus');
    await shows(ada, 'Plus', ['Good pairing', 'Nice demo', 'Oops'], 'a third note');
    await cy.getByRole('button', { name: 'Delete: Oops' }).click();
    await shows(ada, 'Plus', ['Good pairing', 'Nice demo'], 'deleted');
    await shows(screen, 'Plus', ['Good pairing', 'Nice demo'], 'deleted');
    await focusIs(cy, 'BUTTON Delete: Flaky tests', 'after deleting the last of one\'s notes');
    await saidOnce(cy, 'Note deleted.', 'deleted');
    await cy.getByRole('button', { name: 'Delete: Nice demo' }).focus();
    await cy.keyboard.press('Enter');
    await focusIs(cy, 'BUTTON Delete: Flaky tests', 'after deleting by keyboard');
    await add(cy, 'Nice demo', 'Add to Plus');
    // A reload keeps which notes are one's own (the welcome's board says so), also when the
    // board's next tick, which does not, comes before the phone has fetched the retro module.
    await cy.reload();
    await cy.getByRole('heading', { level: 2, name: 'Your notes (2)' }).waitFor();
    await cy.getByRole('button', { name: 'Delete: Flaky tests' }).waitFor();

    await check(ada, 'phone, collect (en)');
    await check(bo, 'phone, collect (nb)');
    await axe(fac, 'facilitator, collect');
    await reflows(fac, 'facilitator, collect');
    await check(screen, 'screen, collect');
    await shot(ada, 'participant-retro-collect');
    await shot(screen, 'screen-retro-collect');
    // The projector shows it all at 1024×768, without scrolling.
    assert.ok(await screen.evaluate(() => document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth), 'the screen fits');

    // The facilitator hides a note: it leaves the phones and the screen; shown again, it comes back.
    const board = fac.locator('#board');
    await board.getByText('Too many meetings').waitFor();
    await board.getByRole('button', { name: 'Hide: Too many meetings' }).click();
    await board.getByRole('button', { name: 'Show again: Too many meetings' }).waitFor();
    await focusIs(fac, 'BUTTON Show again: Too many meetings', 'hidden');
    for (const page of [ada, bo, screen]) await shows(page, 'Delta', ['Trege bygg', 'Flaky tests'], 'hidden');
    await ada.getByRole('heading', { level: 2, name: 'Your notes (1)' }).waitFor();
    await axe(fac, 'facilitator, a hidden note');
    await board.getByRole('button', { name: 'Show again: Too many meetings' }).click();
    await focusIs(fac, 'BUTTON Hide: Too many meetings', 'shown again');
    for (const page of [ada, bo, screen]) await shows(page, 'Delta', ['Too many meetings', 'Trege bygg', 'Flaky tests'], 'shown again');

    // The dot vote on Delta, blind: three dots each, no counts on the phones or the screen.
    await fac.getByRole('button', { name: 'Close the notes and open the dot vote on Delta' }).click();
    await fac.getByRole('button', { name: 'Close the vote and show the result' }).waitFor();
    await ada.getByRole('heading', { level: 1, name: 'Vote with dots' }).waitFor();
    await ada.getByText('3 of 3 dots left').waitFor();
    await screen.getByText('Vote on your phone: put dots on the notes in Delta.').waitFor();
    const plus = ada.getByRole('button', { name: 'Add a dot: Flaky tests' });
    await plus.click();
    await ada.getByText('2 of 3 dots left').waitFor();
    await plus.click();
    await ada.getByText('1 of 3 dots left').waitFor();
    await focusIs(ada, 'BUTTON Add a dot: Flaky tests', 'after a dot');
    await saidOnce(ada, '2 dots on “Flaky tests”. 1 left.', 'a dot');
    await ada.getByRole('button', { name: 'Add a dot: Trege bygg' }).click();
    await ada.getByText('0 of 3 dots left').waitFor();
    assert.equal(await ada.getByRole('button', { name: 'Add a dot: Too many meetings' }).getAttribute('aria-disabled'), 'true', 'no dots left');
    assert.equal(await ada.getByRole('button', { name: 'Add a dot: Good pairing' }).count(), 0, 'dots only on Delta');
    await ada.getByRole('button', { name: 'Take a dot off: Trege bygg' }).click();
    await ada.getByText('1 of 3 dots left').waitFor();
    await ada.getByRole('button', { name: 'Add a dot: Flaky tests' }).click();
    await ada.getByText('0 of 3 dots left').waitFor();
    for (let i = 0; i < 2; i++) await bo.getByRole('button', { name: 'Gi en prikk: Trege bygg' }).click();
    await bo.getByText('1 av 3 prikker igjen').waitFor();
    await cy.getByRole('button', { name: 'Add a dot: Too many meetings' }).click();
    await cy.getByText('2 of 3 dots left').waitFor();
    // The facilitator sees the counts live; nobody else does.
    await until(async () => (await board.locator('li', { hasText: 'Flaky tests' }).textContent()).includes('3 dots'), 'the dots on the facilitator\'s page');
    await until(async () => (await board.locator('li', { hasText: 'Trege bygg' }).textContent()).includes('2 dots'), 'the dots on the facilitator\'s page');
    for (const page of [bo, cy, screen]) assert.ok(!(await column(page, 'Delta').locator('li', { hasText: 'Flaky tests' }).textContent()).includes('3'), 'blind');
    // A note hidden in the vote gives its dots back; shown again, it has none.
    await board.getByRole('button', { name: 'Hide: Trege bygg' }).click();
    await bo.getByText('3 av 3 prikker igjen').waitFor();
    await board.getByRole('button', { name: 'Show again: Trege bygg' }).click();
    await column(bo, 'Delta').locator('li', { hasText: 'Trege bygg' }).getByText('0 prikker fra deg').waitFor();
    assert.equal(await bo.getByText('3 av 3 prikker igjen').count(), 1);
    for (let i = 0; i < 2; i++) await bo.getByRole('button', { name: 'Gi en prikk: Trege bygg' }).click();
    await bo.getByText('1 av 3 prikker igjen').waitFor();
    await until(async () => (await board.locator('li', { hasText: 'Trege bygg' }).textContent()).includes('2 dots'), 'the dots again');
    // A reload keeps one's dots.
    await ada.reload();
    await ada.getByText('0 of 3 dots left').waitFor();
    await ada.locator('li', { hasText: 'Flaky tests' }).getByText('3 dots from you').waitFor();
    await check(ada, 'phone, vote (en)');
    await check(bo, 'phone, vote (nb)');
    await axe(fac, 'facilitator, vote');
    await check(screen, 'screen, vote');
    await shot(ada, 'participant-retro-vote');

    // Done: Delta ordered by dots on the phones and the screen, with the counts.
    await fac.getByRole('button', { name: 'Close the vote and show the result' }).click();
    await fac.getByText('This activity is finished.').waitFor();
    await ada.getByRole('heading', { level: 1, name: 'The result' }).waitFor();
    for (const page of [ada, bo, screen]) await shows(page, 'Delta', ['Flaky tests', 'Trege bygg', 'Too many meetings'], 'ordered by dots');
    await shows(ada, 'Plus', ['Good pairing', 'Nice demo'], 'Plus as written');
    await column(ada, 'Delta').locator('li', { hasText: 'Flaky tests' }).getByText('3 dots').waitFor();
    await column(bo, 'Delta').locator('li', { hasText: 'Trege bygg' }).getByText('2 prikker').waitFor();
    await column(screen, 'Delta').locator('li', { hasText: 'Flaky tests' }).getByText('● 3').waitFor();
    await check(ada, 'phone, done (en)');
    await check(bo, 'phone, done (nb)');
    await axe(fac, 'facilitator, done');
    await check(screen, 'screen, done');
    await shot(screen, 'screen-retro-done');
    await shot(fac, 'facilitator-retro-done');
    // Back to the vote, asked first: the dots given stay; and on to the result again.
    await fac.getByRole('button', { name: 'Back to the vote' }).click();
    await fac.getByText('Reopen the vote?', { exact: false }).waitFor();
    await fac.getByRole('button', { name: 'Yes, go back' }).click();
    await ada.getByRole('heading', { level: 1, name: 'Vote with dots' }).waitFor();
    await ada.getByText('0 of 3 dots left').waitFor();
    await fac.getByRole('button', { name: 'Close the vote and show the result' }).click();
    await shows(screen, 'Delta', ['Flaky tests', 'Trege bygg', 'Too many meetings'], 'ordered by dots again');
    for (const page of [ada, bo, cy]) assert.deepEqual((await page.evaluate(() => window.heard)).filter((h) => h.startsWith('alert')), [], 'no error');
    checkErrors(ada, bo, cy, fac, screen);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('Start/Stop/Continue: its labels on phones, the facilitator and the screen; a long board in pages at 1024×768', async () => {
  const server = await startServer();
  const browser = await launch();
  const clients = [];
  try {
    const columns = ['Start', 'Stop', 'Continue'];
    const created = await createSession(server.base, {
      title: 'Quarter', language: 'en', agenda: [{ kind: 'retro', prompt: 'What should we start, stop and continue?', columns, max_notes: 10 }],
    });
    const fac = await connect(server.base, { code: created.code, role: 'facilitator', key: created.key });
    clients.push(fac);
    const facPage = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    const screen = await open(browser, created.urls.screen, { viewport: SMALL });
    const ada = await join(browser, created.urls.participant, 'Ada');
    await fac.send('activity.start', { index: 0 });
    await fac.send('phase.next');
    await ada.getByRole('heading', { level: 1, name: 'Add your notes' }).waitFor();
    for (const label of columns) await ada.getByRole('button', { name: `Add to ${label}`, exact: true }).waitFor();
    assert.equal(await ada.getByText('Plus: what worked.').count(), 0, 'no Plus/Delta hint');
    await add(ada, 'Pair on reviews', 'Add to Continue');
    await shows(screen, 'Continue', ['Pair on reviews'], 'the screen');
    for (const label of columns) await screen.getByRole('heading', { level: 2, name: new RegExp(`^${label}\\b`) }).waitFor();
    await facPage.getByRole('button', { name: 'Close the board' }).waitFor();
    await facPage.locator('#progress dt', { hasText: 'Notes in Continue' }).waitFor();

    // Ten phones write ten long notes each to Start: more than a 1024×768 screen holds.
    const long = (i) => `Note ${i}: ${'start writing down what we decided in each meeting, and '.repeat(2)}`.slice(0, 138).trimEnd() + '.';
    const phones = [];
    for (let p = 0; p < 4; p++) phones.push(await connect(server.base, { code: created.code, role: 'participant', name: `P${p}` }));
    clients.push(...phones);
    const all = [];
    for (let i = 0; i < 40; i++) {
      all.push(long(i));
      await phones[i % 4].send('retro.add', { column: 0, text: long(i) });
    }
    await until(async () => (await column(screen, 'Start').locator('li').count()) === all.length, 'every note on the screen');
    const pager = screen.locator('.rtop .pager p');
    await until(async () => /^Page 1 of \d+$/.test(await pager.textContent().catch(() => '')), 'the board in pages');
    const pages = Number((await pager.textContent()).match(/of (\d+)$/)[1]);
    assert.ok(pages > 1 && pages < 20, `${pages} pages`);
    const seen = [];
    for (let page = 1; page <= pages; page++) {
      await until(async () => (await pager.textContent()) === `Page ${page} of ${pages}`, `page ${page}`);
      const start = column(screen, 'Start').locator('li:not([hidden])');
      const fits = await start.evaluateAll((els) => els.map((el) => {
        const r = el.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5;
      }));
      assert.ok(fits.length > 0 && fits.every(Boolean), `page ${page} is on screen`);
      seen.push(...await start.allTextContents());
      // The short column stays in view on every page.
      assert.deepEqual(await texts(screen, 'Continue'), ['Pair on reviews']);
      await screen.getByRole('button', { name: 'Next page' }).click();
    }
    assert.deepEqual(seen, all, 'every note once, in order');
    assert.ok(!(await screen.evaluate(() => document.documentElement.scrollHeight > innerHeight)), 'the board does not scroll');
    const font = await column(screen, 'Start').locator('li').first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(font >= 16, `readable: ${font}px`);
    await axe(screen, 'a board of 41 notes');
    await reflows(screen, 'a board of 41 notes');
    await shot(screen, 'screen-retro-pages');

    // No dots: the board closes straight to the result.
    await facPage.getByRole('button', { name: 'Close the board' }).click();
    await ada.getByRole('heading', { level: 1, name: 'The result' }).waitFor();
    await shows(ada, 'Continue', ['Pair on reviews'], 'the result');
    assert.equal(await ada.getByText(/\d dots?$/).count(), 0, 'no dots without a vote');
    await check(ada, 'phone, done without a vote');
    checkErrors(ada, facPage, screen);
  } finally {
    clients.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});
