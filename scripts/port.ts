/**
 * Listening on a port that is taken gives one line in words and the way out (`--port`), not a
 * stack trace.
 */
import { networkInterfaces } from 'node:os';
import { CodedError } from '../src/base/error.js';

export class PortInUseError extends CodedError<'PORT_IN_USE'> {
  override readonly name = 'PortInUseError';
  constructor(host: string, port: number, command: string) {
    super(
      'PORT_IN_USE',
      `port ${port} on ${host} is already in use (is SpeakOnce already running?): stop the other server, or pick another port: ${command} -- --port ${port === 65535 ? 8081 : port + 1}`,
    );
  }
}

/** Runs `listen`, turning EADDRINUSE into a {@link PortInUseError}. */
export async function listenOrExplain<T>(
  host: string,
  port: number,
  command: string,
  listen: () => Promise<T>,
): Promise<T> {
  try {
    return await listen();
  } catch (e) {
    if ((e as { code?: unknown }).code === 'EADDRINUSE') throw new PortInUseError(host, port, command);
    throw e;
  }
}

/** For a server on all interfaces, http://<this machine's first network IPv4>:port (what phones can reach). */
export function lanOrigin(host: string, port: number): string | undefined {
  if (host !== '0.0.0.0' && host !== '::') return undefined;
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return `http://${a.address}:${port}`;
  return undefined;
}
