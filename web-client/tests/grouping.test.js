// A 1-3-9 in the browser: 9 phones in two zones (6 at table 1, 3 at table 2) write alone,
// meet in groups of 3 found by their labels, star notes, merge into the level-2 groups, star
// again; the poster reaches the facilitator and the screen, and hiding a note takes it off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, open, checkErrors, shot, PROJECTOR, PHONE, until } from './helpers.js';

const ZONES = ['Table 1', 'Table 1', 'Table 1', 'Table 1', 'Table 1', 'Table 1', 'Table 2', 'Table 2', 'Table 2'];

// What each phone shows of its group: label, member names and notes.
const groupOf = (phone) => phone.evaluate(() => ({
  label: document.querySelector('h1.label')?.textContent,
  members: [...document.querySelectorAll('.members li')].map((li) => li.firstChild.textContent),
  notes: [...document.querySelectorAll('.notes li .text')].map((p) => p.textContent),
}));

test('a 1-3-9 with 9 phones in two zones', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const fac = await open(browser, `${server.base}/`, { viewport: PROJECTOR });
    await fac.getByLabel('Title').fill('Open day');
    await fac.getByLabel('Method').selectOption('grouping');
    await fac.getByLabel('Question').fill('What should we do first?');
    await fac.getByLabel('Group sizes').selectOption('3-9');
    await fac.getByRole('button', { name: 'Create the session' }).click();
    await fac.waitForURL(/\/f\/\d{6}#key=/);
    const code = fac.url().match(/\/f\/(\d{6})/)[1];
    const screen = await open(browser, `${server.base}/screen/${code}`, { viewport: PROJECTOR });

    const phones = [];
    for (const [i, zone] of ZONES.entries()) {
      const phone = await open(browser, `${server.base}/j/${code}`, { viewport: PHONE });
      await phone.getByLabel('Your name (optional)').fill(`Person ${i}`);
      await phone.getByLabel('Table or area (optional)').fill(zone);
      await phone.getByRole('button', { name: 'Join' }).click();
      await phone.getByText(`You joined as Person ${i}.`).waitFor();
      phones.push(phone);
    }
    await fac.getByRole('button', { name: /^Start: / }).click();
    await fac.getByRole('button', { name: 'Open writing alone' }).click();
    for (const [i, phone] of phones.entries()) {
      await phone.getByRole('heading', { level: 1, name: 'On your own first' }).waitFor();
      await phone.getByLabel('New note').fill(`Idea of person ${i}`);
      await phone.getByRole('button', { name: 'Add note' }).click();
      await phone.locator('.notes li', { hasText: `Idea of person ${i}` }).waitFor();
    }
    await shot(phones[0], 'participant-solo');

    // Level 1: groups of three inside each zone, each member sees the same label and names.
    await fac.getByRole('button', { name: 'Form groups of 3' }).click();
    const levelOne = new Map();
    for (const [i, phone] of phones.entries()) {
      await phone.locator('h1.label').waitFor();
      await phone.locator('.notes li').first().waitFor();
      const group = await groupOf(phone);
      assert.ok(group.members.includes(`Person ${i}`), `Person ${i} is in their own group`);
      const seen = levelOne.get(group.label) || { phones: [], ...group };
      assert.deepEqual(group.members, seen.members, `members of ${group.label} agree`);
      seen.phones.push(i);
      levelOne.set(group.label, seen);
    }
    assert.equal(levelOne.size, 3);
    for (const [label, group] of levelOne) {
      assert.equal(group.phones.length, 3, label);
      assert.equal(new Set(group.phones.map((i) => ZONES[i])).size, 1, `${label} stays in one zone`);
      assert.deepEqual([...group.notes].sort(), group.phones.map((i) => `Idea of person ${i}`).sort());
    }
    await shot(phones[0], 'participant-group');

    // In each group its first member stars the first note; all members see the star.
    for (const group of levelOne.values()) {
      const phone = phones[group.phones[0]];
      const star = phone.getByRole('button', { name: 'Star' }).first();
      await star.click();
      await until(async () => (await star.getAttribute('aria-pressed')) === 'true', 'the star pressed');
      for (const i of group.phones) await phones[i].locator('.notes li').first().getByText('1 star').waitFor();
    }
    await fac.getByText('3 of 3 groups have starred').waitFor();
    await screen.getByText('3 of 3 groups have starred').waitFor();
    await shot(screen, 'screen-level');

    // Level 2: the two groups of table 1 merge; table 2 stays a group of its own.
    await fac.getByRole('button', { name: 'Form groups of 9' }).click();
    const levelTwo = new Map();
    for (const [i, phone] of phones.entries()) {
      await phone.getByText('Level 2 of 2: groups of about 9', { exact: true }).waitFor();
      const group = await groupOf(phone);
      const seen = levelTwo.get(group.label) || { phones: [], ...group };
      seen.phones.push(i);
      levelTwo.set(group.label, seen);
    }
    assert.deepEqual([...levelTwo.values()].map((g) => g.phones.length).sort(), [3, 6]);
    for (const group of levelTwo.values()) {
      assert.equal(group.notes.length, group.phones.length / 3, 'one starred note per merged group');
      const phone = phones[group.phones[0]];
      const star = phone.getByRole('button', { name: 'Star' }).first();
      await star.click();
      await until(async () => (await star.getAttribute('aria-pressed')) === 'true', 'the star pressed');
    }
    await fac.getByText('2 of 2 groups have starred').waitFor();

    await fac.getByRole('button', { name: 'Show the poster' }).click();
    const posterOf = (page) => page.evaluate(() => [...document.querySelectorAll('.poster .group')].map((g) => ({
      label: g.querySelector('h2, h3').textContent,
      notes: [...g.querySelectorAll('li')].map((li) => li.firstChild.textContent.trim()),
    })).sort((a, b) => a.label.localeCompare(b.label)));
    const expected = [...levelTwo.values()].map((g) => ({ label: g.label, notes: [g.notes[0]] }))
      .sort((a, b) => a.label.localeCompare(b.label));
    await until(async () => (await posterOf(fac)).length === 2, 'the poster on the facilitator page');
    await until(async () => (await posterOf(screen)).length === 2, 'the poster on the screen');
    assert.deepEqual(await posterOf(fac), expected);
    assert.deepEqual(await posterOf(screen), expected);
    await phones[0].getByRole('heading', { level: 1, name: 'Poster' }).waitFor();
    await shot(screen, 'screen-poster');
    await shot(fac, 'facilitator-poster');

    // Moderation: a hidden note leaves the poster and can be shown again.
    const hidden = expected[0].notes[0];
    await fac.locator('.poster li', { hasText: hidden }).getByRole('button', { name: 'Hide' }).click();
    await screen.locator('.poster li', { hasText: hidden }).waitFor({ state: 'detached' });
    await fac.locator('.hidden-list li', { hasText: hidden }).getByRole('button', { name: 'Show again' }).click();
    await screen.locator('.poster li', { hasText: hidden }).waitFor();
    checkErrors(fac, screen, ...phones);
  } finally {
    await browser.close();
    await server.stop();
  }
});
