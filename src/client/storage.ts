/**
 * The browser participant's persistent state, in one IndexedDB database ("speakonce"):
 *
 *   identity    the long-term X25519 identity and the Ed25519 signing key (created once, the
 *               same after every reload): non-extractable WebCrypto keys where the browser has
 *               X25519 / Ed25519 in WebCrypto, raw bytes otherwise (with the reason recorded;
 *               keys stored as bytes by earlier versions keep working, unmigrated)
 *   federation  the joined federation (server, token, roles, ids once the server gave them)
 *   dataset     the participant's data (typed arrays), so a reload does not need the file again
 *   model       the last global model and its version
 *   history     one entry per round, capped (oldest rounds dropped)
 *   answered    the committee rounds already answered (the engine's AnsweredRounds): a reloaded
 *               tab never answers the same round twice
 *
 * Everything read back is validated; a record of the wrong shape is a ClientStoreError with
 * code CORRUPT_RECORD, never a silently wrong value. Browser-safe: idb only, no node: imports.
 */
import {
  type SigningKeyPair,
  createKeySigningKey,
  createSigningKey,
  signAsync,
  verifySignature,
} from '../cert/sign.js';
import { type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames, wrap } from 'idb';
import { type MemberIdentity, createIdentity, createKeyIdentity, x25519PublicKey } from '../secagg/index.js';
import { x25519Shared } from '../secagg/primitives.js';
import { type Dataset, countFrauds, makeDataset } from '../ml/dataset.js';
import { CodedError } from '../base/error.js';
import type { AnsweredRounds } from './engine.js';

export const DB_NAME = 'speakonce';
/** Schema version; MIGRATIONS[v] upgrades a database from version v to v + 1. */
export const DB_VERSION = 1;
export const DEFAULT_HISTORY_CAP = 500;

export type ClientStoreErrorCode =
  /** A stored record has the wrong shape (damaged, or written by something else). */
  | 'CORRUPT_RECORD'
  /** A value given to a save method is not storable as that record. */
  | 'INVALID_RECORD'
  /** No IndexedDB here (some private modes), or it failed. */
  | 'STORAGE_UNAVAILABLE'
  | 'QUOTA_EXCEEDED'
  /** The database was created by a newer version of the app. */
  | 'NEWER_SCHEMA'
  /** The database exists at this version but lacks stores (not created by this app). */
  | 'SCHEMA_MISMATCH'
  /** The connection was closed (close(), or another tab upgraded the database). */
  | 'CLOSED'
  /** updateFederation() without a joined federation. */
  | 'NOT_JOINED';

export class ClientStoreError extends CodedError<ClientStoreErrorCode> {
  /** Spelled out: the app's minifier renames classes, and CodedError would name it after its class. */
  override readonly name = 'ClientStoreError';
  /** The object store concerned, when there is one. */
  readonly store: string | undefined;
  constructor(code: ClientStoreErrorCode, message: string, store?: string) {
    super(code, message);
    this.store = store;
  }
}

// ---------------------------------------------------------------- records

export interface JoinedFederation {
  /** The server's http(s) address (the app derives the WebSocket URL from it). */
  serverUrl: string;
  token: string;
  train: boolean;
  committee: boolean;
  label?: string;
  /** The enrollment authority's Ed25519 key this participant pins (64 hex digits, from the join link). */
  authorityKey?: string;
  /** The person joined through an INSECURE demo link: unsafe committees are accepted (shown in red). */
  insecureDemo?: boolean;
  /** Federation id and this participant's client id, once the server has said them. */
  federation?: string;
  clientId?: string;
  /** ISO 8601 time of joining. */
  joinedAt: string;
}

export type DatasetKind = 'synthetic' | 'csv';

export interface DatasetInput {
  name: string;
  kind: DatasetKind;
  data: Dataset;
}

export interface StoredDataset {
  name: string;
  kind: DatasetKind;
  rows: number;
  frauds: number;
  savedAt: string;
  data: Dataset;
}

export interface ModelInput {
  version: number;
  weights: Float32Array;
  /** The model's architecture, a JSON value (stored as JSON text). */
  architecture: unknown;
  federation?: string;
}

export interface StoredModel extends ModelInput {
  savedAt: string;
}

/** One round as this participant saw it. */
export interface RoundHistoryEntry {
  round: number;
  /** 'trainer', 'member #3', … (free text, at most 64 characters). */
  role: string;
  ok: boolean;
  /** Global model version after the round. */
  version: number;
  survivors?: number;
  answered?: number;
  loss?: number;
  aucPr?: number;
  bytesSent?: number;
  /** Why the round failed (the server's code and reason), when it did. */
  code?: string;
  reason?: string;
  /** A one-line summary for the history table. */
  note?: string;
  /** ISO 8601 time of the result. */
  at: string;
}

/** The engine's AnsweredRounds, persisted (written durably before the answer is sent). */
export interface PersistentAnsweredRounds extends AnsweredRounds {
  has(key: string): Promise<boolean>;
  add(key: string): Promise<void>;
  list(): Promise<string[]>;
}

export interface LeaveOptions {
  /** Also forget the uploaded dataset. */
  forgetData?: boolean;
  /** Also forget the long-term identity (a new one is made on the next getOrCreateIdentity). */
  forgetIdentity?: boolean;
}

/** How a secret key is held: a non-extractable WebCrypto key, or bytes the page can read. */
export type KeyKind = 'non-extractable' | 'extractable' | 'raw';

/** Which kind of key this participant's secrets are (docs/threat-model.md, "Browser keys"). */
export interface KeyProtection {
  /** The X25519 sealing identity; 'none' before it is created. */
  x25519: KeyKind | 'none';
  /** The Ed25519 signing key; 'none' before it is created. */
  ed25519: KeyKind | 'none';
  /** Why a key is held as bytes, when one is. */
  reason?: string;
}

/** The reason given for keys stored as bytes by versions that did not record one. */
export const LEGACY_RAW_REASON =
  'created as bytes by an earlier version of SpeakOnce and kept as they are (no migration)';

export interface ClientStore {
  readonly name: string;
  /** Which kind of key the identity and the signing key are (shown in the tab). */
  keyProtection(): Promise<KeyProtection>;
  /** The long-term identity, created on first use and the same thereafter (also across reloads). */
  getOrCreateIdentity(): Promise<MemberIdentity>;
  /** The participant's Ed25519 signing key (kept beside the identity, created on first use). */
  getOrCreateSigningKey(): Promise<SigningKeyPair>;
  getIdentity(): Promise<MemberIdentity | undefined>;
  getFederation(): Promise<JoinedFederation | undefined>;
  saveFederation(f: JoinedFederation): Promise<void>;
  /** Records the ids the server gave (federation, clientId) or a new label. */
  updateFederation(
    patch: Partial<Pick<JoinedFederation, 'federation' | 'clientId' | 'label'>>,
  ): Promise<JoinedFederation>;
  getDataset(): Promise<StoredDataset | undefined>;
  saveDataset(d: DatasetInput): Promise<Omit<StoredDataset, 'data'>>;
  getModel(): Promise<StoredModel | undefined>;
  saveModel(m: ModelInput): Promise<void>;
  /** Adds (or replaces: one entry per round) a round's entry; drops the oldest beyond the cap. */
  addHistory(e: RoundHistoryEntry): Promise<void>;
  /** Entries in round order; with `limit`, the latest `limit` of them. */
  getHistory(limit?: number): Promise<RoundHistoryEntry[]>;
  readonly answeredRounds: PersistentAnsweredRounds;
  /** Forgets the federation, model, history and answered rounds; keeps identity and data unless asked. */
  leave(opts?: LeaveOptions): Promise<void>;
  close(): void;
}

// ---------------------------------------------------------------- schema

interface IdentityRecord {
  /** Raw bytes, or a (non-extractable) WebCrypto private key: IndexedDB stores CryptoKeys as they are. */
  secretKey: Uint8Array | CryptoKey;
  publicKey: Uint8Array;
  createdAt: string;
  /** Why the secret is held as bytes (absent for a CryptoKey, and in records of earlier versions). */
  rawReason?: string;
}
interface DatasetRecord {
  name: string;
  kind: DatasetKind;
  rows: number;
  frauds: number;
  savedAt: string;
  features: Float32Array;
  labels: Uint8Array;
}
interface ModelRecord {
  version: number;
  weights: Float32Array;
  architectureJson: string;
  federation?: string;
  savedAt: string;
}
interface AnsweredRecord {
  key: string;
  at: string;
}

interface SpeakOnceSchema extends DBSchema {
  identity: { key: string; value: IdentityRecord };
  federation: { key: string; value: JoinedFederation };
  dataset: { key: string; value: DatasetRecord };
  model: { key: string; value: ModelRecord };
  history: { key: number; value: RoundHistoryEntry };
  answered: { key: string; value: AnsweredRecord };
}

type Store = StoreNames<SpeakOnceSchema>;
export const STORES: readonly Store[] = ['identity', 'federation', 'dataset', 'model', 'history', 'answered'];
/** The key of the single record of the identity, federation, dataset and model stores. */
const ONE = 'current';
/** The signing key's record in the identity store. */
const SIGNING = 'signing';

type UpgradeTx = IDBPTransaction<SpeakOnceSchema, Store[], 'versionchange'>;
const MIGRATIONS: ((db: IDBPDatabase<SpeakOnceSchema>, tx: UpgradeTx) => void)[] = [
  // 0 → 1: the initial schema
  (db) => {
    db.createObjectStore('identity');
    db.createObjectStore('federation');
    db.createObjectStore('dataset');
    db.createObjectStore('model');
    db.createObjectStore('history', { keyPath: 'round' });
    db.createObjectStore('answered', { keyPath: 'key' });
  },
];

// ---------------------------------------------------------------- validation

type Rec = Record<string, unknown>;

function corrupt(store: string, what: string): ClientStoreError {
  return new ClientStoreError('CORRUPT_RECORD', `stored ${store} record is corrupt: ${what}`, store);
}
function invalid(store: string, what: string): ClientStoreError {
  return new ClientStoreError('INVALID_RECORD', `cannot store this ${store}: ${what}`, store);
}
function isRec(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const isStr = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length <= max;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isIso = (v: unknown): v is string => typeof v === 'string' && v.length <= 64 && !Number.isNaN(Date.parse(v));

/** A copy with its own exact buffer: structured cloning a view stores its whole buffer. */
function exact<T extends Uint8Array | Float32Array>(a: T): T {
  return (
    a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer ? a : a.slice()
  ) as T;
}

/** Checks `r` field by field; `bad` makes the store's error (corrupt on read, invalid on write). */
function checkFederation(r: unknown, bad: (w: string) => ClientStoreError): JoinedFederation {
  if (!isRec(r)) throw bad('not an object');
  if (!isStr(r.serverUrl) || r.serverUrl.length === 0) throw bad('serverUrl must be a non-empty string');
  if (!isStr(r.token)) throw bad('token must be a string');
  if (typeof r.train !== 'boolean' || typeof r.committee !== 'boolean')
    throw bad('train and committee must be booleans');
  for (const k of ['label', 'federation', 'clientId'] as const)
    if (r[k] !== undefined && !isStr(r[k], 256)) throw bad(`${k} must be a string of at most 256 characters`);
  if (!isIso(r.joinedAt)) throw bad('joinedAt must be an ISO date');
  if (r.authorityKey !== undefined && !(isStr(r.authorityKey) && /^[0-9a-f]{64}$/.test(r.authorityKey)))
    throw bad('authorityKey must be 64 lowercase hex digits');
  if (r.insecureDemo !== undefined && typeof r.insecureDemo !== 'boolean') throw bad('insecureDemo must be a boolean');
  const f: JoinedFederation = {
    serverUrl: r.serverUrl,
    token: r.token,
    train: r.train,
    committee: r.committee,
    joinedAt: r.joinedAt,
  };
  if (r.label !== undefined) f.label = r.label as string;
  if (r.authorityKey !== undefined) f.authorityKey = r.authorityKey;
  if (r.federation !== undefined) f.federation = r.federation as string;
  if (r.clientId !== undefined) f.clientId = r.clientId as string;
  return f;
}

function checkHistory(r: unknown, bad: (w: string) => ClientStoreError): RoundHistoryEntry {
  if (!isRec(r)) throw bad('not an object');
  if (!isCount(r.round)) throw bad('round must be a non-negative integer');
  if (!isStr(r.role, 64)) throw bad('role must be a string of at most 64 characters');
  if (typeof r.ok !== 'boolean') throw bad('ok must be a boolean');
  if (!isCount(r.version)) throw bad('version must be a non-negative integer');
  if (!isIso(r.at)) throw bad('at must be an ISO date');
  const e: RoundHistoryEntry = { round: r.round, role: r.role, ok: r.ok, version: r.version, at: r.at };
  for (const k of ['survivors', 'answered', 'bytesSent'] as const) {
    if (r[k] === undefined) continue;
    if (!isCount(r[k])) throw bad(`${k} must be a non-negative integer`);
    e[k] = r[k];
  }
  for (const k of ['loss', 'aucPr'] as const) {
    if (r[k] === undefined) continue;
    if (!isNum(r[k])) throw bad(`${k} must be a finite number`);
    e[k] = r[k];
  }
  for (const k of ['code', 'reason', 'note'] as const) {
    if (r[k] === undefined) continue;
    if (!isStr(r[k], 2048)) throw bad(`${k} must be a string of at most 2048 characters`);
    e[k] = r[k];
  }
  return e;
}

function isKey(v: unknown): v is CryptoKey {
  return typeof CryptoKey !== 'undefined' && v instanceof CryptoKey;
}

function kindOf(secret: unknown): KeyKind {
  return isKey(secret) ? (secret.extractable ? 'extractable' : 'non-extractable') : 'raw';
}

/** The X25519 base point u = 9: X25519(p, 9) is p's public key. */
const BASE_POINT = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 9 : 0));

async function readIdentity(r: unknown): Promise<MemberIdentity> {
  if (!isRec(r)) throw corrupt('identity', 'not an object');
  const { secretKey, publicKey } = r;
  if (isKey(secretKey)) {
    if (
      secretKey.type !== 'private' ||
      secretKey.algorithm.name !== 'X25519' ||
      !secretKey.usages.includes('deriveBits')
    )
      throw corrupt('identity', 'the secret key is not an X25519 private key for deriveBits');
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32)
      throw corrupt('identity', 'the public key must be 32 bytes');
    let derived: Uint8Array;
    try {
      derived = await x25519Shared(secretKey, BASE_POINT);
    } catch {
      throw corrupt('identity', 'the secret key cannot be used');
    }
    if (derived.some((b, i) => b !== publicKey[i]))
      throw corrupt('identity', 'the public key does not belong to the secret key');
    return { secretKey, publicKey };
  }
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32)
    throw corrupt('identity', 'the secret key must be 32 bytes');
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32)
    throw corrupt('identity', 'the public key must be 32 bytes');
  const derived = x25519PublicKey(secretKey);
  if (derived.some((b, i) => b !== publicKey[i]))
    throw corrupt('identity', 'the public key does not belong to the secret key');
  return { secretKey, publicKey };
}

const SIGN_CHECK = new TextEncoder().encode('SpeakOnce/v1/stored-signing-key-check');

async function readSigningKey(r: unknown): Promise<SigningKeyPair> {
  if (!isRec(r)) throw corrupt('identity', 'the signing key is not an object');
  const { secretKey, publicKey } = r;
  if (isKey(secretKey)) {
    if (secretKey.type !== 'private' || secretKey.algorithm.name !== 'Ed25519' || !secretKey.usages.includes('sign'))
      throw corrupt('identity', 'the signing key is not an Ed25519 private key for signing');
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32)
      throw corrupt('identity', 'the signing public key must be 32 bytes');
    let ok: boolean;
    try {
      ok = await verifySignature(publicKey, SIGN_CHECK, await signAsync(secretKey, SIGN_CHECK));
    } catch {
      throw corrupt('identity', 'the signing key cannot be used');
    }
    if (!ok) throw corrupt('identity', 'the signing public key does not belong to its secret key');
    return { secretKey, publicKey };
  }
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32 || !(publicKey instanceof Uint8Array))
    throw corrupt('identity', 'the signing key must be 32 bytes');
  const k = createSigningKey(secretKey);
  if (k.publicKey.some((b, i) => b !== publicKey[i]))
    throw corrupt('identity', 'the signing public key does not belong to its secret key');
  return k;
}

function readDataset(r: unknown): StoredDataset {
  const bad = (w: string) => corrupt('dataset', w);
  if (!isRec(r)) throw bad('not an object');
  if (!isStr(r.name, 1024)) throw bad('name must be a string');
  if (r.kind !== 'synthetic' && r.kind !== 'csv') throw bad(`kind must be 'synthetic' or 'csv'`);
  if (!isCount(r.rows) || !isCount(r.frauds)) throw bad('rows and frauds must be non-negative integers');
  if (!isIso(r.savedAt)) throw bad('savedAt must be an ISO date');
  if (!(r.features instanceof Float32Array)) throw bad('features must be a Float32Array');
  if (!(r.labels instanceof Uint8Array)) throw bad('labels must be a Uint8Array');
  let data: Dataset;
  try {
    data = makeDataset(r.features, r.labels);
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
  if (data.size !== r.rows) throw bad(`${data.size} rows stored, the record says ${r.rows}`);
  if (countFrauds(data) !== r.frauds) throw bad(`${countFrauds(data)} frauds stored, the record says ${r.frauds}`);
  return { name: r.name, kind: r.kind, rows: r.rows, frauds: r.frauds, savedAt: r.savedAt, data };
}

function readModel(r: unknown): StoredModel {
  const bad = (w: string) => corrupt('model', w);
  if (!isRec(r)) throw bad('not an object');
  if (!isCount(r.version)) throw bad('version must be a non-negative integer');
  if (!(r.weights instanceof Float32Array)) throw bad('weights must be a Float32Array');
  if (typeof r.architectureJson !== 'string') throw bad('architecture must be JSON text');
  if (r.federation !== undefined && !isStr(r.federation, 256)) throw bad('federation must be a string');
  if (!isIso(r.savedAt)) throw bad('savedAt must be an ISO date');
  let architecture: unknown;
  try {
    architecture = JSON.parse(r.architectureJson);
  } catch {
    throw bad('architecture is not valid JSON');
  }
  return {
    version: r.version,
    weights: r.weights,
    architecture,
    savedAt: r.savedAt,
    ...(r.federation !== undefined ? { federation: r.federation } : {}),
  };
}

// ---------------------------------------------------------------- opening

export interface OpenClientStoreOptions {
  /** The IndexedDB factory (default: globalThis.indexedDB; tests may pass fake-indexeddb's). */
  indexedDB?: IDBFactory;
  /** Round history entries kept (default 500). */
  historyCap?: number;
  /** Another tab needs to upgrade the database: this connection has been closed; reload. */
  onVersionChange?: () => void;
  /** Opening waits for another tab that holds an older version open. */
  onBlocked?: () => void;
  /**
   * How new secret keys are made: 'webcrypto' (default) non-extractable WebCrypto keys where the
   * browser has X25519 / Ed25519, bytes otherwise; 'raw' always bytes (tests of the fallback).
   * Existing keys are read as they were stored either way.
   */
  keys?: 'webcrypto' | 'raw';
}

/** Why a key is made as bytes: WebCrypto is missing, or has no such algorithm. */
function noWebCrypto(alg: string, e: unknown): string {
  if (!globalThis.crypto?.subtle) return 'this page has no WebCrypto (not a secure context)';
  const why = e instanceof Error || (typeof e === 'object' && e !== null && 'name' in e) ? String(e.name) : String(e);
  return `this browser's WebCrypto has no ${alg} (${why})`;
}

interface NewKey<K> {
  key: K;
  rawReason?: string;
}

async function newIdentity(mode: 'webcrypto' | 'raw'): Promise<NewKey<MemberIdentity>> {
  if (mode === 'raw') return { key: createIdentity(), rawReason: 'raw keys were asked for' };
  try {
    return { key: await createKeyIdentity(false) };
  } catch (e) {
    return { key: createIdentity(), rawReason: noWebCrypto('X25519', e) };
  }
}

async function newSigningKey(mode: 'webcrypto' | 'raw'): Promise<NewKey<SigningKeyPair>> {
  if (mode === 'raw') return { key: createSigningKey(), rawReason: 'raw keys were asked for' };
  try {
    return { key: await createKeySigningKey(false) };
  } catch (e) {
    return { key: createSigningKey(), rawReason: noWebCrypto('Ed25519', e) };
  }
}

function keyRecord(k: NewKey<MemberIdentity | SigningKeyPair>): IdentityRecord {
  const { secretKey, publicKey } = k.key;
  return {
    secretKey: secretKey instanceof Uint8Array ? exact(secretKey) : secretKey,
    publicKey: exact(publicKey),
    createdAt: new Date().toISOString(),
    ...(k.rawReason !== undefined ? { rawReason: k.rawReason } : {}),
  };
}

/** Maps IndexedDB's DOMExceptions to typed errors; lets ours through. */
function storageError(e: unknown, store?: string): Error {
  if (e instanceof ClientStoreError) return e;
  const name = e instanceof Error || (typeof e === 'object' && e !== null && 'name' in e) ? String(e.name) : '';
  const message = e instanceof Error ? e.message : String(e);
  if (name === 'QuotaExceededError')
    return new ClientStoreError('QUOTA_EXCEEDED', `the browser's storage quota is exhausted: ${message}`, store);
  if (name === 'VersionError')
    return new ClientStoreError(
      'NEWER_SCHEMA',
      `the stored data was written by a newer version of SpeakOnce (${message}); reload the page`,
      store,
    );
  if (name === 'InvalidStateError')
    return new ClientStoreError('CLOSED', `the storage connection is closed: ${message}`, store);
  if (name === 'DataCloneError')
    return new ClientStoreError('INVALID_RECORD', `value cannot be stored: ${message}`, store);
  return new ClientStoreError('STORAGE_UNAVAILABLE', `IndexedDB failed${name ? ` (${name})` : ''}: ${message}`, store);
}

/** Opens (creating or upgrading as needed) the participant's database. */
export async function openClientStore(name: string = DB_NAME, opts: OpenClientStoreOptions = {}): Promise<ClientStore> {
  const factory = opts.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory)
    throw new ClientStoreError(
      'STORAGE_UNAVAILABLE',
      'IndexedDB is not available in this browser (a private window may disable it)',
    );
  const historyCap = opts.historyCap ?? DEFAULT_HISTORY_CAP;
  const keyMode = opts.keys ?? 'webcrypto';
  if (!Number.isSafeInteger(historyCap) || historyCap < 1)
    throw new RangeError('historyCap must be a positive integer');

  let db: IDBPDatabase<SpeakOnceSchema>;
  try {
    const request = factory.open(name, DB_VERSION);
    request.addEventListener('upgradeneeded', (ev) => {
      const udb = wrap(request.result) as unknown as IDBPDatabase<SpeakOnceSchema>;
      const tx = wrap(request.transaction as IDBTransaction) as unknown as UpgradeTx;
      for (let v = ev.oldVersion; v < (ev.newVersion ?? DB_VERSION); v++) MIGRATIONS[v]?.(udb, tx);
    });
    request.addEventListener('blocked', () => opts.onBlocked?.());
    db = (await wrap(request)) as unknown as IDBPDatabase<SpeakOnceSchema>;
  } catch (e) {
    throw storageError(e);
  }
  const missing = STORES.filter((s) => !db.objectStoreNames.contains(s));
  if (missing.length > 0) {
    db.close();
    throw new ClientStoreError(
      'SCHEMA_MISMATCH',
      `database "${name}" lacks the stores ${missing.join(', ')}; it was not created by this app (delete it to start over)`,
    );
  }
  let closed = false;
  db.addEventListener('versionchange', () => {
    closed = true;
    db.close();
    opts.onVersionChange?.();
  });
  db.addEventListener('close', () => void (closed = true));

  /** Runs one operation, mapping failures to typed errors. */
  async function op<T>(store: string | undefined, f: () => Promise<T>): Promise<T> {
    if (closed)
      throw new ClientStoreError(
        'CLOSED',
        'the storage connection is closed (another tab may have upgraded it); reload the page',
        store,
      );
    try {
      return await f();
    } catch (e) {
      throw storageError(e, store);
    }
  }

  const answeredRounds: PersistentAnsweredRounds = {
    has: (key) => op('answered', async () => (await db.getKey('answered', key)) !== undefined),
    add: (key) =>
      op('answered', async () => {
        if (typeof key !== 'string' || key.length === 0)
          throw invalid('answered round', 'the key must be a non-empty string');
        // strict durability: on disk before the engine sends the answer
        const tx = db.transaction('answered', 'readwrite', { durability: 'strict' });
        await Promise.all([tx.store.put({ key, at: new Date().toISOString() }), tx.done]);
      }),
    list: () =>
      op('answered', async () => {
        const keys = await db.getAllKeys('answered');
        if (keys.some((k) => typeof k !== 'string')) throw corrupt('answered', 'a key is not a string');
        return keys;
      }),
  };

  return {
    name,
    answeredRounds,

    keyProtection: () =>
      op('identity', async () => {
        const [id, sk] = await Promise.all([db.get('identity', ONE), db.get('identity', SIGNING)]);
        const reasons = new Set<string>();
        const kind = (r: IdentityRecord | undefined): KeyKind | 'none' => {
          if (!isRec(r)) return 'none';
          const k = kindOf(r.secretKey);
          if (k === 'raw') reasons.add(isStr(r.rawReason) ? r.rawReason : LEGACY_RAW_REASON);
          return k;
        };
        const p: KeyProtection = { x25519: kind(id), ed25519: kind(sk) };
        if (reasons.size > 0) p.reason = [...reasons].join('; ');
        return p;
      }),

    getIdentity: () =>
      op('identity', async () => {
        const r = await db.get('identity', ONE);
        return r === undefined ? undefined : readIdentity(r);
      }),

    getOrCreateIdentity: () =>
      op('identity', async () => {
        const existing = await db.get('identity', ONE);
        if (existing !== undefined) return readIdentity(existing);
        // WebCrypto's generateKey is asynchronous, so the key is made before the transaction;
        // the transaction then writes it only if no other caller (or tab) wrote one meanwhile.
        const made = await newIdentity(keyMode);
        const tx = db.transaction('identity', 'readwrite', { durability: 'strict' });
        const raced = await tx.store.get(ONE);
        if (raced !== undefined) {
          await tx.done;
          return readIdentity(raced);
        }
        await Promise.all([tx.store.put(keyRecord(made), ONE), tx.done]);
        return made.key;
      }),

    getOrCreateSigningKey: () =>
      op('identity', async () => {
        const existing: unknown = await db.get('identity', SIGNING);
        if (existing !== undefined) return readSigningKey(existing);
        const made = await newSigningKey(keyMode);
        const tx = db.transaction('identity', 'readwrite', { durability: 'strict' });
        const raced: unknown = await tx.store.get(SIGNING);
        if (raced !== undefined) {
          await tx.done;
          return readSigningKey(raced);
        }
        await Promise.all([tx.store.put(keyRecord(made), SIGNING), tx.done]);
        return made.key;
      }),

    getFederation: () =>
      op('federation', async () => {
        const r = await db.get('federation', ONE);
        return r === undefined ? undefined : checkFederation(r, (w) => corrupt('federation', w));
      }),

    saveFederation: (f) =>
      op('federation', async () => {
        await db.put(
          'federation',
          checkFederation(f, (w) => invalid('federation', w)),
          ONE,
        );
      }),

    updateFederation: (patch) =>
      op('federation', async () => {
        const tx = db.transaction('federation', 'readwrite');
        const r = await tx.store.get(ONE);
        if (r === undefined) throw new ClientStoreError('NOT_JOINED', 'no federation has been joined', 'federation');
        const cur = checkFederation(r, (w) => corrupt('federation', w));
        const next = checkFederation({ ...cur, ...patch }, (w) => invalid('federation', w));
        await Promise.all([tx.store.put(next, ONE), tx.done]);
        return next;
      }),

    getDataset: () =>
      op('dataset', async () => {
        const r = await db.get('dataset', ONE);
        return r === undefined ? undefined : readDataset(r);
      }),

    saveDataset: (d) =>
      op('dataset', async () => {
        const bad = (w: string) => invalid('dataset', w);
        if (!isRec(d) || !isStr(d.name, 1024)) throw bad('name must be a string of at most 1024 characters');
        if (d.kind !== 'synthetic' && d.kind !== 'csv') throw bad(`kind must be 'synthetic' or 'csv'`);
        if (!isRec(d.data) || !(d.data.features instanceof Float32Array) || !(d.data.labels instanceof Uint8Array))
          throw bad('data must hold Float32Array features and Uint8Array labels');
        let data: Dataset;
        try {
          data = makeDataset(d.data.features, d.data.labels);
        } catch (e) {
          throw bad(e instanceof Error ? e.message : String(e));
        }
        const meta = {
          name: d.name,
          kind: d.kind,
          rows: data.size,
          frauds: countFrauds(data),
          savedAt: new Date().toISOString(),
        };
        await db.put('dataset', { ...meta, features: exact(data.features), labels: exact(data.labels) }, ONE);
        return meta;
      }),

    getModel: () =>
      op('model', async () => {
        const r = await db.get('model', ONE);
        return r === undefined ? undefined : readModel(r);
      }),

    saveModel: (m) =>
      op('model', async () => {
        const bad = (w: string) => invalid('model', w);
        if (!isRec(m) || !isCount(m.version)) throw bad('version must be a non-negative integer');
        if (!(m.weights instanceof Float32Array)) throw bad('weights must be a Float32Array');
        if (m.federation !== undefined && !isStr(m.federation, 256)) throw bad('federation must be a string');
        let architectureJson: string | undefined;
        try {
          architectureJson = JSON.stringify(m.architecture);
        } catch (e) {
          throw bad(`architecture is not JSON: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (architectureJson === undefined) throw bad('architecture is not a JSON value');
        await db.put(
          'model',
          {
            version: m.version,
            weights: exact(m.weights),
            architectureJson,
            savedAt: new Date().toISOString(),
            ...(m.federation !== undefined ? { federation: m.federation } : {}),
          },
          ONE,
        );
      }),

    addHistory: (e) =>
      op('history', async () => {
        const entry = checkHistory(e, (w) => invalid('history entry', w));
        const tx = db.transaction('history', 'readwrite');
        await tx.store.put(entry);
        let excess = (await tx.store.count()) - historyCap;
        if (excess > 0) {
          let cursor = await tx.store.openCursor(); // ascending: the oldest rounds first
          while (cursor && excess-- > 0) {
            await cursor.delete();
            cursor = await cursor.continue();
          }
        }
        await tx.done;
      }),

    getHistory: (limit) =>
      op('history', async () => {
        if (limit !== undefined && !isCount(limit)) throw new RangeError('limit must be a non-negative integer');
        const all = await db.getAll('history');
        const entries = all.map((r) => checkHistory(r, (w) => corrupt('history', w)));
        return limit === undefined ? entries : entries.slice(Math.max(0, entries.length - limit));
      }),

    leave: (o = {}) =>
      op(undefined, async () => {
        // 'answered' survives: the rounds this participant spoke in stay spoken (speak-once),
        // even if it joins the same federation again.
        const stores: Store[] = ['federation', 'model', 'history'];
        if (o.forgetData) stores.push('dataset');
        if (o.forgetIdentity) stores.push('identity');
        const tx = db.transaction(stores, 'readwrite', { durability: 'strict' });
        await Promise.all([...stores.map((s) => tx.objectStore(s).clear()), tx.done]);
      }),

    close: () => {
      closed = true;
      db.close();
    },
  };
}
