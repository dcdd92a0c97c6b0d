// Nothing is lost by a reload, a lost connection or a second tab: the saved card comes back
// while writing; in a round the same card is in hand with the score already given; when the
// server goes away the offline banner shows and the phone comes back as itself; a second tab
// of the same participant takes over (4002) and the first can take it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createSession, launch, open, checkErrors, until, PROJECTOR } from './helpers.js';

const pressed = (phone) => phone.locator('.score').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-pressed')));

test('a reload, a server restart and a second tab keep the card and the score', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const created = await createSession(server.base, { title: 'Reload', language: 'en', agenda: [{ kind: 'scoring', prompt: 'Why?', rounds: 2 }] });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    const phones = [];
    for (let i = 0; i < 3; i++) {
      const phone = await open(browser, created.urls.participant);
      await phone.getByRole('button', { name: 'Join' }).click();
      await phone.getByRole('heading', { name: "You're in!" }).waitFor();
      phones.push(phone);
    }
    await fac.getByRole('button', { name: /^Start: / }).click();
    await fac.getByRole('button', { name: 'Open writing' }).click();
    for (const [i, phone] of phones.entries()) {
      await phone.getByLabel('Your card').fill(`Card ${i}`);
      await phone.getByRole('button', { name: 'Save card' }).click();
      await phone.locator('#view .ok').waitFor();
    }
    const [phone] = phones;
    await phone.reload();
    await phone.getByLabel('Your card').waitFor();
    assert.equal(await phone.getByLabel('Your card').inputValue(), 'Card 0');

    await fac.getByRole('button', { name: 'Start round 1' }).click();
    await phone.locator('#hand').waitFor();
    const card = await phone.locator('#hand').textContent();
    await phone.getByRole('button', { name: '4', exact: true }).click();
    await phone.locator('.scored', { hasText: 'You gave 4.' }).waitFor();

    await phone.reload();
    await phone.locator('#hand').waitFor();
    assert.equal(await phone.locator('#hand').textContent(), card, 'the same card in hand');
    await phone.locator('.scored', { hasText: 'You gave 4.' }).waitFor();
    assert.deepEqual(await pressed(phone), ['false', 'false', 'false', 'true', 'false']);

    // The server goes away and comes back: the banner says so, and the phone resumes.
    await server.restart(() => phone.locator('#net', { hasText: 'No connection' }).waitFor());
    await phone.locator('#net p').waitFor({ state: 'detached', timeout: 20000 });
    await fac.locator('#net p').waitFor({ state: 'detached', timeout: 20000 });
    assert.equal(await phone.locator('#hand').textContent(), card);
    assert.deepEqual(await pressed(phone), ['false', 'false', 'false', 'true', 'false']);
    await phone.getByRole('button', { name: '2', exact: true }).click();
    await phone.locator('.scored', { hasText: 'You gave 2.' }).waitFor();

    // The same participant in a second tab takes over; the first can take it back.
    const second = await phone.context().newPage();
    second.errors = [];
    await second.goto(created.urls.participant);
    await second.locator('#hand').waitFor();
    assert.deepEqual(await pressed(second), ['false', 'true', 'false', 'false', 'false']);
    await phone.getByRole('heading', { name: 'This session is open in another tab or device.' }).waitFor();
    await phone.getByRole('button', { name: 'Use it here' }).click();
    await phone.locator('#hand').waitFor();
    await second.getByRole('heading', { name: 'This session is open in another tab or device.' }).waitFor();
    assert.equal(await phone.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('lapp.p.')).length), 1);
    await until(async () => (await fac.locator('.stat dd').nth(0).textContent()) === '3', 'still three participants');
    checkErrors(fac, ...phones);
  } finally {
    await browser.close();
    await server.stop();
  }
});
