/**
 * The repository's text files hold no unresolved merge: a conflict marker left in a file passes
 * the type check when it sits in Markdown, so it is looked for here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SKIP = new Set(['node_modules', '.git', 'dist', 'test-results', 'playwright-report', 'data', 'out']);
const TEXT = /\.(ts|js|json|md|html|css|yml|yaml|sh)$/;

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (TEXT.test(e.name)) yield p;
  }
}

describe('repository hygiene', () => {
  it('no merge conflict markers in any text file', () => {
    const bad: string[] = [];
    for (const f of files(ROOT)) {
      const lines = readFileSync(f, 'utf8').split('\n');
      lines.forEach((l, i) => {
        if (/^(<{7}|>{7})( |$)/.test(l) || l === '='.repeat(7)) bad.push(`${relative(ROOT, f)}:${i + 1}`);
      });
    }
    expect(bad).toEqual([]);
  });
});
