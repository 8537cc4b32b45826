/**
 * A federation for one browser test: `scripts/start.ts` (the same entry point as `npm start`)
 * in a child process on a free port with its own data directory, plus an observer of its
 * event stream so tests wait on server events instead of sleeping.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FederationEvent } from '../src/wire/events';
import { observe } from '../src/sim/observe';

const ROOT = join(import.meta.dirname, '..');

export interface FederationOptions {
  trainers?: number;
  members?: number;
  committee?: string;
  pauseS?: number;
  rounds?: number;
  /** Participants that must be connected before the first round starts (`--first-round`). */
  firstRound?: number;
  /** Origins besides the server's own whose pages may open the WebSocket (`--allow-origin`). */
  allowOrigins?: string[];
  extra?: string[];
  /** Run on this data directory (a restart test reuses one); default a fresh temporary one. */
  dataDir?: string;
  /** Listen on this port (a restart test keeps it); default a free one. */
  port?: number;
  /** The join token (`--token`); `null` lets the server keep its own in the data directory. */
  token?: string | null;
  /** Leave the data directory in place on stop (the test removes it). */
  keepData?: boolean;
}

export class TestFederation {
  readonly events: FederationEvent[] = [];
  private waiters: { pred: (e: FederationEvent) => boolean; resolve: (e: FederationEvent) => void }[] = [];
  private closeObserver: () => void = () => undefined;
  private stderrSoFar = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly joinUrl: string,
    readonly token: string,
    /** The server's data directory: `models/v<N>/` checkpoints and `rounds.jsonl`. */
    readonly dataDir: string,
    private readonly keepData: boolean,
  ) {}

  /** The server's log lines so far (its stderr: one JSON object per line, warn and above). */
  logLines(): Record<string, unknown>[] {
    return this.stderrSoFar
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** The directory of the checkpoint of model version `version`. */
  modelDir(version: number): string {
    return join(this.dataDir, 'models', `v${version}`);
  }

  static async start(o: FederationOptions = {}): Promise<TestFederation> {
    const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'speakonce-e2e-'));
    const given = o.token === undefined ? `e2e-${Math.random().toString(36).slice(2, 10)}` : o.token;
    const args = [
      join(ROOT, 'scripts', 'start.ts'),
      '--port',
      String(o.port ?? 0),
      '--data-dir',
      dataDir,
      ...(given === null ? [] : ['--token', given]),
      '--test-mode',
      '--trainers',
      String(o.trainers ?? 2),
      '--members',
      String(o.members ?? 3),
      '--committee',
      o.committee ?? '3,3,2',
      '--pause-s',
      String(o.pauseS ?? 0.5),
      ...(o.rounds ? ['--rounds', String(o.rounds)] : []),
      ...(o.firstRound ? ['--first-round', String(o.firstRound)] : []),
      ...(o.allowOrigins?.length ? ['--allow-origin', o.allowOrigins.join(',')] : []),
      ...(o.extra ?? []),
    ];
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const joinUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`federation did not start in 60 s:\n${out}\n${err}`)), 60_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /take part:\s+(\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      child.once('exit', (code) => reject(new Error(`federation exited with ${code}:\n${out}\n${err}`)));
    });
    const url = new URL(joinUrl).origin;
    const token = new URL(joinUrl).searchParams.get('join') ?? '';
    const fed = new TestFederation(child, url, joinUrl, token, dataDir, !!o.keepData);
    fed.stderrSoFar = err;
    child.stderr?.on('data', (d: Buffer) => (fed.stderrSoFar += d.toString()));
    await fed.watch();
    return fed;
  }

  private async watch(): Promise<void> {
    const obs = observe(this.url, (e) => {
      this.events.push(e);
      this.waiters = this.waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
    });
    this.closeObserver = () => obs.close();
    await obs.ready;
  }

  /** The first past or future event matching `pred`. */
  waitFor<T extends FederationEvent>(pred: (e: FederationEvent) => e is T, timeoutMs?: number): Promise<T>;
  waitFor(pred: (e: FederationEvent) => boolean, timeoutMs?: number): Promise<FederationEvent>;
  waitFor(pred: (e: FederationEvent) => boolean, timeoutMs = 90_000): Promise<FederationEvent> {
    const past = this.events.find(pred);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for a federation event')), timeoutMs);
      this.waiters.push({ pred, resolve: (e) => (clearTimeout(t), resolve(e)) });
    });
  }

  async stop(): Promise<void> {
    this.closeObserver();
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (this.child.exitCode === null) this.child.kill('SIGKILL');
    }
    if (!this.keepData) TestFederation.removeData(this.dataDir);
  }

  /** Removes a data directory and the authority key file beside it. */
  static removeData(dataDir: string): void {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(`${dataDir.replace(/\/+$/, '')}.authority.json`, { force: true });
  }
}
