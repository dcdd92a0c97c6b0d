// Copies the screenshots the README shows from test-output/ (written by `npm test`) to
// docs/screenshots/, each reduced to a palette with Debian's pngquant (apt-get install
// pngquant), refusing any still over 150 KB. Run `npm test` first, then `npm run screenshots`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OUTPUT } from './helpers.js';

const DOCS = path.resolve(OUTPUT, '../../docs/screenshots');
const PICKED = ['home-sessions-phone', 'participant-round-phone', 'participant-level-2-phone',
  'facilitator-back-projector', 'facilitator-agenda-projector', 'screen-reveal-top10-projector',
  'screen-reveal-one-at-a-time-projector', 'screen-poster-150-projector', 'participant-poster-phone',
  'participant-actions-request-phone', 'participant-actions-paired-phone', 'facilitator-actions-wall-projector',
  'screen-actions-wall-projector', 'participant-leancoffee-thumbs-phone', 'screen-leancoffee-hall-projector',
  'participant-retro-vote-phone', 'screen-retro-done-projector'];

fs.mkdirSync(DOCS, { recursive: true });
for (const name of PICKED) {
  const to = path.join(DOCS, `${name}.png`);
  execFileSync('pngquant', ['--quality', '60-90', '--force', '--output', to, path.join(OUTPUT, `${name}.png`)]);
  const size = fs.statSync(to).size;
  if (size > 150 * 1024) throw new Error(`${name}.png is ${Math.round(size / 1024)} KB, over 150 KB`);
  console.log(`${name}.png ${Math.round(size / 1024)} KB`);
}
