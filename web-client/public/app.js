// The entry point: every route (/, /j/{code}, /f/{code}, /screen/{code}, /a/{code} (a
// follow-up link), /privacy) serves this page (server/src/web.rs); the address picks the view.
import { h, $, fill } from './ui.js';

const [, route, code] = location.pathname.match(/^\/(j|f|screen|a)\/(\d{6})\/?$/) || [];
const view = /^\/privacy\/?$/.test(location.pathname) ? 'privacy' : { j: 'participant', f: 'facilitator', screen: 'screen', a: 'followup' }[route] || 'home';
document.body.className = view;
// The privacy notice is a link away wherever people's data goes in; outside #view, so no
// view's re-rendering or focus handling touches it. Not on the projector.
if (view !== 'screen' && view !== 'privacy') fill($('foot'), h('a', { href: '/privacy', t: 'privacyLink' }));
import(`./${view}.js`).then((module) => module.start($('view'), code));
