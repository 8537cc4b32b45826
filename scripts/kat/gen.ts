/** Writes the known-answer vectors of the core: `npm run kat`. */
import { writeFileSync } from 'node:fs';
import { computeKat } from './compute.js';

async function main(): Promise<void> {
  const path = new URL('../../src/secagg/kat/vectors.json', import.meta.url);
  const kat = await computeKat();
  writeFileSync(path, `${JSON.stringify(kat, null, 1)}\n`);
  console.log(`wrote ${path.pathname}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
