/**
 * The browser-hardening headers of every HTTP response the server sends (the app, the dashboard,
 * static assets, JSON endpoints, the event stream, 404s and 500s, the refused WebSocket upgrade),
 * declared once here; and the Origin allow-list of the WebSocket upgrade (docs/threat-model.md,
 * "The origin that serves the app").
 *
 * The Content-Security-Policy is strict: scripts, styles, workers and connections only from this
 * origin; no inline script, no eval. What the built app needs, and why:
 *
 * - `script-src 'wasm-unsafe-eval'`: the tfjs wasm backend compiles its WebAssembly module
 *   (WebAssembly.instantiate), which CSP otherwise blocks. It does not allow eval().
 * - `worker-src 'self'`: the crypto worker is an ES-module worker loaded from /assets/ (Vite
 *   emits `new Worker(new URL(…))`). No blob: — tfjs-wasm's threaded build would create its
 *   pthread workers from blob: URLs, but it needs cross-origin isolation (SharedArrayBuffer),
 *   which this server does not turn on (no COEP), so the single-threaded SIMD build runs.
 * - `img-src 'self' data:`: the pages' `<link rel="icon" href="data:,">` (an empty favicon,
 *   which keeps the browser from asking for /favicon.ico). Charts are canvases.
 * - `style-src 'self'`, no 'unsafe-inline': the stylesheets are files; the pages set styles only
 *   through the CSSOM (`element.style`), which CSP does not restrict (src/ui/dom.ts).
 * - `connect-src 'self'` plus this host's ws:/wss: origin: the participants' WebSocket, /events,
 *   /model/ and the wasm binaries. CSP Level 3 browsers already match ws: to 'self'; the explicit
 *   source covers those that do not. The app can therefore only join the federation of the
 *   server that served it.
 */
import { networkInterfaces } from 'node:os';

/** Static part of the policy, in the order the directives are sent. */
export const CSP_DIRECTIVES: readonly (readonly [string, string])[] = [
  ['default-src', "'self'"],
  ['script-src', "'self' 'wasm-unsafe-eval'"],
  ['worker-src', "'self'"],
  ['style-src', "'self'"],
  ['img-src', "'self' data:"],
  ['connect-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['frame-ancestors', "'none'"],
  ['form-action', "'self'"],
];

/** A Host header we are willing to echo into connect-src: host name or address and port only. */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The Content-Security-Policy for a response to a request that named `host` (its Host header). */
export function contentSecurityPolicy(host: string | undefined): string {
  const ws = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return CSP_DIRECTIVES.map(([name, value]) => `${name} ${value}${name === 'connect-src' ? ws : ''}`).join('; ');
}

/** Every header of the set, for a response to a request that named `host`. */
export function securityHeaders(host: string | undefined): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(host),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
}

// ---------------------------------------------------------------------------------------------
// Origins

/** A value that is not a web origin (`http(s)://host[:port]`, nothing after it). */
export class OriginSyntaxError extends Error {
  override readonly name = 'OriginSyntaxError';
}

/**
 * Parses one origin as written in a setting or a flag and returns it serialized as browsers send
 * it (lower-case host, no default port, no trailing slash). Only http: and https:; no user, path,
 * query or fragment (a lone trailing `/` is tolerated).
 */
export function parseOrigin(value: string): string {
  const why = (reason: string) =>
    new OriginSyntaxError(
      `'${value}' is not an origin (${reason}); write scheme://host[:port], e.g. https://fl.example.org`,
    );
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw why('not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw why(`scheme ${u.protocol} is not http: or https:`);
  if (!/^https?:\/\//i.test(value)) throw why('no // after the scheme');
  if (u.username || u.password) throw why('it has a user name or password');
  if (u.search || value.includes('?')) throw why('it has a query');
  if (u.hash || value.includes('#')) throw why('it has a fragment');
  if (u.pathname !== '/' || /^[a-z]+:\/\/[^/]*\/./i.test(value)) throw why('it has a path');
  return u.origin;
}

/** Why `value` is not an origin {@link parseOrigin} accepts; undefined when it is one. */
export function originProblem(value: string): string | undefined {
  try {
    parseOrigin(value);
    return undefined;
  } catch (e) {
    if (e instanceof OriginSyntaxError) return e.message;
    throw e;
  }
}

/** `host` as it appears in a URL (IPv6 in brackets). */
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * The server's own origins, whose pages may always open the WebSocket: `http://host:port` for the
 * address it is bound to, with `localhost` for a loopback address (and both loopback addresses for
 * `localhost`), and every local interface's address when it is bound to all of them (0.0.0.0, ::). A host name
 * other machines use (or a proxy in front) is added with `allowedOrigins` / `--allow-origin`.
 */
export function ownOrigins(host: string, port: number): string[] {
  const hosts = new Set<string>();
  if (host === '0.0.0.0' || host === '::' || host === '') {
    for (const h of ['localhost', '127.0.0.1', '[::1]']) hosts.add(h);
    for (const addrs of Object.values(networkInterfaces()))
      for (const a of addrs ?? []) if (host === '::' || a.family === 'IPv4') hosts.add(urlHost(a.address));
  } else if (host === 'localhost') {
    for (const h of ['localhost', '127.0.0.1', '[::1]']) hosts.add(h);
  } else {
    hosts.add(urlHost(host));
    if (host === '::1' || /^127\./.test(host)) hosts.add('localhost');
  }
  const origins = new Set<string>();
  for (const h of hosts) {
    try {
      origins.add(new URL(`http://${h}:${port}`).origin);
    } catch {
      // an interface address that is no URL host (e.g. a scoped IPv6 link-local): not an origin
    }
  }
  return [...origins];
}

/**
 * The check of the WebSocket upgrade: a request without an Origin header (Node clients, the
 * headless participants) passes, since browsers always send one; a browser's page passes only
 * when its origin is in `allowed` (already serialized by {@link parseOrigin}/{@link ownOrigins}).
 */
export function originAllowed(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
  // Browsers send the serialized origin, so an exact match is the whole check; "null" (sandboxed
  // frames, file: pages) is never in the list.
  return origin === undefined || allowed.has(origin);
}
