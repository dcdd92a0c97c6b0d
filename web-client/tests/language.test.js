// The language follows the browser, can be switched on every view, sets <html lang> and is
// remembered across reloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createSession, launch, open, checkErrors, PROJECTOR } from './helpers.js';

test('switching to English changes the text and lang, and persists', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const created = await createSession(server.base, { title: 'Språk', agenda: [{ kind: 'scoring', prompt: 'Hvorfor?' }] });
    const page = await open(browser, `${server.base}/`, { locale: 'nb-NO' });
    await page.getByRole('heading', { level: 1, name: 'Velkommen til Lapp' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'nb');

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Welcome to Lapp' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.getByLabel('Session code').count(), 1);
    // Focus stays on the switch, which now offers the other language.
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Norsk');

    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Welcome to Lapp' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');

    // The same choice holds on the other views, and they switch too.
    await page.goto(created.urls.participant);
    await page.getByRole('heading', { level: 1, name: 'Join “Språk”' }).waitFor();
    await page.getByRole('button', { name: 'Norsk' }).click();
    await page.getByRole('heading', { level: 1, name: 'Bli med i «Språk»' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'nb');
    await page.getByRole('button', { name: 'Bli med' }).click();
    await page.getByRole('heading', { level: 1, name: 'Du er med!' }).waitFor();

    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR, locale: 'nb-NO' });
    await fac.getByRole('heading', { name: 'Styring' }).waitFor();
    await fac.getByRole('button', { name: 'English' }).click();
    await fac.getByRole('heading', { name: 'Controls' }).waitFor();
    await fac.getByRole('button', { name: /^Start: / }).click();
    await fac.getByRole('button', { name: 'Open writing' }).waitFor();
    const screen = await open(browser, created.urls.screen, { viewport: PROJECTOR, locale: 'en-GB' });
    await screen.getByText('1 joined').waitFor();
    await screen.getByRole('button', { name: 'Norsk' }).click();
    await screen.getByText('1 er med').waitFor();
    assert.equal(await screen.getAttribute('html', 'lang'), 'nb');
    checkErrors(page, fac, screen);
  } finally {
    await browser.close();
    await server.stop();
  }
});
