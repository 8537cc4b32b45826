/**
 * The crypto worker's boundary, run over a real MessagePort pair (Node's MessageChannel) with
 * comlink on both ends: the same structured cloning, transfers and proxies as a Web Worker.
 */
import { expose } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { cryptoApi } from './worker-api.js';
import {
  type CommitteeJob,
  type CommitteeResponse,
  type Contribution,
  type RoundConfig,
  type RawIdentity,
  RoundAggregator,
  answerJob,
  toKeyIdentity,
  buildContribution,
} from '../../secagg/index.js';
import { makeFederation, randomUpdate } from '../../../test/support/secagg.js';
import { inProcessCrypto } from './in-process.js';
import { RemoteCryptoError, type WorkerCrypto, createWorkerCrypto } from './worker-crypto.js';

const committee = { m: 5, tRec: 3, rho: 1 };
const open: { port1: MessagePort; port2: MessagePort; crypto: WorkerCrypto }[] = [];

function connect(): WorkerCrypto {
  const { port1, port2 } = new MessageChannel();
  expose(cryptoApi, port1);
  const crypto = createWorkerCrypto(port2);
  open.push({ port1, port2, crypto });
  return crypto;
}

afterEach(() => {
  for (const c of open.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

function plainSum(updates: Int32Array[], L: number): Float64Array {
  const s = new Float64Array(L);
  for (const u of updates) for (let i = 0; i < L; i++) s[i] = (s[i] as number) + (u[i] as number);
  return s;
}

describe('crypto worker boundary', () => {
  it('ping answers with the backends in use', async () => {
    const crypto = connect();
    const p = await crypto.ping();
    expect(p.pong).toBe(true);
    expect(['webcrypto', 'noble']).toContain(p.backends.aes);
  });

  it('a whole round through the boundary decodes exactly', async () => {
    const L = 3000;
    const fed = makeFederation(L, committee, 4, 11);
    const crypto = connect();
    const updates = [0, 1, 2, 3].map((i) => randomUpdate(L, fed.cfg.bits, 50 + i));
    const agg = new RoundAggregator(fed.cfg);
    for (const [i, u] of updates.entries()) {
      const { contribution: c, timings } = await crypto.contribute(fed.cfg, `client-${i}`, u);
      // typed arrays stay typed across structured cloning and transfer
      expect(c.masked[0]).toBeInstanceOf(Uint32Array);
      expect(c.masked[1]).toBeInstanceOf(Uint32Array);
      expect(c.masked[0]).toHaveLength(L);
      expect(c.ephemeralPublic).toBeInstanceOf(Uint8Array);
      expect(c.sealed).toHaveLength(committee.m);
      for (const s of c.sealed) expect(s).toBeInstanceOf(Uint8Array);
      expect(timings.mask_ms).toBeGreaterThanOrEqual(0);
      // the caller's update is copied, not transferred away
      expect(u).toHaveLength(L);
      await agg.add(c);
    }
    const cut = agg.closeContributions();
    // members 2, 4, 5 answer through the boundary; 1 and 3 stay silent
    for (const j of [1, 3, 4]) {
      const r = await crypto.answer(fed.cfg, cut.jobs[j] as CommitteeJob, fed.members[j]!);
      expect(r.sum).toBeInstanceOf(Uint32Array);
      expect(r.survivorHash).toBeInstanceOf(Uint8Array);
      // identical to the in-process answer
      expect(r.sum).toEqual((await answerJob(fed.cfg, cut.jobs[j] as CommitteeJob, fed.members[j]!)).sum);
      agg.receive(r);
    }
    const res = await agg.unmask();
    expect(res.survivors).toEqual(['client-0', 'client-1', 'client-2', 'client-3']);
    expect(res.sum).toEqual(plainSum(updates, L));
  });

  it('a non-extractable CryptoKey identity crosses the boundary and answers as its bytes do', async () => {
    const L = 600;
    const fed = makeFederation(L, committee, 2, 21);
    const crypto = connect();
    const updates = [0, 1, 2].map((i) => randomUpdate(L, fed.cfg.bits, 90 + i));
    const agg = new RoundAggregator(fed.cfg);
    for (const [i, u] of updates.entries())
      await agg.add(await buildContribution(fed.cfg, `k-${i}`, u).then((r) => r.contribution));
    const cut = agg.closeContributions();
    for (const j of [0, 2, 3]) {
      const me = await toKeyIdentity(fed.members[j] as RawIdentity);
      expect(me.secretKey.extractable).toBe(false);
      const r = await crypto.answer(fed.cfg, cut.jobs[j] as CommitteeJob, me);
      expect(r.sum).toEqual((await answerJob(fed.cfg, cut.jobs[j] as CommitteeJob, fed.members[j]!)).sum);
      agg.receive(r);
    }
    expect((await agg.unmask()).sum).toEqual(plainSum(updates, L));
  });

  it('worker and in-process runners interoperate in one round', async () => {
    const L = 700;
    const fed = makeFederation(L, committee, 1, 3);
    const crypto = connect();
    const u1 = randomUpdate(L, fed.cfg.bits, 1);
    const u2 = randomUpdate(L, fed.cfg.bits, 2);
    const u3 = randomUpdate(L, fed.cfg.bits, 3);
    const agg = new RoundAggregator(fed.cfg);
    await agg.add((await crypto.contribute(fed.cfg, 'a', u1)).contribution);
    await agg.add((await inProcessCrypto.contribute(fed.cfg, 'b', u2)).contribution);
    await agg.add((await crypto.contribute(fed.cfg, 'c', u3)).contribution);
    const cut = agg.closeContributions();
    for (const j of [0, 1, 2]) {
      const runner = j % 2 ? inProcessCrypto : crypto;
      agg.receive(await runner.answer(fed.cfg, cut.jobs[j] as CommitteeJob, fed.members[j]!));
    }
    expect((await agg.unmask()).sum).toEqual(plainSum([u1, u2, u3], L));
  });

  it('progress arrives in order, ends at 1, and before the result', async () => {
    const fed = makeFederation(2048, committee);
    const crypto = connect();
    const perCall: [string, number][] = [];
    const global: [string, number][] = [];
    const off = crypto.onProgress((s, f) => global.push([s, f]));
    let resolvedWith = -1;
    const p = crypto
      .contribute(fed.cfg, 'client-x', randomUpdate(2048, 16, 9), (s, f) => perCall.push([s, f]))
      .then(() => {
        resolvedWith = perCall.length;
      });
    await p;
    expect(perCall.map(([s]) => s)).toEqual(['mask', 'shares', 'seal', 'done']);
    const fr = perCall.map(([, f]) => f);
    expect(fr).toEqual([...fr].sort((a, b) => a - b));
    expect(fr.at(-1)).toBe(1);
    expect(resolvedWith).toBe(4);
    expect(global).toEqual(perCall);
    off();
    await crypto.contribute(fed.cfg, 'client-y', randomUpdate(2048, 16, 10));
    expect(global).toHaveLength(4);
  });

  it('a bad config comes back as a value and is rethrown with its code', async () => {
    const fed = makeFederation(100, committee);
    const bad: RoundConfig = { ...fed.cfg, committee: { m: 5, tRec: 6, rho: 1 } };
    // the raw API answers with a value, never a throw
    const raw = await cryptoApi.contribute(bad, 'c', new Int32Array(100));
    expect(raw).toEqual({
      ok: false,
      error: { code: 'BAD_PARAMETERS', name: 'ParameterError', message: expect.any(String) as unknown },
    });
    const crypto = connect();
    const err = await crypto.contribute(bad, 'c', new Int32Array(100)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCryptoError);
    expect(err).toMatchObject({ code: 'BAD_PARAMETERS', remoteName: 'ParameterError' });
    // a 31-byte public seed, a wrong-length update, an out-of-range coordinate, a bad client id
    const short: RoundConfig = { ...fed.cfg, publicSeed: new Uint8Array(31) };
    await expect(crypto.contribute(short, 'c', new Int32Array(100))).rejects.toMatchObject({ code: 'MALFORMED_INPUT' });
    await expect(crypto.contribute(fed.cfg, 'c', new Int32Array(99))).rejects.toMatchObject({
      code: 'MALFORMED_INPUT',
    });
    await expect(crypto.contribute(fed.cfg, 'c', new Int32Array(100).fill(1 << 20))).rejects.toMatchObject({
      code: 'MALFORMED_INPUT',
    });
    await expect(crypto.contribute(fed.cfg, 'bad id', new Int32Array(100))).rejects.toMatchObject({
      code: 'MALFORMED_INPUT',
    });
    await expect(crypto.answer(bad, {} as CommitteeJob, fed.members[0]!)).rejects.toMatchObject({
      code: 'BAD_PARAMETERS',
    });
    // still usable after refusals
    expect((await crypto.ping()).pong).toBe(true);
  });

  it('a tampered slice gives SEAL_FAILED with the fault and its key; the wrong member or round is refused with its code', async () => {
    const fed = makeFederation(500, committee, 2, 5);
    const crypto = connect();
    const agg = new RoundAggregator(fed.cfg);
    for (const i of [0, 1, 2])
      await agg.add((await buildContribution(fed.cfg, `c${i}`, randomUpdate(500, 16, i))).contribution);
    const job = agg.closeContributions().jobs[1] as CommitteeJob;
    const slot = job.slots[1]!;
    const bad = slot.sealed.slice();
    bad[7] = (bad[7] as number) ^ 1;
    const tampered: CommitteeJob = { ...job, slots: job.slots.map((s, i) => (i === 1 ? { ...slot, sealed: bad } : s)) };
    // the faults cross the boundary too: what a certified member signs as its complaint (§25)
    await expect(crypto.answer(fed.cfg, tampered, fed.members[1]!)).rejects.toMatchObject({
      code: 'SEAL_FAILED',
      remoteName: 'SliceFaultError',
      faults: [{ clientId: slot.clientId, kind: 'open', okm: expect.any(Uint8Array) as unknown }],
    });
    await expect(crypto.answer(fed.cfg, job, fed.members[2]!)).rejects.toMatchObject({ code: 'MALFORMED_INPUT' });
    await expect(crypto.answer({ ...fed.cfg, round: 3 }, job, fed.members[1]!)).rejects.toMatchObject({
      code: 'WRONG_ROUND',
    });
    const r: CommitteeResponse = await crypto.answer(fed.cfg, job, fed.members[1]!);
    expect(r.memberIndex).toBe(2);
  });

  it('non-SecAgg failures are WORKER_ERROR; a callback that throws does not lose the contribution', async () => {
    const raw = await cryptoApi.contribute(null as unknown as RoundConfig, 'c', new Int32Array(1));
    expect(raw.ok).toBe(false);
    if (!raw.ok) expect(raw.error.code).toBe('WORKER_ERROR');
    const fed = makeFederation(64, committee);
    const crypto = connect();
    const { contribution } = await crypto.contribute(fed.cfg, 'c', new Int32Array(64), () => {
      throw new Error('listener bug');
    });
    expect(contribution.masked[0]).toHaveLength(64);
    // the raw API too, with a callback that throws or rejects
    const thrown = await cryptoApi.contribute(fed.cfg, 'c', new Int32Array(64), () => {
      throw new Error('sync bug');
    });
    expect(thrown.ok).toBe(true);
    const rejected = await cryptoApi.contribute(fed.cfg, 'c', new Int32Array(64), () =>
      Promise.reject(new Error('async bug')),
    );
    expect(rejected.ok).toBe(true);
  });

  it('terminate() rejects pending and later calls with WORKER_TERMINATED', async () => {
    const fed = makeFederation(20_000, committee);
    const crypto = connect();
    const pendingCall = crypto.contribute(fed.cfg, 'c', new Int32Array(20_000));
    crypto.terminate();
    await expect(pendingCall).rejects.toMatchObject({ code: 'WORKER_TERMINATED' });
    await expect(crypto.ping()).rejects.toMatchObject({ code: 'WORKER_TERMINATED' });
  });

  it('the raw API transfers its results (the buffers are distinct and whole)', async () => {
    const fed = makeFederation(300, committee);
    const r = await cryptoApi.contribute(fed.cfg, 'c', new Int32Array(300));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c: Contribution = r.value.contribution;
    const bufs = new Set([
      c.masked[0].buffer,
      c.masked[1].buffer,
      c.ephemeralPublic.buffer,
      ...c.sealed.map((s) => s.buffer),
    ]);
    expect(bufs.size).toBe(3 + committee.m);
  });
});
