// The micro-actions (#mikrohandling) on the facilitator's page: what "next" and "back" do in
// lobby → writing → pairing → wall, the hall's counts, the wall to moderate (hide, show again,
// remove the author) and the organisers' summary. facilitator.js asks for these by kind.
import { h } from './ui.js';

export const nextLabel = (a) => ({ lobby: 'nextWriting', writing: 'actNextPairing', pairing: 'actNextWall' })[a.phase];

// [button, question asked first] or nothing.
export const backLabel = (a) => ({ pairing: ['backWriting', 'actBackWritingQ'], wall: ['actBackPairing', 'actBackPairingQ'] })[a.phase] || null;

export const stats = (p, stat) => p && [stat('actWritten', p.written), stat('actPairedChosen', p.paired_chosen), stat('actPairedRandom', p.paired_random),
  stat('actAsking', p.asking), stat('actOnWall', p.on_wall), stat('actStarted', p.started), stat('actDone', p.done)];

export const settings = (it) => {
  const days = it.follow_up_days || [7, 30];
  return [days.length ? 'actSettings' : 'actSettingsNone', { days: days.join(', '), max_chars: it.max_chars || 280 }];
};

// The wall as the hall sees it, then the hidden actions. An action's "Hide" or "Show again"
// (facilitator.js toggle) keeps its data-k as it moves between the lists, so focus stays on it.
export function wall(actions, toggle, removal) {
  const row = (x) => h('li', {}, h('span', { class: 'text' }, x.text),
    toggle(x.id, x.text, x.hidden, 'action.hide', { action: x.id }), !x.hidden && removal('action', x.id, x.text));
  const shown = (actions || []).filter((x) => !x.hidden);
  const hidden = (actions || []).filter((x) => x.hidden);
  return [shown.length ? h('ul', { class: 'wall-list' }, shown.map(row)) : h('p', { class: 'muted', t: 'actWallEmpty' }),
    hidden.length > 0 && [h('h3', { t: 'hiddenTitle' }), h('ul', { class: 'wall-list' }, hidden.map(row))]];
}

// The organisers' summary: Markdown to download, or a printable page opened in a new tab.
export function summary(code, auth, fail) {
  const get = async (format) => {
    const response = await fetch(`/api/sessions/${code}/summary?format=${format}`, auth).catch(() => null);
    if (!response?.ok) return fail();
    const a = h('a', { href: URL.createObjectURL(await response.blob()), ...(format === 'md' ? { download: `lapp-${code}.md` } : { target: '_blank', rel: 'noopener' }) });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
  };
  return [h('button', { 'data-k': 'summd', t: 'summaryMd', onclick: () => get('md') }), h('button', { 'data-k': 'sumhtml', t: 'summaryHtml', onclick: () => get('html') })];
}
