// /a/{code}#{token}: one participant's micro-actions after the event, in any browser, without
// joining: each action with its buddy's (action, contact line, status), the owner's status and
// note, and a calendar file of reminders. The token is in the fragment, so it never reaches a
// server log. The session's language is spoken unless the person chose one.
import { h, header, fill, field, say, titled, named } from './ui.js';
import { t, lang, setLang } from './i18n.js';
import { mate } from './participant-actions.js';

const STATUSES = ['not_started', 'started', 'done'];
let root;
let base;
let data;
let told = null; // {i, key, ok}: the answer to the last save, beside its button
const forms = {}; // per action, kept across re-renders: what is chosen and typed stays

export async function start(el, code) {
  root = el;
  const token = location.hash.slice(1);
  base = `/api/sessions/${code}/follow-up/${token}`;
  header([]);
  titled(['fuTitle']);
  fill(root, h('p', { t: 'fuLoading' }));
  const response = /^[0-9a-f]+$/i.test(token) ? await fetch(base).catch(() => null) : { status: 404 };
  if (response?.ok && (data = await response.json().catch(() => null))) {
    if (!localStorage.getItem('lapp.lang') && data.language !== lang()) setLang(data.language, { remember: false });
    return render();
  }
  const failed = response?.status === 404 ? 'fuUnknown' : response?.status === 429 ? 'lookupBusy' : 'fuFailed';
  titled([failed]);
  say(t(failed), true);
  if (failed === 'fuUnknown') return fill(root, [h('h1', { t: failed }), h('p', { t: 'fuUnknownHint' }), h('p', {}, h('a', { href: '/', t: 'toHome' }))]);
  fill(root, [h('h1', { t: failed }),
    h('button', { class: 'primary', 'data-k': 'again', t: 'lookupAgain', onclick: () => start(el, code) })]);
}

// A day `n` days after the session, worded in whichever language is shown.
const day = (n) => ({ inLang: (l) => new Date(data.created_at_ms + n * 864e5).toLocaleDateString(l === 'nb' ? 'nb-NO' : 'en-GB', { dateStyle: 'long' }) });

function render() {
  titled(['fuTitle'], data.title);
  header([h('span', { class: 'title' }, data.title)]);
  fill(root, [h('h1', { t: 'fuTitle' }), h('p', { class: 'muted', t: ['fuFrom', { title: data.title, date: day(0) }] }),
    data.actions.length ? data.actions.map(item) : h('p', { t: 'fuNone' })]);
}

function item(a) {
  const i = a.index;
  const form = (forms[i] ||= statusForm(a));
  const days = a.follow_up_days || [];
  return h('section', { class: 'panel', 'aria-labelledby': `a${i}` },
    h('p', { class: 'eyebrow' }, a.prompt), h('h2', { id: `a${i}`, class: 'card' }, a.text), form,
    told?.i === i && h('p', { class: told.ok ? 'ok' : 'error', t: told.key }),
    h('h3', { t: a.buddies.length > 1 ? 'axBuddies' : 'axBuddy' }),
    a.buddies.length ? a.buddies.map((b) => mate(b, true)) : h('p', { class: 'muted', t: 'fuNoBuddy' }),
    h('p', {}, h('a', { href: `${base}/calendar.ics?index=${i}`, download: `lapp-${i}.ics`, 'data-k': `c${i}`, t: 'fuIcs', label: named('fuIcs', a.text) })),
    days.length > 0 && h('p', { class: 'hint', t: ['fuIcsHint', { dates: { inLang: (l) => days.map((n) => day(n).inLang(l)).join(', ') } }] }));
}

function statusForm(a) {
  const i = a.index;
  const note = h('input', { id: `n${i}`, 'data-k': `n${i}`, maxlength: 280, value: a.note || '' });
  return h('form', { onsubmit: async (e) => {
    e.preventDefault();
    const status = e.target.querySelector('input:checked').value;
    const response = await fetch(base, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ index: i, status, note: note.value.trim() }) }).catch(() => null);
    const next = response?.ok && (await response.json().catch(() => null));
    if (next) data = next;
    told = { i, ok: !!next, key: next ? 'fuSaved' : { 404: 'fuUnknown', 429: 'lookupBusy' }[response?.status] || 'fuFailed' };
    render();
    say(t(told.key), !next);
  } },
  h('fieldset', {}, h('legend', { t: 'fuStatus' }), STATUSES.map((s) => h('div', { class: 'check' },
    h('input', { type: 'radio', name: `s${i}`, id: `s${i}${s}`, value: s, checked: (a.status || 'not_started') === s }), h('label', { for: `s${i}${s}`, t: `st_${s}` })))),
  field('fuNote', note), h('button', { class: 'primary', 'data-k': `v${i}`, t: 'save', label: named('save', a.text) }));
}
