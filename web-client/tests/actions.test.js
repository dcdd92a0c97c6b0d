// Micro-actions (#mikrohandling) on two phones, one in English and one in bokmål: both write
// an action, pair by the four-digit buddy code (a wrong code and one's own are told), leave
// contact lines and then each sees the other's, one puts theirs on the wall; the follow-up
// link opens in a fresh browser, sets "done" and downloads the calendar file. axe finds
// nothing on the phone while writing, pairing and at the wall, nor on the follow-up page,
// and each reflows at 320px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { connect as facilitator, startServer, createSession, launch, open, axe, reflows, checkErrors, shot, until } from './helpers.js';

async function check(page, what) {
  await axe(page, what);
  await reflows(page, what);
}

async function join(browser, url, name, zone, options) {
  const phone = await open(browser, url, options);
  await phone.locator('#name').fill(name);
  await phone.locator('#zone').fill(zone);
  await phone.locator('#zone').press('Enter');
  await phone.locator('#view h1').filter({ hasNotText: /^(Join|Bli med)/ }).waitFor();
  return phone;
}

const ADA = 'I will ask one new colleague to lunch each week';
const BO = 'Jeg skal rydde skrivebordet hver fredag';

test('micro-actions: write, pair by code, contact lines, the wall and the follow-up link', async () => {
  const server = await startServer();
  const browser = await launch();
  let fac;
  try {
    const created = await createSession(server.base, {
      title: 'Kickoff', language: 'en',
      agenda: [{ kind: 'actions', prompt: 'What will YOU start doing tomorrow?', max_chars: 120, follow_up_days: [7, 30] }],
    });
    fac = await facilitator(server.base, { code: created.code, role: 'facilitator', key: created.key });
    const ada = await join(browser, created.urls.participant, 'Ada', 'Table 1');
    const bo = await join(browser, created.urls.participant, 'Bo', 'Bord 2', { locale: 'nb-NO', init: () => localStorage.setItem('lapp.lang', 'nb') });
    await fac.send('activity.start', { index: 0 });

    // Writing: the box starts with "I will ", counts against max_chars and says it is saved.
    await fac.send('phase.next');
    await ada.getByRole('heading', { level: 1, name: 'Your micro-action' }).waitFor();
    assert.equal(await ada.getByLabel('I will …').inputValue(), 'I will ');
    await ada.getByLabel('I will …').fill('x'.repeat(130));
    await ada.locator('#actc', { hasText: '10 characters too many' }).waitFor();
    assert.ok(await ada.getByRole('button', { name: 'Save my action' }).isDisabled());
    await ada.getByLabel('I will …').fill(ADA);
    await ada.getByRole('button', { name: 'Save my action' }).click();
    await ada.getByText('Your action is saved. You can change it until pairing ends.').waitFor();
    await bo.getByRole('heading', { level: 1, name: 'Din mikrohandling' }).waitFor();
    await bo.getByLabel('Jeg skal …').fill(BO);
    await bo.getByLabel('Jeg skal …').press('Tab'); // keyboard only: to the save button
    await bo.keyboard.press('Enter');
    await bo.getByText('Handlingen er lagret. Du kan endre den til paringen er over.').waitFor();
    await check(ada, 'actions: writing (en)');
    await check(bo, 'actions: writing (nb)');
    await shot(ada, 'participant-actions-writing');

    // Pairing: each phone shows its code; wrong ones are told, then Ada asks Bo and Bo accepts.
    await fac.send('phase.next');
    await ada.getByRole('heading', { level: 1, name: 'Find a buddy' }).waitFor();
    const codeOf = async (phone) => (await phone.locator('.mycode .code-big').textContent()).replace(/\s/g, '');
    const [adaCode, boCode] = [await codeOf(ada), await codeOf(bo)];
    assert.match(adaCode, /^\d{4}$/);
    assert.match(boCode, /^\d{4}$/);
    assert.notEqual(adaCode, boCode);
    const codeField = ada.getByLabel("Your buddy's code");
    const askButton = ada.getByRole('button', { name: 'Ask to be buddies' });
    await codeField.fill('12');
    await askButton.click();
    await ada.getByRole('alert').getByText('The code has four digits.').waitFor();
    await codeField.fill(adaCode);
    await askButton.click();
    await ada.getByRole('alert').getByText("That is your own code. Type your buddy's.").waitFor();
    await check(ada, 'actions: pairing, an error told (en)');
    const nobody = ['0000', '0001', '0002'].find((c) => c !== adaCode && c !== boCode);
    await codeField.fill(nobody);
    await askButton.click();
    await ada.getByRole('alert').getByText('Nobody has that code. Check the digits.').waitFor();
    // Asked, withdrawn, asked again and declined; asked once more and accepted.
    const asked = ada.getByText('You asked Bo (Bord 2). Waiting for an answer.');
    const request = bo.getByText('Ada (Table 1) spør om å bli makkeren din.');
    await codeField.fill(boCode);
    await codeField.press('Enter');
    await asked.waitFor();
    await request.waitFor();
    await ada.getByRole('button', { name: 'Withdraw the request' }).click();
    await request.waitFor({ state: 'detached' });
    await codeField.fill(boCode);
    await askButton.click();
    await request.waitFor();
    await bo.getByRole('button', { name: 'Avslå' }).click();
    await asked.waitFor({ state: 'detached' });
    await codeField.fill(boCode);
    await askButton.click();
    await asked.waitFor();
    await request.waitFor();
    await check(bo, 'actions: pairing, a request (nb)');
    await shot(bo, 'participant-actions-request');
    await bo.getByRole('button', { name: 'Godta' }).focus();
    await bo.keyboard.press('Enter');
    await ada.getByRole('heading', { level: 2, name: 'Your buddy', exact: true }).waitFor();
    await bo.getByRole('heading', { level: 2, name: 'Makkeren din', exact: true }).waitFor();
    await ada.locator('.mate', { hasText: 'Bo' }).getByText(BO).waitFor();
    await bo.locator('.mate', { hasText: 'Ada' }).getByText(ADA).waitFor();
    // Focus was on a button that is gone now (Bo's accept, Ada's withdraw): it goes to the buddy.
    for (const phone of [ada, bo]) await until(() => phone.evaluate(() => document.activeElement.id === 'bd'), 'focus on the buddy');
    assert.equal(await ada.locator('.mycode').count(), 0, 'no code once paired');

    // Contact lines: nobody sees one until both have left one.
    await ada.getByLabel('How your buddy can reach you (e-mail or phone)').fill('ada@example.no');
    await ada.getByRole('button', { name: 'Save contact' }).click();
    await ada.locator('p.ok', { hasText: 'Your contact is saved.' }).waitFor();
    await ada.locator('.mate').getByText('Their contact line shows here once you have both left one.').waitFor();
    assert.equal(await bo.getByText('ada@example.no').count(), 0, 'not shown before both left one');
    await bo.getByLabel('Hvordan makkeren kan nå deg (e-post eller telefon)').fill('bo@example.no');
    await bo.getByRole('button', { name: 'Lagre kontaktinfo' }).click();
    await ada.locator('.mate').getByText('bo@example.no').waitFor();
    await bo.locator('.mate').getByText('ada@example.no').waitFor();
    await ada.getByText('Your contact is saved and shared with your buddy.').waitFor();
    // The consent is said in both languages, whatever the page shows.
    for (const phone of [ada, bo]) {
      await phone.locator('#consent [lang="nb"]', { hasText: 'Det eksporteres aldri' }).waitFor();
      await phone.locator('#consent [lang="en"]', { hasText: 'never exported' }).waitFor();
    }
    await check(ada, 'actions: paired, contacts (en)');
    await check(bo, 'actions: paired, contacts (nb)');
    await shot(ada, 'participant-actions-paired');

    // The wall: Ada shows hers; both phones see it.
    await fac.send('phase.next');
    await ada.getByRole('heading', { level: 1, name: 'The wall' }).waitFor();
    await ada.getByLabel('Show my action on the wall (without my name)').check();
    await ada.locator('.wall li', { hasText: ADA }).waitFor();
    await bo.locator('.wall li', { hasText: ADA }).waitFor();
    assert.ok(await ada.getByLabel('Show my action on the wall (without my name)').isChecked());
    await check(ada, 'actions: the wall (en)');
    await check(bo, 'actions: the wall (nb)');
    await shot(ada, 'participant-actions-wall');

    // Someone who comes in at the wall writes a first action and gets a buddy at once.
    const cy = await join(browser, created.urls.participant, 'Cy', 'Table 3');
    await cy.getByRole('heading', { level: 1, name: 'The wall' }).waitFor();
    await cy.getByText('Write your action, and you get a buddy at once.').waitFor();
    await cy.locator('.wall li', { hasText: ADA }).waitFor();
    await cy.getByLabel('I will …').fill('I will walk to work on Mondays');
    await cy.getByRole('button', { name: 'Save my action' }).click();
    // The only pair takes Cy in: a trio, where everyone has two buddies.
    await cy.getByRole('heading', { level: 2, name: 'Your buddies' }).waitFor();
    assert.equal(await cy.locator('.mate').count(), 2);
    await ada.getByRole('heading', { level: 2, name: 'Your buddies' }).waitFor();
    await cy.getByLabel('Show my action on the wall (without my name)').waitFor();
    await check(cy, 'actions: the wall, a late joiner paired');

    // The follow-up link, opened in a fresh browser (nb-NO) that chose no language: the
    // session's (English) is spoken.
    const link = await ada.getByLabel('Your link (personal)').inputValue();
    assert.match(link, new RegExp(`^${server.base}/a/${created.code}#[0-9a-f]{32}$`));
    const follow = await open(browser, link, { locale: 'nb-NO' });
    await follow.getByRole('heading', { level: 1, name: 'Your micro-actions' }).waitFor();
    await follow.getByRole('heading', { level: 2, name: ADA }).waitFor();
    const boHere = follow.locator('.mate', { hasText: BO });
    await boHere.getByText('bo@example.no').waitFor();
    await boHere.getByText('Status: Not started').waitFor();
    await follow.locator('.mate', { hasText: 'I will walk to work on Mondays' }).waitFor();
    assert.ok(await follow.getByLabel('Not started').isChecked());
    await check(follow, 'follow-up page');
    await follow.getByLabel('Done').check();
    await follow.getByLabel('A short note (optional)').fill('Lunch with Per on Tuesday');
    await follow.getByRole('button', { name: 'Save' }).click();
    await follow.locator('p.ok', { hasText: 'Saved.' }).waitFor();
    await follow.reload();
    await follow.getByRole('heading', { level: 1, name: 'Your micro-actions' }).waitFor();
    assert.ok(await follow.getByLabel('Done').isChecked(), 'the status is kept');
    assert.equal(await follow.getByLabel('A short note (optional)').inputValue(), 'Lunch with Per on Tuesday');
    await check(follow, 'follow-up page, done');
    await shot(follow, 'followup');

    const [download] = await Promise.all([follow.waitForEvent('download'),
      follow.getByRole('link', { name: 'Add reminders to your calendar (.ics)' }).click()]);
    const ics = fs.readFileSync(await download.path(), 'utf8').replace(/\r?\n[ \t]/g, ''); // unfolded
    assert.ok(ics.startsWith('BEGIN:VCALENDAR'), ics.slice(0, 80));
    assert.ok(ics.includes(ADA), 'the calendar holds the action');
    assert.equal((ics.match(/BEGIN:VEVENT/g) || []).length, 2, 'one event per follow-up day');

    // An unknown link is told as such, in the language the person chose.
    const unknown = await open(browser, `${server.base}/a/${created.code}#${'0'.repeat(32)}`, { init: () => localStorage.setItem('lapp.lang', 'nb') });
    await unknown.getByRole('heading', { level: 1, name: 'Ukjent oppfølgingslenke' }).waitFor();
    await check(unknown, 'follow-up page, unknown link');
    unknown.errors = unknown.errors.filter((e) => !/status of 404/.test(e));
    await until(async () => (await follow.evaluate(() => document.title)).includes('Kickoff'), 'the title');
    checkErrors(ada, bo, cy, follow, unknown);
  } finally {
    fac?.close();
    await browser.close();
    await server.stop();
  }
});
