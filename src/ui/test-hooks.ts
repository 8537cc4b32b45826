/**
 * The page's test hooks, for the browser tests (e2e/) only.
 *
 * A test switches them on itself, off the wire: before the app loads, Playwright's
 * `addInitScript` (e2e/page-hooks.ts) defines `window.__speakonceTestHooks = {}`, and the app,
 * finding that object, registers its hooks into it (session.ts). Nothing else defines it, so in
 * production the hooks are inert: there is no object, nothing is registered, and nothing the
 * server sends can switch them on.
 *
 * Raw frames (a malformed frame, a replayed contribution) are not the app's business: the init
 * script sends them itself, on the page's WebSocket, which it captures.
 */
import type { EngineSnapshot } from '../client/engine.js';

/** Registered by the app (session.ts) once its engine exists. */
export interface AppTestHooks {
  state: () => EngineSnapshot;
  /** The quantized update this tab contributed in `round` (the last 50 rounds kept). */
  quantized: (round: number) => number[] | undefined;
  backend: () => string | undefined;
  /** The arithmetic engine that masks in the crypto worker ('wasm' or 'ts'), once known. */
  masking: () => string | undefined;
  /** Training of `round` waits (in phase "training") until released: lets a test act while a
   * round is collecting without relying on how long training takes. */
  holdTraining: (round: number) => void;
  releaseTraining: (round: number) => void;
}

/** Defined by the test's init script over the page's WebSocket: the server must refuse both. */
export interface SocketTestHooks {
  /** Sends these bytes as one frame; returns their number, or 0 if the socket is not open. */
  sendRaw: (bytes: number[]) => number;
  /** Sends the last contribution this page sent once more; its size, or 0 if there is none. */
  resendLastContribution: () => number;
}

export type PageTestHooks = Partial<AppTestHooks> & Partial<SocketTestHooks>;

declare global {
  interface Window {
    /** Defined only by a browser test, before the app loads (see test-hooks.ts). */
    __speakonceTestHooks?: PageTestHooks;
  }
}

/** The hooks object a browser test put on this page, or undefined (always, in production). */
export function testHooks(): PageTestHooks | undefined {
  return typeof window === 'undefined' ? undefined : window.__speakonceTestHooks;
}
