/**
 * A WebSocket transport that speaks the wire codec and reconnects with backoff. Works with the
 * browser's WebSocket and with the `ws` package in Node (both have the same event API); the
 * constructor is injected so this module imports neither.
 */
import { WireError, decodeServerMessage, encodeMessage } from '../wire/codec.js';
import type { ClientMessage, ServerMessage } from '../wire/messages.js';

export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

export interface TransportEvents {
  open(): void;
  message(msg: ServerMessage, bytes: number): void;
  /** A frame from the server that did not decode (a server bug or a tampering proxy). */
  invalid(error: WireError): void;
  close(code: number, reason: string, willRetry: boolean): void;
}

/** Close codes after which reconnecting would not help. */
const FINAL_CODES = new Set([4000, 4001]);
const OPEN = 1;

export class Transport {
  private socket: SocketLike | undefined;
  private closedByUs = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  bytesSent = 0;

  constructor(
    private readonly url: string,
    private readonly factory: SocketFactory,
    private readonly on: TransportEvents,
    private readonly maxMessageBytes = 256 * 1024 * 1024,
  ) {}

  connect(): void {
    this.closedByUs = false;
    const ws = this.factory(this.url);
    ws.binaryType = 'arraybuffer';
    this.socket = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.on.open();
    };
    ws.onmessage = (ev) => {
      const d = ev.data;
      const bytes = d instanceof ArrayBuffer ? new Uint8Array(d) : d instanceof Uint8Array ? d : undefined;
      if (!bytes) {
        this.on.invalid(new WireError('MALFORMED', 'server sent a text frame'));
        return;
      }
      try {
        this.on.message(decodeServerMessage(bytes, this.maxMessageBytes), bytes.byteLength);
      } catch (e) {
        if (e instanceof WireError) this.on.invalid(e);
        else throw e;
      }
    };
    ws.onerror = () => {
      /* followed by onclose, which decides about retrying */
    };
    ws.onclose = (ev) => {
      if (this.socket !== ws) return;
      this.socket = undefined;
      const retry = !this.closedByUs && !FINAL_CODES.has(ev.code);
      this.on.close(ev.code, ev.reason, retry);
      if (retry) {
        const delay = Math.min(5000, 250 * 2 ** this.attempt++);
        this.retryTimer = setTimeout(() => this.connect(), delay);
      }
    };
  }

  get connected(): boolean {
    return this.socket?.readyState === OPEN;
  }

  /** Sends one message; returns its size, or 0 if not connected. */
  send(msg: ClientMessage): number {
    return this.sendRaw(encodeMessage(msg));
  }

  /** Sends raw bytes (tests use this to send malformed frames). */
  sendRaw(bytes: Uint8Array): number {
    if (!this.socket || this.socket.readyState !== OPEN) return 0;
    this.socket.send(bytes);
    this.bytesSent += bytes.byteLength;
    return bytes.byteLength;
  }

  close(): void {
    this.closedByUs = true;
    clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'client closed');
    this.socket = undefined;
  }
}
