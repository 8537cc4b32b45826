/**
 * A scripted dishonest aggregation server, over real sockets: a WebSocket proxy in front of an
 * honest server that decodes every frame and lets a test rewrite, drop or inject messages in
 * either direction. To the participants it *is* the server (same URL scheme, same protocol);
 * the honest server behind it does the bookkeeping a real attacker would also have to do.
 *
 * Participants stay honest and unmodified: they run the product engine and only talk to this
 * proxy's address.
 */
import { authorityFor, registerAuthority } from '../../src/sim/harness.js';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { decodeClientMessage, decodeServerMessage, encodeMessage } from '../../src/wire/codec.js';
import type { ClientMessage, ServerMessage } from '../../src/wire/messages.js';

/** One proxied participant connection. */
export interface Link {
  readonly n: number;
  /** The participant's id once the server welcomed it. */
  clientId: string | undefined;
  /** Sends a message to the participant as if the server had sent it. */
  toClient(m: ServerMessage): void;
  /** Sends a message to the server as if the participant had sent it. */
  toServer(m: ClientMessage): void;
}

/** Returns the message to forward (possibly changed), or undefined to drop it. */
export type Rewrite<M> = (m: M, link: Link) => M | undefined | Promise<M | undefined>;

export interface Mitm {
  readonly wsUrl: string;
  readonly links: Link[];
  down: Rewrite<ServerMessage> | undefined;
  up: Rewrite<ClientMessage> | undefined;
  /** Every message the server sent, per link, before rewriting. */
  readonly fromServer: { link: Link; m: ServerMessage }[];
  close(): Promise<void>;
}

export async function startMitm(upstreamWsUrl: string): Promise<Mitm> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1 << 30 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as AddressInfo).port;
  const sockets = new Set<WebSocket>();
  // Participants behind the proxy still enroll with (and pin) the real server's authority: the
  // dishonest server controls the aggregation channel, never the authority.
  const pin = authorityFor(upstreamWsUrl);
  if (pin) registerAuthority(`ws://127.0.0.1:${port}/ws`, pin);
  const mitm: Mitm = {
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    links: [],
    down: undefined,
    up: undefined,
    fromServer: [],
    close: async () => {
      for (const s of sockets) s.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
  wss.on('connection', (client) => {
    const server = new WebSocket(upstreamWsUrl, { maxPayload: 1 << 30 });
    sockets.add(client);
    sockets.add(server);
    const pendingUp: Uint8Array[] = [];
    // Frames are handled one at a time per direction, in order, even when a rewrite awaits.
    let chainDown = Promise.resolve();
    let chainUp = Promise.resolve();
    const link: Link = {
      n: mitm.links.length,
      clientId: undefined,
      toClient: (m) => client.readyState === WebSocket.OPEN && client.send(encodeMessage(m)),
      toServer: (m) =>
        server.readyState === WebSocket.OPEN ? server.send(encodeMessage(m)) : pendingUp.push(encodeMessage(m)),
    };
    mitm.links.push(link);
    server.on('open', () => {
      for (const b of pendingUp.splice(0)) server.send(b);
    });
    server.on('message', (data: Buffer) => {
      chainDown = chainDown.then(async () => {
        let m: ServerMessage;
        try {
          m = decodeServerMessage(new Uint8Array(data), 1 << 30);
        } catch {
          if (client.readyState === WebSocket.OPEN) client.send(data); // not ours to judge: pass it on
          return;
        }
        mitm.fromServer.push({ link, m });
        if (m.t === 'welcome') link.clientId = m.clientId;
        const out = mitm.down ? await mitm.down(m, link) : m;
        if (out) link.toClient(out);
      });
    });
    client.on('message', (data: Buffer) => {
      chainUp = chainUp.then(async () => {
        let m: ClientMessage;
        try {
          m = decodeClientMessage(new Uint8Array(data), 1 << 30);
        } catch {
          if (server.readyState === WebSocket.OPEN) server.send(data);
          return;
        }
        const out = mitm.up ? await mitm.up(m, link) : m;
        if (out) link.toServer(out);
      });
    });
    server.on('close', () => client.close());
    client.on('close', () => server.close());
    server.on('error', () => client.terminate());
    client.on('error', () => server.terminate());
  });
  return mitm;
}
