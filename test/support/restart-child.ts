/**
 * A server in a child process, for the crash test (src/sim/restart.test.ts): started with the
 * settings in SPEAKONCE_CHILD_CONFIG (JSON), it prints `{"port": …}` and then every federation
 * event as one JSON line on stdout, until it is killed.
 */
import { startTestServer } from './federation.js';

const overrides = JSON.parse(process.env.SPEAKONCE_CHILD_CONFIG ?? '{}') as Parameters<typeof startTestServer>[0];
const s = await startTestServer(overrides);
s.fed.onEvent((e) => process.stdout.write(`${JSON.stringify(e)}\n`));
const authority = s.authority && {
  url: s.authority.url,
  keys: s.authority.keys.map((k) => Buffer.from(k).toString('hex')),
};
process.stdout.write(`${JSON.stringify({ type: 'listening', port: s.server.port, authority })}\n`);
