// A view's WebSocket (docs/protocol.md): join, requests matched to answers by rid, reconnects
// with exponential backoff and jitter (a hall of phones must not return all at once), the
// participant's resume token in localStorage per join code, the offline banner, and the
// reload after the server was upgraded under the page.
import { h, $, fill, header, setTimer, gone, say } from './ui.js';
import { t } from './i18n.js';

// The sessions this device runs, newest first: [{code, title, key, url, created}]. The url
// (the facilitator link, key included) may be the only copy of the key, so it lives in
// localStorage, which outlives the tab, and leaves only when the organiser says so.
const KEPT = 'lapp.sessions';
export const kept = () => { try { return JSON.parse(localStorage.getItem(KEPT)) || []; } catch { return []; } };
export const keep = (list) => localStorage.setItem(KEPT, JSON.stringify(list));

// The participant's identity for a join code: {resume, name, zone}.
export const saved = (code) => JSON.parse(localStorage.getItem(`lapp.p.${code}`) || 'null');
const save = (code, me) => localStorage.setItem(`lapp.p.${code}`, JSON.stringify(me));

// Joins and follows a session into S (session, activity). view.welcome(w); view.frame(msg,
// news), news being 'phase' or 'activity' when that changed; view.replaced() on 4002;
// view.busy() while the view holds work a reload would lose (an open editor).
export function follow(root, opts, view, S) {
  const { code, role } = opts;
  let ws = null;
  let rid = 0;
  let joined = false;
  let tries = 0;
  let stopped = false;
  let heard = 0;
  let retry;
  const pending = new Map();
  const fatal = ['unknown_session', 'forbidden', 'session_full', 'locked']; // locked: a new participant, not one resuming

  function joinFrame() {
    const me = role === 'participant' && (saved(code) || {});
    const join = { type: 'join', v: 1, code, role, key: opts.key };
    return JSON.stringify(me && me.resume ? { ...join, resume: me.resume } : { ...join, name: opts.name, zone: opts.zone });
  }

  function open() {
    clearTimeout(retry);
    if (stopped) return;
    // The code in the address lets a proxy send every client of a session to the node serving it.
    const socket = new WebSocket(`${location.origin.replace('http', 'ws')}/ws?code=${code}`);
    ws = socket;
    socket.onopen = () => socket.send(joinFrame());
    socket.onclose = (event) => closed(socket, event.code);
    socket.onmessage = (event) => {
      heard = Date.now();
      const m = JSON.parse(event.data);
      const asked = pending.get(m.rid);
      if (m.type === 'welcome') {
        joined = true;
        tries = 0;
        banner(false, true);
        if (role === 'participant') save(code, { ...saved(code), name: opts.name, zone: opts.zone, resume: m.resume });
        S.session = m.session;
        S.activity = m.view.activity || null;
        wall = m.view.wall || [];
        retro = m.view.retro || [];
        setTimer(S.activity);
        document.title = `${m.session.title} – Lapp`;
        header([h('span', { class: 'title' }, m.session.title), ' ', h('span', { class: 'muted', t: ['codeIs', { code }] })]);
        view.welcome(m);
        restored(root);
        upgraded(m.version, () => !typing() && !pending.size && !view.busy?.(), S);
      } else if (asked && (m.type === 'ack' || m.type === 'error')) {
        pending.delete(m.rid);
        asked[m.type === 'ack' ? 0 : 1](m);
      } else if (m.type === 'error' && !joined) {
        if (m.code === 'bad_resume') { // the token is not known here (any more): come in anew
          save(code, { name: opts.name, zone: opts.zone });
          socket.send(joinFrame());
        } else if (fatal.includes(m.code)) stop(m.code);
      } else if (m.type === 'activity') activity(m);
      else if (m.type === 'agenda') {
        Object.assign(S.session, { agenda: m.agenda, started: m.started || [] });
        view.frame(m);
      } else if (m.type === 'lock') {
        S.session.locked = m.locked;
        view.frame(m);
      } else if (m.type !== 'pong') {
        // A round's first hand stands for its activity, with no timer (docs/protocol.md).
        const a = S.activity || {};
        if (m.type === 'hand' && a.round !== m.round) activity({ ...a, phase: 'round', round: m.round, deadline: 0 });
        view.frame(m.type === 'wall' ? { type: 'wall', actions: (wall = walled(wall, m, m.actions)) }
          : m.type === 'retro' ? { ...m, notes: (retro = walled(retro, m, m.notes)) } : m);
      }
    };
  }

  let wall = []; // the wall as last told: a `wall` with `update` says only what changed
  let retro = []; // the retrospective's board, told the same way
  function activity(m) {
    const old = S.activity || {};
    S.activity = m;
    setTimer(m);
    const news = ['index', 'phase', 'round', 'level'].some((k) => old[k] !== m[k]);
    if (news) view.frame(m, old.index === m.index ? 'phase' : 'activity');
  }

  function closed(socket, closeCode) {
    if (socket !== ws) return;
    ws = null;
    joined = false;
    for (const [, reject] of pending.values()) reject({ code: 'offline' });
    pending.clear();
    if (stopped) return;
    if (closeCode === 4003) return stop('deleted');
    // Removed by a facilitator: not to come back, not even as someone new.
    if (closeCode === 4005) return stop('removed');
    if (closeCode === 4002 && view.replaced) { stopped = true; return view.replaced(); }
    // 1001 shutdown, 1011 storage failure, 4004 too slow, 4006 served by another node now,
    // 1006 network lost: come back.
    const cap = Math.min(30000, 1000 * 2 ** tries++);
    banner(true);
    retry = setTimeout(open, cap / 2 + (Math.random() * cap) / 2);
  }

  function stop(reason) {
    stopped = true;
    banner(false);
    ws?.close();
    gone(root, reason);
  }

  // A sleeping phone or a lost network can leave a socket silently dead: ask, then give up.
  setInterval(() => {
    if (!joined) return;
    if (Date.now() - heard > 45000) { const dead = ws; dead.close(); closed(dead, 1006); }
    else if (Date.now() - heard > 20000) ws.send('{"type":"ping"}');
  }, 5000);
  const now = () => { if (!ws && !stopped) { tries = 0; open(); } };
  addEventListener('online', now);
  document.addEventListener('visibilitychange', () => document.hidden || now());

  open();
  return {
    // Resolves with the ack; rejects with the error frame, or {code: 'offline'}.
    send(type, fields) {
      if (!joined) return Promise.reject({ code: 'offline' });
      ws.send(JSON.stringify({ type, rid: ++rid, ...fields }));
      return new Promise((resolve, reject) => pending.set(rid, [resolve, reject]));
    },
    reopen() { stopped = false; tries = 0; open(); },
    stop,
  };
}

// The wall after a `wall` frame (or the board after a `retro` frame): the whole of it, or
// (`update`) the old one with the changed items put in place and the removed taken away, in
// the order they were written.
function walled(old, m, items) {
  if (!m.update) return items;
  const gone = new Set([...(m.removed || []), ...items.map((x) => x.id)]);
  return [...old.filter((x) => !gone.has(x.id)), ...items].sort((a, b) => a.id.slice(1) - b.id.slice(1));
}

// Upgrades. The page's version is its first welcome's; a later welcome (after a reconnect)
// with another one means the server was upgraded and restarted under this page, whose scripts
// may no longer fit it. The page then reloads, once per version (a loop between two servers
// stops there), when nobody is typing, no request waits for its answer and the view is not
// busy, or after a minute at the latest. What the text boxes held goes to sessionStorage
// first and comes back after the reload (draft()), and so does focus; the resume token
// brings the participant back as themselves.
let version = null;
let reloading = false;
const RELOADED = 'lapp.reloadedFor';
const DRAFTS = 'lapp.drafts';
const typing = () => {
  const el = document.activeElement;
  return !!el?.matches('textarea, input:not([type=checkbox]):not([type=radio])') && el.value.trim() !== '';
};

function upgraded(next, idle, S) {
  if (!next) return;
  version ??= next;
  if (next === version || reloading || sessionStorage.getItem(RELOADED) === next) return;
  reloading = true;
  const since = Date.now();
  (function check() {
    if (!idle() && Date.now() - since < 60000) return setTimeout(check, 1000);
    const texts = Object.fromEntries([...$('view').querySelectorAll('textarea[data-k]')]
      .filter((area) => area.value.trim()).map((area) => [area.getAttribute('data-k'), area.value]));
    const focus = document.activeElement?.getAttribute('data-k');
    sessionStorage.setItem(DRAFTS, JSON.stringify({ path: location.pathname, index: S.activity?.index, texts, focus }));
    sessionStorage.setItem(RELOADED, next);
    location.reload();
  }());
}

const drafts = () => { try { return JSON.parse(sessionStorage.getItem(DRAFTS)) || {}; } catch { return {}; } };
// The text box `key` of activity `index` held before an upgrade's reload, if any.
export function draft(key, index) {
  const d = drafts();
  return d.path === location.pathname && d.index === index ? d.texts?.[key] : undefined;
}
// After the first welcome's render: focus goes back where it was; the drafts have been taken.
function restored(root) {
  const { path, focus } = drafts();
  sessionStorage.removeItem(DRAFTS);
  const el = path === location.pathname && focus && root.querySelector(`[data-k="${CSS.escape(focus)}"]`);
  if (!el) return;
  el.focus();
  if (el.tagName === 'TEXTAREA') el.setSelectionRange(el.value.length, el.value.length);
}

// Said once when the connection goes (the banner stays while it tries again) and once when it
// is back.
let down = false;
function banner(offline, back) {
  if (offline === down) return;
  down = offline;
  fill($('net'), offline && h('p', { t: 'offline' }));
  if (back) say(t('online'));
}
