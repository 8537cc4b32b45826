/**
 * The federation fixture of the integration tests: a server in this process (src/sim/harness.ts)
 * in test mode, with every federation event recorded in an EventLog from the start.
 */
import type { ServerConfig } from '../../src/server/config.js';
import type { Logger } from '../../src/server/log.js';
import { EventLog, type LocalServer, startLocalServer } from '../../src/sim/harness.js';
import type { FederationEvent } from '../../src/wire/events.js';

export interface TestServer extends LocalServer {
  events: EventLog<FederationEvent>;
}

export async function startTestServer(overrides: Partial<ServerConfig> = {}, log?: Logger): Promise<TestServer> {
  const local = await startLocalServer({ testMode: true, ...overrides }, log);
  const events = new EventLog<FederationEvent>();
  local.fed.onEvent((e) => events.push(e));
  return { ...local, events };
}
