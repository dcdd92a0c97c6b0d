// The micro-actions (#mikrohandling) on the facilitator's page and the projector: the
// facilitator moves lobby → writing → pairing → wall with the buttons that say what they do
// and watches the hall's counts; phones (raw WebSocket clients) write actions, pair by code and
// put theirs on the wall; the screen shows the question, how to pair and the wall, without
// names or ids; the facilitator hides an action (it leaves the screen), shows it again, and
// removes an author. axe finds nothing on either page while writing, pairing and at the wall,
// in both languages. The organisers' summary comes as Markdown and as a printable page. The
// agenda editors (home and facilitator) offer micro-actions with their follow-up days.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { connect, startServer, createSession, launch, open, axe, reflows, checkErrors, shot, until, PROJECTOR } from './helpers.js';



async function bothLanguages(pages, what) {
  for (const page of pages) {
    await axe(page, `${what} ${new URL(page.url()).pathname} (en)`);
    await page.getByRole('button', { name: 'Norsk' }).click();
    await axe(page, `${what} ${new URL(page.url()).pathname} (nb)`);
    await page.getByRole('button', { name: 'English' }).click();
  }
}

// A count on the facilitator's progress panel.
const stat = (fac, label) => fac.locator('#progress .stat', { has: fac.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd');
const statIs = (fac, label, n) => until(async () => (await stat(fac, label).textContent().catch(() => null)) === String(n), `${label}: ${n}`);

const TEXTS = [
  'I will block one hour on Fridays for deep work',
  'I will ask a new colleague to lunch',
  'I will write the meeting summary before I leave the room',
  'I will say no to one meeting a week',
  'I will try the new ticket template on Monday',
];
const PROMPT = 'What will YOU start doing tomorrow?';

test('micro-actions: writing, pairing and the wall on the facilitator\'s page and the screen; hide, remove; the summary', async (t) => {
  const server = await startServer();
  const browser = await launch();
  const clients = [];
  try {
    const created = await createSession(server.base, {
      title: 'Tomorrow starts today', language: 'en', agenda: [{ kind: 'actions', prompt: PROMPT, follow_up_days: [7, 30] }],
    });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    const screen = await open(browser, created.urls.screen, { viewport: PROJECTOR });
    await fac.getByText('Follow-up after 7, 30 days, up to 280 characters').waitFor();
    const phones = [];
    for (let i = 0; i < TEXTS.length; i++) phones.push(await connect(server.base, { code: created.code, role: 'participant', name: `P${i}` }));
    clients.push(...phones);
    await screen.getByText(`${phones.length} joined`).waitFor();

    // Lobby → writing: the question large on the screen, the count of actions written.
    await fac.getByRole('button', { name: /^Start: / }).click();
    await fac.getByRole('button', { name: 'Open writing' }).click();
    await fac.getByRole('button', { name: 'Open pairing' }).waitFor();
    await screen.getByRole('heading', { level: 1, name: PROMPT }).waitFor();
    await screen.getByText('Write one small action on your phone.').waitFor();
    const ids = [];
    for (const [i, phone] of phones.entries()) ids.push((await phone.send('action.write', { text: TEXTS[i] })).action);
    assert.ok(ids.every((id) => typeof id === 'string'), `action ids in the acks: ${ids}`);
    // Phones 0, 1 and 2 put theirs on the wall.
    for (const phone of phones.slice(0, 3)) await phone.send('action.wall', { shown: true });
    await screen.getByText('5 actions written').waitFor();
    await statIs(fac, 'Actions written', 5);
    await statIs(fac, 'On the wall', 3);
    const prompt = await screen.locator('h1.prompt').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(prompt >= 60, `the question is large on the projector: ${prompt}px`);
    await bothLanguages([fac, screen], 'actions, writing');
    await shot(screen, 'screen-actions-writing');

    // Writing → pairing: how to pair on the screen; the pairs counted.
    await fac.getByRole('button', { name: 'Open pairing' }).click();
    await fac.getByRole('button', { name: 'Close pairing: pair the rest at random' }).waitFor();
    await fac.getByRole('button', { name: 'Back to writing' }).waitFor();
    // How to pair, in the session's language, and in the screen's too when it shows another.
    const howEn = screen.getByText('Find a buddy: type their 4\u2011digit code on your phone.');
    const howNb = screen.getByText('Finn en makker: skriv inn den firesifrede koden deres på mobilen din.');
    await howEn.waitFor();
    assert.equal(await howNb.count(), 0);
    await screen.getByRole('button', { name: 'Norsk' }).click();
    await howNb.waitFor();
    assert.equal(await howEn.getAttribute('lang'), 'en');
    await screen.getByRole('button', { name: 'English' }).click();
    await howNb.waitFor({ state: 'detached' });
    await screen.getByText('0 pairs have found each other').waitFor();
    const codes = await Promise.all(phones.map(async (phone) => (await phone.wait((m) => m.type === 'action' && m.code, 'a buddy code')).code));
    assert.ok(codes.every((code) => /^\d{4}$/.test(code)), `four-digit codes: ${codes}`);
    await phones[0].send('buddy.ask', { code: codes[1] });
    const asked = await phones[1].wait((m) => m.type === 'action' && m.asking?.length, 'a request');
    await phones[1].send('buddy.answer', { pid: asked.asking[0].pid, accept: true });
    await screen.getByText('1 pair has found each other').waitFor();
    await statIs(fac, 'Paired by choice', 2);
    await phones[2].send('buddy.ask', { code: codes[3] });
    await statIs(fac, 'Requests waiting', 1);
    await bothLanguages([fac, screen], 'actions, pairing');
    await reflows(screen, 'the screen while pairing');
    await shot(screen, 'screen-actions-pairing');
    await shot(fac, 'facilitator-actions-pairing');

    // Pairing → wall: the rest are paired at random; the wall on the screen, anonymous.
    await fac.getByRole('button', { name: 'Close pairing: pair the rest at random' }).click();
    await fac.getByText('This activity is finished.').waitFor();
    await fac.getByRole('button', { name: 'Back to pairing' }).waitFor();
    await until(async () => Number(await stat(fac, 'Paired by choice').textContent()) + Number(await stat(fac, 'Paired at random').textContent()) === 5,
      'everyone paired');
    const onScreen = () => screen.locator('.act').allTextContents();
    await until(async () => (await onScreen()).length === 3, 'three actions on the wall');
    assert.deepEqual((await onScreen()).sort(), TEXTS.slice(0, 3).sort());
    const html = await screen.locator('#view').evaluate((el) => el.outerHTML);
    for (const id of ids) assert.ok(!new RegExp(`\\b${id}\\b`).test(html), `no action id (${id}) on the screen`);
    for (let i = 0; i < phones.length; i++) assert.ok(!html.includes(`P${i}`), 'no names on the screen');
    assert.ok((await screen.locator('.act').evaluateAll((els) => els.map((el) => {
      const r = el.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
    }))).every(Boolean), 'the wall fits the projector');
    assert.ok(!(await screen.evaluate(() => document.documentElement.scrollHeight > innerHeight)), 'the wall does not scroll');
    const wallList = fac.locator('#board .wall-list').first();
    await until(async () => (await wallList.locator('li').count()) === 3, 'the wall on the facilitator\'s page');
    await bothLanguages([fac, screen], 'actions, wall');
    await shot(screen, 'screen-actions-wall');
    await shot(fac, 'facilitator-actions-wall');
    await reflows(fac, 'the facilitator at the wall');
    await reflows(screen, 'the screen at the wall');

    // Hidden by keyboard: it leaves the screen, and focus stays on its button, now "Show again".
    const row = (text) => fac.locator('#board li', { hasText: text });
    await row(TEXTS[0]).getByRole('button', { name: 'Hide' }).focus();
    await fac.keyboard.press('Enter');
    await until(async () => !(await onScreen()).includes(TEXTS[0]) && (await onScreen()).length === 2, 'the hidden action off the screen');
    await row(TEXTS[0]).getByRole('button', { name: 'Show again' }).waitFor();
    assert.equal(await fac.evaluate(() => document.activeElement.textContent), 'Show again', 'focus stays on the action\'s button');
    await statIs(fac, 'On the wall', 2);
    await fac.keyboard.press('Enter');
    await until(async () => (await onScreen()).length === 3, 'shown again');

    // The author of an action removed, asked in place first.
    await row(TEXTS[2]).getByRole('button', { name: 'Remove whoever wrote this' }).click();
    await fac.getByRole('button', { name: 'Yes, remove them' }).click();
    assert.equal(await phones[2].closed, 4005, 'the author\'s phone is sent away');
    await until(async () => !(await onScreen()).includes(TEXTS[2]), 'the removed author\'s action off the screen');
    await fac.getByText('The participant has been removed.').waitFor({ state: 'attached' });

    // The organisers' summary.
    {
      const auth = { headers: { Authorization: `Bearer ${created.key}` } };
      assert.equal((await fetch(`${server.base}/api/sessions/${created.code}/summary?format=md`)).status, 403, 'no key, no summary (as the export)');
      const [download] = await Promise.all([fac.waitForEvent('download'), fac.getByRole('button', { name: 'Download the summary (Markdown)' }).click()]);
      assert.equal(download.suggestedFilename(), `lapp-${created.code}.md`);
      const md = fs.readFileSync(await download.path(), 'utf8');
      assert.ok(md.includes('Tomorrow starts today'), `the title in the Markdown:\n${md}`);
      assert.ok(md.includes(TEXTS[1]), `a wall action in the Markdown:\n${md}`);
      assert.ok(!md.includes(TEXTS[4]), 'an action kept off the wall stays out');
      const [printable] = await Promise.all([fac.context().waitForEvent('page'), fac.getByRole('button', { name: 'Open the summary to print' }).click()]);
      const blocked = [];
      printable.on('console', (msg) => msg.type() === 'error' && blocked.push(msg.text()));
      await printable.waitForLoadState();
      assert.ok(printable.url().startsWith('blob:'), printable.url());
      assert.ok((await printable.locator('body').textContent()).includes('Tomorrow starts today'), 'the title in the printable page');
      assert.ok((await printable.locator('body').textContent()).includes(TEXTS[1]), 'a wall action in the printable page');
      const direct = await fetch(`${server.base}/api/sessions/${created.code}/summary?format=html`, auth);
      assert.match(direct.headers.get('content-type'), /^text\/html/);
      assert.deepEqual(blocked, [], 'the printable page loads its style, blocked by nothing');
      const font = await printable.evaluate(() => getComputedStyle(document.body).fontFamily);
      assert.match(font, /system-ui/, 'the printable page is styled (summary.css)');
    }
    assert.equal(await fac.getByText('Something went wrong. Try again.').count(), 0);
    checkErrors(fac, screen);
  } finally {
    clients.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});

test('the agenda editors offer micro-actions with their question and follow-up days', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const home = await open(browser, `${server.base}/`);
    await home.getByLabel('Title').fill('Editors');
    await home.getByLabel('Method').selectOption('actions');
    assert.equal(await home.getByLabel('Question').inputValue(), PROMPT, 'the question comes filled in');
    assert.equal(await home.getByLabel('Rounds').isVisible(), false);
    await home.getByLabel('Follow up after (days)').fill('3, 14');
    await axe(home, 'home with a micro-actions activity');
    await home.getByRole('button', { name: 'Create the session' }).click();
    await home.waitForURL(/\/f\//);
    await home.getByText('Follow-up after 3, 14 days, up to 280 characters').waitFor();
    await home.getByRole('combobox', { name: 'Method' }).selectOption('actions');
    assert.equal(await home.getByRole('textbox', { name: 'Question' }).inputValue(), PROMPT);
    await home.getByRole('textbox', { name: 'Question' }).fill('One thing to try this week?');
    await home.getByRole('button', { name: 'Add', exact: true }).click();
    await home.locator('#agenda li', { hasText: 'One thing to try this week?' }).getByText('Micro-actions').waitFor();
    assert.equal(await home.locator('#agenda li').nth(1).getByText(/^Follow-up after 7, 30 days/).count(), 1, 'the default days');
    await axe(home, 'the facilitator\'s agenda with micro-actions');
    checkErrors(home);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('a wall of 40 long actions: a page at a time on the projector; back to pairing and on again', async () => {
  const server = await startServer();
  const browser = await launch();
  const clients = [];
  try {
    const created = await createSession(server.base, { title: 'Big hall', language: 'en', agenda: [{ kind: 'actions', prompt: PROMPT }] });
    const screen = await open(browser, created.urls.screen, { viewport: PROJECTOR });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    const people = await Promise.all(Array.from({ length: 40 }, (_, i) => connect(server.base, { code: created.code, role: 'participant', name: `P${i}` })));
    clients.push(...people);
    await fac.getByRole('button', { name: /^Start: / }).click();
    await fac.getByRole('button', { name: 'Open writing' }).click();
    await fac.getByRole('button', { name: 'Open pairing' }).waitFor();
    const texts = people.map((_, i) => `Action ${i}: ${'I will stop one recurring meeting and use the hour to talk to a customer instead, '.repeat(3)}`.slice(0, 270).trimEnd());
    await Promise.all(people.map(async (p, i) => { await p.send('action.write', { text: texts[i] }); await p.send('action.wall', { shown: true }); }));
    await fac.getByRole('button', { name: 'Open pairing' }).click();
    await fac.getByRole('button', { name: 'Close pairing: pair the rest at random' }).click();
    // Back to pairing, asked first, and on to the wall again.
    await fac.getByRole('button', { name: 'Back to pairing' }).click();
    await fac.getByText('Reopen pairing?', { exact: false }).waitFor();
    await fac.getByRole('button', { name: 'Yes, go back' }).click();
    await screen.getByText('Find a buddy: type their 4\u2011digit code on your phone.').waitFor();
    await fac.getByRole('button', { name: 'Close pairing: pair the rest at random' }).click();
    const pager = screen.locator('#pageof');
    await until(async () => /^Page 1 of \d+$/.test(await pager.textContent().catch(() => '')), 'the wall in pages');
    const pages = Number((await pager.textContent()).match(/of (\d+)$/)[1]);
    assert.ok(pages > 1 && pages < 20, `${pages} pages`);
    const seen = [];
    for (let page = 1; page <= pages; page++) {
      await until(async () => (await pager.textContent()) === `Page ${page} of ${pages}`, `page ${page}`);
      const fits = await screen.locator('.page .act').evaluateAll((els) => els.map((el) => {
        const r = el.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5;
      }));
      assert.ok(fits.length > 0 && fits.every(Boolean), `page ${page} is on screen`);
      seen.push(...await screen.locator('.page .act').allTextContents());
      await screen.getByRole('button', { name: 'Next page' }).click();
    }
    assert.deepEqual([...seen].sort(), [...texts].sort(), 'every action once');
    const font = await screen.locator('.page .act').first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(font >= 22, `readable from the back: ${font}px`);
    assert.ok(!(await screen.evaluate(() => document.documentElement.scrollHeight > innerHeight)), 'the wall does not scroll');
    await axe(screen, 'a wall of 40 actions');
    await shot(screen, 'screen-actions-wall-40');
    checkErrors(fac, screen);
  } finally {
    clients.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});
