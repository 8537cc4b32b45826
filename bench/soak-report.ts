/** The markdown of `npm run soak` (bench/soak.ts): the round soak, each abuse, and where the server's memory was. */

const MiB = 2 ** 20;
const mib = (b: number): string => (b / MiB).toFixed(1);
const ms = (x: number): string => x.toFixed(1);

/** The server's process.memoryUsage(), as soak-server.ts reports it every 500 ms. */
export interface Mem {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}
export const NO_MEM: Mem = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };

export interface PhaseResult {
  name: string;
  baseline: number;
  peak: number;
  after: number;
  /** Seconds after the abuse ended until RSS was within 10 MiB of the baseline (undefined: not within RECOVER_S). */
  backAfterS: number | undefined;
  /** The server's own memory figures before, at the RSS peak and 30 s after. */
  memBefore: Mem;
  memPeak: Mem;
  memAfter: Mem;
  /** After a full collection, once the 30 s were measured. */
  memCollected: Mem;
  p50: number;
  p99: number;
  max: number;
  rounds: number;
  note: string;
}

export interface SoakFigures {
  minutes: number;
  rounds: number;
  failed: number;
  rssStart: number;
  rssEnd: number;
  slopePer100: number;
  p50: number;
  p99: number;
  max: number;
}

export function soakReport(o: {
  command: string;
  soak: SoakFigures;
  results: readonly PhaseResult[];
  recoverS: number;
  final: { done: number; failed: number };
  statuses: ReadonlyMap<number, number>;
}): string {
  return [
    `Measured by \`${o.command}\` (bench/soak.ts) on ${new Date().toISOString().slice(0, 10)}: the server in a process of its own (bench/soak-server.ts, product defaults but a 3,3,2 committee, no pause between rounds, per-address caps raised because every client is on 127.0.0.1), RSS from /proc/<pid>/status, /healthz polled every 50 ms on one keep-alive connection. Targets (issue 14): RSS growth ≤ 100 MiB under each abuse and back to baseline within 30 s, /healthz p99 ≤ 100 ms.`,
    '',
    `**Round soak**: ${o.soak.rounds} rounds in ${o.soak.minutes} min (3 trainers, 3 members), ${o.soak.failed} failed; RSS ${mib(o.soak.rssStart)} → ${mib(o.soak.rssEnd)} MiB, slope ${mib(o.soak.slopePer100)} MiB per 100 rounds (least squares after the first 20 % of rounds); /healthz p50 ${ms(o.soak.p50)} ms, p99 ${ms(o.soak.p99)} ms, max ${ms(o.soak.max)} ms.`,
    '',
    '| abuse (rounds go on) | RSS before | peak (growth) | 30 s after | back within 10 MiB | /healthz p50 / p99 / max | rounds | what the limits did |',
    '|---|--:|--:|--:|--:|--:|--:|---|',
    ...o.results.map(
      (r) =>
        `| ${r.name} | ${mib(r.baseline)} MiB | ${mib(r.peak)} MiB (+${mib(r.peak - r.baseline)}) | ${mib(r.after)} MiB | ${r.backAfterS === undefined ? `not within ${o.recoverS} s` : `${r.backAfterS.toFixed(1)} s`} | ${ms(r.p50)} / ${ms(r.p99)} / ${ms(r.max)} ms | ${r.rounds} | ${r.note} |`,
    ),
    '',
    "Where the server's memory was (process.memoryUsage, reported by the server every 500 ms; MiB): V8's heap used / reserved (heapTotal), memory outside the heap (external, of which arrayBuffers: Buffers and socket chunks). The last row of each phase is after a full collection forced once the 30 s were measured (bench only, --expose-gc): what the server still holds, against garbage V8 had not collected yet.",
    '',
    '| abuse | when | RSS | heapUsed | heapTotal | external | arrayBuffers |',
    '|---|---|--:|--:|--:|--:|--:|',
    ...o.results.flatMap((r) =>
      (
        [
          ['before', r.memBefore],
          ['at the RSS peak', r.memPeak],
          ['30 s after', r.memAfter],
          ['then after a full GC', r.memCollected],
        ] as const
      ).map(
        ([when, m]) =>
          `| ${r.name} | ${when} | ${mib(m.rss)} | ${mib(m.heapUsed)} | ${mib(m.heapTotal)} | ${mib(m.external)} | ${mib(m.arrayBuffers)} |`,
      ),
    ),
    '',
    `Over the whole run: ${o.final.done} rounds done, ${o.final.failed} failed; /healthz answers ${[...o.statuses].map(([s, n]) => `${s}×${n}`).join(', ')}.`,
    '',
  ].join('\n');
}
