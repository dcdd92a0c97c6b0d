// The entry point: every route (/, /j/{code}, /f/{code}, /screen/{code}) serves this page
// (server/src/web.rs); the address picks the view.
import { $ } from './ui.js';

const [, route, code] = location.pathname.match(/^\/(j|f|screen)\/(\d{6})\/?$/) || [];
const view = { j: 'participant', f: 'facilitator', screen: 'screen' }[route] || 'home';
document.body.className = view;
import(`./${view}.js`).then((module) => module.start($('view'), code));
