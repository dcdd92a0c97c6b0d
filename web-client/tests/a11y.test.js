// WCAG 2.1 AA checks on every view in every state a session goes through: axe-core finds no
// violation, and the page reflows at 320 CSS px (200% zoom of a small laptop) with no
// horizontal scrolling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createSession, launch, open, axe, reflows, checkErrors, shot, PROJECTOR, PHONE } from './helpers.js';

async function check(what, ...pages) {
  for (const page of pages) {
    const name = `${what} ${new URL(page.url()).pathname}`;
    await axe(page, name);
    await reflows(page, name);
  }
}

test('axe finds nothing on any view in any state, and every view reflows at 320px', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const home = await open(browser, `${server.base}/`, { locale: 'nb-NO' });
    await home.getByRole('heading', { level: 1 }).waitFor();
    await check('home (nb)', home);
    await home.getByRole('button', { name: 'Legg til en aktivitet' }).click();
    await home.getByLabel('Metode').nth(1).selectOption('grouping');
    await check('home with two activities', home);
    await shot(home, 'home');

    const created = await createSession(server.base, {
      title: 'Tilgjengelig', language: 'en',
      agenda: [{ kind: 'scoring', prompt: 'What slows you down?', rounds: 1, top: 3 }, { kind: 'grouping', prompt: 'What first?', sizes: [3] }],
    });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    const screen = await open(browser, created.urls.screen, { viewport: PROJECTOR });
    const join = await open(browser, created.urls.participant);
    await join.getByRole('heading', { level: 1 }).waitFor();
    await check('join form', join);
    await shot(join, 'participant-join');
    const phones = [join];
    // A phone whose own clock is an hour and a half wrong still counts down the server's time.
    const wrongClock = () => { const real = Date.now; Date.now = () => real() + 5400000; };
    for (let i = 1; i < 3; i++) phones.push(await open(browser, created.urls.participant, { init: wrongClock }));
    for (const [i, phone] of phones.entries()) {
      await phone.getByLabel('Your name (optional)').fill(`Person ${i}`);
      await phone.getByRole('button', { name: 'Join' }).click();
      await phone.getByText(`You joined as Person ${i}.`).waitFor();
    }
    await screen.getByText('3 joined').waitFor();
    await check('before any activity', phones[0], fac, screen);
    await shot(screen, 'screen-welcome');

    await fac.getByRole('button', { name: /^Start: / }).first().click();
    await phones[0].getByRole('heading', { name: 'Get ready' }).waitFor();
    await check('scoring lobby', phones[0], fac, screen);
    await fac.getByRole('button', { name: 'Open writing' }).click();
    await phones[0].getByLabel('Your card').fill('x'.repeat(300));
    await phones[0].locator('#cardc', { hasText: '20 characters too many' }).waitFor();
    await check('writing, too long', phones[0]);
    for (const [i, phone] of phones.entries()) {
      await phone.getByLabel('Your card').fill(`A card with a rather long text that needs to wrap on a small phone, number ${i}`);
      await phone.getByRole('button', { name: 'Save card' }).click();
      await phone.locator('#view .ok').waitFor();
    }
    await fac.getByRole('button', { name: 'Start the timer' }).click();
    for (const page of [phones[0], phones[1], fac, screen]) {
      await page.locator('.timer').waitFor();
      assert.match(await page.locator(".timer").textContent(), /^Time left (3:00|2:5\d)$/, page.url());
    }
    await check('writing, saved, with a timer', phones[0], fac, screen);

    await fac.getByRole('button', { name: 'Start round 1' }).click();
    await phones[0].locator('#hand').waitFor();
    await check('round, not scored', phones[0]);
    for (const phone of phones) {
      await phone.getByRole('button', { name: '2', exact: true }).click();
      await phone.locator('.scored').waitFor();
    }
    await fac.getByText('3 of 3 have scored').waitFor();
    await check('round, scored', phones[0], fac, screen);

    await fac.getByRole('button', { name: 'Close round 1 and show results' }).click();
    await phones[0].getByRole('heading', { name: 'Results' }).waitFor();
    await fac.locator('ol.board li').nth(2).waitFor();
    await check('results', phones[0], fac, screen);
    await fac.getByRole('button', { name: 'Hide' }).first().click();
    await fac.getByRole('heading', { name: 'Hidden' }).waitFor();
    await fac.getByRole('button', { name: 'Reveal', exact: true }).click();
    await screen.locator('.countdown li').first().waitFor();
    await phones[0].locator('ol.top li').first().waitFor();
    await check('revealed, one card hidden', phones[0], fac, screen);

    await fac.getByRole('button', { name: /^Start: / }).click();
    // Another activity is running: the facilitator is asked first.
    await fac.getByRole('button', { name: 'Yes, start it' }).click();
    await fac.getByRole('button', { name: 'Open writing alone' }).click();
    for (const [i, phone] of phones.entries()) {
      await phone.getByLabel('New note').fill(`Note ${i}`);
      await phone.getByRole('button', { name: 'Add note' }).click();
      await phone.locator('.notes li', { hasText: `Note ${i}` }).waitFor();
    }
    await check('grouping, alone', phones[0], fac, screen);
    await fac.getByRole('button', { name: 'Form groups of 3' }).click();
    await phones[0].locator('h1.label').waitFor();
    await phones[0].getByRole('button', { name: 'Star' }).first().click();
    await fac.getByText('1 of 1 groups have starred').waitFor();
    await check('grouping, in a group, starred', phones[0], fac, screen);
    await fac.getByRole('button', { name: 'Show the poster' }).click();
    await screen.locator('.poster li').first().waitFor();
    await fac.locator('.poster').getByRole('button', { name: 'Hide' }).first().click();
    await fac.getByRole('heading', { name: 'Hidden' }).waitFor();
    await check('poster, a note hidden', phones[0], fac, screen);

    await fac.getByRole('button', { name: 'Delete the session…' }).click();
    await fac.getByRole('button', { name: 'Yes, delete' }).waitFor();
    await check('confirming deletion', fac);
    await fac.getByRole('button', { name: 'Yes, delete' }).click();
    await fac.getByRole('heading', { name: 'This session has been deleted.' }).waitFor();
    await phones[0].getByRole('heading', { name: 'This session has been deleted.' }).waitFor();
    await check('deleted', fac, phones[0], screen);
    checkErrors(home, fac, screen, ...phones);
  } finally {
    await browser.close();
    await server.stop();
  }
});
