// The home page: the sessions this device created are remembered with their facilitator links
// (a closed tab loses no key) until the organiser forgets one; a code read off the screen as
// "629 787" joins. axe finds nothing in any of these states, in either language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, open, axe, reflows, checkErrors, shot, PROJECTOR } from './helpers.js';

const kept = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('lapp.sessions') || '[]'));

async function create(page, title) {
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Question').fill('What first?');
  await page.getByRole('button', { name: 'Create the session' }).click();
  await page.waitForURL(/\/f\/\d{6}#key=[0-9a-f]{32}$/);
  return page.url();
}

test('the home page remembers the sessions this device created until one is forgotten', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const first = await open(browser, `${server.base}/`, { viewport: PROJECTOR });
    await first.getByRole('heading', { level: 1, name: 'Welcome to Lapp' }).waitFor();
    assert.equal(await first.getByRole('heading', { name: 'Sessions you created' }).count(), 0, 'no list before any session');
    const town = await create(first, 'Town hall');
    const context = first.context();
    await first.close(); // closing the tab keeps the key

    const home = await context.newPage();
    home.errors = [];
    await home.goto(`${server.base}/`);
    await home.getByRole('heading', { name: 'Sessions you created' }).waitFor();
    const board = await create(home, 'Board <b>meeting</b>');
    await home.goto(`${server.base}/`);
    const list = home.locator('.sessions li');
    await list.nth(1).waitFor();
    assert.deepEqual(await list.locator('a').evaluateAll((links) => links.map((a) => [a.textContent, a.href])),
      [['Board <b>meeting</b>', board], ['Town hall', town]], 'newest first, titles as text, links with their keys');
    const townCode = town.match(/\/f\/(\d{6})/)[1];
    await list.nth(1).getByText(`Code ${townCode} · created`).waitFor();
    const stored = await kept(home);
    assert.equal(stored[1].key, town.split('#key=')[1], 'the key is stored');
    await home.getByText('if you forget a session here, this device loses its key').waitFor();
    await axe(home, 'home with two remembered sessions');
    await reflows(home, 'home with two remembered sessions');
    await shot(home, 'home-sessions');

    // The link opens the facilitator page, key and all.
    await home.getByRole('link', { name: 'Town hall' }).click();
    await home.getByRole('heading', { name: 'Controls' }).waitFor();
    assert.equal(home.url(), town);
    await home.goBack();

    // Forgetting asks first; cancel keeps it and focus goes back to the button.
    const townItem = home.locator('.sessions li', { hasText: 'Town hall' });
    await townItem.getByRole('button', { name: 'Forget' }).click();
    const confirm = townItem.getByRole('group', { name: /Forget “Town hall” on this device\?/ });
    await confirm.waitFor();
    assert.ok(await confirm.evaluate((el) => el === document.activeElement), 'the question has focus');
    await axe(home, 'home asking to forget');
    await reflows(home, 'home asking to forget');
    await townItem.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await home.evaluate(() => document.activeElement.textContent), 'Forget');
    assert.equal((await kept(home)).length, 2);

    // In bokmål, and forgotten for good.
    await home.getByRole('button', { name: 'Norsk' }).click();
    await home.getByRole('heading', { name: 'Øktene du har laget' }).waitFor();
    await home.locator('.sessions li', { hasText: 'Town hall' }).getByRole('button', { name: 'Glem' }).click();
    await home.getByRole('group', { name: /Glemme «Town hall» på denne enheten\?/ }).waitFor();
    await axe(home, 'home asking to forget (nb)');
    await home.getByRole('button', { name: 'Ja, glem den' }).click();
    await home.locator('.sessions li', { hasText: 'Town hall' }).waitFor({ state: 'detached' });
    assert.deepEqual((await kept(home)).map((s) => s.title), ['Board <b>meeting</b>']);
    await axe(home, 'home with one remembered session (nb)');
    await home.reload();
    await home.locator('.sessions li').first().waitFor();
    assert.equal(await home.locator('.sessions li').count(), 1);
    await home.getByRole('button', { name: 'Glem' }).click();
    await home.getByRole('button', { name: 'Ja, glem den' }).click();
    await home.getByRole('heading', { name: 'Øktene du har laget' }).waitFor({ state: 'hidden' });
    assert.deepEqual(await kept(home), []);
    checkErrors(home);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('a code typed with a space joins; a code without six digits is explained', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const response = await fetch(`${server.base}/api/sessions`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'Spaces', language: 'en', agenda: [{ kind: 'scoring', prompt: 'Why?' }] }) });
    const { code } = await response.json();
    for (const [locale, label, join, wrong] of [['en-US', 'Session code', 'Join', 'The code has six digits.'],
      ['nb-NO', 'Øktkode', 'Bli med', 'Koden har seks sifre.']]) {
      const page = await open(browser, `${server.base}/`, { locale });
      const input = page.getByLabel(label);
      await input.fill('12 34');
      await page.getByRole('button', { name: join, exact: true }).click();
      await page.getByRole('alert').filter({ hasText: wrong }).waitFor();
      assert.equal(await input.getAttribute('aria-invalid'), 'true');
      assert.match(await input.getAttribute('aria-describedby'), /codeErr/);
      assert.ok(await input.evaluate((el) => el === document.activeElement), 'focus back on the code');
      await axe(page, `home with a wrong code (${locale})`);
      await reflows(page, `home with a wrong code (${locale})`);

      const spaced = `${code.slice(0, 3)} ${code.slice(3)}`;
      await input.fill(` ${spaced} `);
      assert.equal(await input.inputValue(), ` ${spaced} `, 'nothing stops the spaces');
      await input.press('Enter');
      await page.waitForURL(`${server.base}/j/${code}`);
      await page.locator('#name').waitFor();
      checkErrors(page);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
});
