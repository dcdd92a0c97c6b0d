// Names a session gives: the organiser picks "Lapp gives each a friendly name" on the home
// page; a phone then asks for no name and is called by a two-word name nobody typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, open, axe, checkErrors, PROJECTOR, PHONE } from './helpers.js';

test('a session with generated names asks for none and names everyone', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const home = await open(browser, `${server.base}/`, { viewport: PROJECTOR });
    await home.getByLabel('Title').fill('Open hall');
    await home.getByLabel("Participants' names").selectOption('generated');
    await home.getByLabel('Question').fill('What slows you down?');
    await home.getByRole('button', { name: 'Create the session' }).click();
    await home.waitForURL(/\/f\/\d{6}#key=/);
    const code = home.url().match(/\/f\/(\d{6})/)[1];

    for (const locale of ['en-US', 'nb-NO']) {
      const phone = await open(browser, `${server.base}/j/${code}`, { viewport: PHONE, locale });
      await phone.locator('#zone').waitFor();
      assert.equal(await phone.locator('#name').count(), 0, 'no name to type');
      await axe(phone, `join form with generated names (${locale})`);
      if (locale === 'en-US') {
        await phone.getByText('You get a name when you join.').waitFor();
        await phone.getByRole('button', { name: 'Join' }).click();
        const joined = await phone.getByText(/^You joined as \S+ \S+\.$/).textContent();
        assert.match(joined, /^You joined as [A-ZÆØÅ][a-zæøå]+ [a-zæøå]+\.$/);
      }
      checkErrors(phone);
    }
    checkErrors(home);
  } finally {
    await browser.close();
    await server.stop();
  }
});
