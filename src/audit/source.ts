/**
 * Where an audit reads a federation from (docs/transcript.md §5): its data directory, or the
 * server's read-only HTTP routes (src/server/transcript-http.ts). Both give the same bytes; the
 * audit trusts neither (every byte is checked against the chain, the signatures and the
 * arithmetic).
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import { CodedError } from '../base/error.js';
import { TranscriptIndexSchema } from '../wire/transcript.js';

/** The source cannot be read (the audit then checks nothing; exit status 1). */
export class AuditSourceError extends CodedError<'UNREACHABLE'> {}

export interface AuditSource {
  /** What is audited, for the messages. */
  readonly where: string;
  /** The round log's text (rounds.jsonl); undefined when there is none. */
  log(): Promise<string | undefined>;
  /** The rounds that have a transcript. */
  rounds(): Promise<number[]>;
  transcript(round: number): Promise<Uint8Array | undefined>;
  /** The round's masked vectors and sealed slices; undefined once no longer kept. */
  masked(round: number): Promise<Uint8Array | undefined>;
  /** Model version N's weights.bin. */
  weights(version: number): Promise<Uint8Array | undefined>;
  /** Authority keys the source itself names (weaker than the auditor's own pin). */
  authorityHint(): Promise<string[]>;
}

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

export function urlSource(url: string): AuditSource {
  const base = url.replace(/\/+$/, '');
  const get = async (path: string): Promise<Uint8Array | undefined> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`);
    } catch (e) {
      throw new AuditSourceError('UNREACHABLE', `GET ${base}${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw new AuditSourceError('UNREACHABLE', `GET ${base}${path} answered HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  let index: Promise<v.InferOutput<typeof TranscriptIndexSchema> | undefined> | undefined;
  const getIndex = () =>
    (index ??= get('/transcripts').then((b) => {
      if (!b) return undefined;
      let raw: unknown;
      try {
        raw = JSON.parse(new TextDecoder().decode(b));
      } catch {
        raw = undefined;
      }
      const r = v.safeParse(TranscriptIndexSchema, raw);
      if (!r.success) throw new AuditSourceError('UNREACHABLE', `GET ${base}/transcripts: not a transcript index`);
      return r.output;
    }));
  return {
    where: base,
    log: async () => {
      const b = await get('/transcripts/rounds.jsonl');
      return b && new TextDecoder().decode(b);
    },
    rounds: async () => ((await getIndex())?.rounds ?? []).map((r) => r.round),
    transcript: (round) => get(`/transcripts/${round}`),
    masked: (round) => get(`/transcripts/${round}/masked`),
    weights: (version) => get(`/models/v${version}/weights.bin`),
    authorityHint: async () => (await getIndex())?.authorityKeys ?? [],
  };
}
