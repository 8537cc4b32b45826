/**
 * Helpers for multi-tab federations: every tab is a participant in its own browser context
 * (pages of one context share IndexedDB, hence one identity), joined through the page's own
 * join form; its state and its quantized updates are read through the page's test hooks
 * `window.__speakonceTestHooks`, which each tab's context switches on itself before the app
 * loads (page-hooks.ts).
 */
import { createHash } from 'node:crypto';
import { type Socket, createConnection, createServer } from 'node:net';
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import type { EngineSnapshot } from '../src/client/engine';
import type { FederationEvent } from '../src/wire/events';
import type { TestFederation } from './federation';
import { CSP_REPORTER } from './csp';
import { installPageHooks } from './page-hooks';

export type Role = 'trainer' | 'committee';
export type RoundStarted = Extract<FederationEvent, { type: 'round_started' }>;
export type RoundDone = Extract<FederationEvent, { type: 'round_done' }>;
export type RoundFailed = Extract<FederationEvent, { type: 'round_failed' }>;
export type Cutoff = Extract<FederationEvent, { type: 'cutoff' }>;
export type Refused = Extract<FederationEvent, { type: 'refused' }>;

export interface Tab {
  readonly name: string;
  readonly role: Role;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Full participant id (from the hook) and the 9 characters the page shows. */
  clientId: string;
  shortId: string;
  /** Console errors and uncaught page errors seen so far. */
  readonly problems: string[];
  /** The stepper's phases as reported by the page, in order, and the current one. */
  readonly phases: string[];
  phase: string | undefined;
  readonly phaseWaiters: { phase: string; resolve: () => void }[];
  closed: boolean;
  /** Set for tabs opened with a `relay`: cuts the server side of the tab's socket. */
  cut?: () => Promise<void>;
  closing?: Promise<void>;
}

export interface OpenOptions {
  /** tfjs backend forced with `?backend=` (default wasm: the fastest here, no benchmark at start-up). */
  backend?: string | undefined;
  /** Upload this CSV file through the join form instead of the synthetic data. */
  csvPath?: string;
  /**
   * Reach the server through this TCP relay in the test process ({@link openRelay}), so
   * {@link dropTab} can cut it instantly. One relay per tab; the page's origin is the relay's,
   * which the federation must allow (`allowOrigins: [relay.origin]`).
   */
  relay?: Relay;
}

/** Opens the join URL in a new browser context and joins as a trainer or a committee volunteer. */
export async function openTab(
  browser: Browser,
  fed: { joinUrl: string },
  role: Role,
  name: string,
  o: OpenOptions = {},
): Promise<Tab> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await context.addInitScript(PHASE_REPORTER);
  await context.addInitScript(CSP_REPORTER);
  await context.addInitScript(installPageHooks);
  const page = await context.newPage();
  const problems: string[] = [];
  const tab: Tab = {
    name,
    role,
    context,
    page,
    clientId: '',
    shortId: '',
    problems,
    phases: [],
    phase: undefined,
    phaseWaiters: [],
    closed: false,
  };
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    const text = m.text();
    if (text.startsWith(PHASE_TAG)) {
      const p = text.slice(PHASE_TAG.length);
      tab.phase = p;
      tab.phases.push(p);
      for (const w of tab.phaseWaiters.splice(0))
        if (w.phase === p) w.resolve();
        else tab.phaseWaiters.push(w);
    }
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  let joinUrl = fed.joinUrl;
  if (o.relay) {
    o.relay.to(new URL(fed.joinUrl));
    const u = new URL(fed.joinUrl);
    u.port = String(o.relay.port);
    joinUrl = u.toString();
    tab.cut = o.relay.cut;
  }
  const backend = o.backend === undefined ? 'wasm' : o.backend;
  await page.goto(backend ? `${joinUrl}&backend=${encodeURIComponent(backend)}` : joinUrl);
  if (role === 'committee') await page.locator('input[name=role][value=committee]').check();
  if (o.csvPath && role === 'trainer') {
    await page.locator('#data').selectOption('csv');
    await page.locator('#csv').setInputFiles(o.csvPath);
  }
  await page.locator('#join').click();
  tab.clientId = await waitClientId(page);
  tab.shortId = tab.clientId.slice(0, 9);
  await page.waitForFunction((short) => document.getElementById('fact-client')?.textContent === short, tab.shortId, {
    timeout: 30_000,
  });
  return tab;
}

/** Opens several tabs one after another (parallel opening only contends for the 2 cores). */
export async function openTabs(
  browser: Browser,
  fed: { joinUrl: string },
  role: Role,
  n: number,
  prefix: string,
  o: OpenOptions = {},
): Promise<Tab[]> {
  const tabs: Tab[] = [];
  for (let i = 0; i < n; i++) tabs.push(await openTab(browser, fed, role, `${prefix}${i + 1}`, o));
  return tabs;
}

/**
 * Waits until the tab shows model version `v` or a later one (a federation without a round
 * limit keeps going while the test checks, so an exact version would be a race).
 */
export async function expectVersionAtLeast(page: Page, v: number): Promise<void> {
  await expect
    .poll(async () => Number(/^v(\d+)$/.exec((await page.locator('#fact-version').textContent()) ?? '')?.[1] ?? -1), {
      timeout: 60_000,
      message: `model version ≥ v${v} shown`,
    })
    .toBeGreaterThanOrEqual(v);
}

/** Waits until the test hook exists and knows the participant id; returns it. */
export async function waitClientId(page: Page): Promise<string> {
  const id = () => window.__speakonceTestHooks?.state?.().clientId;
  const h = await page.waitForFunction(id, undefined, { timeout: 60_000 });
  return (await h.jsonValue()) as string;
}

export async function hookState(page: Page): Promise<EngineSnapshot> {
  return page.evaluate(() => {
    const state = window.__speakonceTestHooks?.state;
    if (!state) throw new Error('no test hook: was the tab opened with openTab (page-hooks.ts)?');
    return state();
  });
}

/** This tab's quantized update of `round`, through the test hook. */
export async function quantized(tab: Tab, round: number): Promise<number[]> {
  const q = await tab.page.evaluate((r) => window.__speakonceTestHooks?.quantized?.(r), round);
  if (!q) throw new Error(`${tab.name} (${tab.shortId}) has no quantized update for round ${round}`);
  return q;
}

const PHASE_TAG = '[e2e-phase] ';

/**
 * Reports every change of the stepper's data-phase as a console message. The page's main thread
 * may be busy training for seconds with only microtask yields; console messages still arrive at
 * once, while an evaluate() result or a polled selector arrives only when training is over.
 */
const PHASE_REPORTER = `(() => {
  let last;
  const watch = () => new MutationObserver(() => {
    const p = document.getElementById('stepper')?.dataset.phase;
    if (p && p !== last) { last = p; console.debug(${JSON.stringify(PHASE_TAG)} + p); }
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-phase'] });
  if (document.body) watch(); else addEventListener('DOMContentLoaded', watch);
})();`;

/**
 * Resolves the moment the tab's stepper next shows `phase` (or at once if it shows it now). Arm
 * it before the phase can happen: a phase that has come and gone is not waited for.
 */
export function waitPhase(tab: Tab, phase: string, timeout = 90_000): Promise<void> {
  if (tab.phase === phase) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`${tab.name}: stepper never showed ${phase} within ${timeout} ms (saw ${tab.phases.join(' → ')})`),
        ),
      timeout,
    );
    tab.phaseWaiters.push({ phase, resolve: () => (clearTimeout(timer), resolve()) });
  });
}

/** Closes the tab's whole browser context (its socket goes away like a closed tab's). */
export async function closeTab(tab: Tab): Promise<void> {
  if (tab.closing) return tab.closing;
  if (tab.closed) return;
  tab.closed = true;
  await tab.context.close();
}

/**
 * Makes the tab vanish *now*, as far as the server can tell. Closing a context (or crashing its
 * page through CDP, or a Playwright-routed WebSocket) waits until the page's main thread is
 * free — only after local training ends — so a tab opened with a `relay` reaches the
 * server through a TCP relay in the test process; this destroys the relay's connections at once
 * (the server sees the socket close) and closes the context in the background.
 */
export async function dropTab(tab: Tab): Promise<void> {
  if (!tab.cut) throw new Error(`${tab.name} was not opened with a relay`);
  tab.closed = true;
  await tab.cut();
  tab.closing = tab.context.close().catch(() => undefined);
}

export async function closeAll(tabs: readonly Tab[]): Promise<void> {
  for (const t of tabs) await closeTab(t).catch(() => undefined);
}

/** SHA-256 (hex) of a vector sum as little-endian float64: the server's `sumDigest`. */
export function digestOfSum(vectors: readonly (readonly number[])[]): string {
  const len = vectors[0]?.length ?? 0;
  const sum = new Float64Array(len);
  for (const v of vectors) {
    if (v.length !== len) throw new Error(`vectors of different lengths (${v.length} vs ${len})`);
    for (let i = 0; i < len; i++) sum[i] = (sum[i] as number) + (v[i] as number);
  }
  return createHash('sha256').update(new Uint8Array(sum.buffer)).digest('hex');
}

/** Checks a finished round's sum against the survivors' quantized updates, read from their tabs. */
export async function expectExactSum(
  done: RoundDone,
  tabs: readonly Tab[],
  known: ReadonlyMap<string, number[]> = new Map(),
): Promise<void> {
  const vectors: number[][] = [];
  for (const id of done.survivors) {
    const pre = known.get(id);
    if (pre) {
      vectors.push(pre);
      continue;
    }
    const tab = tabs.find((t) => t.clientId === id && !t.closed);
    if (!tab) throw new Error(`round ${done.round}: survivor ${id} is not an open tab of this test`);
    vectors.push(await quantized(tab, done.round));
  }
  expect(digestOfSum(vectors), `round ${done.round}: decoded sum = Σ of ${vectors.length} quantized updates`).toBe(
    done.sumDigest,
  );
}

export const isStarted =
  (round: number) =>
  (e: FederationEvent): e is RoundStarted =>
    e.type === 'round_started' && e.round === round;
export const isDone =
  (round: number) =>
  (e: FederationEvent): e is RoundDone =>
    e.type === 'round_done' && e.round === round;
export const isFailed =
  (round: number) =>
  (e: FederationEvent): e is RoundFailed =>
    e.type === 'round_failed' && e.round === round;
export const isCutoff =
  (round: number) =>
  (e: FederationEvent): e is Cutoff =>
    e.type === 'cutoff' && e.round === round;
/** round_done or round_failed of `round`. */
export const isEnded =
  (round: number) =>
  (e: FederationEvent): e is RoundDone | RoundFailed =>
    (e.type === 'round_done' || e.type === 'round_failed') && e.round === round;

export function ended(fed: TestFederation, round: number, timeoutMs = 120_000): Promise<RoundDone | RoundFailed> {
  return fed.waitFor(isEnded(round), timeoutMs);
}

/** Waits for round_done of `round`; fails with the reason when the round failed instead. */
export async function roundDone(fed: TestFederation, round: number, timeoutMs = 120_000): Promise<RoundDone> {
  const e = await ended(fed, round, timeoutMs);
  if (e.type === 'round_failed') throw new Error(`round ${round} failed: ${e.code}: ${e.reason}`);
  return e;
}

export function byId(tabs: readonly Tab[], id: string): Tab {
  const t = tabs.find((x) => x.clientId === id);
  if (!t) throw new Error(`no tab with participant id ${id}`);
  return t;
}

/** A TCP relay on a free local port, opened before the federation so it can allow the relay's origin. */
export interface Relay {
  readonly port: number;
  /** The origin of pages loaded through the relay, e.g. `http://127.0.0.1:40123`. */
  readonly origin: string;
  /** Where connections go: `target`'s host and port. */
  readonly to: (target: URL) => void;
  /** Ends every connection (and accepts no more). */
  readonly cut: () => Promise<void>;
}

export async function openRelay(): Promise<Relay> {
  const sockets = new Set<Socket>();
  let target: URL | undefined;
  const server = createServer((client) => {
    if (!target) return void client.destroy();
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => (sockets.delete(a), b.destroy()));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    to: (t) => void (target = new URL(t)),
    cut: async () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
