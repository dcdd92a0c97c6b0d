// User text is only ever text: markup in a card, a note, a name, a title or a prompt shows
// literally on every view, creates no element and runs nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createSession, launch, open, checkErrors, PROJECTOR } from './helpers.js';

const EVIL = '<img src=x onerror=alert(1)>';

// No element the page did not make itself: the only images are the QR codes.
const foreign = (page) => page.evaluate(() => document.querySelectorAll('img:not(.qr), script:not([src]), iframe, b, svg').length);

test('markup in user text is shown as text and runs nothing', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const created = await createSession(server.base, {
      title: `<b>Title</b>${EVIL}`,
      language: 'en',
      agenda: [
        { kind: 'scoring', prompt: `Prompt ${EVIL}`, rounds: 1 },
        { kind: 'grouping', prompt: `Grouping ${EVIL}`, sizes: [3] },
      ],
    });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    const screen = await open(browser, created.urls.screen, { viewport: PROJECTOR });
    const phones = [];
    for (let i = 0; i < 3; i++) {
      const phone = await open(browser, created.urls.participant);
      await phone.getByLabel('Your name (optional)').fill(`${EVIL}${i}`);
      await phone.getByRole('button', { name: 'Join' }).click();
      await phone.getByText(`You joined as ${EVIL}${i}.`).waitFor();
      phones.push(phone);
    }
    await fac.locator('.title', { hasText: `<b>Title</b>${EVIL}` }).waitFor();

    await fac.getByRole('button', { name: /^Start: / }).first().click();
    await fac.getByRole('button', { name: 'Open writing' }).click();
    for (const [i, phone] of phones.entries()) {
      await phone.locator('.prompt', { hasText: `Prompt ${EVIL}` }).waitFor();
      await phone.getByLabel('Your card').fill(i === 0 ? EVIL : `Card ${i}`);
      await phone.getByRole('button', { name: 'Save card' }).click();
      await phone.locator('#view .ok').waitFor();
    }
    await fac.getByRole('button', { name: 'Start round 1' }).click();
    let holder = null;
    for (const phone of phones) {
      await phone.locator('#hand').waitFor();
      if ((await phone.locator('#hand').textContent()) === EVIL) holder = phone;
      await phone.getByRole('button', { name: '5', exact: true }).click();
      await phone.locator('.scored').waitFor();
    }
    assert.ok(holder, 'someone holds the card with markup, shown as its literal text');
    await fac.getByRole('button', { name: 'Close round 1 and show results' }).click();
    await fac.locator('ol.board .text', { hasText: EVIL }).waitFor();
    await fac.getByLabel('Top cards to show').fill('3');
    await fac.getByRole('button', { name: 'Reveal', exact: true }).click();
    await screen.locator('.countdown .text', { hasText: EVIL }).waitFor();
    await phones[1].locator('ol.top .text', { hasText: EVIL }).waitFor();
    for (const page of [fac, screen, ...phones]) assert.equal(await foreign(page), 0, page.url());

    // Names and notes in a group, and on the poster.
    await fac.getByRole('button', { name: /^Start: / }).click();
    // Another activity is running: the facilitator is asked first.
    await fac.getByRole('button', { name: 'Yes, start it' }).click();
    await fac.getByRole('button', { name: 'Open writing alone' }).click();
    for (const phone of phones) {
      await phone.getByLabel('New note').fill(`Note ${EVIL}`);
      await phone.getByRole('button', { name: 'Add note' }).click();
      await phone.locator('.notes .text', { hasText: `Note ${EVIL}` }).waitFor();
    }
    await fac.getByRole('button', { name: 'Form groups of 3' }).click();
    await phones[0].locator('.members li', { hasText: `${EVIL}2` }).waitFor();
    await phones[0].getByRole('button', { name: 'Star' }).first().click();
    await fac.getByText('1 of 1 groups have starred').waitFor();
    await fac.getByRole('button', { name: 'Show the poster' }).click();
    await screen.locator('.poster li', { hasText: `Note ${EVIL}` }).waitFor();
    await fac.locator('.poster li', { hasText: `Note ${EVIL}` }).waitFor();
    for (const page of [fac, screen, ...phones]) assert.equal(await foreign(page), 0, page.url());
    checkErrors(fac, screen, ...phones); // a dialog (alert) would be listed here
  } finally {
    await browser.close();
    await server.stop();
  }
});
