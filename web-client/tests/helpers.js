// Shared set-up of the browser tests (run: `npm ci && npm test` in web-client/, after
// `cargo build -p lapp-server`; LAPP_BIN names the binary, default
// /root/.cache/lapp-target/debug/lapp; Chromium comes from Debian: apt-get install chromium).
// Each test starts its own server on a free loopback port with a fresh data dir, serving
// web-client/public from disk; launches /usr/bin/chromium through playwright-core (which makes
// a fresh profile and never downloads a browser); injects axe-core with page.evaluate (the
// page's CSP would block a script tag); writes screenshots into test-output/.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';

// How long a test waits for what it expects before it fails.
const WAIT = 30000;

const here = path.dirname(fileURLToPath(import.meta.url));
export const PUBLIC = path.resolve(here, '../public');
export const OUTPUT = path.resolve(here, '../test-output');
const LAPP_BIN = process.env.LAPP_BIN || '/root/.cache/lapp-target/debug/lapp';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const PHONE = { width: 390, height: 844 };
export const PROJECTOR = { width: 1920, height: 1080 };

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// `args` go to the server after its own (e.g. ['--retention-days', '10']).
export async function startServer({ args = [] } = {}) {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapp-web-test-'));
  const base = `http://127.0.0.1:${port}`;
  let child = null;
  let log = '';
  async function run() {
    child = spawn(LAPP_BIN, ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--web-dir', PUBLIC, ...args],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
    child.stderr.on('data', (chunk) => { log += chunk; });
    const started = Date.now();
    for (;;) {
      if (child.exitCode != null) throw new Error(`lapp exited: ${log}`);
      try {
        if ((await fetch(`${base}/healthz`)).ok) return;
      } catch { /* not listening yet */ }
      if (Date.now() - started > 15000) throw new Error(`lapp did not start: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  async function kill() {
    const exited = new Promise((resolve) => (child.exitCode != null ? resolve() : child.once('exit', resolve)));
    child.kill('SIGTERM');
    await exited;
  }
  await run();
  return {
    base,
    log: () => log,
    // Stops the process and starts it again on the same port and data: phones must come back.
    async restart(whileDown = async () => {}) {
      await kill();
      await whileDown();
      await run();
    },
    async stop() {
      await kill();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// `token`: the server's --create-token, when it has one.
export async function createSession(base, body, token) {
  const response = await fetch(`${base}/api/sessions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...(token && { Authorization: `Bearer ${token}` }) }, body: JSON.stringify(body),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return response.json();
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A page in a context of its own (its own localStorage: its own participant). Page errors,
// console errors and CSP violations fail the test at the end (see `checkErrors`).
export async function open(browser, url, { viewport = PHONE, locale = 'en-US', reducedMotion = 'reduce', init } = {}) {
  const context = await browser.newContext({ viewport, locale, reducedMotion });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (err) => page.errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // Network errors while a test server stops are expected; everything else is a bug.
    if (msg.type() === 'error' && !/ERR_CONNECTION_REFUSED|WebSocket/.test(msg.text())) page.errors.push(`console: ${msg.text()}`);
  });
  page.on('dialog', (dialog) => { page.errors.push(`dialog: ${dialog.message()}`); dialog.dismiss(); });
  // Generous: CI shares two cores between Chromium's pages and the server, and a wait that
  // times out there only tells that the machine was busy. A wrong page never passes.
  page.setDefaultTimeout(WAIT);
  if (url) await page.goto(url);
  return page;
}

export function checkErrors(...pages) {
  for (const page of pages) assert.deepEqual(page.errors, [], `errors on ${page.url()}`);
}

// axe-core over the whole page: every rule axe runs by default (WCAG 2.x A/AA and best
// practices); zero violations allowed.
export async function axe(page, what) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`);
  assert.deepEqual(found, [], `axe violations on ${what}`);
}

// WCAG's reflow: at 320 CSS px wide (200 % zoom of a small laptop) the page needs no
// horizontal scrolling. Views that fit themselves to the window get a moment to do so.
export async function reflows(page, what) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 320, height: 640 });
  await until(async () => (await page.evaluate(() => document.documentElement.scrollWidth)) <= 320, `${what} reflowing at 320px`, 5000)
    .catch(async () => assert.fail(`${what} is ${await page.evaluate(() => document.documentElement.scrollWidth)}px wide at 320px`));
  await page.setViewportSize(size);
}

// Screenshots of a page at phone size (the whole page) and projector size (the screen's
// view), whatever size the page is at; it is put back after.
export async function shot(page, name) {
  fs.mkdirSync(OUTPUT, { recursive: true });
  const size = page.viewportSize();
  for (const [suffix, viewport] of [['phone', PHONE], ['projector', PROJECTOR]]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: path.join(OUTPUT, `${name}-${suffix}.png`), fullPage: suffix === 'phone' });
  }
  await page.setViewportSize(size);
}

// Waits until fn() (run in Node) returns something truthy, polling; for conditions that span
// several pages.
export async function until(fn, what, timeout = WAIT) {
  const started = Date.now();
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() - started > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// A raw client speaking docs/protocol.md (a facilitator, or a participant on another phone):
// `wait` resolves with the latest frame that matches, or the next one to come; `send` with the
// ack (an error fails the test); `on` sees every frame from now on; `group` is the group the
// frames show; `closed` resolves with the close code.
export async function connect(base, join) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`);
  const c = { frames: [], waiters: new Set(), rid: 0, close: () => ws.close() };
  c.closed = new Promise((resolve) => ws.once('close', resolve));
  ws.on('message', (data) => {
    const m = JSON.parse(data);
    c.frames.push(m);
    for (const waiter of c.waiters) waiter(m);
  });
  c.on = (fn) => c.waiters.add(fn);
  // The group as the frames built it: the last whole `group`, with the `notes` after it put in.
  c.group = () => c.frames.reduce((g, m) => {
    if (m.type === 'group') return m;
    if (m.type !== 'notes' || g?.id !== m.group) return g;
    const kept = g.notes.filter((n) => !(m.removed || []).includes(n.id)).map((n) => m.notes.find((x) => x.id === n.id) || n);
    return { ...g, notes: [...kept, ...m.notes.filter((n) => !kept.some((k) => k.id === n.id))] };
  }, null);
  c.wait = (pred, what) => {
    const found = c.frames.findLast(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { c.waiters.delete(waiter); reject(new Error(`timed out waiting for ${what}`)); }, 30000);
      const waiter = (m) => { if (pred(m)) { clearTimeout(timer); c.waiters.delete(waiter); resolve(m); } };
      c.waiters.add(waiter);
    });
  };
  c.send = async (type, fields = {}) => {
    const rid = ++c.rid;
    ws.send(JSON.stringify({ type, rid, ...fields }));
    const answer = await c.wait((m) => m.rid === rid && (m.type === 'ack' || m.type === 'error'), `the answer to ${type}`);
    assert.equal(answer.type, 'ack', `${type}: ${JSON.stringify(answer)}`);
    return answer;
  };
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'join', v: 1, ...join }));
  c.welcome = await c.wait((m) => m.type === 'welcome' || m.type === 'error', 'welcome');
  assert.equal(c.welcome.type, 'welcome', JSON.stringify(c.welcome));
  return c;
}
