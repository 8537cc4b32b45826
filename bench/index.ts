/**
 * `npm run bench [-- options]`: runs the bench sections, prints a table and writes a report.
 *
 *   --json            one JSON record per line on stdout, nothing else (progress and table on stderr)
 *   --quick           small sizes and few runs (seconds); writes bench/RESULTS.quick.md unless --out is given
 *   --out <path>      where to write the markdown report (default bench/RESULTS.md)
 *   --no-write        do not write a report
 *   --section <id>    run only this section (repeatable); ids: see SECTIONS
 *
 * To add a section, implement `Section` (report.ts) in its own module and append it to SECTIONS.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activeBackends, engineReady, engineStatus } from '../src/secagg/index.js';
import { auditSection } from './audit.js';
import { browserSection } from './browser.js';
import { dpSection } from './dp.js';
import {
  type MachineInfo,
  type Section,
  type SectionOutput,
  markdownReport,
  targetLines,
  textTable,
} from './report.js';
import { roundsSection } from './rounds.js';
import { secaggSection } from './secagg.js';

export const SECTIONS: readonly Section[] = [secaggSection, roundsSection, browserSection, dpSection, auditSection];

const HERE = path.dirname(fileURLToPath(import.meta.url));

interface Cli {
  json: boolean;
  quick: boolean;
  out: string | undefined;
  sections: string[];
}

function usage(): string {
  return 'usage: tsx bench/index.ts [--json] [--quick] [--out <path>] [--no-write] [--section <id>]...';
}

export function parseArgs(argv: readonly string[]): Cli {
  const cli: Cli = { json: false, quick: false, out: undefined, sections: [] };
  let outGiven = false;
  let noWrite = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value\n${usage()}`);
      return v;
    };
    if (a === '--json') cli.json = true;
    else if (a === '--quick') cli.quick = true;
    else if (a === '--no-write') noWrite = true;
    else if (a === '--out') {
      cli.out = value();
      outGiven = true;
    } else if (a.startsWith('--out=')) {
      cli.out = a.slice('--out='.length);
      outGiven = true;
    } else if (a === '--section') cli.sections.push(value());
    else if (a === '--help' || a === '-h') {
      process.stderr.write(`${usage()}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${usage()}`);
  }
  if (!outGiven) cli.out = path.join(HERE, cli.quick ? 'RESULTS.quick.md' : 'RESULTS.md');
  if (noWrite) cli.out = undefined;
  return cli;
}

async function machineInfo(): Promise<MachineInfo> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    memoryGiB: os.totalmem() / 2 ** 30,
    date: new Date().toISOString(),
    backends: await activeBackends(),
    loadavg: { start: os.loadavg()[0] ?? 0, end: os.loadavg()[0] ?? 0 },
    uvThreadpool: process.env.UV_THREADPOOL_SIZE
      ? `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE}`
      : '4 threads (default)',
  };
}

async function main(): Promise<void> {
  const cli = parseArgs(process.argv.slice(2));
  const log = (msg: string): void => {
    process.stderr.write(`${msg}\n`);
  };
  const unknown = cli.sections.filter((id) => !SECTIONS.some((s) => s.id === id));
  if (unknown.length)
    throw new Error(`unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.id).join(', ')}`);
  const chosen = cli.sections.length ? SECTIONS.filter((s) => cli.sections.includes(s.id)) : SECTIONS;

  const machine = await machineInfo();
  await engineReady();
  const arith = engineStatus();
  log(
    `bench${cli.quick ? ' (quick)' : ''}: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, AES=${machine.backends.aes}, X25519=${machine.backends.x25519}, ` +
      `arithmetic engine=${arith.engine}${arith.fallback ? ` (${arith.fallback.code}: ${arith.fallback.message})` : ''}`,
  );
  const t0 = performance.now();
  const outputs: SectionOutput[] = [];
  for (const s of chosen) {
    log(`== ${s.title}`);
    const ts = performance.now();
    const res = await s.run({ quick: cli.quick, log });
    const out: SectionOutput = { id: s.id, title: s.title, wall_s: (performance.now() - ts) / 1000, ...res };
    outputs.push(out);
    if (cli.json) for (const r of res.records) process.stdout.write(`${JSON.stringify({ section: s.id, ...r })}\n`);
  }
  const wall = (performance.now() - t0) / 1000;
  if (machine.loadavg) machine.loadavg.end = os.loadavg()[0] ?? 0;
  log(`load average (1 min): ${machine.loadavg?.start.toFixed(2)} at start, ${machine.loadavg?.end.toFixed(2)} at end`);

  const table = outputs.map((o) => `${o.title}\n${textTable(o.records)}`).join('\n\n');
  const targets = targetLines(outputs.flatMap((o) => o.targets ?? []));
  const summary = `${table}\n\nTargets:\n${targets.map((t) => `  ${t}`).join('\n')}\n\nbench wall time ${wall.toFixed(1)} s\n`;
  if (cli.json) process.stderr.write(summary);
  else process.stdout.write(summary);

  if (cli.out) {
    const mlPath = path.join(HERE, 'ml-results.md');
    const mlResults = existsSync(mlPath) ? readFileSync(mlPath, 'utf8') : undefined;
    const soakPath = path.join(HERE, 'soak-results.md');
    const soakResults = existsSync(soakPath) ? readFileSync(soakPath, 'utf8') : undefined;
    const md = markdownReport({
      machine,
      sections: outputs,
      quick: cli.quick,
      wall_s: wall,
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      mlResults,
      soakResults,
    });
    writeFileSync(cli.out, md);
    log(`wrote ${path.relative(process.cwd(), cli.out) || cli.out}`);
  }
}

const entry = process.argv[1];
if (entry !== undefined && path.resolve(entry) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
