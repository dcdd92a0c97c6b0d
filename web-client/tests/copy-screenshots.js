// Copies the screenshots the README shows from test-output/ (written by `npm test`) to
// docs/screenshots/, refusing any over 150 KB. Run `npm test` first, then `npm run screenshots`.
import fs from 'node:fs';
import path from 'node:path';
import { OUTPUT } from './helpers.js';

const DOCS = path.resolve(OUTPUT, '../../docs/screenshots');
const PICKED = ['home-create-phone', 'participant-round-phone', 'participant-group-phone',
  'facilitator-round-projector', 'screen-reveal-projector', 'screen-poster-projector'];

fs.mkdirSync(DOCS, { recursive: true });
for (const name of PICKED) {
  const from = path.join(OUTPUT, `${name}.png`);
  const size = fs.statSync(from).size;
  if (size > 150 * 1024) throw new Error(`${name}.png is ${Math.round(size / 1024)} KB, over 150 KB`);
  fs.copyFileSync(from, path.join(DOCS, `${name}.png`));
  console.log(`${name}.png ${Math.round(size / 1024)} KB`);
}
