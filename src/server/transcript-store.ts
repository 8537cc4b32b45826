/**
 * The transcripts in the data directory (docs/transcript.md):
 *
 *   transcripts/<round>.transcript   the round's transcript (msgpack, src/wire/transcript.ts), kept for good
 *   transcripts/<round>.masked       every accepted contribution's y1 ‖ y2 ‖ sealed slices as received,
 *                                    for the last K rounds (`--transcript-keep K`, default 3)
 *
 * The `.masked` bytes are streamed to a temporary file as contributions are accepted (never the
 * whole round in memory), then flushed and renamed when the round ends; the transcript is
 * written durably before the round's log record, which carries its SHA-256, and before any
 * participant is told the result. Older `.masked` files are removed after each round; their
 * transcripts keep the signed digests.
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { MaskedRef } from '../wire/transcript.js';
import { syncDir, writeDurable } from './durable.js';

export const TRANSCRIPTS_DIR = 'transcripts';
export const DEFAULT_TRANSCRIPT_KEEP = 3;
const NAME = /^(0|[1-9]\d*)\.(transcript|masked)$/;

/** One round's `.masked` file while the round runs. */
export class MaskedSink {
  private offset = 0;
  private writes: Promise<unknown> = Promise.resolve();
  private readonly hash: Hash = createHash('sha256');
  private failed: Error | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly tmp: string,
    private readonly path: string,
  ) {}

  /** Queues one contribution's bytes; returns where they will lie. */
  add(y1: Uint8Array, y2: Uint8Array, sealed: readonly Uint8Array[]): MaskedRef {
    const ref: MaskedRef = { offset: this.offset, y1: y1.length, y2: y2.length, sealed: sealed.map((s) => s.length) };
    for (const b of [y1, y2, ...sealed]) {
      this.hash.update(b);
      const at = this.offset;
      this.offset += b.length;
      this.writes = this.writes
        .then(() => this.fh.write(b, 0, b.length, at))
        .catch(
          (e: unknown) => (this.failed ??= e instanceof Error ? e : new Error('a write of the masked vectors failed')),
        );
    }
    return ref;
  }

  /** Flushes and renames the file into place; its size and SHA-256. */
  async close(): Promise<{ bytes: number; digest: Uint8Array }> {
    await this.writes;
    try {
      if (this.failed) throw this.failed;
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
    await rename(this.tmp, this.path);
    return { bytes: this.offset, digest: new Uint8Array(this.hash.digest()) };
  }

  async discard(): Promise<void> {
    await this.writes;
    await this.fh.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}

export class TranscriptStore {
  readonly dir: string;

  constructor(
    dataDir: string,
    readonly keep = DEFAULT_TRANSCRIPT_KEEP,
  ) {
    this.dir = join(dataDir, TRANSCRIPTS_DIR);
  }

  /** Creates the directory and removes the temporaries of a round a crash interrupted. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const n of await readdir(this.dir)) if (n.startsWith('.') && n.endsWith('.tmp')) await rm(join(this.dir, n));
  }

  transcriptPath(round: number): string {
    return join(this.dir, `${round}.transcript`);
  }

  maskedPath(round: number): string {
    return join(this.dir, `${round}.masked`);
  }

  async openMasked(round: number): Promise<MaskedSink> {
    const tmp = join(this.dir, `.${round}.masked.tmp`);
    return new MaskedSink(await open(tmp, 'w'), tmp, this.maskedPath(round));
  }

  /** Writes a round's transcript durably (never over an existing one); returns its SHA-256 (hex). */
  async write(round: number, bytes: Uint8Array): Promise<string> {
    await writeDurable(this.transcriptPath(round), bytes, 'wx');
    await syncDir(this.dir);
    return createHash('sha256').update(bytes).digest('hex');
  }

  /** The rounds with a transcript, ascending, and whether their `.masked` file is still kept. */
  async list(): Promise<{ round: number; masked: boolean }[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const rounds = new Map<number, boolean>();
    for (const n of names) {
      const m = NAME.exec(n);
      if (!m) continue;
      const r = Number(m[1]);
      if (m[2] === 'transcript') rounds.set(r, rounds.get(r) ?? false);
      else rounds.set(r, true);
    }
    return [...rounds].map(([round, masked]) => ({ round, masked })).sort((a, b) => a.round - b.round);
  }

  /** Removes the `.masked` files of all but the newest `keep` rounds that have one. */
  async prune(): Promise<void> {
    const withMasked = (await this.list()).filter((r) => r.masked);
    const drop = withMasked.slice(0, Math.max(0, withMasked.length - this.keep));
    for (const r of drop) await rm(this.maskedPath(r.round), { force: true });
    if (drop.length) await syncDir(this.dir);
  }
}
