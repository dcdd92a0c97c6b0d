// A whole 25/10 in the browser: the facilitator creates the session with the home page's
// form, a screen and 7 phones join, everyone writes a card and scores the card in hand for 5
// rounds; the facilitator's final leaderboard equals the sums of the scores clicked, and a
// reveal of 3 reaches the screen best first (#1 largest, at the top).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, launch, open, checkErrors, shot, PROJECTOR, PHONE, until } from './helpers.js';

const PEOPLE = 7;
const ROUNDS = 5;

test('a whole 25/10 with 7 phones, a facilitator and a screen', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const fac = await open(browser, `${server.base}/`, { viewport: PROJECTOR });
    await fac.getByLabel('Title').fill('Digital Norway 2026');
    await fac.getByLabel('Question').fill('What slows your team down the most?');
    await shot(fac, 'home-create');
    await fac.getByRole('button', { name: 'Create the session' }).click();
    await fac.waitForURL(/\/f\/\d{6}#key=[0-9a-f]{32}$/);
    const code = fac.url().match(/\/f\/(\d{6})/)[1];
    await fac.getByRole('heading', { level: 1, name: 'Digital Norway 2026' }).waitFor();

    const screen = await open(browser, `${server.base}/screen/${code}`, { viewport: PROJECTOR });
    const phones = [];
    for (let i = 0; i < PEOPLE; i++) {
      const phone = await open(browser, `${server.base}/j/${code}`, { viewport: PHONE });
      await phone.getByLabel('Your name (optional)').fill(`Person ${i}`);
      await phone.getByRole('button', { name: 'Join' }).click();
      await phone.getByText(`You joined as Person ${i}.`).waitFor();
      phones.push(phone);
    }
    await shot(phones[0], 'participant-waiting');
    await screen.getByText(`${PEOPLE} joined`).waitFor();

    await fac.getByRole('button', { name: /^Start: / }).click();
    await fac.getByRole('button', { name: 'Open writing' }).click();
    for (const [i, phone] of phones.entries()) {
      await phone.getByLabel('Your card').fill(`Challenge ${i}: too many meetings of kind ${i}`);
      await phone.getByRole('button', { name: 'Save card' }).click();
      await phone.locator('#view .ok', { hasText: 'Your card is saved.' }).waitFor();
    }
    await shot(phones[0], 'participant-writing');
    await screen.getByText(`${PEOPLE} cards written`).waitFor();
    await shot(screen, 'screen-writing');

    const totals = new Map();
    for (let round = 1; round <= ROUNDS; round++) {
      const next = round === 1 ? 'Start round 1' : `Close round ${round - 1} and start round ${round}`;
      await fac.getByRole('button', { name: next }).click();
      for (const [i, phone] of phones.entries()) {
        await phone.getByRole('heading', { level: 1, name: `Round ${round} of ${ROUNDS}` }).waitFor();
        const text = await phone.locator('#hand').textContent();
        const score = ((i * 3 + round) % 5) + 1;
        await phone.getByRole('button', { name: String(score), exact: true }).click();
        await phone.locator('.scored', { hasText: `You gave ${score}.` }).waitFor();
        assert.equal(await phone.getByRole('button', { name: String(score), exact: true }).getAttribute('aria-pressed'), 'true');
        const sum = totals.get(text) || { total: 0, count: 0 };
        totals.set(text, { total: sum.total + score, count: sum.count + 1 });
      }
      await fac.getByText(`${PEOPLE} of ${PEOPLE} have scored`).waitFor();
      await screen.getByText(`${PEOPLE} of ${PEOPLE} have scored`).waitFor();
      if (round === 2) {
        await shot(phones[1], 'participant-round');
        await shot(fac, 'facilitator-round');
        await shot(screen, 'screen-round');
      }
    }
    // The last round ends by the timer: one second, then on at zero.
    await fac.getByLabel('Minutes').fill('0');
    await fac.getByLabel('Seconds').fill('1');
    await fac.getByLabel('Move on at zero').check();
    await fac.getByRole('button', { name: 'Start the timer' }).click();
    await fac.getByText('Results', { exact: true }).first().waitFor();

    // Every card was scored once per round, and the leaderboard adds up what was clicked.
    assert.equal(totals.size, PEOPLE);
    for (const sum of totals.values()) assert.equal(sum.count, ROUNDS);
    const rows = fac.locator('ol.board li');
    await until(async () => (await rows.count()) === PEOPLE, 'a full leaderboard');
    // Each label is the card's score on the 25-point scale (mean × rounds, one decimal) and its count.
    const board = await rows.evaluateAll((lis) => lis.map((li) => {
      const [, score, count] = li.querySelector('.pts').textContent.match(/^(\d+\.\d) \/ 25 from (\d+) scores?$/);
      return { rank: Number(li.querySelector('.rank').textContent.slice(1)), text: li.querySelector('.text').textContent,
        score, count: Number(count) };
    }));
    const scaled = ({ total, count }) => ((total / count) * ROUNDS).toFixed(1);
    for (const row of board) assert.deepEqual({ score: row.score, count: row.count }, { score: scaled(totals.get(row.text)), count: ROUNDS }, row.text);
    const means = board.map((row) => Number(row.score));
    assert.deepEqual(means, [...means].sort((x, y) => y - x), 'ranked by mean score');

    // Each phone sees how its own card did.
    for (const [i, phone] of phones.entries()) {
      const mine = totals.get(`Challenge ${i}: too many meetings of kind ${i}`);
      await phone.getByText(new RegExp(`^Rank \\d+: ${scaled(mine).replace('.', '\\.')} / 25 from ${ROUNDS} scores$`)).waitFor();
    }

    await fac.getByLabel('Top cards to show').fill('3');
    await fac.getByRole('button', { name: 'Reveal', exact: true }).click();
    await fac.locator('#now').getByText('The screen shows the top 3.').waitFor();
    const items = screen.locator('.countdown li');
    await until(async () => (await items.count()) === 3, 'three cards on the screen');
    const shown = await items.evaluateAll((lis) => lis.map((li) => ({
      rank: Number(li.dataset.rank), text: li.querySelector('.text').textContent })));
    assert.deepEqual(shown.map((entry) => entry.text), board.slice(0, 3).map((row) => row.text), 'best first');
    assert.deepEqual(shown.map((entry) => entry.rank), board.slice(0, 3).map((row) => row.rank));
    await shot(screen, 'screen-reveal');
    await phones[0].locator('ol.top li').nth(2).waitFor();
    await shot(phones[0], 'participant-results');
    await shot(fac, 'facilitator-results');

    // The export, fetched with the key and saved from a blob, holds every card and score.
    for (const format of ['json', 'csv']) {
      const [download] = await Promise.all([fac.waitForEvent('download'), fac.getByRole('button', { name: `Export ${format.toUpperCase()}` }).click()]);
      assert.equal(download.suggestedFilename(), `lapp-${code}.${format}`);
      const body = fs.readFileSync(await download.path(), 'utf8');
      if (format === 'json') {
        const cards = JSON.parse(body).activities[0].cards;
        assert.deepEqual(cards.map((c) => totals.get(c.text)), cards.map((c) => ({ total: c.total, count: c.count })));
      } else for (const text of totals.keys()) assert.ok(body.includes(text), text);
    }
    checkErrors(fac, screen, ...phones);
  } finally {
    await browser.close();
    await server.stop();
  }
});
