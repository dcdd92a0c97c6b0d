// WCAG 2.1 AA on the facilitator's page and the projector (issue 20): after every change of
// the view (Start, closing a round, the results, Reveal, Clear, Hide and Show again, going
// back, removing an author, saving the agenda, the poster, the micro-actions' steps and wall,
// deleting) focus is on the control still there or on the new view's heading, never on
// <body>, also when the change comes from a second facilitator tab; each result reaches a
// live region once (read by a MutationObserver in the page); the repeated buttons are told
// apart by their names in Chromium's accessibility tree; each view has its own title; and the
// projector's text grows with the browser's zoom. Phones are raw WebSocket clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, startServer, createSession, launch, open, axe, checkErrors, until, PROJECTOR } from './helpers.js';


// What has focus: its tag, text, accessible name (aria-label, else its text) and id.
const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return { tag: el.tagName.toLowerCase(), text: el.textContent.trim(), name: el.getAttribute('aria-label') || el.textContent.trim(), id: el.id };
});
// Waits until focus is where `expected` says (its fields, each equal), and fails with where it is.
async function focusIs(page, expected, what) {
  const matches = (f) => Object.entries(expected).every(([k, v]) => f[k] === v);
  await until(async () => matches(await focused(page)), what, 5000)
    .catch(async () => assert.fail(`${what}: focus is on ${JSON.stringify(await focused(page))}, not ${JSON.stringify(expected)}`));
}
const onHeading = (page, text, what) => focusIs(page, { tag: 'h2', text }, what);

// Every text that reaches a live region (aria-live, role=alert or status), as it arrives:
// a region whose content changed, or one added with content.
const LIVE = '[aria-live], [role=alert], [role=status]';
const listen = (page) => page.evaluate((live) => {
  window.said = [];
  new MutationObserver((records) => {
    const regions = new Set();
    for (const r of records) {
      const at = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (at?.closest(live)) regions.add(at.closest(live));
      for (const node of r.addedNodes) if (node.nodeType === 1) [node, ...node.querySelectorAll(live)].filter((el) => el.matches(live)).forEach((el) => regions.add(el));
    }
    for (const region of regions) if (region.textContent.trim()) window.said.push(region.textContent.trim());
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}, LIVE);
const mark = (page) => page.evaluate(() => window.said.length);
// `text` reached a live region exactly once since `from`, and nothing said since was said
// twice. What is said while the last is not yet out comes with it (ui.js say), so `text` may
// be part of one announcement.
async function saidOnce(page, from, text) {
  const since = () => page.evaluate((n) => window.said.slice(n), from);
  const times = (said) => said.reduce((n, s) => n + s.split(text).length - 1, 0);
  await until(async () => times(await since()) > 0, `“${text}” said`, 5000)
    .catch(async () => assert.fail(`“${text}” was not said; said: ${JSON.stringify(await since())}`));
  await page.waitForTimeout(600); // a repeat would come within this
  const said = await since();
  assert.equal(times(said), 1, `“${text}” said once: ${JSON.stringify(said)}`);
  assert.equal(new Set(said).size, said.length, `nothing said twice: ${JSON.stringify(said)}`);
}

// The names of the buttons in Chromium's accessibility tree (not ignored), in order.
async function buttonNames(page) {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  await cdp.detach();
  return nodes.filter((n) => !n.ignored && n.role?.value === 'button').map((n) => n.name?.value);
}

// Presses Enter on the button named `name` (by keyboard, as a screen-reader user would).
async function press(page, name, scope = page) {
  await scope.getByRole('button', { name, exact: true }).focus();
  await page.keyboard.press('Enter');
}

const PROMPT = 'What slows you down?';
const SECOND = 'What should we stop doing?';

test('the facilitator\'s focus, announcements, button names and titles through a 25/10, also from a second tab', async () => {
  const server = await startServer();
  const browser = await launch();
  const clients = [];
  try {
    const created = await createSession(server.base, {
      title: 'Focus', language: 'en', agenda: [{ kind: 'scoring', prompt: PROMPT, rounds: 2, top: 3 }, { kind: 'scoring', prompt: SECOND, rounds: 1 }],
    });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    const tab = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    await fac.getByRole('heading', { level: 1, name: 'Focus' }).waitFor();
    await tab.getByRole('heading', { level: 1, name: 'Focus' }).waitFor();
    await listen(fac);
    await listen(tab);
    assert.equal(await fac.title(), 'Facilitator – Focus – Lapp');

    // Repeated buttons carry their item: the agenda's and the links'.
    const names = await buttonNames(fac);
    for (const name of [`Start: ${PROMPT}`, `Start: ${SECOND}`, `Edit the question: ${PROMPT}`, `Edit the question: ${SECOND}`,
      `Remove this activity: ${SECOND}`, 'Copy: Participant link', 'Copy: Screen link', 'Copy: Facilitator link (secret: do not share)']) {
      assert.ok(names.includes(name), `a button named “${name}” in ${JSON.stringify(names)}`);
    }
    assert.ok(!names.includes('Start') && !names.includes('Copy'), 'no bare “Start” or “Copy”');

    const people = [];
    for (let i = 0; i < 3; i++) people.push(await connect(server.base, { code: created.code, role: 'participant', name: `P${i}` }));
    clients.push(...people);

    // Start: its button is gone; focus is on the "Controls" heading, and it is said.
    let at = await mark(fac);
    await press(fac, `Start: ${PROMPT}`);
    await fac.getByRole('button', { name: 'Open writing' }).waitFor();
    await onHeading(fac, 'Controls', 'after Start');
    await saidOnce(fac, at, 'Activity 1 has started. Waiting to begin');
    assert.equal(await fac.title(), 'Waiting to begin – Facilitator – Focus – Lapp');

    // Each step: focus stays on "next", now saying what it does next.
    at = await mark(fac);
    await press(fac, 'Open writing');
    await fac.getByRole('button', { name: 'Start round 1' }).waitFor();
    await focusIs(fac, { text: 'Start round 1' }, 'after Open writing');
    await saidOnce(fac, at, 'Writing');
    assert.equal(await fac.title(), 'Writing – Facilitator – Focus – Lapp');

    // The timer, started and stopped: focus stays on its button, each said once.
    at = await mark(fac);
    await press(fac, 'Start the timer');
    await fac.locator('#now .timer:not([hidden])').waitFor();
    await focusIs(fac, { text: 'Start the timer' }, 'after Start the timer');
    await saidOnce(fac, at, 'The timer is running: 3:00.');
    at = await mark(fac);
    await press(fac, 'Stop the timer');
    await fac.locator('#now .timer[hidden]').waitFor({ state: 'attached' });
    await focusIs(fac, { text: 'Stop the timer' }, 'after Stop the timer');
    await saidOnce(fac, at, 'The timer is stopped.');

    await Promise.all(people.map((p, i) => p.send('card.write', { text: `Card ${i}` })));
    const scoreRound = (round) => Promise.all(people.map(async (p) => {
      const hand = await p.wait((m) => m.type === 'hand' && m.round === round, `hand ${round}`);
      if (hand.card) await p.send('card.score', { round, card: hand.card.id, score: 1 + Number(hand.card.text.slice(-1)) });
    }));
    await press(fac, 'Start round 1');
    await fac.getByRole('button', { name: 'Close round 1 and start round 2' }).waitFor();
    await scoreRound(1);
    at = await mark(fac);
    await press(fac, 'Close round 1 and start round 2');
    await fac.getByRole('button', { name: 'Close round 2 and show results' }).waitFor();
    await focusIs(fac, { text: 'Close round 2 and show results' }, 'after closing round 1');
    await saidOnce(fac, at, 'Round 2 of 2');
    assert.equal(await fac.title(), 'Round 2 of 2 – Facilitator – Focus – Lapp');
    await scoreRound(2);

    // The results: "next" is gone, focus is on the heading.
    at = await mark(fac);
    await press(fac, 'Close round 2 and show results');
    await fac.getByText('This activity is finished.').waitFor();
    await onHeading(fac, 'Controls', 'after closing the last round');
    await saidOnce(fac, at, 'Results');
    await fac.locator('ol.board li').nth(2).waitFor();

    // Back, asked first: after "Yes" focus is on "back", still there.
    await press(fac, 'Back to round 2');
    await focusIs(fac, { tag: 'div', text: await fac.getByRole('group', { name: 'Reopen round 2 as it was?' }).textContent() }, 'the question asked');
    at = await mark(fac);
    await press(fac, 'Yes, go back');
    await fac.getByRole('button', { name: 'Close round 2 and show results' }).waitFor();
    await focusIs(fac, { text: 'Back to round 1' }, 'after going back');
    await saidOnce(fac, at, 'Round 2 of 2');
    await press(fac, 'Close round 2 and show results');
    await fac.getByText('This activity is finished.').waitFor();

    // Reveal, one at a time, the next, and Clear: focus stays on each button; each said once.
    at = await mark(fac);
    await press(fac, 'Reveal');
    await fac.locator('#now').getByText('The screen shows the top 3.').waitFor();
    await focusIs(fac, { text: 'Reveal' }, 'after Reveal');
    await saidOnce(fac, at, 'The screen shows the top 3.');
    at = await mark(fac);
    await press(fac, 'Clear the screen');
    await fac.getByText('The screen shows no cards yet.').waitFor();
    await focusIs(fac, { text: 'Clear the screen' }, 'after Clear the screen');
    await saidOnce(fac, at, 'The screen is cleared.');
    at = await mark(fac);
    await press(fac, 'Reveal one at a time');
    await fac.getByRole('button', { name: 'Reveal the next card (2 left)' }).waitFor();
    await focusIs(fac, { text: 'Reveal one at a time' }, 'after Reveal one at a time');
    await saidOnce(fac, at, 'The screen shows 1 of the top 3, one at a time: now #3.');
    at = await mark(fac);
    await press(fac, 'Reveal the next card (2 left)');
    await fac.getByRole('button', { name: 'Reveal the next card (1 left)' }).waitFor();
    await focusIs(fac, { text: 'Reveal the next card (1 left)' }, 'after Reveal the next card');
    await saidOnce(fac, at, 'The screen shows 2 of the top 3, one at a time: now #2.');

    // The leaderboard's buttons, each named with its card; Hide and Show again keep focus on
    // the card's button as it moves between the lists.
    const board = (await buttonNames(fac)).filter((n) => /^(Hide|Remove whoever wrote this): /.test(n));
    assert.deepEqual(board.sort(), ['Card 0', 'Card 1', 'Card 2'].flatMap((c) => [`Hide: ${c}`, `Remove whoever wrote this: ${c}`]).sort());
    at = await mark(fac);
    await press(fac, 'Hide: Card 1');
    await fac.locator('.hidden-list li', { hasText: 'Card 1' }).waitFor();
    await focusIs(fac, { name: 'Show again: Card 1' }, 'after Hide');
    await saidOnce(fac, at, 'Hidden: “Card 1”');
    at = await mark(fac);
    await fac.keyboard.press('Enter');
    await fac.locator('.hidden-list li', { hasText: 'Card 1' }).waitFor({ state: 'detached' });
    await focusIs(fac, { name: 'Hide: Card 1' }, 'after Show again');
    await saidOnce(fac, at, 'Shown again: “Card 1”');

    // Another person's change: the second tab hides the card whose "Hide" has focus here.
    await fac.getByRole('button', { name: 'Hide: Card 2', exact: true }).focus();
    await tab.getByRole('button', { name: 'Hide: Card 2', exact: true }).click();
    await fac.locator('.hidden-list li', { hasText: 'Card 2' }).waitFor();
    await focusIs(fac, { name: 'Show again: Card 2' }, 'after the second tab hid the card');
    await tab.getByRole('button', { name: 'Show again: Card 2', exact: true }).click();
    await fac.locator('.hidden-list li', { hasText: 'Card 2' }).waitFor({ state: 'detached' });
    await focusIs(fac, { name: 'Hide: Card 2' }, 'after the second tab showed it again');

    // Closing to new participants: focus stays, said once (also on the second tab).
    at = await mark(fac);
    const atTab = await mark(tab);
    await press(fac, 'Close to new participants');
    await fac.getByRole('button', { name: 'Open to new participants' }).waitFor();
    await focusIs(fac, { text: 'Open to new participants' }, 'after closing the session');
    const locked = 'Closed to new participants. New people cannot join; everyone already in can come back.';
    await saidOnce(fac, at, locked);
    await saidOnce(tab, atTab, locked);

    // Removing an author, asked first: their card and its buttons go; focus is on the
    // leaderboard's heading.
    await press(fac, 'Remove whoever wrote this: Card 0');
    await fac.getByRole('group', { name: 'Remove whoever wrote this?' }).waitFor();
    at = await mark(fac);
    await press(fac, 'Yes, remove them');
    await fac.locator('.hidden-list li', { hasText: 'Card 0' }).waitFor();
    await onHeading(fac, 'Live leaderboard', 'after removing an author');
    await saidOnce(fac, at, 'The participant has been removed.');

    // The agenda: saving an edited question puts focus back on "Edit the question".
    await press(fac, `Edit the question: ${SECOND}`);
    await focusIs(fac, { tag: 'textarea' }, 'editing');
    await fac.keyboard.press('Control+A');
    await fac.keyboard.type('What do we stop?');
    at = await mark(fac);
    await press(fac, 'Save');
    await fac.locator('#a1', { hasText: 'What do we stop?' }).waitFor();
    await focusIs(fac, { name: 'Edit the question: What do we stop?' }, 'after saving the question');
    await saidOnce(fac, at, 'The agenda is saved.');

    // Another person starts activity 2 while focus is on its Start button here: the button
    // goes, focus goes to the "Controls" heading, and the start is said once.
    await fac.getByRole('button', { name: 'Start: What do we stop?', exact: true }).focus();
    at = await mark(fac);
    await tab.getByRole('button', { name: 'Start: What do we stop?', exact: true }).click();
    await tab.getByRole('button', { name: 'Yes, start it' }).click();
    await tab.getByRole('button', { name: 'Open writing' }).waitFor();
    await onHeading(tab, 'Controls', 'after Yes, start it');
    await fac.getByRole('button', { name: 'Open writing' }).waitFor();
    await onHeading(fac, 'Controls', 'after the second tab started activity 2');
    await saidOnce(fac, at, 'Activity 2 has started. Waiting to begin');
    assert.ok((await buttonNames(fac)).includes(`Go back to it: ${PROMPT}`), 'Go back to it, named');

    // The other language: titles and names follow.
    await fac.getByRole('button', { name: 'Norsk' }).click();
    assert.equal(await fac.title(), 'Venter på start – Fasilitator – Focus – Lapp');
    assert.ok((await buttonNames(fac)).includes(`Fortsett: ${PROMPT}`));
    at = await mark(fac);
    await press(fac, 'Åpne for skriving');
    await fac.getByRole('button', { name: 'Start runde 1' }).waitFor();
    await saidOnce(fac, at, 'Skriving');
    await axe(fac, 'the facilitator after these changes (nb)');
    await fac.getByRole('button', { name: 'English' }).click();
    checkErrors(fac, tab);
  } finally {
    clients.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});

test('the facilitator\'s focus through a 1-3-9, micro-actions and deleting the session', async () => {
  const server = await startServer();
  const browser = await launch();
  const clients = [];
  try {
    const created = await createSession(server.base, {
      title: 'Focus', language: 'en', agenda: [{ kind: 'grouping', prompt: 'What first?', sizes: [2] }, { kind: 'actions', prompt: 'What will you do?' }],
    });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    await fac.getByRole('heading', { level: 1, name: 'Focus' }).waitFor();
    await listen(fac);
    const people = [];
    for (let i = 0; i < 4; i++) people.push(await connect(server.base, { code: created.code, role: 'participant', name: `P${i}` }));
    clients.push(...people);
    await press(fac, 'Start: What first?');
    await press(fac, 'Open writing alone');
    await fac.getByRole('button', { name: 'Form groups of 2' }).waitFor();
    await focusIs(fac, { text: 'Form groups of 2' }, 'after Open writing alone');
    for (const [i, p] of people.entries()) await p.send('note.add', { text: `Note ${i}` });
    await fac.locator('.feed li').nth(3).waitFor();

    // The feed: "Hide" named with its note; hiding moves the note to the hidden list, and
    // focus with it to its "Show again"; showing it again brings both back to the feed.
    const feed = (await buttonNames(fac)).filter((n) => n.startsWith('Hide: '));
    assert.deepEqual(feed.sort(), ['Hide: Note 0', 'Hide: Note 1', 'Hide: Note 2', 'Hide: Note 3']);
    let at = await mark(fac);
    await press(fac, 'Hide: Note 1');
    await fac.locator('.hidden-list li', { hasText: 'Note 1' }).waitFor();
    await focusIs(fac, { name: 'Show again: Note 1' }, 'after hiding a note in the feed');
    await saidOnce(fac, at, 'Hidden: “Note 1”');
    at = await mark(fac);
    await fac.keyboard.press('Enter');
    await fac.locator('.feed li', { hasText: 'Note 1' }).waitFor();
    await focusIs(fac, { name: 'Hide: Note 1' }, 'after showing the note again');
    await saidOnce(fac, at, 'Shown again: “Note 1”');

    await press(fac, 'Form groups of 2');
    await fac.getByRole('button', { name: 'Show the poster' }).waitFor();
    // Show the poster: the last step, "next" is gone; focus is on the heading.
    at = await mark(fac);
    await press(fac, 'Show the poster');
    await fac.getByText('This activity is finished.').waitFor();
    await onHeading(fac, 'Controls', 'after Show the poster');
    await saidOnce(fac, at, 'Poster');
    assert.equal(await fac.title(), 'Poster – Facilitator – Focus – Lapp');

    // Micro-actions: each step keeps focus on "next"; at the wall it is gone.
    await press(fac, 'Start: What will you do?');
    at = await mark(fac);
    await press(fac, 'Yes, start it');
    await fac.getByRole('button', { name: 'Open writing' }).waitFor();
    await onHeading(fac, 'Controls', 'after starting the micro-actions');
    await saidOnce(fac, at, 'Activity 2 has started. Waiting to begin');
    at = await mark(fac);
    await press(fac, 'Open writing');
    await fac.getByRole('button', { name: 'Open pairing' }).waitFor();
    await focusIs(fac, { text: 'Open pairing' }, 'after Open writing');
    await saidOnce(fac, at, 'Writing');
    for (const [i, p] of people.entries()) {
      await p.send('action.write', { text: `Action ${i}` });
      await p.send('action.wall', { shown: true });
    }
    at = await mark(fac);
    await press(fac, 'Open pairing');
    await fac.getByRole('button', { name: 'Close pairing: pair the rest at random' }).waitFor();
    await focusIs(fac, { text: 'Close pairing: pair the rest at random' }, 'after Open pairing');
    await saidOnce(fac, at, 'Finding buddies');
    at = await mark(fac);
    await press(fac, 'Close pairing: pair the rest at random');
    await fac.getByText('This activity is finished.').waitFor();
    await onHeading(fac, 'Controls', 'at the wall');
    await saidOnce(fac, at, 'The wall');
    assert.equal(await fac.title(), 'The wall – Facilitator – Focus – Lapp');

    // The wall: hide and show again by keyboard, focus on the action's button, said once.
    await fac.locator('#board .wall-list li').nth(3).waitFor();
    const wall = (await buttonNames(fac)).filter((n) => /^(Hide|Remove whoever wrote this): Action/.test(n));
    assert.equal(wall.length, 8, JSON.stringify(wall));
    at = await mark(fac);
    await press(fac, 'Hide: Action 2');
    await fac.getByRole('button', { name: 'Show again: Action 2', exact: true }).waitFor();
    await focusIs(fac, { name: 'Show again: Action 2' }, 'after hiding an action');
    await saidOnce(fac, at, 'Hidden: “Action 2”');
    at = await mark(fac);
    await fac.keyboard.press('Enter');
    await fac.getByRole('button', { name: 'Hide: Action 2', exact: true }).waitFor();
    await focusIs(fac, { name: 'Hide: Action 2' }, 'after showing the action again');
    await saidOnce(fac, at, 'Shown again: “Action 2”');
    await axe(fac, 'the facilitator at the wall');

    // Deleting: the page becomes "deleted", its heading has focus.
    await press(fac, 'Delete the session…');
    await press(fac, 'Yes, delete');
    await fac.getByRole('heading', { level: 1, name: 'This session has been deleted.' }).waitFor();
    await focusIs(fac, { tag: 'h1', text: 'This session has been deleted.' }, 'after deleting');
    checkErrors(fac);
  } finally {
    clients.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});

// Browser zoom at Z % makes the CSS viewport Z/100 times smaller and each CSS pixel Z/100
// device pixels; nothing else changes. So a 1920×1080 projector at 200 % is exactly a page of
// 960×540 CSS pixels with a device pixel ratio of 2, and text on it is its computed font size
// × 2 device pixels. (Chromium's own zoom cannot be set through its protocol.)
test('the projector: its titles, and text that grows with the browser\'s zoom', async () => {
  const server = await startServer();
  const browser = await launch();
  const clients = [];
  try {
    const created = await createSession(server.base, { title: 'Zoom', language: 'en', agenda: [{ kind: 'scoring', prompt: PROMPT, rounds: 2 }] });
    const at100 = await open(browser, created.urls.screen, { viewport: PROJECTOR });
    await at100.getByRole('heading', { level: 1, name: 'Zoom' }).waitFor();
    assert.equal(await at100.title(), 'Screen – Zoom – Lapp');
    const fac = await connect(server.base, { code: created.code, role: 'facilitator', key: created.key });
    clients.push(fac);
    await fac.send('activity.start', { index: 0 });
    await fac.send('phase.next');
    await fac.send('timer.set', { seconds: 120 });
    await at100.locator('.timer:not([hidden])').waitFor();
    assert.equal(await at100.title(), 'Writing – Screen – Zoom – Lapp');

    const context = await browser.newContext({ viewport: { width: PROJECTOR.width / 2, height: PROJECTOR.height / 2 }, deviceScaleFactor: 2, reducedMotion: 'reduce' });
    const at200 = await context.newPage();
    await at200.goto(created.urls.screen);
    await at200.locator('.timer:not([hidden])').waitFor();
    const SIZED = ['.eyebrow', 'h1.prompt', '.timer', '.stage .big', '.join .code-big', '.join .count'];
    const sizes = (page) => page.evaluate((selectors) => selectors.map((s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize) * devicePixelRatio), SIZED);
    const [small, large] = [await sizes(at100), await sizes(at200)];
    for (const [i, selector] of SIZED.entries()) {
      assert.ok(large[i] >= 1.15 * small[i], `${selector}: ${small[i]} device px at 100 %, ${large[i]} at 200 %`);
    }
    // At 100 % the projector still shows it all, with nothing to scroll, and the join code fits its panel.
    assert.ok(await at100.evaluate(() => document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth), 'fits at 100 %');
    for (const page of [at100, at200]) assert.ok(await page.locator('.join .code-big').evaluate((el) => el.scrollWidth <= el.clientWidth), 'the code fits its panel');
    await axe(at200, 'the screen at 200 %');
    checkErrors(at100);
    await context.close();
  } finally {
    clients.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});
