// /privacy: the privacy notice (GDPR art. 13) in both languages: what is stored, why, who sees
// it, for how long (the server's retention, from GET /api/about) and whom to contact (the
// server's --privacy-contact, else the organiser of the session).
import { h, header, fill, titled } from './ui.js';

const section = (id, titleKey, ...kids) => h('section', { 'aria-labelledby': id }, h('h2', { id, t: titleKey }), ...kids);

export async function start(root) {
  header([]);
  titled(['privacyTitle']);
  const response = await fetch('/api/about').catch(() => null);
  const about = (response?.ok && (await response.json().catch(() => null))) || {};
  const days = about.retention_days;
  fill(root, [
    h('h1', { t: 'privacyTitle' }), h('p', { class: 'lead', t: 'privacyLead' }),
    section('pv-what', 'privStoredTitle',
      h('ul', { class: 'bullets' }, ['privStoredTexts', 'privStoredName', 'privStoredToken'].map((key) => h('li', { t: key }))),
      h('p', { t: 'privNotStored' })),
    section('pv-why', 'privWhyTitle', h('p', { t: 'privWhy' }), h('p', { t: 'privWho' })),
    section('pv-long', 'privLongTitle', h('p', { id: 'retention', t: Number.isInteger(days) ? ['privLong', { days }] : 'privLongUnknown' }),
      h('p', { t: 'privPhone' })),
    section('pv-contact', 'privContactTitle',
      h('p', { id: 'contact', t: about.privacy_contact ? ['privContactIs', { contact: about.privacy_contact }] : 'privContactOrganiser' }),
      h('p', { t: 'privRights' })),
    h('p', {}, h('a', { href: '/', t: 'toHome' })),
  ]);
}
