// The facilitator's controls in a hall: a double click and two tabs clicking at once move the
// session on exactly once; "back to round N" reopens a round with everyone's card and score;
// starting another activity asks first; the agenda is edited (a question, an added activity
// moved and removed, the top card carried into the next question with one click); a reset.
// axe finds nothing in each of these states, in English and in bokmål.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createSession, launch, open, axe, checkErrors, shot, PROJECTOR, PHONE, until } from './helpers.js';

const PEOPLE = 4;

test('a double click and a second tab move on once; a round is taken back; the agenda is edited', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const created = await createSession(server.base, {
      title: 'Controls', language: 'en',
      agenda: [{ kind: 'scoring', prompt: 'What slows you down?', rounds: 3 }, { kind: 'grouping', prompt: 'What first?', sizes: [2] }],
    });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    // The second tab's frames from the server can be held back, so it can click on a step the
    // hall has already left, as a tab on a slow network does.
    const tab = await open(browser, null, { viewport: PROJECTOR, locale: 'nb-NO' });
    const held = { on: false, frames: [], release() { this.on = false; this.frames.splice(0).forEach((send) => send()); } };
    await tab.routeWebSocket(/\/ws(\?|$)/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => server.send(message));
      server.onMessage((message) => (held.on ? held.frames.push(() => ws.send(message)) : ws.send(message)));
    });
    await tab.goto(created.urls.facilitator);
    const phones = [];
    for (let i = 0; i < PEOPLE; i++) {
      const phone = await open(browser, created.urls.participant, { viewport: PHONE });
      await phone.getByLabel('Your name (optional)').fill(`Person ${i}`);
      await phone.getByRole('button', { name: 'Join' }).click();
      await phone.getByText(`You joined as Person ${i}.`).waitFor();
      phones.push(phone);
    }
    const onAll = (name) => Promise.all(phones.map((phone) => phone.getByRole('heading', { level: 1, name }).waitFor()));

    await fac.getByRole('button', { name: /^Start: / }).first().click();
    // A double click on "Open writing" opens writing; it does not start round 1 with no cards.
    await fac.getByRole('button', { name: 'Open writing' }).dblclick();
    await fac.getByRole('button', { name: 'Start round 1' }).waitFor();
    for (const [i, phone] of phones.entries()) {
      await phone.getByLabel('Your card').fill(`Card ${i}`);
      await phone.getByRole('button', { name: 'Save card' }).click();
      await phone.locator('#view .ok', { hasText: 'Your card is saved.' }).waitFor();
    }
    await fac.getByRole('button', { name: 'Start round 1' }).click();
    await onAll('Round 1 of 3');
    // A double click on "Close round 1 and start round 2" plays round 2, not 3.
    await fac.getByRole('button', { name: 'Close round 1 and start round 2' }).dblclick();
    await onAll('Round 2 of 3');
    await fac.getByRole('button', { name: 'Close round 2 and start round 3' }).waitFor();
    const given = [];
    for (const [i, phone] of phones.entries()) {
      const score = String((i % 5) + 1);
      await phone.getByRole('button', { name: score, exact: true }).click();
      await phone.locator('.scored', { hasText: `You gave ${score}.` }).waitFor();
      given.push({ score, card: await phone.locator('#hand').textContent() });
    }

    // Two tabs click "close round 2": the second has not heard of the first click yet. The
    // hall moves on once, and the second tab is told it had moved on already.
    await tab.getByRole('button', { name: 'Lukk runde 2 og start runde 3' }).waitFor();
    held.on = true;
    await fac.getByRole('button', { name: 'Close round 2 and start round 3' }).click();
    await onAll('Round 3 of 3');
    await tab.getByRole('button', { name: 'Lukk runde 2 og start runde 3' }).click();
    await until(() => held.frames.length > 0, 'the second click answered');
    held.release();
    await tab.getByText('Allerede gjort: økten hadde gått videre.', { exact: false }).waitFor();
    await tab.getByRole('button', { name: 'Lukk runde 3 og vis resultatene' }).waitFor();
    await fac.getByRole('button', { name: 'Close round 3 and show results' }).waitFor();
    assert.equal(await fac.locator('#now .error').textContent(), '');
    for (const phone of phones) assert.equal(await phone.getByRole('heading', { level: 1, name: 'Results' }).count(), 0, 'the hall is still in round 3');

    // Back to round 2: asked first (in bokmål on the second tab, which then says no), then
    // everyone has their round-2 card and score back.
    await tab.getByRole('button', { name: 'Tilbake til runde 2' }).click();
    const spørsmål = tab.getByRole('group', { name: /Åpne runde 2 igjen slik den var\?/ });
    await axe(tab, 'the second tab asking before going back (nb)');
    await spørsmål.getByRole('button', { name: 'Avbryt' }).click();
    assert.ok(await tab.getByRole('button', { name: 'Tilbake til runde 2' }).evaluate((el) => el === document.activeElement), 'focus back on the button');
    await fac.getByRole('button', { name: 'Back to round 2' }).click();
    const question = fac.getByRole('group', { name: /Reopen round 2 as it was\?/ });
    await question.waitFor();
    assert.ok(await question.evaluate((el) => el === document.activeElement), 'the question has focus');
    await axe(fac, 'facilitator asking before going back');
    await shot(fac, 'facilitator-back');
    await question.getByRole('button', { name: 'Yes, go back' }).click();
    await onAll('Round 2 of 3');
    for (const [i, phone] of phones.entries()) {
      assert.equal(await phone.locator('#hand').textContent(), given[i].card, 'the same card');
      assert.equal(await phone.getByRole('button', { name: given[i].score, exact: true }).getAttribute('aria-pressed'), 'true', 'the same score');
    }
    await fac.getByRole('button', { name: 'Close round 2 and start round 3' }).click();
    await onAll('Round 3 of 3');
    await fac.getByRole('button', { name: 'Close round 3 and show results' }).click();
    await onAll('Results');

    // Starting the next activity while this one runs asks first; "No" leaves it running.
    await fac.getByRole('button', { name: /^Start: / }).click();
    const start = fac.getByRole('group', { name: /Activity 1 is running\. Start activity 2\?/ });
    await start.waitFor();
    await axe(fac, 'facilitator asking before starting another activity');
    await start.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await start.count(), 0);
    await phones[0].getByRole('heading', { level: 1, name: 'Results' }).waitFor();

    // Whoever wrote the last card is removed: asked first, then their phone is told and stays
    // out, and their card leaves the board.
    const last = fac.locator('ol.board li').last();
    const lastText = await last.locator('.text').textContent();
    await last.getByRole('button', { name: 'Remove whoever wrote this' }).click();
    const removal = fac.getByRole('group', { name: /Remove whoever wrote this\?/ });
    await axe(fac, 'facilitator asking before removing an author');
    await removal.getByRole('button', { name: 'Yes, remove them' }).click();
    const author = phones[Number(lastText.match(/Card (\d)/)[1])];
    await author.getByText('The facilitator has removed you from this session.').waitFor();
    await fac.locator('.hidden-list li', { hasText: lastText }).waitFor();
    assert.equal(await fac.locator('ol.board li .text', { hasText: lastText }).count(), 0);
    phones.splice(phones.indexOf(author), 1);

    // The agenda: the top card becomes the next question with one click, a question is
    // edited, an activity added, moved up, and removed.
    const top = (await fac.locator('ol.board li .text').first().textContent());
    await fac.getByRole('button', { name: 'Use the top card as the question of activity 2' }).click();
    await fac.locator('#a1', { hasText: top }).waitFor();
    await fac.getByRole('button', { name: 'Edit the question' }).click();
    await fac.getByLabel('The question of activity 2').fill('How do we start with this?');
    await axe(fac, 'facilitator editing a question');
    await fac.getByRole('button', { name: 'Save', exact: true }).click();
    await fac.locator('#a1', { hasText: 'How do we start with this?' }).waitFor();
    await tab.locator('#a1', { hasText: 'How do we start with this?' }).waitFor();
    const add = fac.locator('#agenda fieldset');
    await add.getByLabel('Method').selectOption('scoring');
    await add.getByLabel('Question').fill('One more round of cards?');
    await add.getByRole('button', { name: 'Add' }).click();
    await fac.locator('#a2', { hasText: 'One more round of cards?' }).waitFor();
    await fac.getByRole('button', { name: 'Move activity 3 up' }).click();
    await fac.locator('#a1', { hasText: 'One more round of cards?' }).waitFor();
    await fac.locator('#agenda li').nth(1).getByRole('button', { name: 'Remove this activity' }).click();
    await until(async () => (await fac.locator('#agenda ol.agenda > li').count()) === 2, 'two activities left');
    assert.equal(await fac.locator('#a1').textContent(), 'How do we start with this?');
    await shot(fac, 'facilitator-agenda');

    // Reset, for a rehearsal: asked first, then the activity is back in its lobby with no cards.
    await fac.getByRole('button', { name: 'Reset this activity' }).click();
    const reset = fac.getByRole('group', { name: /Reset activity 1\?/ });
    await axe(tab, 'the second tab (nb)');
    await reset.getByRole('button', { name: 'Yes, reset it' }).click();
    await fac.getByRole('button', { name: 'Open writing' }).waitFor();
    await fac.locator('.stat', { hasText: 'Cards' }).locator('dd', { hasText: /^0$/ }).waitFor();
    await phones[0].getByRole('heading', { level: 1, name: 'Get ready' }).waitFor().catch(async () => {
      throw new Error(`phone after reset: ${await phones[0].locator('#view').textContent()}`);
    });
    // "Move on at zero" belongs to one activity: the next one starts without it.
    await fac.getByLabel('Move on at zero').check();
    await fac.getByRole('button', { name: /^Start: / }).click();
    await fac.getByRole('button', { name: 'Yes, start it' }).click();
    await fac.getByRole('button', { name: 'Open writing alone' }).waitFor();
    assert.equal(await fac.getByLabel('Move on at zero').isChecked(), false);
    await axe(tab, 'the second tab in a grouping activity (nb)');
    checkErrors(fac, tab, ...phones);
  } finally {
    await browser.close();
    await server.stop();
  }
});
