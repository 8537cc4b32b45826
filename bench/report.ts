/**
 * Records, sections and their rendering: a console table and the markdown of RESULTS.md.
 *
 * A section of the bench (secure aggregation today; ML, browser and server rounds later) is a
 * `Section`: an id, a title and a `run` that returns records plus optional target checks and
 * markdown notes. index.ts runs the sections in order and hands the results to this module.
 */
import { fmtBytes, fmtMs, fmtRatio } from './stats.js';

/**
 * One measurement. `name` and the parameters it has (`L` coordinates, `n` trainers, `m`
 * committee members) identify it; `median_ms` is the median wall time; `bytes` is a size
 * where one applies. Further fields are extra detail: `min_ms`, `max_ms`, `runs`, `warmup`,
 * and ratios (fields named `vs_<record name>` or ending in `_ratio`).
 * The names and the fields above are a public interface (`npm run bench -- --json`).
 */
export interface BenchRecord {
  name: string;
  L?: number;
  n?: number;
  m?: number;
  median_ms: number;
  bytes?: number;
  [extra: string]: string | number | boolean | undefined;
}

/** A goal stated in an issue, checked against a measured value (lower is better). */
export interface TargetCheck {
  label: string;
  measured_ms: number;
  limit_ms: number;
}

export interface SectionResult {
  records: BenchRecord[];
  targets?: TargetCheck[];
  /** Markdown placed under the section's table in RESULTS.md. */
  notes?: string;
}

export interface SectionContext {
  quick: boolean;
  /** Progress output (stderr); never stdout, which --json reserves for records. */
  log: (msg: string) => void;
}

export interface Section {
  id: string;
  title: string;
  run: (ctx: SectionContext) => Promise<SectionResult>;
}

export interface SectionOutput extends SectionResult {
  id: string;
  title: string;
  wall_s: number;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  node: string;
  platform: string;
  memoryGiB: number;
  date: string;
  backends: { aes: string; x25519: string };
  uvThreadpool: string;
  /** 1-minute load average at the start and the end of the run (other processes compete for the cores). */
  loadavg?: { start: number; end: number };
}

const KNOWN = new Set(['name', 'L', 'n', 'm', 'median_ms', 'bytes', 'min_ms', 'max_ms', 'runs', 'warmup']);

function fmtCount(v: number | undefined): string {
  if (v === undefined) return '';
  if (v >= 1000 && Number.isInteger(Math.log10(v))) return `10^${Math.log10(v)}`;
  return String(v);
}

function fmtExtra(key: string, v: string | number | boolean | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'number') {
    if (key.startsWith('vs_') || key.endsWith('_ratio')) return `${key}=${fmtRatio(v)}`;
    if (key.endsWith('_ms')) return `${key}=${fmtMs(v)}`;
    if (key.endsWith('_share')) return `${key}=${(100 * v).toFixed(0)} %`;
    if (key.endsWith('bytes')) return `${key}=${fmtBytes(v)}`;
    return `${key}=${v}`;
  }
  return `${key}=${String(v)}`;
}

function extras(r: BenchRecord): string {
  return Object.entries(r)
    .filter(([k]) => !KNOWN.has(k))
    .map(([k, v]) => fmtExtra(k, v))
    .filter((s) => s.length > 0)
    .join(', ');
}

const HEAD = ['name', 'L', 'n', 'm', 'median ms', 'min–max ms', 'runs', 'bytes', 'details'];

function row(r: BenchRecord): string[] {
  const range =
    typeof r.min_ms === 'number' && typeof r.max_ms === 'number' ? `${fmtMs(r.min_ms)}–${fmtMs(r.max_ms)}` : '';
  return [
    r.name,
    fmtCount(r.L),
    r.n === undefined ? '' : String(r.n),
    r.m === undefined ? '' : String(r.m),
    fmtMs(r.median_ms),
    range,
    r.runs === undefined ? '' : String(r.runs),
    r.bytes === undefined ? '' : String(r.bytes),
    extras(r),
  ];
}

/** A fixed-width text table of the records (for the terminal). */
export function textTable(records: readonly BenchRecord[]): string {
  const rows = [HEAD, ...records.map(row)];
  const widths = HEAD.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  const numeric = new Set([1, 2, 3, 4, 6, 7]);
  const line = (r: string[]): string =>
    r
      .map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c] as number) : cell.padEnd(widths[c] as number)))
      .join('  ')
      .trimEnd();
  return [line(rows[0] as string[]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join(
    '\n',
  );
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** A GitHub-flavoured markdown table of the records. */
export function markdownTable(records: readonly BenchRecord[]): string {
  const align = ['---', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '---'];
  const lines = [`| ${HEAD.join(' | ')} |`, `|${align.join('|')}|`];
  for (const r of records) lines.push(`| ${row(r).map(escapeCell).join(' | ')} |`);
  return lines.join('\n');
}

export function targetLines(targets: readonly TargetCheck[]): string[] {
  return targets.map((t) => {
    const ok = t.measured_ms <= t.limit_ms;
    const how = ok
      ? `met, ${fmtRatio(t.limit_ms / t.measured_ms)} headroom`
      : `missed by ${fmtRatio(t.measured_ms / t.limit_ms)} (needs ${(100 * (1 - t.limit_ms / t.measured_ms)).toFixed(0)} % less time)`;
    return `${t.label}: ${fmtMs(t.measured_ms)} ms vs target ≤ ${fmtMs(t.limit_ms)} ms — ${how}`;
  });
}

function targetTable(targets: readonly TargetCheck[]): string {
  const lines = ['| target | measured (median) | limit | status |', '|---|--:|--:|---|'];
  for (const t of targets) {
    const ok = t.measured_ms <= t.limit_ms;
    const status = ok
      ? `**met** (${fmtRatio(t.limit_ms / t.measured_ms)} headroom)`
      : `**missed** (${fmtRatio(t.measured_ms / t.limit_ms)} over)`;
    lines.push(`| ${escapeCell(t.label)} | ${fmtMs(t.measured_ms)} ms | ${fmtMs(t.limit_ms)} ms | ${status} |`);
  }
  return lines.join('\n');
}

/**
 * Shifts every markdown heading of `md` down by `levels` (outside code fences), so an
 * included document nests under the heading it is placed beneath.
 */
export function demoteHeadings(md: string, levels: number): string {
  let fence = false;
  return md
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) fence = !fence;
      if (fence) return line;
      const h = /^(#{1,6})(\s)/.exec(line);
      if (!h) return line;
      const depth = Math.min(6, (h[1] as string).length + levels);
      return '#'.repeat(depth) + line.slice((h[1] as string).length);
    })
    .join('\n');
}

export interface ReportInput {
  machine: MachineInfo;
  sections: readonly SectionOutput[];
  quick: boolean;
  wall_s: number;
  command: string;
  /** Contents of bench/ml-results.md, if it exists. */
  mlResults?: string | undefined;
  /** Contents of bench/soak-results.md (`npm run soak`), if it exists. */
  soakResults?: string | undefined;
}

export function markdownReport(input: ReportInput): string {
  const { machine, sections } = input;
  const out: string[] = [];
  out.push('# SpeakOnce benchmark results');
  out.push('');
  out.push(
    `Generated by \`${input.command}\`${input.quick ? ' (**quick mode**: reduced sizes and repetitions, not the reference numbers)' : ''}. Do not edit by hand; rerun the bench.`,
  );
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(
    `- CPU: ${machine.cpu}, ${machine.cores} cores (${machine.platform}), ${machine.memoryGiB.toFixed(1)} GiB RAM`,
  );
  out.push(`- Node ${machine.node}; libuv thread pool: ${machine.uvThreadpool}`);
  out.push(
    `- Crypto backends: AES (CTR keystream, GCM) = **${machine.backends.aes}**, X25519 = **${machine.backends.x25519}**`,
  );
  out.push(`- Date: ${machine.date}`);
  if (machine.loadavg) {
    const busy = Math.max(machine.loadavg.start, machine.loadavg.end) > 0.5;
    out.push(
      `- 1-min load average: ${machine.loadavg.start.toFixed(2)} at start, ${machine.loadavg.end.toFixed(2)} at end${busy ? ' — **other processes were competing for the cores; expect inflated times and wide min–max**' : ''}`,
    );
  }
  out.push(
    `- Bench wall time: ${input.wall_s.toFixed(0)} s (${sections.map((s) => `${s.id}: ${s.wall_s.toFixed(0)} s`).join(', ')})`,
  );
  out.push('');
  out.push(
    'Times are wall-clock medians of the timed runs after warm-up runs (`min–max` over the timed runs), measured in one Node process; ',
  );
  out.push(
    'WebCrypto work runs on the libuv thread pool while the main thread awaits it, so an awaited crypto call may use the second core.',
  );
  out.push('');
  const targets = sections.flatMap((s) => s.targets ?? []);
  if (targets.length) {
    out.push('## Targets');
    out.push('');
    out.push(targetTable(targets));
    out.push('');
  }
  for (const s of sections) {
    out.push(`## ${s.title}`);
    out.push('');
    out.push(markdownTable(s.records));
    out.push('');
    if (s.notes) {
      out.push(s.notes.trim());
      out.push('');
    }
  }
  out.push('## Soak and abuse: memory and /healthz under load (from `npm run soak`)');
  out.push('');
  if (input.soakResults !== undefined && input.soakResults.trim().length > 0) out.push(input.soakResults.trim());
  else
    out.push(
      '_bench/soak-results.md does not exist yet; run `npm run soak` and then the bench again to include it here._',
    );
  out.push('');
  out.push('## Model quality (from `npm run report:ml`)');
  out.push('');
  if (input.mlResults !== undefined && input.mlResults.trim().length > 0) {
    out.push(demoteHeadings(input.mlResults.trim(), 2));
  } else {
    out.push(
      '_bench/ml-results.md does not exist yet; run `npm run report:ml` and then the bench again to include it here._',
    );
  }
  out.push('');
  return out.join('\n');
}
