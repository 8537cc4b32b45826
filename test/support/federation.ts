/**
 * The federation fixture of the integration tests: a server in this process (src/sim/harness.ts)
 * in test mode, with every federation event recorded in an EventLog from the start, and each
 * round's decoded sum through the server's in-process test hook (it is on no wire and in no
 * observer event).
 */
import type { ServerConfig } from '../../src/server/config.js';
import type { FederationOptions } from '../../src/server/federation.js';
import type { Logger } from '../../src/server/log.js';
import { EventLog, type LocalServer, startLocalServer } from '../../src/sim/harness.js';
import type { FederationEvent } from '../../src/wire/events.js';

/** A round's decoded sum (exact integers), as the server unmasked it. */
export interface DecodedSum {
  round: number;
  sum: number[];
}

export interface TestServer extends LocalServer {
  events: EventLog<FederationEvent>;
  /** Decoded sums of the rounds that completed, each recorded before its `round_done` event. */
  decoded: EventLog<DecodedSum>;
}

export async function startTestServer(
  overrides: Partial<ServerConfig> = {},
  log?: Logger,
  options: Omit<FederationOptions, 'onDecodedForTest'> = {},
): Promise<TestServer> {
  const decoded = new EventLog<DecodedSum>();
  const onDecodedForTest = (round: number, sum: Float64Array): void => decoded.push({ round, sum: Array.from(sum) });
  const local = await startLocalServer({ testMode: true, ...overrides }, log, { ...options, onDecodedForTest });
  const events = new EventLog<FederationEvent>();
  local.fed.onEvent((e) => events.push(e));
  return { ...local, events, decoded };
}
