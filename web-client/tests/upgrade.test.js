// An upgrade under a connected hall: a welcome after a reconnect carries another `version`
// than the page's own (its first welcome's), so the page reloads itself once, not while
// someone types, and comes back as the same participant with the half-typed card. The server's
// version cannot change mid-test, so the phone's WebSocket runs through Playwright, which
// stamps the first connection's welcome `old` and every later one `new`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createSession, launch, open, checkErrors, until, PROJECTOR } from './helpers.js';

// A phone in writing with a saved card and, unsaved, `typed` in the box; returns what the
// test needs to watch and to force a reconnect.
async function writing(browser, server, typed) {
  const created = await createSession(server.base, { title: 'Upgrade', language: 'en', agenda: [{ kind: 'scoring', prompt: 'Why?' }] });
  const fac = await open(browser, created.urls.facilitator, { viewport: PROJECTOR });
  const phone = await open(browser);
  const seen = { pids: [], loads: 0, socket: null };
  phone.on('load', () => seen.loads++);
  await phone.routeWebSocket(/\/ws(\?|$)/, (ws) => {
    const upstream = ws.connectToServer();
    const first = !seen.socket;
    seen.socket = ws;
    upstream.onMessage((message) => {
      const m = JSON.parse(message);
      if (m.type !== 'welcome') return ws.send(message);
      seen.pids.push(m.you.pid);
      ws.send(JSON.stringify({ ...m, version: first ? 'old' : 'new' }));
    });
  });
  await phone.goto(created.urls.participant);
  await phone.getByRole('button', { name: 'Join' }).click();
  await phone.getByRole('heading', { name: "You're in!" }).waitFor();
  await fac.getByRole('button', { name: /^Start: / }).click();
  await fac.getByRole('button', { name: 'Open writing' }).click();
  const box = phone.getByLabel('Your card');
  await box.fill('Saved before');
  await phone.getByRole('button', { name: 'Save card' }).click();
  await phone.locator('#view .ok', { hasText: 'Your card is saved.' }).waitFor();
  await box.fill(typed);
  const resume = await phone.evaluate(() => localStorage.getItem(Object.keys(localStorage).find((k) => k.startsWith('lapp.p.'))));
  // The server restarts as a newer one: the phone's socket drops, and it comes back.
  const upgrade = async () => {
    const welcomes = seen.pids.length;
    await seen.socket.close({ code: 1001 });
    await until(() => seen.pids.length > welcomes, 'the welcome after the reconnect');
  };
  return { fac, phone, box, seen, resume, upgrade };
}

test('after an upgrade the phone reloads once, when nobody types, as itself with its half-typed card', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const { fac, phone, box, seen, resume, upgrade } = await writing(browser, server, 'Half a tho');
    assert.equal(seen.loads, 1);
    await upgrade();
    // The box has focus and text: the page waits.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(seen.loads, 1, 'no reload while typing');
    assert.equal(await box.inputValue(), 'Half a tho');

    // Focus leaves the box: the page reloads, once.
    await phone.keyboard.press('Tab');
    await until(() => seen.loads === 2, 'the reload');
    await phone.locator('#view .hint', { hasText: 'Your change is not saved yet.' }).waitFor();
    assert.equal(await phone.getByLabel('Your card').inputValue(), 'Half a tho', 'the half-typed card is back');
    assert.equal(seen.pids.length, 3);
    assert.deepEqual(new Set(seen.pids).size, 1, 'the same participant throughout');
    assert.equal(await phone.evaluate(() => localStorage.getItem(Object.keys(localStorage).find((k) => k.startsWith('lapp.p.')))), resume);
    assert.equal(await phone.evaluate(() => sessionStorage.getItem('lapp.drafts')), null, 'the draft is taken');

    // The page is now `new`, as is every welcome after: no second reload.
    await upgrade();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(seen.loads, 2, 'reloaded once');
    await phone.getByRole('button', { name: 'Save card' }).click();
    await phone.locator('#view .ok', { hasText: 'Your card is saved.' }).waitFor();
    checkErrors(fac, phone);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('someone who keeps typing gets the reload after a minute, text and focus kept', async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const { fac, phone, seen, upgrade } = await writing(browser, server, 'Still writing');
    await upgrade();
    const waited = Date.now();
    await until(() => seen.loads === 2, 'the reload at the latest after a minute', 75000);
    assert.ok(Date.now() - waited > 50000, 'not before about a minute');
    const box = phone.getByLabel('Your card');
    await until(async () => (await box.inputValue()) === 'Still writing', 'the text back');
    assert.ok(await box.evaluate((el) => el === document.activeElement && el.selectionStart === el.value.length), 'focus back in the box, at the end');
    checkErrors(fac, phone);
  } finally {
    await browser.close();
    await server.stop();
  }
});
