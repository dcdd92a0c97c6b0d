// WCAG 2.1 AA on the phone, the home page and the follow-up page (issue 20): after every
// view change, ours or someone else's, focus is on the new view's heading or still on the
// control in use, never on <body>; each result and each change is said once in a live
// region (errors in the alert, the rest politely), in English and in bokmål; the score group
// is named by its card and repeated buttons by their item; each view has its own title.
// A MutationObserver set up before the page's scripts records every text that reaches a live
// region ([aria-live], role=alert, role=status), so a repeat would be counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as client, startServer, createSession, launch, open, axe, checkErrors, until } from './helpers.js';


// Runs in the page before its scripts: every text a live region comes to hold, once per
// change, as "region: text" (the region's id, else its role).
function recordLiveRegions() {
  window.heard = [];
  const live = '[aria-live], [role=alert], [role=status]';
  new MutationObserver((records) => {
    const regions = new Set();
    for (const r of records) {
      const at = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (at?.closest(live)) regions.add(at.closest(live));
      for (const n of r.addedNodes) {
        if (n.nodeType !== 1) continue;
        if (n.matches(live)) regions.add(n);
        n.querySelectorAll(live).forEach((el) => regions.add(el));
      }
    }
    for (const region of regions) {
      const text = region.textContent.trim();
      if (text && region.isConnected) window.heard.push(`${region.id || region.getAttribute('role')}: ${text}`);
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
}

// A page (a phone unless told) that records its live regions; `nb`: the person chose bokmål.
async function phoneAt(browser, url, { nb, ...options } = {}) {
  const page = await open(browser, null, { ...options, init: nb ? () => localStorage.setItem('lapp.lang', 'nb') : undefined });
  await page.context().addInitScript(recordLiveRegions);
  await page.goto(url);
  return page;
}

// What has focus: "H1 You're in!", "BUTTON Add note", "TEXTAREA #note", never "BODY".
const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return el.matches('input, textarea') ? `${el.tagName} #${el.id}` : `${el.tagName} ${el.textContent.trim()}`;
});
async function focusIs(page, expected, what) {
  await until(async () => (await focused(page)) === expected, `${what}: focus on ${expected}`, 5000)
    .catch(async (e) => assert.fail(`${e.message}, not on ${await focused(page)}`));
}

// `text` reached a live region exactly once (given time for a repeat to come). Told in one
// region, `region: …`; a string may be part of what was said with it ("Round 2 of 2. The card
// to score: …"), a RegExp must match a whole "region: text".
async function saidOnce(page, text, what) {
  const [region, words] = typeof text === 'string' ? [text.slice(0, text.indexOf(': ')), text.slice(text.indexOf(': ') + 2)] : [];
  const is = (h) => (words ? h.startsWith(`${region}: `) && h.includes(words) : text.test(h));
  await until(async () => (await page.evaluate(() => window.heard)).some(is), `${what}: "${text}" said`)
    .catch(async (e) => assert.fail(`${e.message}; heard ${JSON.stringify(await page.evaluate(() => window.heard))}`));
  await page.waitForTimeout(400);
  const heard = await page.evaluate(() => window.heard);
  assert.equal(heard.filter(is).length, 1, `${what}: "${text}" said once, in ${JSON.stringify(heard)}`);
}

async function joinAs(page, name) {
  await page.locator('#name').fill(name);
  await page.locator('#name').press('Enter');
}

test('scoring on a phone: focus and what is said from joining to the reveal, in both languages', async () => {
  const server = await startServer();
  const browser = await launch();
  const raw = [];
  try {
    const created = await createSession(server.base, { title: 'Digital Norway 2026', language: 'en',
      agenda: [{ kind: 'scoring', prompt: 'What slows us down?', rounds: 2, top: 3 }] });
    const fac = await client(server.base, { code: created.code, role: 'facilitator', key: created.key });
    raw.push(fac);
    const en = await phoneAt(browser, created.urls.participant);
    const nb = await phoneAt(browser, created.urls.participant, { nb: true, locale: 'nb-NO' });
    await en.getByRole('heading', { level: 1, name: 'Join “Digital Norway 2026”' }).waitFor();
    assert.equal(await en.title(), 'Join – Participant – Digital Norway 2026 – Lapp');
    await nb.getByRole('heading', { level: 1, name: 'Bli med i «Digital Norway 2026»' }).waitFor();

    // Join: focus goes from the name field to the new view's heading; "You're in!" is said.
    await joinAs(en, 'Ada');
    await joinAs(nb, 'Bo');
    await focusIs(en, "H1 You're in!", 'joined');
    await focusIs(nb, 'H1 Du er med!', 'joined (nb)');
    await saidOnce(en, "say: You're in!", 'joined');
    await saidOnce(nb, 'say: Du er med!', 'joined (nb)');
    assert.equal(await en.title(), "You're in! – Participant – Digital Norway 2026 – Lapp");

    // Two more participants, on raw sockets: each writes a card and scores whatever it gets.
    for (const name of ['Cy', 'Di']) {
      const p = await client(server.base, { code: created.code, role: 'participant', name });
      p.on((m) => { if (m.type === 'hand' && m.card) p.send('card.score', { round: m.round, card: m.card.id, score: 4 }); });
      raw.push(p);
    }

    // Each phase change: focus on the new heading, the phase said once.
    await fac.send('activity.start', { index: 0 });
    await focusIs(en, 'H1 Get ready', 'lobby');
    await focusIs(nb, 'H1 Gjør deg klar', 'lobby (nb)');
    await saidOnce(en, 'say: Get ready', 'lobby');
    await fac.send('phase.next');
    await focusIs(en, 'H1 Write your card', 'writing');
    await focusIs(nb, 'H1 Skriv kortet ditt', 'writing (nb)');
    assert.equal(await en.title(), 'Writing – Participant – Digital Norway 2026 – Lapp');
    assert.equal(await nb.title(), 'Skriving – Deltaker – Digital Norway 2026 – Lapp');

    // Save card: focus stays on the button (disabled while it was sent), and it is said.
    for (const [page, text, label, save] of [[en, 'Too many meetings', 'Your card', 'Save card'], [nb, 'For mange e-poster', 'Kortet ditt', 'Lagre kortet']]) {
      await page.getByLabel(label).fill(text);
      await page.getByRole('button', { name: save }).click();
      await page.locator('#view .ok').waitFor();
      await focusIs(page, `BUTTON ${save}`, 'card saved');
    }
    await saidOnce(en, 'say: Your card is saved. You can change it until round 1.', 'card saved');
    await saidOnce(nb, 'say: Kortet er lagret. Du kan endre det til runde 1.', 'card saved (nb)');
    await raw[1].send('card.write', { text: 'Slow laptops' });
    await raw[2].send('card.write', { text: 'Unclear goals' });

    // Round 1: the heading has focus, the card in hand is said, and names the score group.
    await fac.send('phase.next');
    await en.locator('#hand').waitFor();
    await nb.locator('#hand').waitFor();
    await focusIs(en, 'H1 Round 1 of 2', 'round 1');
    await focusIs(nb, 'H1 Runde 1 av 2', 'round 1 (nb)');
    const card = await en.locator('#hand').textContent();
    const nbCard = await nb.locator('#hand').textContent();
    await saidOnce(en, `say: Round 1 of 2. The card to score: “${card}”`, 'round 1');
    await saidOnce(nb, `say: Runde 1 av 2. Kortet du skal vurdere: «${nbCard}»`, 'round 1 (nb)');
    assert.equal(await en.getByRole('group', { name: `How much does this matter? ${card}`, exact: true }).count(), 1, 'the group is named by its card');
    assert.match(await en.locator('#view').ariaSnapshot(), new RegExp(`- group "How much does this matter\\? ${card}"`));
    assert.equal(await nb.getByRole('group', { name: `Hvor viktig er dette? ${nbCard}`, exact: true }).count(), 1);
    assert.equal(await en.title(), 'Round 1 of 2 – Participant – Digital Norway 2026 – Lapp');
    assert.equal(await nb.title(), 'Runde 1 av 2 – Deltaker – Digital Norway 2026 – Lapp');
    await axe(en, 'round 1, the score group named by its card');

    // A score by keyboard: focus stays on it through the re-renders, and it is said once.
    await en.getByRole('button', { name: '3', exact: true }).focus();
    await en.keyboard.press('Enter');
    await en.locator('.scored').waitFor();
    await focusIs(en, 'BUTTON 3', 'scored');
    await saidOnce(en, 'say: You gave 3. You can change it until the round closes.', 'scored');
    await nb.getByRole('button', { name: '2', exact: true }).click();
    await nb.locator('.scored').waitFor();

    // Round 2 while the score button has focus: the button goes, focus takes the new heading.
    await fac.send('phase.next');
    await en.getByRole('heading', { level: 1, name: 'Round 2 of 2' }).waitFor();
    await en.locator('#hand').waitFor();
    await focusIs(en, 'H1 Round 2 of 2', 'round 2');
    await focusIs(nb, 'H1 Runde 2 av 2', 'round 2 (nb)');
    const card2 = await en.locator('#hand').textContent();
    await saidOnce(en, `say: Round 2 of 2. The card to score: “${card2}”`, 'round 2');
    await en.getByRole('button', { name: '5', exact: true }).click();
    await nb.getByRole('button', { name: '4', exact: true }).click();
    await saidOnce(en, 'say: You gave 5.', 'scored in round 2');
    await nb.locator('.scored').waitFor();

    // Results: the heading, and my card's rank said once; then the reveal of the top cards.
    await fac.send('phase.next');
    await focusIs(en, 'H1 Results', 'results');
    await focusIs(nb, 'H1 Resultater', 'results (nb)');
    await saidOnce(en, /^say: Results\. Rank \d+: \d+\.\d \/ 10 from 2 scores$/, 'my rank');
    await saidOnce(nb, /^say: Resultater\. Nr\. \d+: \d+,\d \/ 10 fra 2 vurderinger$/, 'my rank (nb)');
    await fac.send('reveal', { count: 3 });
    await en.locator('ol.top li').first().waitFor();
    const top = await en.locator('ol.top li .text').first().textContent();
    await saidOnce(en, `say: The top cards are shown (3). #1: “${top}”`, 'the reveal');
    await saidOnce(nb, `say: Toppkortene vises (3). Nr. 1: «${top}»`, 'the reveal (nb)');
    await focusIs(en, 'H1 Results', 'revealed');
    assert.equal(await en.title(), 'Results – Participant – Digital Norway 2026 – Lapp');
    // Nothing reached the alert: there was no error.
    assert.deepEqual((await en.evaluate(() => window.heard)).filter((h) => h.startsWith('alert')), []);
    checkErrors(en, nb);
  } finally {
    raw.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});

test('1-3-9 on a phone: focus through group-mates\' notes, one error said once, the group grew', async () => {
  const server = await startServer();
  const browser = await launch();
  const raw = [];
  try {
    const created = await createSession(server.base, { title: 'Open day', language: 'en',
      agenda: [{ kind: 'grouping', prompt: 'What first?', sizes: [2, 4] }] });
    const fac = await client(server.base, { code: created.code, role: 'facilitator', key: created.key });
    raw.push(fac);
    const phone = await phoneAt(browser, created.urls.participant);
    await joinAs(phone, 'Ada');
    await focusIs(phone, "H1 You're in!", 'joined');
    const mates = [];
    for (const name of ['Bo', 'Cy', 'Di']) {
      const p = await client(server.base, { code: created.code, role: 'participant', name });
      mates.push(p);
      raw.push(p);
    }
    await fac.send('activity.start', { index: 0 });
    await fac.send('phase.next');
    await focusIs(phone, 'H1 On your own first', 'solo');

    // Add note: the box empties (its button is disabled), so focus goes to the box.
    await phone.getByLabel('New note').fill('Ask the users');
    await phone.getByRole('button', { name: 'Add note' }).click();
    await phone.locator('.notes li', { hasText: 'Ask the users' }).waitFor();
    await focusIs(phone, 'TEXTAREA #note', 'note added');
    await saidOnce(phone, 'say: Note added.', 'note added');
    for (const [i, mate] of mates.entries()) await mate.send('note.add', { text: `Solo idea ${i}` });

    // Level 1: the heading (the group's name) has focus; the group is said once.
    await fac.send('phase.next');
    await phone.locator('h1.label').waitFor();
    const label = await phone.locator('h1.label').textContent();
    await focusIs(phone, `H1 ${label}`, 'level 1');
    await saidOnce(phone, `say: Your group: ${label}`, 'level 1');
    assert.equal(await phone.title(), 'Groups of 2 – Participant – Open day – Lapp');
    const groupOf = (p) => p.frames.findLast((m) => m.type === 'group' && m.level === 1);
    await until(() => mates.every(groupOf), 'the mates\' groups');
    const mate = mates.find((p) => groupOf(p).label === label);
    assert.ok(mate, 'a raw participant shares the phone\'s group');

    // A group-mate adds a note while "Add note" has focus: focus stays on it.
    await phone.getByLabel('New note').fill('Our idea');
    const add = phone.getByRole('button', { name: 'Add note' });
    await add.focus();
    await mate.send('note.add', { text: 'Mate idea' });
    await phone.locator('.notes li', { hasText: 'Mate idea' }).waitFor();
    await focusIs(phone, 'BUTTON Add note', 'a mate\'s note came');
    await add.press('Enter');
    await phone.locator('.notes li', { hasText: 'Our idea' }).waitFor();

    // Repeated buttons carry their note in their name, read from the accessibility tree.
    const tree = await phone.locator('.notes').ariaSnapshot();
    for (const name of ['Star: Mate idea', 'Star: Our idea', 'Edit: Our idea', 'Delete: Our idea']) {
      assert.ok(tree.includes(`button "${name}"`), `${name} in ${tree}`);
      assert.equal(await phone.getByRole('button', { name, exact: true }).count(), 1, name);
    }

    // An error (a note that is empty once cleaned) is said once, in the alert, though the
    // group-mates' stars re-render the view three times after it.
    await phone.getByLabel('New note').fill('\u202A');
    await add.click();
    await phone.locator('#view .error', { hasText: 'Write something first.' }).waitFor();
    await focusIs(phone, 'BUTTON Add note', 'refused');
    const note = (text) => mate.group().notes.find((n) => n.text === text).id;
    await until(() => mate.group().notes.some((n) => n.text === 'Our idea'), 'the mate sees our note');
    await mate.send('note.star', { note: note('Our idea'), on: true });
    await mate.send('note.star', { note: note('Mate idea'), on: true });
    await mate.send('note.star', { note: note('Mate idea'), on: false });
    await phone.locator('.notes li', { hasText: 'Our idea' }).getByText('1 star').waitFor();
    await saidOnce(phone, 'alert: Write something first.', 'the error');
    assert.deepEqual((await phone.evaluate(() => window.heard)).filter((h) => h.startsWith('alert')), ['alert: Write something first.']);
    await phone.locator('#view .error', { hasText: 'Write something first.' }).waitFor();
    await axe(phone, 'a group, an error shown');

    // A star by keyboard keeps its focus.
    const star = phone.getByRole('button', { name: 'Star: Mate idea', exact: true });
    await star.focus();
    await phone.keyboard.press('Enter');
    await until(async () => (await star.getAttribute('aria-pressed')) === 'true', 'starred');
    await focusIs(phone, 'BUTTON Star', 'starred');

    // Level 2: the star goes with the old group; focus takes the new group's name, and the
    // growth is said once.
    await fac.send('phase.next');
    await until(async () => (await phone.locator('h1.label').count()) && (await phone.locator('.members li').count()) === 4, 'the group of 4');
    const label2 = await phone.locator('h1.label').textContent();
    await focusIs(phone, `H1 ${label2}`, 'level 2');
    await saidOnce(phone, `say: Your group grew to 4 people: ${label2}`, 'the group grew');
    assert.equal(await phone.title(), 'Groups of 4 – Participant – Open day – Lapp');

    await fac.send('phase.next');
    await focusIs(phone, 'H1 Poster', 'poster');
    assert.equal(await phone.title(), 'Poster – Participant – Open day – Lapp');
    checkErrors(phone);
  } finally {
    raw.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});

test('micro-actions on a phone: writing, a buddy request, pairing by another, the wall; the follow-up page', async () => {
  const server = await startServer();
  const browser = await launch();
  const raw = [];
  try {
    const created = await createSession(server.base, { title: 'Kickoff', language: 'en',
      agenda: [{ kind: 'actions', prompt: 'What will YOU start doing tomorrow?', follow_up_days: [7] }] });
    const fac = await client(server.base, { code: created.code, role: 'facilitator', key: created.key });
    raw.push(fac);
    const ada = await phoneAt(browser, created.urls.participant);
    await joinAs(ada, 'Ada');
    await focusIs(ada, "H1 You're in!", 'joined');
    const bo = await client(server.base, { code: created.code, role: 'participant', name: 'Bo', zone: 'Table 2' });
    const cy = await client(server.base, { code: created.code, role: 'participant', name: 'Cy', zone: 'Table 3' });
    raw.push(bo, cy);
    await fac.send('activity.start', { index: 0 });
    await fac.send('phase.next');
    await focusIs(ada, 'H1 Your micro-action', 'writing');
    assert.equal(await ada.title(), 'Writing – Participant – Kickoff – Lapp');

    await ada.getByLabel('I will …').fill('I will walk to work');
    await ada.getByRole('button', { name: 'Save my action' }).click();
    await ada.getByText('Your action is saved. You can change it until pairing ends.').waitFor();
    await focusIs(ada, 'BUTTON Save my action', 'action saved');
    await saidOnce(ada, 'say: Your action is saved. You can change it until pairing ends.', 'action saved');
    await bo.send('action.write', { text: 'I will tidy my desk' });
    await cy.send('action.write', { text: 'I will call my mother' });

    // Pairing: the save button is still there, so focus stays on it; the change is said.
    await fac.send('phase.next');
    await ada.getByRole('heading', { level: 1, name: 'Find a buddy' }).waitFor();
    await focusIs(ada, 'BUTTON Save my action', 'pairing');
    await saidOnce(ada, 'say: Find a buddy', 'pairing');
    assert.equal(await ada.title(), 'Finding buddies – Participant – Kickoff – Lapp');

    // Cy asks Ada: said once; the answers are named by who asks. Ada declines by keyboard.
    const adaCode = (await ada.locator('.mycode .code-big').textContent()).replace(/\s/g, '');
    await cy.send('buddy.ask', { code: adaCode });
    await saidOnce(ada, 'say: Cy asks to be your buddy.', 'a request');
    const tree = await ada.locator('#view').ariaSnapshot();
    for (const name of ['Accept: Cy (Table 3)', 'Decline: Cy (Table 3)', 'Copy: Your follow-up link']) {
      assert.ok(tree.includes(`button "${name}"`), `${name} in ${tree}`);
    }
    await ada.getByRole('button', { name: 'Decline: Cy (Table 3)', exact: true }).focus();
    await ada.keyboard.press('Enter');
    await ada.getByText('Cy (Table 3) asks to be your buddy.').waitFor({ state: 'detached' });
    await focusIs(ada, 'INPUT #bcode', 'declined');

    // Ada asks Bo; Bo accepts on his phone: Ada's Withdraw button goes, focus to her buddy.
    const boCode = bo.frames.findLast((m) => m.type === 'action' && m.code).code;
    await ada.getByLabel("Your buddy's code").fill(boCode);
    await ada.getByLabel("Your buddy's code").press('Enter');
    await focusIs(ada, 'BUTTON Withdraw the request', 'asked');
    const asking = await until(() => bo.frames.findLast((m) => m.type === 'action' && m.asking?.length), 'Bo asked');
    await bo.send('buddy.answer', { pid: asking.asking[0].pid, accept: true });
    await ada.getByRole('heading', { level: 2, name: 'Your buddy', exact: true }).waitFor();
    await focusIs(ada, 'H2 Your buddy', 'paired by Bo');
    await saidOnce(ada, 'say: You have a buddy: Bo.', 'paired');

    // The wall: Cy, left alone, joins Ada and Bo; the buddy heading that had focus is still
    // there, so focus stays; the change and the new buddy are said.
    await fac.send('phase.next');
    await ada.getByRole('heading', { level: 1, name: 'The wall' }).waitFor();
    await ada.getByRole('heading', { level: 2, name: 'Your buddies' }).waitFor();
    await focusIs(ada, 'H2 Your buddies', 'the wall');
    await saidOnce(ada, 'say: The wall', 'the wall');
    await saidOnce(ada, 'say: You have a buddy: Bo, Cy.', 'the wall');
    assert.equal(await ada.title(), 'The wall – Participant – Kickoff – Lapp');
    assert.deepEqual((await ada.evaluate(() => window.heard)).filter((h) => h.startsWith('alert')), []);

    // The follow-up page: its title; Save is named by its action, keeps focus, and is said.
    const link = await ada.getByLabel('Your link (personal)').inputValue();
    const follow = await phoneAt(browser, link);
    await follow.getByRole('heading', { level: 1, name: 'Your micro-actions' }).waitFor();
    assert.equal(await follow.title(), 'Your micro-actions – Kickoff – Lapp');
    await follow.getByLabel('Started', { exact: true }).check();
    const save = follow.getByRole('button', { name: 'Save: I will walk to work', exact: true });
    await save.focus();
    await follow.keyboard.press('Enter');
    await follow.locator('p.ok', { hasText: 'Saved.' }).waitFor();
    await focusIs(follow, 'BUTTON Save', 'follow-up saved');
    await saidOnce(follow, 'say: Saved.', 'follow-up saved');
    await follow.getByRole('link', { name: 'Add reminders to your calendar (.ics): I will walk to work', exact: true }).waitFor();
    checkErrors(ada, follow);
  } finally {
    raw.forEach((c) => c.close());
    await browser.close();
    await server.stop();
  }
});

test('connection lost and back, another tab, an unknown code; home and privacy titles', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    // An unknown code: said at once (an error), and the page's title says it too.
    const unknown = await phoneAt(browser, `${server.base}/j/000000`);
    await unknown.getByRole('heading', { level: 1, name: 'There is no session with the code 000000' }).waitFor();
    await saidOnce(unknown, 'alert: There is no session with the code 000000', 'unknown code');
    assert.equal(await unknown.title(), 'There is no session with the code 000000 – Lapp');
    unknown.errors = unknown.errors.filter((e) => !/status of 404/.test(e));

    const created = await createSession(server.base, { title: 'Town hall', language: 'en', agenda: [{ kind: 'scoring', prompt: 'Why?' }] });
    const phone = await phoneAt(browser, created.urls.participant);
    await joinAs(phone, 'Ada');
    await focusIs(phone, "H1 You're in!", 'joined');

    // The server goes for a few seconds: the banner is said once however often the phone
    // tries again, and "Connected again." once when it is back; focus is still on the heading.
    await server.restart(async () => {
      await phone.locator('#net', { hasText: 'No connection' }).waitFor();
      await phone.waitForTimeout(3500);
    });
    await phone.locator('#net p').waitFor({ state: 'detached', timeout: 20000 });
    await saidOnce(phone, 'say: Connected again.', 'back');
    assert.equal((await phone.evaluate(() => window.heard)).filter((h) => h.includes('No connection')).length, 1, 'offline said once');
    await focusIs(phone, "H1 You're in!", 'back');
    phone.errors = phone.errors.filter((e) => !/ERR_CONNECTION|WebSocket/.test(e));

    // The same participant in another tab: this one says so, with focus on its heading.
    const tab = await phone.context().newPage();
    await tab.goto(created.urls.participant);
    await phone.getByRole('heading', { level: 1, name: 'This session is open in another tab or device.' }).waitFor();
    await focusIs(phone, 'H1 This session is open in another tab or device.', 'replaced');
    await saidOnce(phone, 'say: This session is open in another tab or device.', 'replaced');
    await phone.getByRole('button', { name: 'Use it here' }).click();
    await focusIs(phone, "H1 You're in!", 'used here');
    await tab.close();

    // Home: "Lapp", and each Forget button named by its session.
    const home = await open(browser, `${server.base}/`, { init: () => localStorage.setItem('lapp.sessions', JSON.stringify([
      { code: '111111', title: 'Town hall', url: '/f/111111#key=1', created: 0 }, { code: '222222', title: 'Board', url: '/f/222222#key=2', created: 0 }])) });
    await home.getByRole('heading', { level: 1 }).waitFor();
    assert.equal(await home.title(), 'Lapp');
    for (const name of ['Forget: Town hall', 'Forget: Board']) assert.equal(await home.getByRole('button', { name, exact: true }).count(), 1, name);
    const privacy = await open(browser, `${server.base}/privacy`);
    await privacy.getByRole('heading', { level: 1 }).waitFor();
    assert.equal(await privacy.title(), 'Privacy in Lapp – Lapp');
    checkErrors(unknown, phone, home, privacy);
  } finally {
    await browser.close();
    await server.stop();
  }
});
