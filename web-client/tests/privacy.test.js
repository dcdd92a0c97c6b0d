// The privacy notice (/privacy) in both languages, with the server's retention and contact
// (GET /api/about), linked from home and from every state of a phone; and a server that only
// lets holders of its creation token make sessions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createSession, launch, open, axe, reflows, checkErrors, shot } from './helpers.js';

const CONTACT = 'Ola Nordmann <personvern@example.no>';

test('the privacy notice says what is kept, why, how long and whom to ask, in both languages', async () => {
  const server = await startServer({ args: ['--privacy-contact', CONTACT, '--retention-days', '10'] });
  const browser = await launch();
  try {
    const page = await open(browser, `${server.base}/`);
    await page.getByRole('contentinfo').getByRole('link', { name: 'Privacy' }).click();
    await page.waitForURL(`${server.base}/privacy`);
    await page.getByRole('heading', { level: 1, name: 'Privacy in Lapp' }).waitFor();
    for (const name of ['What is stored', 'Why', 'For how long', 'Who to contact']) await page.getByRole('heading', { level: 2, name }).waitFor();
    await page.getByText('a random code for each phone', { exact: false }).waitFor();
    await page.getByText('the server stores only a hash of it', { exact: false }).waitFor();
    await page.getByText('Lapp stores no e-mail address, has no accounts and does not store your IP address', { exact: false }).waitFor();
    assert.match(await page.locator('#retention').textContent(), /deleted automatically 10 days after it was created/);
    assert.equal(await page.locator('#contact').textContent(), `Questions about privacy: ${CONTACT}`, 'the contact, as text');
    assert.equal(await page.title(), 'Privacy in Lapp – Lapp');
    await axe(page, 'privacy (en)');
    await reflows(page, 'privacy (en)');
    await shot(page, 'privacy');

    await page.getByRole('button', { name: 'Norsk' }).click();
    await page.getByRole('heading', { level: 1, name: 'Personvern i Lapp' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'nb');
    assert.match(await page.locator('#retention').textContent(), /slettes automatisk 10 dager etter at den ble laget/);
    assert.equal(await page.locator('#contact').textContent(), `Spørsmål om personvern: ${CONTACT}`);
    assert.equal(await page.title(), 'Personvern i Lapp – Lapp');
    await axe(page, 'privacy (nb)');
    await reflows(page, 'privacy (nb)');
    await page.getByRole('link', { name: 'Til forsiden' }).click();
    await page.getByRole('heading', { level: 1, name: 'Velkommen til Lapp' }).waitFor();
    checkErrors(page);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('without a contact the notice names the organiser; every state of a phone links to it', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const page = await open(browser, `${server.base}/privacy`, { locale: 'nb-NO' });
    await page.getByRole('heading', { level: 1, name: 'Personvern i Lapp' }).waitFor();
    assert.match(await page.locator('#contact').textContent(), /^Kontakt den som arrangerer økten du er med i/);
    assert.match(await page.locator('#retention').textContent(), / 30 dager /);
    await axe(page, 'privacy without a contact (nb)');
    await page.getByRole('button', { name: 'English' }).click();
    assert.match(await page.locator('#contact').textContent(), /^Contact the organiser of the session/);
    await axe(page, 'privacy without a contact (en)');

    // The phone: the link is there in every state, outside the view, and comes back as itself.
    const created = await createSession(server.base, { title: 'Private', language: 'en', agenda: [{ kind: 'scoring', prompt: 'Why?', rounds: 1 }] });
    const fac = await open(browser, created.urls.facilitator);
    const phone = await open(browser, created.urls.participant);
    const link = phone.getByRole('contentinfo').getByRole('link', { name: 'Privacy' });
    const linked = async (what) => {
      assert.equal(await link.getAttribute('href'), '/privacy', what);
      assert.equal(await phone.locator('#view a[href="/privacy"]').count(), 0);
      await axe(phone, what);
    };
    await phone.getByRole('heading', { level: 1, name: 'Join “Private”' }).waitFor();
    await linked('the join form');
    await phone.getByLabel('Your name (optional)').fill('Kari');
    await phone.getByRole('button', { name: 'Join' }).click();
    await phone.getByRole('heading', { name: "You're in!" }).waitFor();
    await linked('waiting');
    await fac.getByRole('button', { name: /^Start: / }).click();
    await fac.getByRole('button', { name: 'Open writing' }).click();
    await phone.getByLabel('Your card').fill('Mine');
    await linked('writing');
    await phone.getByRole('button', { name: 'Save card' }).click();
    await phone.locator('#view .ok').waitFor();
    await link.click();
    await phone.getByRole('heading', { level: 1, name: 'Privacy in Lapp' }).waitFor();
    await phone.goBack();
    assert.equal(await phone.getByLabel('Your card').inputValue(), 'Mine', 'back as the same participant');
    await fac.getByRole('button', { name: 'Delete the session…' }).click();
    await fac.getByRole('button', { name: 'Yes, delete' }).click();
    await phone.getByRole('heading', { name: 'This session has been deleted.' }).waitFor();
    await linked('deleted');
    checkErrors(page, fac, phone);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('a server with a creation token asks for it, says when it is wrong, and remembers it', async () => {
  const open1 = await startServer();
  const server = await startServer({ args: ['--create-token', 'tok'] });
  const browser = await launch();
  try {
    const plain = await open(browser);
    const about = plain.waitForResponse(`${open1.base}/api/about`);
    await plain.goto(`${open1.base}/`);
    assert.equal((await (await about).json()).create_token, false);
    await plain.getByRole('heading', { level: 1, name: 'Welcome to Lapp' }).waitFor();
    assert.equal(await plain.getByLabel('Creation token').isVisible(), false, 'no token field when none is needed');

    const page = await open(browser, `${server.base}/`);
    const token = page.getByLabel('Creation token');
    await token.waitFor();
    assert.equal(await token.getAttribute('type'), 'password');
    await page.getByText('You get it from whoever runs this Lapp server.').waitFor();
    await page.getByLabel('Title').fill('Guarded');
    await page.getByLabel('Question').fill('What first?');
    await token.fill('nope');
    await page.getByRole('button', { name: 'Create the session' }).click();
    await page.getByRole('alert').filter({ hasText: 'The token is wrong.' }).waitFor();
    assert.equal(await token.getAttribute('aria-invalid'), 'true');
    assert.match(await token.getAttribute('aria-describedby'), /\btokenErr\b/);
    assert.ok(await token.evaluate((el) => el === document.activeElement), 'focus on the token');
    assert.equal(await page.evaluate(() => localStorage.getItem('lapp.createToken')), null, 'a wrong token is not kept');
    // The browser logs the refused request; that one is expected.
    assert.deepEqual(page.errors, ['console: Failed to load resource: the server responded with a status of 403 (Forbidden)']);
    page.errors = [];
    await axe(page, 'home with a wrong token');
    await reflows(page, 'home with a wrong token');
    await page.getByRole('button', { name: 'Norsk' }).click();
    await page.getByRole('alert').filter({ hasText: 'Koden er feil.' }).waitFor();
    await axe(page, 'home with a wrong token (nb)');
    await page.getByRole('button', { name: 'English' }).click();

    await token.fill('tok');
    await page.getByRole('button', { name: 'Create the session' }).click();
    await page.waitForURL(/\/f\/\d{6}#key=[0-9a-f]{32}$/);
    await page.getByRole('heading', { name: 'Controls' }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('lapp.createToken')), 'tok');

    await page.goto(`${server.base}/`);
    await page.getByLabel('Creation token').waitFor();
    assert.equal(await page.getByLabel('Creation token').inputValue(), 'tok', 'remembered on this device');
    assert.equal(await page.getByLabel('Creation token').getAttribute('aria-invalid'), null);
    await page.getByLabel('Title').fill('Again');
    await page.getByLabel('Question').fill('What next?');
    await page.getByRole('button', { name: 'Create the session' }).click();
    await page.waitForURL(/\/f\/\d{6}#key=/);
    assert.deepEqual((await page.evaluate(() => JSON.parse(localStorage.getItem('lapp.sessions')))).map((s) => s.title), ['Again', 'Guarded']);
    await createSession(server.base, { title: 'By hand', agenda: [{ kind: 'scoring', prompt: 'Why?' }] }, 'tok');
    checkErrors(plain, page);
  } finally {
    await browser.close();
    await server.stop();
    await open1.stop();
  }
});
