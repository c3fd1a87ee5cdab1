// Prints the workspace's shipped JavaScript, raw and gzipped, and fails past the budget (issue 13: < 700 KB gzipped).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dir = new URL('../web/dist/assets/', import.meta.url).pathname;
const BUDGET = 700 * 1024;
let raw = 0;
let gz = 0;
for (const name of readdirSync(dir).filter((n) => /\.m?js$/.test(n))) {
  const b = readFileSync(join(dir, name));
  raw += b.length;
  gz += gzipSync(b, { level: 9 }).length;
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`[web] JavaScript shipped: ${kb(raw)} raw, ${kb(gz)} gzipped (budget ${kb(BUDGET)})`);
if (gz > BUDGET) {
  console.error('[web] over the JavaScript budget');
  process.exit(1);
}
