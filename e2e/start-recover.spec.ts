/**
 * `npm start --recover`, through the real start script (scripts/start.ts, as `npm start` runs it
 * after its build): a data directory whose state.json is missing is refused with the file and the
 * fix; `--recover` rebuilds it from the newest checkpoint and the federation carries on from that
 * version, with the same federation id, without overwriting a version. No browser needed; it
 * lives here because the start script serves the built app (`npm test` builds before Playwright).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { resolveConfig } from '../src/server/config';
import { Ledger } from '../src/server/ledger';
import { createLogger } from '../src/server/log';
import type { FederationEvent } from '../src/wire/events';
import { TestFederation } from './federation';

let fed: TestFederation | undefined;
let dataDir = '';
test.afterEach(async () => {
  await fed?.stop();
  fed = undefined;
  if (dataDir) TestFederation.removeData(dataDir);
});

test('npm start refuses a data directory without state.json; --recover resumes its newest version', async () => {
  test.setTimeout(120_000);
  dataDir = mkdtempSync(join(tmpdir(), 'speakonce-recover-'));
  // a federation that finished versions 1 and 2 (the product's own writers), then lost state.json
  const l = new Ledger(resolveConfig({ dataDir, open: true }), createLogger('silent'));
  await l.open();
  for (let v = 1; v <= 2; v++) {
    await l.nextRound();
    await l.commitVersion({ ...l.model, weights: l.model.weights.map((x) => x + v) }, {});
  }
  const weights2 = readFileSync(join(dataDir, 'models', 'v2', 'weights.bin'));
  rmSync(join(dataDir, 'state.json'));

  const refused = await TestFederation.start({ dataDir, keepData: true, token: null, trainers: 3 }).then(
    (f) => f.stop().then(() => 'started'),
    (e: unknown) => String(e),
  );
  expect(refused).toContain(`error: ${join(dataDir, 'state.json')} is missing but models/ holds v0…v2`);
  expect(refused).toContain('start the server once with --recover');
  expect(existsSync(join(dataDir, 'state.json'))).toBe(false); // nothing written by the refused start

  fed = await TestFederation.start({
    dataDir,
    keepData: true,
    token: null,
    trainers: 3,
    extra: ['--recover'],
  });
  const status = (await (await fetch(`${fed.url}/status`)).json()) as { federation: string; version: number };
  expect(status).toMatchObject({ federation: l.federation, version: 2 });
  // and it goes on from there: the next round makes v3, v2 untouched
  const done = await fed.waitFor(
    (e: FederationEvent): e is Extract<FederationEvent, { type: 'round_done' }> => e.type === 'round_done',
    90_000,
  );
  expect(done.version).toBe(3);
  expect(readFileSync(join(dataDir, 'models', 'v2', 'weights.bin')).equals(weights2)).toBe(true);
  expect(readdirSync(join(dataDir, 'models')).sort()).toEqual(['v0', 'v1', 'v2', 'v3']);
});
