/**
 * Where an audit reads a federation from (docs/transcript.md §5), and the one source that needs
 * nothing but `fetch`: the server's read-only HTTP routes (src/server/transcript-http.ts). Pure —
 * no Node built-ins — so the dashboard's verifier runs it in the browser (src/ui/dashboard/
 * verify.worker.ts); the data directory's source is Node's (source.ts). Every source gives the
 * same bytes, and the audit trusts none of them (every byte is checked against the chain, the
 * signatures and the arithmetic).
 */
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
