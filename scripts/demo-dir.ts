/**
 * `npm run demo` starts on a fresh data directory of its own (`data/demo/<time>`), so a demo
 * opens at model v0 whatever ran before; `--resume` carries on with the latest one.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function demoDataDir(base: string, resume: boolean, now = new Date()): string {
  if (resume && existsSync(base)) {
    const runs = readdirSync(base, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    const latest = runs[runs.length - 1];
    if (latest) return join(base, latest);
  }
  return join(base, now.toISOString().replace(/[:.]/g, '-'));
}
