/**
 * The participant's IndexedDB store, on fake-indexeddb. "Reload" = close the store and open
 * the same database again.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeDataset } from '../ml/dataset.js';
import { signAsync, verifySignature } from '../cert/sign.js';
import { createIdentity, joinProof, verifyJoinProof, x25519PublicKey } from '../secagg/index.js';
import {
  ClientStoreError,
  DB_VERSION,
  LEGACY_RAW_REASON,
  type JoinedFederation,
  type RoundHistoryEntry,
  STORES,
  openClientStore,
} from './storage.js';

let n = 0;
const fresh = () => `speakonce-test-${++n}`;

const fed: JoinedFederation = {
  serverUrl: 'http://127.0.0.1:8080',
  token: 'tok-1',
  train: true,
  committee: true,
  label: 'bank A',
  joinedAt: '2025-01-02T03:04:05.000Z',
};

function dataset(rows: number) {
  const features = new Float32Array(rows * 30).map((_, i) => i * 0.5 - 7);
  const labels = new Uint8Array(rows).map((_, i) => (i % 7 === 0 ? 1 : 0));
  return makeDataset(features, labels);
}

const entry = (round: number, extra: Partial<RoundHistoryEntry> = {}): RoundHistoryEntry => ({
  round,
  role: 'trainer',
  ok: true,
  version: round,
  survivors: 3,
  answered: 3,
  loss: 0.25,
  aucPr: 0.7,
  bytesSent: 51234,
  at: '2025-01-02T03:04:05.000Z',
  ...extra,
});

/** Writes a raw record behind the store's back (a damaged or foreign database). */
async function rawPut(name: string, store: string, value: unknown, key?: IDBValidKey): Promise<void> {
  const db = await openDB(name);
  await db.put(store as never, value, key);
  db.close();
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(ClientStoreError);
    return (e as ClientStoreError).code;
  }
}

describe('client store', () => {
  it('creates the schema in an empty database', async () => {
    const name = fresh();
    const s = await openClientStore(name);
    s.close();
    const db = await openDB(name);
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual([...STORES].sort());
    db.close();
    // and a fresh store is empty
    const again = await openClientStore(name);
    expect(await again.getIdentity()).toBeUndefined();
    expect(await again.getFederation()).toBeUndefined();
    expect(await again.getDataset()).toBeUndefined();
    expect(await again.getModel()).toBeUndefined();
    expect(await again.getHistory()).toEqual([]);
    expect(await again.answeredRounds.list()).toEqual([]);
    again.close();
  });

  it('the identity is created once and stable across reloads (raw keys)', async () => {
    const name = fresh();
    const s1 = await openClientStore(name, { keys: 'raw' });
    const [a, b] = await Promise.all([s1.getOrCreateIdentity(), s1.getOrCreateIdentity()]);
    expect(a.secretKey).toEqual(b.secretKey);
    expect(a.secretKey).toHaveLength(32);
    expect(a.publicKey).toEqual(x25519PublicKey(a.secretKey as Uint8Array));
    s1.close();
    const s2 = await openClientStore(name, { keys: 'raw' });
    const c = await s2.getOrCreateIdentity();
    expect(c.secretKey).toBeInstanceOf(Uint8Array);
    expect(c.secretKey).toEqual(a.secretKey);
    expect(c.publicKey).toEqual(a.publicKey);
    expect(await s2.getIdentity()).toEqual(c);
    s2.close();
  });

  it('round-trips the federation and records the ids once known', async () => {
    const name = fresh();
    const s = await openClientStore(name);
    await s.saveFederation(fed);
    expect(await s.getFederation()).toEqual(fed);
    const up = await s.updateFederation({ federation: 'fed-1', clientId: 'c-42' });
    expect(up).toEqual({ ...fed, federation: 'fed-1', clientId: 'c-42' });
    s.close();
    const s2 = await openClientStore(name);
    expect(await s2.getFederation()).toEqual(up);
    expect(await codeOf(s2.saveFederation({ ...fed, train: 'yes' } as unknown as JoinedFederation))).toBe(
      'INVALID_RECORD',
    );
    expect(await codeOf(s2.saveFederation({ ...fed, serverUrl: '' }))).toBe('INVALID_RECORD');
    await s2.leave();
    expect(await codeOf(s2.updateFederation({ clientId: 'x' }))).toBe('NOT_JOINED');
    s2.close();
  });

  it('round-trips the dataset as typed arrays, storing only its own rows', async () => {
    const name = fresh();
    const s = await openClientStore(name);
    const full = dataset(50);
    // a view into a larger buffer: only the 20 rows are stored
    const view = makeDataset(full.features.subarray(30 * 10, 30 * 30), full.labels.subarray(10, 30));
    const meta = await s.saveDataset({ name: 'creditcard.csv', kind: 'csv', data: view });
    expect(meta).toMatchObject({ name: 'creditcard.csv', kind: 'csv', rows: 20, frauds: 3 });
    s.close();
    const s2 = await openClientStore(name);
    const got = await s2.getDataset();
    expect(got).toBeDefined();
    expect(got!.data.features).toBeInstanceOf(Float32Array);
    expect(got!.data.labels).toBeInstanceOf(Uint8Array);
    expect(got!.data.features.buffer.byteLength).toBe(20 * 30 * 4);
    expect(got!.data.features).toEqual(view.features);
    expect(got!.data.labels).toEqual(view.labels);
    expect(got).toMatchObject({ name: 'creditcard.csv', kind: 'csv', rows: 20, frauds: 3, data: { size: 20 } });
    expect(await codeOf(s2.saveDataset({ name: 'x', kind: 'parquet' as 'csv', data: view }))).toBe('INVALID_RECORD');
    expect(
      await codeOf(
        s2.saveDataset({
          name: 'x',
          kind: 'csv',
          data: { features: new Float32Array(31), labels: new Uint8Array(1), size: 1 },
        }),
      ),
    ).toBe('INVALID_RECORD');
    s2.close();
  });

  it('round-trips the model', async () => {
    const name = fresh();
    const s = await openClientStore(name);
    const weights = new Float32Array([0.5, -1.25, 3e-8, 7]);
    const architecture = { layers: [30, 16, 1], activation: 'relu' };
    await s.saveModel({ version: 3, weights, architecture, federation: 'fed-1' });
    await s.saveModel({ version: 4, weights: weights.map((w) => w * 2), architecture });
    s.close();
    const s2 = await openClientStore(name);
    const m = await s2.getModel();
    expect(m?.version).toBe(4);
    expect(m?.weights).toBeInstanceOf(Float32Array);
    expect(m?.weights).toEqual(new Float32Array([1, -2.5, 6e-8, 14]));
    expect(m?.architecture).toEqual(architecture);
    expect(m?.federation).toBeUndefined();
    expect(await codeOf(s2.saveModel({ version: -1, weights, architecture }))).toBe('INVALID_RECORD');
    expect(await codeOf(s2.saveModel({ version: 1, weights: [1, 2] as unknown as Float32Array, architecture }))).toBe(
      'INVALID_RECORD',
    );
    expect(await codeOf(s2.saveModel({ version: 1, weights, architecture: undefined }))).toBe('INVALID_RECORD');
    s2.close();
  });

  it('keeps one history entry per round, in order, capped', async () => {
    const name = fresh();
    const s = await openClientStore(name, { historyCap: 5 });
    for (const r of [3, 1, 2]) await s.addHistory(entry(r));
    await s.addHistory(
      entry(2, {
        ok: false,
        code: 'THRESHOLD_NOT_MET',
        reason: 'only 2 answers',
        role: 'member #2',
        loss: undefined,
        note: 'failed',
      }),
    );
    const h = await s.getHistory();
    expect(h.map((e) => e.round)).toEqual([1, 2, 3]);
    expect(h[1]).toEqual({
      round: 2,
      role: 'member #2',
      ok: false,
      version: 2,
      survivors: 3,
      answered: 3,
      aucPr: 0.7,
      bytesSent: 51234,
      code: 'THRESHOLD_NOT_MET',
      reason: 'only 2 answers',
      note: 'failed',
      at: '2025-01-02T03:04:05.000Z',
    });
    for (let r = 4; r <= 9; r++) await s.addHistory(entry(r));
    expect((await s.getHistory()).map((e) => e.round)).toEqual([5, 6, 7, 8, 9]);
    expect((await s.getHistory(2)).map((e) => e.round)).toEqual([8, 9]);
    expect(await codeOf(s.addHistory({ ...entry(10), ok: 'yes' } as unknown as RoundHistoryEntry))).toBe(
      'INVALID_RECORD',
    );
    expect(await codeOf(s.addHistory({ ...entry(10), loss: Number.NaN }))).toBe('INVALID_RECORD');
    s.close();
    const s2 = await openClientStore(name);
    expect((await s2.getHistory()).map((e) => e.round)).toEqual([5, 6, 7, 8, 9]);
    s2.close();
  });

  it('the default cap is 500', async () => {
    const s = await openClientStore(fresh());
    for (let r = 0; r < 505; r++) await s.addHistory(entry(r));
    const h = await s.getHistory();
    expect(h).toHaveLength(500);
    expect(h[0]?.round).toBe(5);
    s.close();
  });

  it('answered rounds persist across reloads (the engine never answers twice)', async () => {
    const name = fresh();
    const s = await openClientStore(name);
    const key = 'fed-1\u00007';
    expect(await s.answeredRounds.has(key)).toBe(false);
    await s.answeredRounds.add(key);
    await s.answeredRounds.add(key); // idempotent
    expect(await s.answeredRounds.has(key)).toBe(true);
    expect(await s.answeredRounds.has('fed-1\u00008')).toBe(false);
    s.close();
    const s2 = await openClientStore(name);
    expect(await s2.answeredRounds.has(key)).toBe(true);
    expect(await s2.answeredRounds.list()).toEqual([key]);
    s2.close();
  });

  it('leave() forgets the federation, model and history; keeps identity, data and the rounds it spoke in', async () => {
    const name = fresh();
    const s = await openClientStore(name);
    const id = await s.getOrCreateIdentity();
    await s.saveFederation(fed);
    await s.saveDataset({ name: 'synthetic', kind: 'synthetic', data: dataset(10) });
    await s.saveModel({ version: 1, weights: new Float32Array(3), architecture: {} });
    await s.addHistory(entry(1));
    await s.answeredRounds.add('f\u00001');
    await s.leave();
    expect(await s.getFederation()).toBeUndefined();
    expect(await s.getModel()).toBeUndefined();
    expect(await s.getHistory()).toEqual([]);
    expect(await s.answeredRounds.has('f\u00001')).toBe(true); // speak-once survives leave()
    expect((await s.getOrCreateIdentity()).publicKey).toEqual(id.publicKey);
    expect((await s.getDataset())?.rows).toBe(10);

    await s.leave({ forgetData: true });
    expect(await s.getDataset()).toBeUndefined();
    expect((await s.getIdentity())?.publicKey).toEqual(id.publicKey);

    await s.leave({ forgetIdentity: true });
    expect(await s.getIdentity()).toBeUndefined();
    expect((await s.getOrCreateIdentity()).publicKey).not.toEqual(id.publicKey);
    s.close();
  });

  it('corrupt records are typed errors, and leave() recovers from them', async () => {
    const name = fresh();
    const s = await openClientStore(name);
    const id = await s.getOrCreateIdentity();
    s.close();
    const cases: [
      string,
      unknown,
      IDBValidKey | undefined,
      (st: Awaited<ReturnType<typeof openClientStore>>) => Promise<unknown>,
    ][] = [
      [
        'identity',
        { secretKey: new Uint8Array(31), publicKey: id.publicKey },
        'current',
        (st) => st.getOrCreateIdentity(),
      ],
      ['identity', { secretKey: id.secretKey, publicKey: new Uint8Array(32) }, 'current', (st) => st.getIdentity()],
      ['identity', 'hello', 'current', (st) => st.getOrCreateIdentity()],
      ['federation', { ...fed, committee: 1 }, 'current', (st) => st.getFederation()],
      [
        'dataset',
        {
          name: 'd',
          kind: 'csv',
          rows: 1,
          frauds: 0,
          savedAt: fed.joinedAt,
          features: new Float64Array(30),
          labels: new Uint8Array(1),
        },
        'current',
        (st) => st.getDataset(),
      ],
      [
        'dataset',
        {
          name: 'd',
          kind: 'csv',
          rows: 1,
          frauds: 0,
          savedAt: fed.joinedAt,
          features: new Float32Array(30),
          labels: new Uint8Array([2]),
        },
        'current',
        (st) => st.getDataset(),
      ],
      [
        'dataset',
        {
          name: 'd',
          kind: 'csv',
          rows: 2,
          frauds: 0,
          savedAt: fed.joinedAt,
          features: new Float32Array(30),
          labels: new Uint8Array([0]),
        },
        'current',
        (st) => st.getDataset(),
      ],
      [
        'model',
        { version: 1, weights: new Float32Array(2), architectureJson: '{oops', savedAt: fed.joinedAt },
        'current',
        (st) => st.getModel(),
      ],
      [
        'model',
        { version: 1.5, weights: new Float32Array(2), architectureJson: '{}', savedAt: fed.joinedAt },
        'current',
        (st) => st.getModel(),
      ],
      [
        'history',
        { round: 4, role: 'trainer', ok: true, version: 'four', at: fed.joinedAt },
        undefined,
        (st) => st.getHistory(),
      ],
    ];
    for (const [store, value, key, read] of cases) {
      await rawPut(name, store, value, key);
      const st = await openClientStore(name);
      const err = await read(st).catch((e: unknown) => e);
      expect(err, `${store}: ${JSON.stringify(value)}`).toBeInstanceOf(ClientStoreError);
      expect(err).toMatchObject({ code: 'CORRUPT_RECORD', store });
      await st.leave({ forgetData: true, forgetIdentity: true }); // the way out, without reading
      st.close();
    }
  });

  it('a database from a newer app, or one without our stores, is a typed error', async () => {
    const newer = fresh();
    (await openDB(newer, DB_VERSION + 1)).close();
    expect(await codeOf(openClientStore(newer))).toBe('NEWER_SCHEMA');
    const foreign = fresh();
    (await openDB(foreign, DB_VERSION, { upgrade: (db) => void db.createObjectStore('other') })).close();
    expect(await codeOf(openClientStore(foreign))).toBe('SCHEMA_MISMATCH');
  });

  it('works with an injected IDBFactory, and refuses use after close()', async () => {
    const factory = new IDBFactory();
    const s = await openClientStore('speakonce', { indexedDB: factory });
    const id = await s.getOrCreateIdentity();
    s.close();
    expect(await codeOf(s.getIdentity())).toBe('CLOSED');
    // the global factory's database of the same name is a different one
    const g = await openClientStore('speakonce');
    expect(await g.getIdentity()).toBeUndefined();
    g.close();
    const s2 = await openClientStore('speakonce', { indexedDB: factory });
    expect((await s2.getIdentity())?.publicKey).toEqual(id.publicKey);
    s2.close();
  });

  it('another tab upgrading the database closes this connection', async () => {
    const name = fresh();
    let told = false;
    const s = await openClientStore(name, { onVersionChange: () => (told = true) });
    await s.saveFederation(fed);
    (await openDB(name, DB_VERSION + 1)).close();
    expect(told).toBe(true);
    expect(await codeOf(s.getFederation())).toBe('CLOSED');
  });
});

describe('client store: browser keys (non-extractable WebCrypto keys, or bytes with the reason)', () => {
  afterEach(() => vi.restoreAllMocks());

  const challengeSecret = createIdentity(new Uint8Array(32).fill(7)).secretKey;
  const challenge = x25519PublicKey(challengeSecret);
  const message = new TextEncoder().encode('a statement');

  it('a fresh store makes non-extractable X25519 and Ed25519 keys that work and survive reloads', async () => {
    const name = fresh();
    const s1 = await openClientStore(name);
    expect(await s1.keyProtection()).toEqual({ x25519: 'none', ed25519: 'none' });
    const [a, b] = await Promise.all([s1.getOrCreateIdentity(), s1.getOrCreateIdentity()]);
    expect(b.publicKey).toEqual(a.publicKey); // one identity, even for concurrent callers
    const key = a.secretKey as CryptoKey;
    expect(key).toBeInstanceOf(CryptoKey);
    expect(key.extractable).toBe(false);
    expect(key.algorithm.name).toBe('X25519');
    await expect(crypto.subtle.exportKey('pkcs8', key)).rejects.toThrow();
    await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();
    expect(await verifyJoinProof(challengeSecret, challenge, a.publicKey, await joinProof(a, challenge))).toBe(true);

    const k = await s1.getOrCreateSigningKey();
    const sk = k.secretKey as CryptoKey;
    expect(sk).toBeInstanceOf(CryptoKey);
    expect(sk.extractable).toBe(false);
    expect(sk.algorithm.name).toBe('Ed25519');
    await expect(crypto.subtle.exportKey('pkcs8', sk)).rejects.toThrow();
    expect(await verifySignature(k.publicKey, message, await signAsync(sk, message))).toBe(true);
    expect(await s1.keyProtection()).toEqual({ x25519: 'non-extractable', ed25519: 'non-extractable' });
    s1.close();

    // after a reload: the same keys, still CryptoKeys from IndexedDB, still usable
    const s2 = await openClientStore(name);
    const c = await s2.getOrCreateIdentity();
    expect(c.publicKey).toEqual(a.publicKey);
    expect(c.secretKey).toBeInstanceOf(CryptoKey);
    expect((c.secretKey as CryptoKey).extractable).toBe(false);
    expect(await joinProof(c, challenge)).toEqual(await joinProof(a, challenge));
    const k2 = await s2.getOrCreateSigningKey();
    expect(k2.publicKey).toEqual(k.publicKey);
    expect(await verifySignature(k.publicKey, message, await signAsync(k2.secretKey, message))).toBe(true);
    expect((await s2.getIdentity())?.publicKey).toEqual(a.publicKey);
    s2.close();
  });

  it('a stored CryptoKey whose public key is not its own is a corrupt record', async () => {
    const name = fresh();
    const s = await openClientStore(name);
    const id = await s.getOrCreateIdentity();
    const k = await s.getOrCreateSigningKey();
    s.close();
    const other = createIdentity().publicKey;
    await rawPut(name, 'identity', { secretKey: id.secretKey, publicKey: other, createdAt: fed.joinedAt }, 'current');
    await rawPut(name, 'identity', { secretKey: k.secretKey, publicKey: other, createdAt: fed.joinedAt }, 'signing');
    const s2 = await openClientStore(name);
    expect(await codeOf(s2.getIdentity())).toBe('CORRUPT_RECORD');
    expect(await codeOf(s2.getOrCreateSigningKey())).toBe('CORRUPT_RECORD');
    // a key of the wrong algorithm
    await rawPut(
      name,
      'identity',
      { secretKey: k.secretKey, publicKey: id.publicKey, createdAt: fed.joinedAt },
      'current',
    );
    expect(await codeOf(s2.getOrCreateIdentity())).toBe('CORRUPT_RECORD');
    s2.close();
  });

  it('falls back to bytes, with the reason, where WebCrypto cannot generate X25519 / Ed25519 keys', async () => {
    const gen = vi
      .spyOn(crypto.subtle, 'generateKey')
      .mockRejectedValue(new DOMException('Unrecognized algorithm name', 'NotSupportedError'));
    const name = fresh();
    const s = await openClientStore(name);
    const id = await s.getOrCreateIdentity();
    const k = await s.getOrCreateSigningKey();
    expect(gen).toHaveBeenCalled();
    expect(id.secretKey).toBeInstanceOf(Uint8Array);
    expect(id.publicKey).toEqual(x25519PublicKey(id.secretKey as Uint8Array));
    expect(k.secretKey).toBeInstanceOf(Uint8Array);
    expect(await verifySignature(k.publicKey, message, await signAsync(k.secretKey, message))).toBe(true);
    const p = await s.keyProtection();
    expect(p.x25519).toBe('raw');
    expect(p.ed25519).toBe('raw');
    expect(p.reason).toContain("this browser's WebCrypto has no X25519 (NotSupportedError)");
    expect(p.reason).toContain("this browser's WebCrypto has no Ed25519 (NotSupportedError)");
    s.close();
    vi.restoreAllMocks();
    // the bytes stay bytes after a reload, even where WebCrypto now works (no migration)
    const s2 = await openClientStore(name);
    expect((await s2.getOrCreateIdentity()).secretKey).toEqual(id.secretKey);
    expect((await s2.keyProtection()).x25519).toBe('raw');
    s2.close();
  });

  it('keys stored as bytes by earlier versions keep working, reported as such', async () => {
    const name = fresh();
    (await openClientStore(name)).close();
    const old = createIdentity();
    const s0 = await openClientStore(fresh(), { keys: 'raw' });
    const oldSigning = await s0.getOrCreateSigningKey();
    s0.close();
    // records as earlier versions wrote them: bytes, no reason
    await rawPut(
      name,
      'identity',
      { secretKey: old.secretKey, publicKey: old.publicKey, createdAt: fed.joinedAt },
      'current',
    );
    await rawPut(
      name,
      'identity',
      { secretKey: oldSigning.secretKey, publicKey: oldSigning.publicKey, createdAt: fed.joinedAt },
      'signing',
    );
    const s = await openClientStore(name);
    const id = await s.getOrCreateIdentity();
    expect(id.secretKey).toEqual(old.secretKey);
    expect(await joinProof(id, challenge)).toEqual(await joinProof(old, challenge));
    const k = await s.getOrCreateSigningKey();
    expect(k.secretKey).toEqual(oldSigning.secretKey);
    expect(await s.keyProtection()).toEqual({ x25519: 'raw', ed25519: 'raw', reason: LEGACY_RAW_REASON });
    s.close();
  });
});
