/**
 * Running a federation in one process over real sockets on 127.0.0.1: a server on a random
 * port and headless participants. Used by `npm run simulate`, the demo's headless pool and the
 * bench; the tests build their fixtures on it (test/support/). The harness keeps each trainer's
 * quantized update on its side (never asking the server), so exactness can be checked
 * independently.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { CryptoRunner } from '../client/crypto/types.js';
import type { PrivacyPolicy } from '../client/privacy.js';
import { type AnsweredRounds, type DropPoint, type EngineEvent, ParticipantEngine } from '../client/engine.js';
import type { LocalEvaluator, LocalTrainer } from '../client/trainers/types.js';
import type { SocketFactory, SocketLike } from '../client/transport.js';
import type { MemberIdentity } from '../secagg/index.js';
import { createIdentity } from '../secagg/index.js';
import { authorityHandler } from '../authority/http.js';
import { loadOrCreateKeys, memoryKeys } from '../authority/keys.js';
import { EnrollmentAuthority, inProcessAuthority } from '../authority/service.js';
import { type RawSigningKeyPair, type SigningKeyPair, createSigningKey } from '../cert/sign.js';
import { type ServerConfig, resolveConfig } from '../server/config.js';
import { Federation, type FederationOptions } from '../server/federation.js';
import { type RunningServer, listen } from '../server/http.js';
import { type Logger, createLogger } from '../server/log.js';

export const nodeSocket = (url: string): SocketLike => new WebSocket(url) as unknown as SocketLike;

/** Collects events and waits for one that matches, without sleeping. */
export class EventLog<E> {
  readonly events: E[] = [];
  private waiters: { pred: (e: E) => boolean; resolve: (e: E) => void }[] = [];

  push(e: E): void {
    this.events.push(e);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(e)) return true;
      w.resolve(e);
      return false;
    });
  }

  /** The first past or future event that matches. */
  waitFor<T extends E>(pred: (e: E) => e is T, timeoutMs?: number, what?: string): Promise<T>;
  waitFor(pred: (e: E) => boolean, timeoutMs?: number, what?: string): Promise<E>;
  waitFor(pred: (e: E) => boolean, timeoutMs = 60_000, what = 'event'): Promise<E> {
    const past = this.events.find(pred);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }
}

/** A federation server in this process, listening on 127.0.0.1 (a random port unless one is given). */
export interface LocalServer {
  fed: Federation;
  server: RunningServer;
  config: ServerConfig;
  wsUrl: string;
  token: string;
  /** The enrollment authority beside it (absent for an uncertified server). */
  authority: AuthorityPin | undefined;
  stop(): Promise<void>;
}

/** Where participants enroll and the authority keys they pin. */
export interface AuthorityPin {
  readonly url: string;
  readonly keys: readonly Uint8Array[];
  /** The server runs an INSECURE demo: the harness's participants consent to unsafe committees. */
  readonly insecureDemo?: boolean;
}

/** The authorities of the servers this process started, by their WebSocket URL. */
const localAuthorities = new Map<string, AuthorityPin>();

/** Registers the authority of a server this process did not start (e.g. one in a child process). */
export function registerAuthority(wsUrl: string, pin: AuthorityPin): void {
  localAuthorities.set(wsUrl, pin);
}

/** The authority of a server started by this harness (undefined for an uncertified one). */
export function authorityFor(wsUrl: string): AuthorityPin | undefined {
  return localAuthorities.get(wsUrl);
}

/** Server logs are silent unless SPEAKONCE_TEST_LOG=debug|info|warn is set. */
function quietLogger(): Logger {
  const level = process.env.SPEAKONCE_TEST_LOG;
  return level === 'debug' || level === 'info' || level === 'warn' ? createLogger(level) : createLogger('silent');
}

/**
 * Starts a server in this process: a temporary data directory and a random join token unless
 * given, port 0 and no pause between rounds unless overridden.
 */
export async function startLocalServer(
  overrides: Partial<ServerConfig> = {},
  log: Logger = quietLogger(),
  options: FederationOptions = {},
  authorityOptions: { uncertified?: boolean; keyFile?: string } = {},
): Promise<LocalServer> {
  const dataDir = overrides.dataDir ?? (await mkdtemp(join(tmpdir(), 'speakonce-')));
  const token = overrides.token ?? randomBytes(8).toString('hex');
  // Certified unless asked otherwise (or the INSECURE plaintext benchmark mode, which has no committee).
  const certified = !authorityOptions.uncertified && !overrides.insecurePlaintext;
  // A server restarted on the same data directory keeps its authority (the key file beside it).
  const keyFile =
    authorityOptions.keyFile ??
    (overrides.dataDir ? `${overrides.dataDir.replace(/\/+$/, '')}-authority.json` : undefined);
  const keys = certified ? (keyFile ? loadOrCreateKeys(keyFile) : memoryKeys()) : undefined;
  const config = resolveConfig({
    port: 0,
    pauseMs: 0,
    logLevel: 'silent',
    // every participant of an in-process federation connects from 127.0.0.1
    maxConnectionsPerAddress: 100_000,
    ...(keys ? { authorityKeys: [Buffer.from(keys.signPublic).toString('hex')] } : {}),
    ...overrides,
    dataDir,
    token,
  });
  const fed = new Federation(config, log, options);
  await fed.init();
  // Short presence and no epoch limit: tests redraw committees as participants come and go.
  const auth = keys
    ? new EnrollmentAuthority(keys, { federation: fed.federationId, token, presenceTtlMs: 3_000, minEpochMs: 0 })
    : undefined;
  if (auth) fed.useAuthority(inProcessAuthority(auth));
  const server = await listen(fed, config.host, config.port, log, {
    // every participant enrolls from 127.0.0.1: the per-address budgets are raised like the caps
    ...(auth
      ? { fallback: authorityHandler(auth, log, '/authority', { requestsPerWindow: 1e9, errorsPerWindow: 1e9 }) }
      : {}),
  });
  const wsUrl = `ws://127.0.0.1:${server.port}/ws`;
  const authority = keys
    ? {
        url: `http://127.0.0.1:${server.port}/authority`,
        keys: [keys.signPublic],
        ...(config.insecureDemo ? { insecureDemo: true } : {}),
      }
    : undefined;
  if (authority) localAuthorities.set(wsUrl, authority);
  return {
    fed,
    server,
    config,
    wsUrl,
    token,
    authority,
    stop: async () => {
      localAuthorities.delete(wsUrl);
      await server.close();
    },
  };
}

export interface SimParticipant {
  engine: ParticipantEngine;
  identity: MemberIdentity;
  events: EventLog<EngineEvent>;
  /** Quantized updates this participant produced, by round (kept by the harness). */
  quantized: Map<number, Int32Array>;
  /** The global weights each round started from, float deltas and sample counts, by round
   * (for the plaintext FedAvg reference). */
  trained: Map<number, { global: Float32Array; delta: Float32Array; numSamples: number }>;
}

export interface ParticipantSpec {
  url: string;
  token: string;
  train: boolean;
  committee: boolean;
  trainer?: LocalTrainer;
  label?: string;
  dropAt?: (round: number, point: DropPoint) => boolean;
  identity?: MemberIdentity;
  /** Record quantized updates into this map (shared across restarts of one identity). */
  quantized?: Map<number, Int32Array>;
  /** Local held-out evaluation for the secure metrics. */
  evaluator?: LocalEvaluator;
  /** The participant's sockets (default: `ws`). */
  socketFactory?: SocketFactory;
  /** Where the protocol's arithmetic runs (default: in process). */
  crypto?: CryptoRunner;
  /** The rounds this participant spoke in, kept durably (default: memory only). */
  answeredRounds?: AnsweredRounds;
  /** Consent to an INSECURE demo's unsafe committees (default: when the harness's server runs one). */
  acceptUnsafeCommittee?: boolean;
  /** The authority to enroll with (default: the one of a server this harness started at `url`). */
  authority?: AuthorityPin;
  /** A trainer's own DP limit and participation ledger (docs/dp.md §12). */
  privacy?: PrivacyPolicy;
}

/** A participant pins the authority of the server it joins; with none (an uncertified server) it
 * runs INSECURE uncertified, as only harness code may. */
function authorityOption(
  spec: ParticipantSpec,
  identity: MemberIdentity,
):
  | { authority: AuthorityPin; signing: SigningKeyPair; presenceMs: number; acceptUnsafeCommittee: boolean }
  | { insecureUncertified: true; acceptUnsafeCommittee: boolean } {
  const a = spec.authority ?? authorityFor(spec.url);
  const acceptUnsafeCommittee = spec.acceptUnsafeCommittee ?? a?.insecureDemo ?? false;
  if (!a) return { insecureUncertified: true, acceptUnsafeCommittee };
  return { authority: a, signing: signingKeyFor(identity), presenceMs: 500, acceptUnsafeCommittee };
}

/** One signing key per identity, as a participant keeps it beside its identity across restarts. */
export function signingKeyFor(identity: MemberIdentity): RawSigningKeyPair {
  let signing = signingKeys.get(identity);
  if (!signing) signingKeys.set(identity, (signing = createSigningKey()));
  return signing;
}

const signingKeys = new WeakMap<MemberIdentity, RawSigningKeyPair>();

/** The signing key the harness gave a participant's identity (tests script dishonest members with it). */
export function signingKeyOf(identity: MemberIdentity): RawSigningKeyPair | undefined {
  return signingKeys.get(identity);
}

/**
 * The one builder of headless participants (the simulator, the demo's headless pool, and the
 * tests' participants, which wrap it): a started ParticipantEngine whose events and quantized
 * updates are recorded on this side.
 */
export function startParticipant(spec: ParticipantSpec): SimParticipant {
  const identity = spec.identity ?? createIdentity();
  const quantized = spec.quantized ?? new Map<number, Int32Array>();
  const trained = new Map<number, { global: Float32Array; delta: Float32Array; numSamples: number }>();
  const inner = spec.trainer;
  const trainer: LocalTrainer | undefined = inner && {
    train: async (input, progress) => {
      const out = await inner.train(input, progress);
      trained.set(input.round, { global: input.weights.slice(), delta: out.delta, numSamples: out.numSamples });
      return out;
    },
  };
  const engine = new ParticipantEngine({
    url: spec.url,
    token: spec.token,
    identity,
    train: spec.train,
    committee: spec.committee,
    ...(spec.label ? { label: spec.label } : {}),
    socketFactory: spec.socketFactory ?? nodeSocket,
    ...(trainer ? { trainer } : {}),
    ...(spec.evaluator ? { evaluator: spec.evaluator } : {}),
    ...(spec.crypto ? { crypto: spec.crypto } : {}),
    ...(spec.answeredRounds ? { answeredRounds: spec.answeredRounds } : {}),
    ...(spec.privacy ? { privacy: spec.privacy } : {}),
    ...authorityOption(spec, identity),
    onQuantized: (round, q) => quantized.set(round, q.slice()),
    ...(spec.dropAt ? { dropAt: spec.dropAt } : {}),
  });
  const events = new EventLog<EngineEvent>();
  engine.on((e) => events.push(e));
  engine.start();
  return { engine, identity, events, quantized, trained };
}
