/**
 * Where an audit reads a federation from (docs/transcript.md §5): its data directory (here, with
 * Node's file system), or the server's read-only HTTP routes (http-source.ts, pure, also the
 * dashboard's). Both give the same bytes; the audit trusts neither (every byte is checked against
 * the chain, the signatures and the arithmetic).
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditSource } from './http-source.js';

export { type AuditSource, AuditSourceError, urlSource } from './http-source.js';

async function maybe(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The authority's public key from a key file beside the data directory (npm start, the test harness). */
async function authorityBeside(dir: string): Promise<string[]> {
  const base = dir.replace(/\/+$/, '');
  for (const f of [`${base}.authority.json`, `${base}-authority.json`]) {
    const b = await maybe(f);
    if (!b) continue;
    try {
      const k = (JSON.parse(new TextDecoder().decode(b)) as { current?: { sign?: { publicKey?: unknown } } }).current
        ?.sign?.publicKey;
      if (typeof k === 'string') return [k];
    } catch {
      // not a key file
    }
  }
  return [];
}

export function dirSource(dir: string): AuditSource {
  const t = join(dir, 'transcripts');
  return {
    where: dir,
    log: async () => {
      const b = await maybe(join(dir, 'rounds.jsonl'));
      return b && new TextDecoder().decode(b);
    },
    rounds: async () => {
      const names = await readdir(t).catch(() => [] as string[]);
      return names
        .map((n) => /^(0|[1-9]\d*)\.transcript$/.exec(n)?.[1])
        .filter((x): x is string => x !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
    },
    transcript: (round) => maybe(join(t, `${round}.transcript`)),
    masked: (round) => maybe(join(t, `${round}.masked`)),
    weights: (version) => maybe(join(dir, 'models', `v${version}`, 'weights.bin')),
    authorityHint: () => authorityBeside(dir),
  };
}
