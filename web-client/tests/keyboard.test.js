// Keyboard alone: a participant joins, writes and scores with Tab, typing, Enter and Space,
// and the focused control always shows a visible focus indicator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createSession, launch, open, checkErrors, PROJECTOR } from './helpers.js';

// Presses Tab until `matches` (run in the page on the focused element) holds.
async function tabTo(page, matches, what) {
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press('Tab');
    const found = await page.evaluate(matches);
    if (found) {
      const outline = await page.evaluate(() => {
        const style = getComputedStyle(document.activeElement);
        return document.activeElement.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
      });
      assert.ok(outline, `${what} shows a visible focus indicator`);
      return;
    }
  }
  throw new Error(`Tab never reached ${what}`);
}

test('a participant joins, writes and scores by keyboard alone', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const created = await createSession(server.base, { title: 'Keys', language: 'en', agenda: [{ kind: 'scoring', prompt: 'Why?', rounds: 1 }] });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    const other = await open(browser, created.urls.participant);
    await other.getByRole('button', { name: 'Join' }).click();
    await other.getByRole('heading', { name: "You're in!" }).waitFor();

    const phone = await open(browser, created.urls.participant);
    await tabTo(phone, () => document.activeElement.id === 'name', 'the name field');
    await phone.keyboard.type('Kari');
    await tabTo(phone, () => document.activeElement.id === 'zone', 'the zone field');
    await tabTo(phone, () => document.activeElement.textContent === 'Join', 'the join button');
    await phone.keyboard.press('Enter');
    await phone.getByText('You joined as Kari.').waitFor();

    await fac.getByRole('button', { name: /^Start: / }).click();
    await fac.getByRole('button', { name: 'Open writing' }).click();
    await other.getByLabel('Your card').fill('The other card');
    await other.getByRole('button', { name: 'Save card' }).click();

    await phone.getByLabel('Your card').waitFor();
    await tabTo(phone, () => document.activeElement.id === 'card', 'the card field');
    await phone.keyboard.type('Written by keyboard');
    await tabTo(phone, () => document.activeElement.textContent === 'Save card', 'the save button');
    await phone.keyboard.press('Enter');
    await phone.locator('#view .ok', { hasText: 'Your card is saved.' }).waitFor();

    await fac.getByRole('button', { name: 'Start round 1' }).click();
    await phone.locator('#hand').waitFor();
    await tabTo(phone, () => document.activeElement.textContent === '3', 'score 3');
    await phone.keyboard.press('Space');
    await phone.locator('.scored', { hasText: 'You gave 3.' }).waitFor();
    assert.equal(await phone.getByRole('button', { name: '3', exact: true }).getAttribute('aria-pressed'), 'true');
    // Focus stays on the chosen score through the re-render, so it can be changed at once.
    assert.equal(await phone.evaluate(() => document.activeElement.textContent), '3');
    await phone.keyboard.press('Tab');
    await phone.keyboard.press('Enter');
    await phone.locator('.scored', { hasText: 'You gave 4.' }).waitFor();
    checkErrors(fac, other, phone);
  } finally {
    await browser.close();
    await server.stop();
  }
});
