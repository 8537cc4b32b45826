/**
 * The browser section of the bench: headless Chromium (Playwright) on the built benchmark
 * page (bench/browser/index.html → dist/bench/browser/index.html):
 *
 * - `browser_train`: training throughput of the project's MLP on the same synthetic data per
 *   tfjs backend that initialises in the browser (cpu, wasm, webgl, webgpu);
 * - `browser_seal` / `node_seal`: `buildContribution` at L = 10^5 (committee m = 10) inside a
 *   module Web Worker vs in this Node process (bench/browser/seal-core.ts in both);
 * - `browser_backend_choice`: what src/client/backend/ picks here, its reason and start-up
 *   time; `browser_webgpu_loss_recovery`: a WebGPU device destroyed during a training call,
 *   the call retried on the fallback backend.
 *
 * The app is built first when dist/ is missing or older than its sources (Vite's own script);
 * if the whole app does not build, the bench page alone is built into
 * node_modules/.cache/speakonce-bench-dist. Without Chromium the section is skipped with a
 * note. Record names (public, see report.ts): browser_train, browser_seal, node_seal,
 * browser_backend_choice, browser_webgpu_loss_recovery.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { type SealResult, runSealBench } from './browser/seal-core.js';
import type { BenchRecord, Section, SectionContext, SectionResult } from './report.js';
import type { LossRecoveryResult, PageInfo, TrainResult } from './browser/main.js';
import { fmtMs, fmtRatio } from './stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const PAGE = 'bench/browser/index.html';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-webgpu',
  '--disable-gpu-watchdog',
] as const;

export interface BrowserPlan {
  train: { backends: string[]; rows: number; warmupEpochs: number; epochs: number; batchSize: number };
  seal: { L: number; warmup: number; runs: number };
  /** Run the WebGPU device-loss fallback check. */
  lossRecovery: boolean;
}

export const FULL_PLAN: BrowserPlan = {
  train: { backends: ['cpu', 'wasm', 'webgl', 'webgpu'], rows: 8192, warmupEpochs: 1, epochs: 3, batchSize: 256 },
  seal: { L: 1e5, warmup: 2, runs: 11 },
  lossRecovery: true,
};

export const QUICK_PLAN: BrowserPlan = {
  train: { backends: ['cpu', 'wasm', 'webgl', 'webgpu'], rows: 2048, warmupEpochs: 1, epochs: 1, batchSize: 256 },
  seal: { L: 1e5, warmup: 1, runs: 3 },
  lossRecovery: true,
};

/** The Chromium to drive: $CHROMIUM_PATH, else Debian's /usr/bin/chromium, else undefined. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (p): p is string => !!p,
  );
  return candidates.find((p) => existsSync(p));
}

function newestMtime(p: string, skip: (name: string) => boolean): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const e of readdirSync(p)) {
    if (skip(e)) continue;
    newest = Math.max(newest, newestMtime(path.join(p, e), skip));
  }
  return newest;
}

/** Sources whose change makes a build stale. */
export const BUILD_INPUTS = [
  'src',
  'workers',
  'bench/browser',
  'index.html',
  'dashboard.html',
  'vite.config.ts',
  'package-lock.json',
  'public',
];

/** True when `outDir` has no bench page or one older than any build input under `root`. */
export function isStale(outDir: string, root = ROOT): boolean {
  const built = path.join(outDir, PAGE);
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  const skip = (name: string): boolean => name === 'node_modules' || name.endsWith('.test.ts') || name.startsWith('.');
  return BUILD_INPUTS.some((rel) => newestMtime(path.join(root, rel), skip) > builtAt);
}

function runVite(args: string[], log: (s: string) => void): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (e) => resolve({ ok: false, output: `${output}\n${e.message}` }));
    child.on('close', (code) => {
      if (code !== 0) log(`vite ${args.join(' ')} exited with ${code}`);
      resolve({ ok: code === 0, output });
    });
  });
}

function firstError(output: string): string {
  const lines = stripVTControlCharacters(output)
    .split('\n')
    .map((l) => l.trim());
  return (
    lines.find((l) => /error|could not|failed/i.test(l) && !/^✗/.test(l)) ??
    lines.find((l) => l.length > 0) ??
    'unknown error'
  );
}

/** Where the built page lives: dist/ (built if stale) or the bench-only fallback build. */
async function ensureBuild(log: (s: string) => void): Promise<{ dir: string; note: string }> {
  const dist = path.join(ROOT, 'dist');
  if (!isStale(dist)) return { dir: dist, note: 'dist/ was up to date' };
  log('building the app (vite build) …');
  const t0 = performance.now();
  const full = await runVite(['build'], log);
  if (full.ok && existsSync(path.join(dist, PAGE)))
    return { dir: dist, note: `built dist/ with \`vite build\` in ${((performance.now() - t0) / 1000).toFixed(1)} s` };
  const why = full.ok ? `dist/${PAGE} missing after the build` : firstError(full.output);
  log(`the app did not build (${why}); building the bench page alone`);
  const alone = path.join(ROOT, 'node_modules/.cache/speakonce-bench-dist');
  if (!isStale(alone)) return { dir: alone, note: `the app did not build (${why}); used the bench-page-only build` };
  const t1 = performance.now();
  const res = await runVite(
    ['build', '--config', 'bench/browser/vite.config.ts', '--outDir', alone, '--emptyOutDir'],
    log,
  );
  if (!res.ok) throw new Error(`vite could not build the bench page: ${firstError(res.output)}`);
  return {
    dir: alone,
    note: `the app did not build (${why}); built the bench page alone in ${((performance.now() - t1) / 1000).toFixed(1)} s`,
  };
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export function mimeType(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** A tiny static file server of `dir` on 127.0.0.1 (a free port). */
export async function serveStatic(dir: string): Promise<{ server: Server; url: string }> {
  const root = path.resolve(dir);
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = path.resolve(root, `.${pathname}`);
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': mimeType(file), 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

interface ChoiceResult {
  name: string;
  reason: string;
  label: string;
  startupMs: number;
  candidates: { name: string; ok: boolean; msPerStep?: number; software?: boolean; note?: string }[];
  adapter?: Record<string, unknown>;
  webglRenderer?: string;
}

type PageApi = {
  info(): Promise<PageInfo>;
  train(plan: BrowserPlan['train'] & { backend: string }): Promise<TrainResult>;
  seal(plan: BrowserPlan['seal']): Promise<SealResult & { worker_start_ms: number }>;
  choose(opts?: { budgetMs?: number; measureSoftware?: boolean }): Promise<ChoiceResult>;
  lossRecovery(): Promise<LossRecoveryResult>;
};

function sealRecord(name: string, where: string, r: SealResult): BenchRecord {
  return {
    name,
    L: r.L,
    m: r.m,
    median_ms: r.median_ms,
    min_ms: r.min_ms,
    max_ms: r.max_ms,
    runs: r.runs,
    bytes: r.upload_bytes,
    where,
    mask_ms: r.mask_ms,
    shares_ms: r.shares_ms,
    seal_ms: r.seal_ms,
    aes: r.backends.aes,
    x25519: r.backends.x25519,
  };
}

export async function runBrowserBench(
  plan: BrowserPlan,
  log: (s: string) => void = () => undefined,
): Promise<SectionResult> {
  const chromium = findChromium();
  if (!chromium) {
    const note =
      'Skipped: no Chromium found (set CHROMIUM_PATH or `apt-get install -y chromium`, which gives /usr/bin/chromium).';
    log(note);
    return { records: [], notes: note };
  }
  const build = await ensureBuild(log);
  log(build.note);
  const { server, url } = await serveStatic(build.dir);
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({ executablePath: chromium, headless: true, args: [...CHROMIUM_ARGS] });
  const records: BenchRecord[] = [];
  const notes: string[] = [];
  try {
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${url}/${PAGE}`);
    await page.waitForFunction(
      () => (window as unknown as { speakonceBench?: { ready?: boolean } }).speakonceBench?.ready === true,
      undefined,
      { timeout: 30_000 },
    );
    const call = <K extends keyof PageApi>(
      fn: K,
      ...args: Parameters<PageApi[K]>
    ): Promise<Awaited<ReturnType<PageApi[K]>>> =>
      page.evaluate(
        ([f, a]) => {
          const api = (window as unknown as { speakonceBench: Record<string, (...x: unknown[]) => Promise<unknown>> })
            .speakonceBench;
          return (api[f as string] as (...x: unknown[]) => Promise<unknown>)(...(a as unknown[]));
        },
        [fn, args] as const,
      ) as Promise<Awaited<ReturnType<PageApi[K]>>>;

    const info = await call('info');
    const ua = info.userAgent;
    const browserVersion = /(?:HeadlessChrome|Chrome)\/([\d.]+)/.exec(ua)?.[1] ?? ua;
    log(`Chromium ${browserVersion}; registered tfjs backends: ${String(info.registered)}`);

    // The app's own choice first (a fresh page state: nothing initialised yet).
    const choice = await call('choose');
    log(`choice: ${choice.label} (${choice.startupMs.toFixed(0)} ms)`);
    records.push({
      name: 'browser_backend_choice',
      median_ms: choice.startupMs,
      backend: choice.name,
      reason: choice.reason,
    });
    // The same with software GPUs measured too (a longer budget; backends now warm).
    const full = await call('choose', { budgetMs: 15_000, measureSoftware: true });
    log(`choice, software GPUs measured: ${full.label} (${full.startupMs.toFixed(0)} ms)`);
    records.push({
      name: 'browser_backend_choice_measured',
      median_ms: full.startupMs,
      backend: full.name,
      reason: full.reason,
    });

    // (a) Training throughput per backend.
    const train: TrainResult[] = [];
    for (const backend of plan.train.backends) {
      log(`training on ${backend} …`);
      const r = await call('train', { ...plan.train, backend });
      train.push(r);
      if (r.ok && typeof r.median_ms === 'number' && typeof r.samples_per_s === 'number') {
        log(`  ${backend}: ${r.samples_per_s.toFixed(0)} samples/s, ${fmtMs(r.median_ms)} ms/epoch`);
        records.push({
          name: 'browser_train',
          median_ms: r.median_ms,
          runs: r.msPerEpoch?.length ?? 0,
          backend,
          samples_per_s: Math.round(r.samples_per_s),
          rows: plan.train.rows,
          batch: plan.train.batchSize,
        });
      } else log(`  ${backend}: unavailable — ${r.note ?? 'unknown'}`);
    }
    const fastest = train.filter((t) => t.ok).sort((a, b) => (b.samples_per_s ?? 0) - (a.samples_per_s ?? 0))[0];
    for (const r of records) {
      if (r.name === 'browser_train' && fastest?.samples_per_s && typeof r.samples_per_s === 'number')
        r.vs_fastest = fastest.samples_per_s / r.samples_per_s;
    }

    // (b) Sealing in a module worker vs in Node.
    log(`sealing L = ${plan.seal.L} in a browser worker …`);
    const bSeal = await call('seal', plan.seal);
    log(`sealing L = ${plan.seal.L} in Node …`);
    const nSeal = await runSealBench(plan.seal);
    const bRec = sealRecord('browser_seal', 'browser-worker', bSeal);
    bRec.worker_start_ms = bSeal.worker_start_ms;
    const nRec = sealRecord('node_seal', 'node', nSeal);
    bRec.vs_node_seal = bSeal.median_ms / nSeal.median_ms;
    records.push(bRec, nRec);
    log(`  browser worker ${fmtMs(bSeal.median_ms)} ms, Node ${fmtMs(nSeal.median_ms)} ms`);

    // (c) WebGPU device loss → fallback → retried training call.
    let loss: LossRecoveryResult | undefined;
    if (plan.lossRecovery) {
      log('WebGPU device-loss recovery …');
      loss = await call('lossRecovery');
      if (loss.skipped) log(`  skipped: ${String(loss.note)}`);
      else {
        log(
          `  ${loss.ok ? 'recovered' : 'FAILED'} on ${String(loss.backendAfter)} in ${Number(loss.ms ?? NaN).toFixed(0)} ms${loss.error ? ` (${loss.error})` : ''}`,
        );
        records.push({
          name: 'browser_webgpu_loss_recovery',
          median_ms: Number(loss.ms ?? NaN),
          runs: 1,
          ok: loss.ok === true,
          from: 'webgpu',
          to: String(loss.backendAfter),
        });
      }
    }

    // Notes for RESULTS.md.
    notes.push(
      `Headless Chromium ${browserVersion} (${chromium}, flags \`${CHROMIUM_ARGS.join(' ')}\`), page served from ${build.dir === path.join(ROOT, 'dist') ? '`dist/`' : 'a bench-page-only build'} (${build.note}); crossOriginIsolated = ${String(info.crossOriginIsolated)}.`,
    );
    const gpu = info.webgpu;
    notes.push(
      `WebGPU adapter: ${
        gpu.adapter
          ? Object.entries(gpu.adapter)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(', ')
          : `none (${gpu.note ?? '?'})`
      }; WebGL renderer: ${info.webglRenderer ?? 'none'}.`,
    );
    notes.push('');
    notes.push(
      `**Training** (\`browser_train\`): the project's MLP (${plan.train.rows} synthetic rows, batch ${plan.train.batchSize}, ${plan.train.warmupEpochs} warm-up + ${plan.train.epochs} timed epoch(s), \`trainModel\` of src/ml); \`median_ms\` is per epoch.`,
    );
    for (const t of train) {
      notes.push(
        t.ok
          ? `- ${t.backend}: ${Math.round(t.samples_per_s ?? 0)} samples/s (${fmtMs(t.median_ms ?? NaN)} ms/epoch)`
          : `- ${t.backend}: **not available** — ${t.note ?? 'unknown'}`,
      );
    }
    notes.push('');
    const cands = (c: ChoiceResult): string =>
      c.candidates
        .map(
          (k) =>
            `${k.name} ${k.ok ? (k.msPerStep !== undefined ? `${fmtMs(k.msPerStep)} ms/step` : 'unmeasured') : 'failed'}${k.software ? ' (software)' : ''}${k.note ? ` — ${k.note}` : ''}`,
        )
        .join('; ');
    notes.push(
      `**Backend choice** (src/client/backend/choose.ts): as the app runs it (\`browser_backend_choice\`, start-up ${fmtMs(choice.startupMs)} ms, software GPUs not measured): \`${choice.label}\`. Candidates: ${cands(choice)}.`,
    );
    notes.push(
      `With software GPUs measured as well (\`browser_backend_choice_measured\`, ${fmtMs(full.startupMs)} ms, backends already initialised): \`${full.label}\`. Candidates: ${cands(full)}.`,
    );
    notes.push('');
    notes.push(
      `**Sealing** (\`buildContribution\`, L = ${plan.seal.L}, committee m = ${bSeal.m}): browser module worker ${fmtMs(bSeal.median_ms)} ms (AES ${bSeal.backends.aes}, X25519 ${bSeal.backends.x25519}; worker start ${fmtMs(bSeal.worker_start_ms)} ms not included) vs Node ${fmtMs(nSeal.median_ms)} ms (AES ${nSeal.backends.aes}, X25519 ${nSeal.backends.x25519}) — browser/Node = ${fmtRatio(bSeal.median_ms / nSeal.median_ms)}.`,
    );
    if (loss && !loss.skipped) {
      notes.push('');
      notes.push(
        `**WebGPU device loss** (\`browser_webgpu_loss_recovery\`): forced webgpu, destroyed its GPUDevice after the first epoch of a BrowserTrainer call; ${loss.ok ? `the controller fell back to ${String(loss.backendAfter)} and the call was retried and completed` : `recovery failed: ${loss.error ?? 'see log'}`}.`,
      );
    }
    if (consoleErrors.length)
      notes.push(
        '',
        `Page console errors: ${consoleErrors
          .slice(0, 5)
          .map((e) => `\`${e.slice(0, 200)}\``)
          .join('; ')}`,
      );
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return { records, notes: notes.join('\n') };
}

export const browserSection: Section = {
  id: 'browser',
  title: 'Browser (headless Chromium): training throughput per tfjs backend, sealing in a worker vs Node',
  run: (ctx: SectionContext) => runBrowserBench(ctx.quick ? QUICK_PLAN : FULL_PLAN, ctx.log),
};
