/**
 * `npm run audit` on a real federation over real sockets (docs/transcript.md): five certified
 * rounds with dropouts audit clean from the data directory and over HTTP; then its data directory
 * and its HTTP answers are tampered with — by an outsider, and by the server itself, which holds
 * its signing key and re-chains its log (test/support/transcripts.ts) — and each tampering is
 * named by round, party and check.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorityId, issueCertificate } from '../cert/certificate.js';
import { createSigningKey, sign } from '../cert/sign.js';
import { contributionBytes } from '../cert/statements.js';
import { toHex } from '../secagg/index.js';
import type { FederationEvent } from '../wire/events.js';
import { seal, unseal } from '../server/durable.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { type KitParticipant, dropFirst, kitParticipant } from '../../test/support/participants.js';
import { copyDir, flipByte, readTranscript, rechain, removeCopies, reseal } from '../../test/support/transcripts.js';

import { type AuditReport, audit } from './audit.js';
import { type AuditSource, dirSource, urlSource } from './source.js';

type Done = Extract<FederationEvent, { type: 'round_done' }>;

let server: TestServer | undefined;
let parts: KitParticipant[] = [];
let dir = '';
let keys: Uint8Array[] = [];
/** For each round, whether its transcript was on disk when each trainer received the result. */
const transcriptAtResult = new Map<number, boolean[]>();

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
  for (const t of ts)
    t.engine.on((e) => {
      if (e.type !== 'result' || !e.ok) return;
      const seen = existsSync(join(s.config.dataDir, 'transcripts', `${e.round}.transcript`));
      transcriptAtResult.set(e.round, [...(transcriptAtResult.get(e.round) ?? []), seen]);
    });
  await s.events.waitFor((e): e is Done => e.type === 'round_done' && e.round === 5, 120_000, 'round 5');
  dir = s.config.dataDir;
  keys = [...(s.authority?.keys ?? [])];
}, 180_000);

afterAll(async () => {
  await removeCopies();
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

  it('each trainer of a round gets its receipt: "included in round N, verified"', async () => {
    const ts = parts.filter((p) => p.label.startsWith('T'));
    const receipts = await Promise.all(
      ts.map((p) => p.events.waitFor((e) => e.type === 'receipt' && e.round === 1, 10_000, `${p.label} receipt`)),
    );
    for (const e of receipts)
      expect(e).toEqual({ type: 'receipt', round: 1, included: true, text: 'included in round 1, verified' });
  });

  it('the transcript is on disk before the result reaches a trainer; the server key is readable by its owner only', async () => {
    expect([...transcriptAtResult.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
    for (const seen of transcriptAtResult.values()) expect(seen.every(Boolean) && seen.length > 0).toBe(true);
    expect((await stat(join(dir, 'server-key.json'))).mode & 0o777).toBe(0o600);
  });

  it('GET /transcripts lists every round, with masked vectors for the last 3 only', async () => {
    const res = await fetch(`${server!.server.url}/transcripts`);
    const index = (await res.json()) as { rounds: { round: number; masked: boolean }[]; authorityKeys: string[] };
    expect(index.rounds).toEqual([1, 2, 3, 4, 5].map((round) => ({ round, masked: round >= 3 })));
    expect(index.authorityKeys).toEqual([toHex(keys[0]!)]);
    expect((await fetch(`${server!.server.url}/transcripts/1/masked`)).status).toBe(404);
    expect((await fetch(`${server!.server.url}/transcripts/3/masked`)).status).toBe(200);
  });

  it('prints one line per round', async () => {
    const r = await audit(dirSource(dir), keys);
    expect(r.lines.map((l) => l.text)).toEqual([
      expect.stringMatching(/^round 1: ok \(v0→v1, 6 trainers, 4 answers, Σy from signed digests only/),
      expect.stringMatching(/^round 2: ok \(v1→v2, 5 trainers/),
      expect.stringMatching(/^round 3: ok \(v2→v3, 5 trainers, 4 answers, Σy recomputed\)$/),
      expect.stringMatching(/^round 4: ok \(v3→v4, \d trainers, 3 answers, Σy recomputed\)$/),
      expect.stringMatching(/^round 5: ok \(v4→v5/),
    ]);
  });
});

describe('restarts and crashes', () => {
  it('a round a crash interrupted is recorded at the next start, chained and signed; the log audits clean', async () => {
    const d = await copyDir(dir);
    // what a crash right after round 6's start leaves: state.json says round 6 started, a temporary masked file
    const state = unseal(JSON.parse(await readFile(join(d, 'state.json'), 'utf8')));
    if (typeof state === 'string') throw new Error(state);
    await writeFile(join(d, 'state.json'), JSON.stringify(seal({ ...state, lastStartedRound: 6 })));
    await writeFile(join(d, 'transcripts', '.6.masked.tmp'), 'partial');
    const restarted = await startTestServer({ dataDir: d, committee: { m: 4, tRec: 3, rho: 2 } });
    await restarted.stop();
    const r = await audit(dirSource(d), keys);
    expect(r.summary).toEqual({ rounds_checked: 6, rounds_ok: 6, first_bad: null, reason: null });
    expect(r.lines.at(-1)?.text).toBe('round 6: ok (failed, no transcript: INTERRUPTED)');
    // the restarted server cleared the crashed round's partial file
    expect(await readFile(join(d, 'transcripts', '.6.masked.tmp')).catch(() => 'gone')).toBe('gone');
  });
});

describe('tampering with the data directory is named by round, party and check', () => {
  async function auditCopy(
    tamper: (d: string) => Promise<void>,
  ): Promise<{ round: number | null; reason: string | null }> {
    const d = await copyDir(dir);
    await tamper(d);
    return bad(await audit(dirSource(d), keys));
  }

  it('a byte of a kept masked vector (an outsider: the trainer signed another vector)', async () => {
    const t = await readTranscript(dir, 4);
    const first = t.contributions[0]!;
    const got = await auditCopy((d) => flipByte(join(d, 'transcripts', '4.masked'), first.at!.offset + 100));
    expect(got).toEqual({
      round: 4,
      reason: `trainer ${first.id}: masked-vector: the kept masked vector is not the signed one`,
    });
    const cut = await auditCopy(async (d) => {
      const path = join(d, 'transcripts', '4.masked');
      await writeFile(path, (await readFile(path)).subarray(1));
    });
    expect(cut).toEqual({
      round: 4,
      reason: 'server: masked-file: the kept masked vectors are not the ones the transcript names',
    });
  });

  it('a byte of a masked vector, the server re-sealing its transcript and log: the trainer signed another vector', async () => {
    const t = await readTranscript(dir, 4);
    const first = t.contributions[0]!;
    const got = await auditCopy(async (d) => {
      const path = join(d, 'transcripts', '4.masked');
      await flipByte(path, first.at!.offset + 7);
      const bytes = new Uint8Array(await readFile(path));
      const { createHash } = await import('node:crypto');
      await reseal(d, 4, (x) => {
        x.masked = { bytes: bytes.length, digest: new Uint8Array(createHash('sha256').update(bytes).digest()) };
      });
    });
    expect(got).toEqual({
      round: 4,
      reason: `trainer ${first.id}: masked-vector: the kept masked vector is not the signed one`,
    });
  });

  it("a byte of a trainer's signature", async () => {
    const t = await readTranscript(dir, 2);
    const id = t.contributions[1]!.id;
    const got = await auditCopy((d) =>
      reseal(d, 2, (x) => {
        const sig = x.contributions[1]!.signed!.sig;
        sig[5] = (sig[5] as number) ^ 0x01;
      }),
    );
    expect(got).toEqual({
      round: 2,
      reason: `trainer ${id}: contribution-signature: the signature does not verify under its certified key`,
    });
  });

  it("a byte of a member's answer", async () => {
    const t = await readTranscript(dir, 3);
    const j = t.answers[0]!.memberIndex;
    const got = await auditCopy((d) =>
      reseal(d, 3, (x) => {
        const sum = x.answers[0]!.sum;
        sum[0] = (sum[0] as number) ^ 0x01;
      }),
    );
    expect(got.round).toBe(3);
    expect(got.reason).toMatch(new RegExp(`^member ${j}: answer-attestation:`));
  });

  it("a member's answer and its attestation both rewritten: the member's signature fails", async () => {
    const t = await readTranscript(dir, 3);
    const j = t.answers[0]!.memberIndex;
    const { createHash } = await import('node:crypto');
    const got = await auditCopy((d) =>
      reseal(d, 3, (x) => {
        const a = x.answers[0]!;
        a.sum[0] = (a.sum[0] as number) ^ 0x01;
        x.attestations.find((y) => y.memberIndex === j)!.answer = new Uint8Array(
          createHash('sha256').update(a.sum).digest(),
        );
      }),
    );
    expect(got).toEqual({
      round: 3,
      reason: `member ${j}: answer-signature: the answer's signature does not verify under its certificate`,
    });
  });

  it('a byte of a model checkpoint', async () => {
    const got = await auditCopy((d) => flipByte(join(d, 'models', 'v3', 'weights.bin'), 40));
    expect(got).toEqual({
      round: 3,
      reason: 'server: model-checkpoint: model version 3 on disk is not the FedAvg result',
    });
  });

  it('a decoded sum the server rewrote (and re-sealed): unmasking gives another sum', async () => {
    const got = await auditCopy((d) =>
      reseal(d, 1, (x) => {
        const b = x.decoded!;
        b[6] = (b[6] as number) ^ 0x10;
      }),
    );
    expect(got).toEqual({ round: 1, reason: 'server: unmask: the decoded sum is not Σy − a·Σs over Δ' });
  });

  it('a round record dropped, reordered or duplicated', async () => {
    const lines = async (d: string) => (await readFile(join(d, 'rounds.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const dropped = await auditCopy(async (d) => {
      const l = await lines(d);
      await writeFile(join(d, 'rounds.jsonl'), [...l.slice(0, 2), ...l.slice(3)].map((x) => `${x}\n`).join(''));
    });
    expect(dropped).toEqual({
      round: 3,
      reason: 'server: log-chain: a transcript exists but the chained log has no record of its round',
    });
    const reordered = await auditCopy(async (d) => {
      const l = await lines(d);
      await writeFile(join(d, 'rounds.jsonl'), [l[0], l[2], l[1], ...l.slice(3)].map((x) => `${x}\n`).join(''));
    });
    expect(reordered.round).toBe(3);
    expect(reordered.reason).toMatch(/^log line 2: log-chain: it does not follow line 1/);
    const duplicated = await auditCopy(async (d) => appendFile(join(d, 'rounds.jsonl'), `${(await lines(d))[4]}\n`));
    expect(duplicated.round).toBe(5);
    expect(duplicated.reason).toMatch(/^log line 6: log-chain: it does not follow line 5/);
  });

  it('a finished round whose record names no transcript (the log re-chained by the server)', async () => {
    const got = await auditCopy((d) =>
      rechain(d, (rs) => rs.map((r) => (r.round === 4 ? { ...r, transcript: undefined } : r))),
    );
    expect(got).toEqual({ round: 4, reason: 'server: transcript: the round has no transcript' });
  });

  it('a record dropped and the log re-chained by the server: the transcript of that round is unaccounted for', async () => {
    const got = await auditCopy((d) => rechain(d, (rs) => rs.filter((r) => r.round !== 2)));
    expect(got).toEqual({
      round: 2,
      reason: 'server: log-chain: a transcript exists but the chained log has no record of its round',
    });
  });

  it('a round deleted with its transcript and the log re-chained: the model versions no longer follow', async () => {
    const got = await auditCopy(async (d) => {
      await rm(join(d, 'transcripts', '3.transcript'));
      await rechain(d, (rs) => rs.filter((r) => r.round !== 3));
    });
    expect(got).toEqual({
      round: 4,
      reason: 'server: fedavg: the round starts from version 3, the previous round left version 2',
    });
  });

  it('a contribution swapped for one signed by a key no authority certified', async () => {
    const t = await readTranscript(dir, 5);
    const victim = t.contributions[0]!;
    const got = await auditCopy((d) =>
      reseal(d, 5, (x) => {
        const c = x.contributions[0]!;
        const rogue = createSigningKey();
        const rogueAuthority = createSigningKey();
        const s = c.signed!;
        const cert = issueCertificate(rogueAuthority.secretKey, {
          ...s.cert.body,
          signKey: rogue.publicKey,
          authority: authorityId(rogueAuthority.publicKey),
        });
        const statement = contributionBytes({
          federation: x.federation,
          round: 5,
          descriptorDigest: x.descriptorDigest,
          maskedDigest: s.masked,
          ephemeralPublic: c.eph,
          sliceDigests: s.slices,
          keyCommitments: s.keys,
        });
        c.signed = {
          ...s,
          cert: { ...cert, body: { ...cert.body, roles: [...cert.body.roles] } },
          sig: sign(rogue.secretKey, statement),
        };
      }),
    );
    expect(got).toEqual({
      round: 5,
      reason: `trainer ${victim.id}: trainer-certificate: certificate of ${victim.id} names an authority this client does not pin`,
    });
  });
});

describe('tampering with the HTTP answers', () => {
  function tampered(src: AuditSource, what: 'transcript' | 'weights'): AuditSource {
    return {
      ...src,
      transcript: async (r) => {
        const b = await src.transcript(r);
        if (b && what === 'transcript' && r === 2) b[b.length - 3] = (b[b.length - 3] as number) ^ 0x01;
        return b;
      },
      weights: async (v) => {
        const b = await src.weights(v);
        if (b && what === 'weights' && v === 5) b[0] = (b[0] as number) ^ 0x01;
        return b;
      },
    };
  }

  it('a transcript or a model version altered in transit is named', async () => {
    const src = urlSource(server!.server.url);
    expect(bad(await audit(tampered(src, 'transcript'), keys))).toEqual({
      round: 2,
      reason: 'server: transcript: the transcript is not the one the log chains',
    });
    expect(bad(await audit(tampered(src, 'weights'), keys))).toEqual({
      round: 5,
      reason: 'server: model-checkpoint: model version 5 on disk is not the FedAvg result',
    });
  });

  it('an audit pinned to another authority refuses every round', async () => {
    const other = createSigningKey().publicKey;
    const r = await audit(urlSource(server!.server.url), [other]);
    expect(r.summary.rounds_ok).toBe(0);
    expect(r.summary.reason).toBe('server: server-certificate: the server certificate names an authority not pinned');
  });
});

describe('the command line', () => {
  const run = promisify(execFile);
  it('exits 0 with the JSON line on a clean directory, 1 naming the round on a tampered one', async () => {
    const key = toHex(keys[0]!);
    const ok = await run('npx', ['tsx', 'scripts/audit.ts', '--data-dir', dir, '--authority-key', key]);
    const last = ok.stdout.trim().split('\n').at(-1)!;
    expect(JSON.parse(last)).toEqual({ rounds_checked: 5, rounds_ok: 5, first_bad: null, reason: null });
    const d = await copyDir(dir);
    await flipByte(join(d, 'models', 'v2', 'weights.bin'), 12);
    const err = await run('npx', ['tsx', 'scripts/audit.ts', '--data-dir', d, '--authority-key', key]).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect('code' in err && err.code).toBe(1);
    expect(err.stdout).toMatch(
      /^round 2: FAILED server: model-checkpoint: model version 2 on disk is not the FedAvg result$/m,
    );
    expect(JSON.parse(err.stdout.trim().split('\n').at(-1)!)).toMatchObject({ first_bad: 2, rounds_ok: 3 });
  }, 60_000);
});
