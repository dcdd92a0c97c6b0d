// A view's WebSocket (docs/protocol.md): join, requests matched to answers by rid, reconnects
// with exponential backoff and jitter (a hall of phones must not return all at once), the
// participant's resume token in localStorage per join code, and the offline banner.
import { h, $, fill, header, setTimer, gone } from './ui.js';

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
// news), news being 'phase' or 'activity' when that changed; view.replaced() on 4002.
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
  const fatal = ['unknown_session', 'forbidden', 'session_full'];

  function joinFrame() {
    const me = role === 'participant' && (saved(code) || {});
    const join = { type: 'join', v: 1, code, role, key: opts.key };
    return JSON.stringify(me && me.resume ? { ...join, resume: me.resume } : { ...join, name: opts.name, zone: opts.zone });
  }

  function open() {
    clearTimeout(retry);
    if (stopped) return;
    const socket = new WebSocket(`${location.origin.replace('http', 'ws')}/ws`);
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
        banner(false);
        if (role === 'participant') save(code, { ...saved(code), name: opts.name, zone: opts.zone, resume: m.resume });
        S.session = m.session;
        S.activity = m.view.activity || null;
        setTimer(S.activity);
        document.title = `${m.session.title} – Lapp`;
        header([h('span', { class: 'title' }, m.session.title), ' ', h('span', { class: 'muted', t: ['codeIs', { code }] })]);
        view.welcome(m);
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
      }
      else if (m.type !== 'pong') {
        // A round's first hand stands for its activity, with no timer (docs/protocol.md).
        const a = S.activity || {};
        if (m.type === 'hand' && a.round !== m.round) activity({ ...a, phase: 'round', round: m.round, deadline: 0 });
        view.frame(m);
      }
    };
  }

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
    if (closeCode === 4002 && view.replaced) { stopped = true; return view.replaced(); }
    // 1001 shutdown, 1011 storage failure, 4004 too slow, 1006 network lost: come back.
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

const banner = (offline) => fill($('net'), offline && h('p', { t: 'offline' }));
