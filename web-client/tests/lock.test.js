// Closing a session to new participants: the facilitator closes it, the screen says so, a new
// phone is told it cannot come in, and one already in reloads and is back as itself with its
// card; opened again, the refused phone joins. axe finds nothing on the closed facilitator
// page (English and bokmål), the closed screen and the refused phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createSession, launch, open, axe, checkErrors, until, PROJECTOR } from './helpers.js';

test('a closed session keeps new people out and lets those already in come back', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const created = await createSession(server.base, { title: 'Lock', language: 'en', agenda: [{ kind: 'scoring', prompt: 'Why?', rounds: 2 }] });
    const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
    const screen = await open(browser, created.urls.screen, { viewport: PROJECTOR });
    const invite = fac.getByRole('region', { name: 'Invite' });
    await invite.getByText('Anyone with the code can join.').waitFor();

    const ada = await open(browser, created.urls.participant);
    await ada.getByLabel('Your name (optional)').fill('Ada');
    await ada.getByRole('button', { name: 'Join' }).click();
    await ada.getByText('You joined as Ada.').waitFor();
    await fac.getByRole('button', { name: /^Start: / }).click();
    await fac.getByRole('button', { name: 'Open writing' }).click();
    await ada.getByLabel('Your card').fill('Mine');
    await ada.getByRole('button', { name: 'Save card' }).click();
    await ada.locator('#view .ok').waitFor();

    // Closed: the button says how to open it again and keeps the focus; it is announced.
    const close = invite.getByRole('button', { name: 'Close to new participants' });
    await close.focus();
    await close.press('Enter');
    const reopen = invite.getByRole('button', { name: 'Open to new participants' });
    await reopen.waitFor();
    assert.equal(await reopen.evaluate((el) => el === document.activeElement), true, 'the focus stays on the button');
    await invite.getByText('New people cannot join; everyone already in can come back.').waitFor();
    await until(async () => (await fac.locator('#say').textContent()).includes('Closed to new participants.'), 'the change said');
    await axe(fac, 'the facilitator, closed (en)');
    await fac.getByRole('button', { name: 'Norsk' }).click();
    await invite.getByRole('button', { name: 'Åpne for nye deltakere' }).waitFor();
    await axe(fac, 'the facilitator, closed (nb)');
    await fac.getByRole('button', { name: 'English' }).click();

    await screen.getByRole('heading', { name: 'Closed to new participants' }).waitFor();
    assert.equal(await screen.locator('.join.locked .qr').count(), 1, 'the QR code dimmed');
    await axe(screen, 'the screen, closed');

    // A new phone is refused, with a way home.
    const late = await open(browser, created.urls.participant);
    await late.getByLabel('Your name (optional)').fill('Late');
    await late.getByRole('button', { name: 'Join' }).click();
    await late.getByRole('heading', { name: 'This session is closed to new participants.' }).waitFor();
    await late.getByText('Ask the facilitator.').waitFor();
    await late.getByRole('link', { name: 'Go to the front page' }).waitFor();
    await axe(late, 'the refused phone');

    // Ada, already in, reloads: herself, with her card, and still one participant.
    await ada.reload();
    await ada.getByLabel('Your card').waitFor();
    assert.equal(await ada.getByLabel('Your card').inputValue(), 'Mine');
    assert.equal(await fac.locator('.stat dd').nth(0).textContent(), '1');

    // Open again: the screen invites, and the refused phone comes in.
    await reopen.click();
    await invite.getByRole('button', { name: 'Close to new participants' }).waitFor();
    await invite.getByText('Anyone with the code can join.').waitFor();
    await screen.getByRole('heading', { name: /^Join at / }).waitFor();
    assert.equal(await screen.locator('.join.locked').count(), 0);
    await late.reload();
    await late.getByLabel('Your name (optional)').fill('Late');
    await late.getByRole('button', { name: 'Join' }).click();
    await late.getByLabel('Your card').waitFor();
    await until(async () => (await fac.locator('.stat dd').nth(0).textContent()) === '2', 'two participants');
    checkErrors(fac, screen, ada, late);
  } finally {
    await browser.close();
    await server.stop();
  }
});
