/**
 * The init script that switches the page's test hooks on (src/ui/test-hooks.ts). Added to a
 * browser context before the app loads (and so again after every reload), it
 *
 * - defines `window.__speakonceTestHooks = {}`, into which the app registers its own hooks
 *   (state, quantized updates, backend, holding a round's training);
 * - wraps `window.WebSocket` to capture the page's socket, and adds the hooks that send raw
 *   frames on it (a malformed frame, a replay of the last contribution): the server must
 *   refuse both, and the app never sends such frames itself.
 *
 * The server's own test mode (`--test-mode`) is a different thing and has no say here.
 */
import type { PageTestHooks } from '../src/ui/test-hooks';

/** Runs in the page (Playwright serialises it): self-contained, no imports at run time. */
export function installPageHooks(): void {
  const hooks: PageTestHooks = {};
  window.__speakonceTestHooks = hooks;
  const NativeWebSocket = window.WebSocket;
  let socket: WebSocket | undefined;
  let lastContribution: Uint8Array<ArrayBuffer> | undefined;
  // A contribution's msgpack map starts with its type: fixstr "t", then fixstr "contribution".
  const tag = [0xa1, 0x74, 0xac, ...Array.from('contribution', (c) => c.charCodeAt(0))];
  const isContribution = (b: Uint8Array): boolean => {
    for (let at = 0; at + tag.length <= Math.min(b.length, 16); at++) {
      if (tag.every((x, i) => b[at + i] === x)) return true;
    }
    return false;
  };
  const bytesOf = (data: unknown): Uint8Array | undefined =>
    data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : undefined;

  // The newest socket is the engine's current connection.
  const track = (ws: WebSocket): void => {
    socket = ws;
  };
  class CapturedWebSocket extends NativeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      track(this);
    }
    override send(data: Parameters<WebSocket['send']>[0]): void {
      const bytes = bytesOf(data);
      if (bytes && isContribution(bytes)) lastContribution = bytes.slice();
      super.send(data);
    }
  }
  window.WebSocket = CapturedWebSocket;

  const send = (bytes: Uint8Array<ArrayBuffer>): number => {
    if (!socket || socket.readyState !== NativeWebSocket.OPEN) return 0;
    socket.send(bytes);
    return bytes.byteLength;
  };
  hooks.sendRaw = (bytes) => send(Uint8Array.from(bytes));
  hooks.resendLastContribution = () => (lastContribution ? send(lastContribution) : 0);
}
