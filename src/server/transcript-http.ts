/**
 * The transcripts over HTTP (docs/transcript.md §5), read-only, for anyone to audit
 * (`npm run audit -- --url`):
 *
 *   GET /transcripts                  JSON index: federation, the authority keys the server pins, rounds
 *   GET /transcripts/rounds.jsonl     the hash-chained round log, byte for byte
 *   GET /transcripts/<round>          the round's transcript (msgpack)
 *   GET /transcripts/<round>/masked   its masked vectors and sealed slices (the last K rounds; else 404)
 *   GET /models/v<N>/weights.bin      model version N's weights (float32 LE), to check the FedAvg step
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { TranscriptIndex } from '../wire/transcript.js';
import { LOG_FILE } from './store.js';
import type { TranscriptStore } from './transcript-store.js';

export interface TranscriptSource {
  readonly federationId: string;
  readonly config: { readonly dataDir: string; readonly authorityKeys?: readonly string[] | undefined };
  readonly transcripts: TranscriptStore;
}

const ROUND = /^\/transcripts\/(0|[1-9]\d{0,15})(\/masked)?$/;
const MODEL = /^\/models\/v(0|[1-9]\d{0,15})\/weights\.bin$/;

async function sendFile(res: ServerResponse, path: string, type: string): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) return false;
  res.writeHead(200, { 'content-type': type, 'content-length': String(st.size), 'cache-control': 'no-store' });
  await new Promise<void>((resolve, reject) => createReadStream(path).on('error', reject).on('end', resolve).pipe(res));
  return true;
}

function notFound(res: ServerResponse, path: string): true {
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: 'not found', path }));
  return true;
}

/** Handles the transcript routes; false for any other path (GET and HEAD only). */
export async function transcriptRoute(
  src: TranscriptSource,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (path === '/transcripts') {
    const index: TranscriptIndex = {
      federation: src.federationId,
      authorityKeys: [...(src.config.authorityKeys ?? [])],
      rounds: await src.transcripts.list(),
    };
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(index));
    return true;
  }
  if (path === '/transcripts/rounds.jsonl')
    return (
      (await sendFile(res, join(src.config.dataDir, LOG_FILE), 'text/plain; charset=utf-8')) || notFound(res, path)
    );
  const r = ROUND.exec(path);
  if (r) {
    const round = Number(r[1]);
    const file = r[2] ? src.transcripts.maskedPath(round) : src.transcripts.transcriptPath(round);
    return (await sendFile(res, file, 'application/octet-stream')) || notFound(res, path);
  }
  const m = MODEL.exec(path);
  if (m) {
    const file = join(src.config.dataDir, 'models', `v${m[1]}`, 'weights.bin');
    return (await sendFile(res, file, 'application/octet-stream')) || notFound(res, path);
  }
  return false;
}
