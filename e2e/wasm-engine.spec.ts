/**
 * The masking engine in the browser (docs/protocol.md §6.1): in Chromium the crypto
 * worker masks with the WebAssembly SIMD module, under the server's strict CSP, and the tab says
 * so; with SIMD disabled (`?simd=off`: the worker loads the engine as if WebAssembly SIMD were
 * missing) it falls back to the TypeScript reference and shows the typed reason. Either way the
 * tab's contribution is summed in a secure round.
 */
import { expect, test, type Page } from '@playwright/test';
import type { FederationEvent } from '../src/wire/events';
import { CSP_REPORTER } from './csp';
import { TestFederation } from './federation';

type Done = Extract<FederationEvent, { type: 'round_done' }>;

let fed: TestFederation;
test.beforeEach(async () => {
  fed = await TestFederation.start({ trainers: 2, members: 3, committee: '3,3,2' });
});
test.afterEach(async () => {
  await fed.stop();
});

async function join(page: Page, query: string): Promise<{ problems: string[]; shortId: string }> {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.addInitScript(CSP_REPORTER);
  await page.goto(`${fed.joinUrl}&backend=wasm${query}`);
  await page.locator('#join').click();
  const idEl = page.locator('#fact-client');
  await expect(idEl).not.toHaveText('—');
  return { problems, shortId: (await idEl.textContent()) ?? '' };
}

async function contributes(page: Page, shortId: string): Promise<void> {
  const mine = await fed.waitFor(
    (e): e is Done => e.type === 'round_done' && e.survivors.some((s) => s.startsWith(shortId)),
    90_000,
  );
  await expect(page.locator(`tr[data-round="${mine.round}"]`)).toContainText('aggregated');
}

test('the crypto worker masks with WebAssembly SIMD, and the tab shows it', async ({ page }) => {
  const { problems, shortId } = await join(page, '');
  const fact = page.locator('#fact-masking');
  await expect(fact).toHaveText('WebAssembly SIMD');
  await expect(fact).toHaveAttribute('data-engine', 'wasm');
  await expect(page.locator('#masking-reason')).toHaveText('Masking engine wasm (128-bit SIMD)');
  await contributes(page, shortId);
  expect(problems).toEqual([]);
});

test('without WebAssembly SIMD it falls back to the reference engine and shows why', async ({ page }) => {
  const { problems, shortId } = await join(page, '&simd=off');
  const fact = page.locator('#fact-masking');
  await expect(fact).toHaveText('plain JavaScript (slower)');
  await expect(fact).toHaveAttribute('data-engine', 'ts');
  await expect(page.locator('#masking-reason')).toContainText('Masking engine ts: NO_SIMD');
  await contributes(page, shortId);
  expect(problems).toEqual([]);
});
