// The participant's phone: the code is checked and the title shown before a name is asked;
// the session's language is spoken until the person picks one; a late joiner is told when a
// card comes; a grown group says why its name changed and that stars start again; own notes
// can be edited and deleted while their level is open; the poster reaches the phones. axe
// finds nothing in any of these states, in either language, and each reflows at 320px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createSession, launch, open, axe, reflows, checkErrors, shot, until, PROJECTOR } from './helpers.js';

const chooseNb = () => localStorage.setItem('lapp.lang', 'nb');

async function check(page, what) {
  await axe(page, what);
  await reflows(page, what);
}

// A phone that joins as `name`, in whatever language it shows.
async function join(browser, url, name, options) {
  const phone = await open(browser, url, options);
  await phone.locator('#name').fill(name);
  await phone.locator('#name').press('Enter');
  await phone.locator('#view h1').filter({ hasNotText: /^(Join|Bli med)/ }).waitFor();
  return phone;
}

const texts = (phone) => phone.locator('.notes li .text').allTextContents();
const note = (phone, text) => phone.locator('.notes li').filter({ has: phone.locator('.text', { hasText: new RegExp(`^${text}$`) }) });

async function star(phone, text) {
  const button = note(phone, text).getByRole('button', { name: /^(Star|Stjerne): / });
  await button.click();
  await until(async () => (await button.getAttribute('aria-pressed')) === 'true', `${text} starred`);
}

test('joining checks the code, shows the title and speaks the session language until one is chosen', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    // A code that names nothing is told at once, with the way back.
    for (const [locale, heading, back] of [['en-US', 'There is no session with the code 000000', 'Go to the front page'],
      ['nb-NO', 'Fant ingen økt med koden 000000', 'Til forsiden']]) {
      const page = await open(browser, `${server.base}/j/000000`, { locale });
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      assert.equal(await page.locator('#name').count(), 0, 'no name asked');
      await check(page, `unknown code (${locale})`);
      await page.getByRole('link', { name: back }).click();
      await page.getByLabel(/Session code|Øktkode/).waitFor();
      // The lookup's 404 is what the browser logs; nothing else may be.
      page.errors = page.errors.filter((e) => !/status of 404/.test(e));
      checkErrors(page);
    }

    // A bokmål session on an English phone: bokmål, until the person switches, which stays.
    const nb = await createSession(server.base, { title: 'Allmøte <i>', language: 'nb', agenda: [{ kind: 'scoring', prompt: 'Hvorfor?' }] });
    const phone = await open(browser, nb.urls.participant);
    await phone.getByRole('heading', { level: 1, name: 'Bli med i «Allmøte <i>»' }).waitFor();
    await phone.getByText(`Kode ${nb.code}`).waitFor();
    assert.equal(await phone.getAttribute('html', 'lang'), 'nb');
    assert.equal(await phone.evaluate(() => localStorage.getItem('lapp.lang')), null, 'not stored as a choice');
    await check(phone, 'join form with the title (nb)');
    await shot(phone, 'participant-join-title');
    await phone.getByRole('button', { name: 'English' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Join “Allmøte <i>”' }).waitFor();
    await check(phone, 'join form with the title (en)');
    await phone.reload();
    await phone.getByRole('heading', { level: 1, name: 'Join “Allmøte <i>”' }).waitFor();
    await phone.getByRole('button', { name: 'Join', exact: true }).click();
    await phone.getByRole('heading', { level: 1, name: "You're in!" }).waitFor();
    assert.equal(await phone.getAttribute('html', 'lang'), 'en');

    // An English session on a bokmål phone, and again after a reload (from the welcome).
    const en = await createSession(server.base, { title: 'Town hall', language: 'en', agenda: [{ kind: 'scoring', prompt: 'Why?' }] });
    const other = await open(browser, en.urls.participant, { locale: 'nb-NO' });
    await other.getByRole('heading', { level: 1, name: 'Join “Town hall”' }).waitFor();
    await other.getByRole('button', { name: 'Join', exact: true }).click();
    await other.getByRole('heading', { level: 1, name: "You're in!" }).waitFor();
    await other.reload();
    await other.getByRole('heading', { level: 1, name: "You're in!" }).waitFor();
    assert.equal(await other.getAttribute('html', 'lang'), 'en');
    checkErrors(phone, other);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('someone who joins after the hand-out is welcomed and told when a card comes', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const created = await createSession(server.base, { title: 'Late', language: 'en', agenda: [{ kind: 'scoring', prompt: 'Why?', rounds: 3 }] });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    const phones = [];
    for (let i = 0; i < 3; i++) phones.push(await join(browser, created.urls.participant, `Person ${i}`));
    await fac.getByRole('button', { name: /^Start: / }).click();
    await fac.getByRole('button', { name: 'Open writing' }).click();
    for (const [i, phone] of phones.entries()) {
      await phone.getByLabel('Your card').fill(`Card ${i}`);
      await phone.getByRole('button', { name: 'Save card' }).click();
      await phone.locator('#view .ok').waitFor();
    }
    await fac.getByRole('button', { name: 'Start round 1' }).click();
    await fac.getByRole('button', { name: 'Close round 1 and start round 2' }).click();
    for (const phone of phones) await phone.getByRole('heading', { name: 'Round 2 of 3' }).waitFor();

    // Every card is in a hand: the newcomer has nothing to score yet, and is told so.
    const late = await join(browser, created.urls.participant, 'Late');
    await late.getByRole('heading', { level: 1, name: 'Round 2 of 3' }).waitFor();
    await late.getByText("Welcome, you're in!").waitFor();
    await late.getByText("You joined during round 2, when every card was already in someone's hand. You will get one to score when one of the next rounds starts.").waitFor();
    assert.equal(await late.getByText('sit this one out').count(), 0);
    await check(late, 'late joiner (en)');
    await shot(late, 'participant-late');
    const lateNb = await join(browser, created.urls.participant, 'Sen', { init: chooseNb });
    await lateNb.getByText('Du ble med under runde 2, da alle kortene alt var delt ut.', { exact: false }).waitFor();
    await check(lateNb, 'late joiner (nb)');

    // The next hand-out serves those who have held fewest first.
    await fac.getByRole('button', { name: 'Close round 2 and start round 3' }).click();
    await late.locator('#hand').waitFor();
    await lateNb.locator('#hand').waitFor();
    checkErrors(fac, ...phones, late, lateNb);
  } finally {
    await browser.close();
    await server.stop();
  }
});

// Four phones in a 1-2-4 (the last one has chosen bokmål): written alone, level 1 in pairs.
async function grouping(browser, server, sizes) {
  const created = await createSession(server.base, { title: 'Groups', language: 'en', agenda: [{ kind: 'grouping', prompt: 'What first?', sizes }] });
  const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
  const phones = [];
  for (let i = 0; i < 4; i++) phones.push(await join(browser, created.urls.participant, `Person ${i}`, i === 3 ? { init: chooseNb } : {}));
  await fac.getByRole('button', { name: /^Start: / }).click();
  await fac.getByRole('button', { name: 'Open writing alone' }).click();
  for (const [i, phone] of phones.entries()) {
    await phone.locator('#note').fill(`Idea ${i}`);
    await phone.locator('#note').locator('xpath=ancestor::form').locator('button.primary').click();
    await note(phone, `Idea ${i}`).waitFor();
  }
  await fac.getByRole('button', { name: 'Form groups of 2' }).click();
  const groups = new Map(); // label -> phone numbers
  for (const [i, phone] of phones.entries()) {
    await phone.locator('.notes li').nth(1).waitFor();
    const label = await phone.locator('h1.label').textContent();
    groups.set(label, [...(groups.get(label) || []), i]);
  }
  assert.deepEqual([...groups.values()].map((g) => g.length), [2, 2]);
  return { created, fac, phones, groups };
}

test('a grown group says why its name changed and that stars start again', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const { fac, phones, groups } = await grouping(browser, server, [2, 4]);
    const [en] = phones;
    await en.getByText('Level 1 of 2: groups of about 2', { exact: true }).waitFor();
    await en.getByRole('heading', { name: '2 people in your group' }).waitFor();
    assert.equal(await en.locator('.grew').count(), 0, 'nothing grew at level 1');
    const before = new Map();
    for (const [label, members] of groups) {
      for (const i of members) before.set(i, label);
      await star(phones[members[0]], `Idea ${members[0]}`);
    }
    await fac.getByText('2 of 2 groups have starred').waitFor();

    await fac.getByRole('button', { name: 'Form groups of 4' }).click();
    for (const [i, phone] of phones.entries()) {
      if (i === 3) continue;
      await phone.getByText('Level 2 of 2: groups of about 4', { exact: true }).waitFor();
      await phone.getByRole('heading', { name: '4 people in your group' }).waitFor();
      await phone.getByText(`Your group grew: “${before.get(i)}” was put together with other groups from level 1. New groups get new names, so look for the name above.`).waitFor();
      await phone.getByText('Stars start again at 0 at each level. Only the notes that got a star at level 1 came along.').waitFor();
      assert.equal(await phone.getByText(/Your group of/).count(), 0, 'no size the group does not have');
      await until(async () => (await texts(phone)).length === 2, 'the two starred notes came along');
      assert.deepEqual(await phone.locator('.notes li .star .muted').allTextContents(), ['0 stars', '0 stars']);
    }
    await check(en, 'level 2 (en)');
    await shot(en, 'participant-level-2');
    const nb = phones[3];
    await nb.getByText('Nivå 2 av 2: grupper på rundt 4', { exact: true }).waitFor();
    await nb.getByRole('heading', { name: '4 personer i gruppen din' }).waitFor();
    await nb.getByText(`Gruppen din har vokst: «${before.get(3)}» er slått sammen med andre grupper fra nivå 1.`, { exact: false }).waitFor();
    await nb.getByText('Stjernene starter på 0 på hvert nivå.', { exact: false }).waitFor();
    await check(nb, 'level 2 (nb)');

    // After a reload the earlier name is not known any more; the reason still is.
    await en.reload();
    await en.getByText('Your group grew: whole groups from level 1 were put together.', { exact: false }).waitFor();
    checkErrors(fac, ...phones);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('own notes can be edited and deleted while their level is open, alone and in a group', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const created = await createSession(server.base, { title: 'Edits', language: 'en', agenda: [{ kind: 'grouping', prompt: 'What first?', sizes: [2] }] });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    const phone = await join(browser, created.urls.participant, 'Kari');
    const mate = await join(browser, created.urls.participant, 'Ola', { init: chooseNb });
    await fac.getByRole('button', { name: /^Start: / }).click();
    await fac.getByRole('button', { name: 'Open writing alone' }).click();
    const add = async (page, text) => {
      await page.locator('#note').fill(text);
      await page.locator('#note').locator('xpath=ancestor::form').locator('button.primary').click();
      await note(page, text).waitFor();
    };

    // Alone: the note is only on this phone, which changes it when the server says yes.
    await add(phone, 'Frist idea');
    await note(phone, 'Frist idea').getByRole('button', { name: 'Edit' }).click();
    const area = phone.getByLabel('Edit your note');
    assert.equal(await area.inputValue(), 'Frist idea');
    assert.ok(await area.evaluate((el) => el === document.activeElement), 'focus in the editor');
    await check(phone, 'editing a note (en)');
    await shot(phone, 'participant-note-edit');
    await area.fill('First idea');
    await phone.getByRole('button', { name: 'Save the change' }).click();
    await note(phone, 'First idea').waitFor();
    assert.equal(await phone.evaluate(() => document.activeElement.textContent), 'Edit', 'focus back on Edit');
    await note(phone, 'First idea').getByRole('button', { name: 'Edit' }).click();
    await phone.getByLabel('Edit your note').press('Escape');
    assert.equal(await phone.getByLabel('Edit your note').count(), 0, 'Escape cancels');

    await add(phone, 'Throwaway');
    await note(phone, 'Throwaway').getByRole('button', { name: 'Delete' }).click();
    const confirm = phone.getByRole('group', { name: 'Delete your note? This cannot be undone.' });
    assert.ok(await confirm.evaluate((el) => el === document.activeElement), 'the question has focus');
    await check(phone, 'asking to delete a note (en)');
    await confirm.getByRole('button', { name: 'Yes, delete it' }).click();
    await note(phone, 'Throwaway').waitFor({ state: 'detached' });
    await phone.reload();
    await note(phone, 'First idea').getByRole('button', { name: 'Edit' }).waitFor();
    assert.deepEqual(await texts(phone), ['First idea']);

    await add(mate, 'Olas idé');
    await note(mate, 'Olas idé').getByRole('button', { name: 'Endre' }).click();
    await mate.getByLabel('Endre notatet ditt').waitFor();
    await check(mate, 'editing a note (nb)');
    await mate.getByRole('button', { name: 'Avbryt' }).click();
    await note(mate, 'Olas idé').getByRole('button', { name: 'Slett' }).click();
    await mate.getByRole('group', { name: 'Slette notatet ditt? Det kan ikke angres.' }).waitFor();
    await check(mate, 'asking to delete a note (nb)');
    await mate.getByRole('button', { name: 'Avbryt' }).click();

    // In the group: notes written alone are closed now; one written here can change, and
    // the other member sees the change.
    await fac.getByRole('button', { name: 'Form groups of 2' }).click();
    await note(phone, 'Olas idé').waitFor();
    assert.equal(await note(phone, 'First idea').getByRole('button', { name: 'Edit' }).count(), 0, 'its level is over');
    await add(phone, 'Group idea');
    await note(mate, 'Group idea').waitFor();
    await note(phone, 'Group idea').getByRole('button', { name: 'Edit' }).click();
    await phone.getByLabel('Edit your note').fill('Group idea, better');
    await phone.getByRole('button', { name: 'Save the change' }).click();
    await note(mate, 'Group idea, better').waitFor();
    assert.equal(await note(mate, 'Group idea, better').getByRole('button', { name: 'Endre' }).count(), 0, 'not the mate\'s note');
    await add(phone, 'Oops');
    await note(mate, 'Oops').waitFor();
    await note(phone, 'Oops').getByRole('button', { name: 'Delete' }).click();
    await phone.getByRole('button', { name: 'Yes, delete it' }).click();
    await note(mate, 'Oops').waitFor({ state: 'detached' });
    assert.deepEqual((await texts(mate)).sort(), ['First idea', 'Group idea, better', 'Olas idé']);
    await phone.reload();
    await note(phone, 'Group idea, better').getByRole('button', { name: 'Edit' }).waitFor();
    await check(phone, 'own note in a group (en)');
    await shot(phone, 'participant-own-note');
    checkErrors(fac, phone, mate);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('phones see the poster: their own group first, then the hall', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const { fac, phones, groups } = await grouping(browser, server, [2]);
    // One group stars one note twice and the other once; the other group stars one note.
    const [[firstLabel, first], [secondLabel, second]] = [...groups];
    await star(phones[first[0]], `Idea ${first[0]}`);
    await star(phones[first[1]], `Idea ${first[0]}`);
    await star(phones[first[0]], `Idea ${first[1]}`);
    await star(phones[second[1]], `Idea ${second[1]}`);
    await fac.getByText('2 of 2 groups have starred').waitFor();
    await fac.getByRole('button', { name: 'Show the poster' }).click();

    const posterOf = (phone) => phone.evaluate(() => [...document.querySelectorAll('#view ol')].map((ol) => [
      ol.parentNode.querySelector('h2').textContent,
      [...ol.querySelectorAll('li')].map((li) => [...li.children].map((el) => el.textContent).join(' | ')).filter((e) => !e.endsWith('| 0 stars')),
    ]));
    const phone = phones[first[0]];
    await phone.getByRole('heading', { level: 2, name: `Your group: ${firstLabel}` }).waitFor();
    await until(async () => (await posterOf(phone)).length === 2, 'both lists');
    const expected = [
      [`Your group: ${firstLabel}`, [`#1 | Idea ${first[0]} | 2 stars`, `#2 | Idea ${first[1]} | 1 star`]],
      ['Most stars in the hall', [`#1 | Idea ${first[0]} | 2 stars`, ...[`Idea ${first[1]}`, `Idea ${second[1]}`].map((t) => `#2 | ${t} | 1 star`).sort()]],
    ];
    const sortTies = (poster) => poster.map(([h, list]) => [h, [list[0], ...list.slice(1).sort()]]);
    assert.deepEqual(sortTies(await posterOf(phone)), sortTies(expected));
    await check(phone, 'poster (en)');
    await shot(phone, 'participant-poster');
    await phone.reload();
    await until(async () => (await posterOf(phone)).length === 2, 'the poster after a reload');
    assert.deepEqual(sortTies(await posterOf(phone)), sortTies(expected));

    const nb = phones[3];
    const nbLabel = first.includes(3) ? firstLabel : secondLabel;
    await nb.getByRole('heading', { level: 1, name: 'Plakat' }).waitFor();
    await nb.getByRole('heading', { level: 2, name: `Gruppen din: ${nbLabel}` }).waitFor();
    await nb.getByRole('heading', { level: 2, name: 'Flest stjerner i salen' }).waitFor();
    await check(nb, 'poster (nb)');
    checkErrors(fac, ...phones);
  } finally {
    await browser.close();
    await server.stop();
  }
});
