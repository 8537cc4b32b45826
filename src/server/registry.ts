/**
 * The federation's participants and their connections: the join handshake (a fresh challenge
 * per connection, the token, the proof of possession of the participant's key), the refusals of
 * everything a connection may not send, and who is connected in which role. Transport-agnostic:
 * a connection is anything that can send bytes and be closed (http.ts adapts `ws`).
 *
 * It knows nothing of rounds: a joined participant's round messages go to the host.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { bytesEqual } from '../base/bytes.js';
import { isCodedError } from '../base/error.js';
import { verifyCertificateAsync } from '../cert/certificate.js';
import { CertificateError } from '../cert/errors.js';
import { SecAggError, verifyJoinProof, x25519PublicKey } from '../secagg/index.js';
import { WireError, decodeClientMessage, encodeMessage } from '../wire/codec.js';
import { type FederationEvent, SHORT_ID } from '../wire/events.js';
import { participantIdOf } from '../wire/ids.js';
import {
  type ClientMessage,
  type JoinMsg,
  type RoundId,
  type ServerMessage,
  type WireCertificate,
  WIRE_VERSION,
} from '../wire/messages.js';
import type { ServerConfig } from './config.js';
import type { Logger } from './log.js';
import { Refusal } from './refusal.js';

export interface Connection {
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** What a transport calls for one connection. */
export interface Session {
  message(data: Uint8Array, binary: boolean): Promise<void>;
  close(): void;
}

export interface Participant {
  readonly id: string;
  readonly publicKey: Uint8Array;
  train: boolean;
  committee: boolean;
  label: string | undefined;
  conn: Connection | undefined;
  /** The authority's certificate (certified federations). */
  certificate: WireCertificate | undefined;
}

/** A joined participant's message about a round (contribution, answer, plain). */
export type RoundMessage = Extract<ClientMessage, { round: RoundId }>;

export interface RegistryHost {
  /** What the welcome tells a participant that joined. */
  welcome(): { federation: string; version: number };
  /** The round a refusal refers to, while one runs. */
  currentRound(): RoundId | undefined;
  emit(e: FederationEvent): void;
  /** A participant joined (or joined again), after its welcome and the participants event. */
  joined(id: string): void;
  /** A participant's connection closed, after the participants event. */
  left(id: string): void;
  roundMessage(id: string, msg: RoundMessage, size: number): Promise<void>;
  /** Why this participant is refused (a convicted offender, §25), if it is. */
  refusal?(id: string): string | undefined;
}

/** Short, stable participant id derived from the long-term public key. */
export function participantId(publicKey: Uint8Array): string {
  return participantIdOf(publicKey);
}

/** The code a refusal travels with: the error family's code, or INTERNAL for a bug. */
function codeOf(e: unknown): string {
  return isCodedError(e) || e instanceof SecAggError ? e.code : 'INTERNAL';
}

export class Registry {
  private readonly participants = new Map<string, Participant>();
  private readonly verifiedCerts = new Set<string>();

  constructor(
    private readonly config: ServerConfig,
    private readonly maxMessageBytes: number,
    private readonly log: Logger,
    private readonly host: RegistryHost,
  ) {}

  /** Connected participants, in joining order. */
  connected(): Participant[] {
    return [...this.participants.values()].filter((p) => p.conn);
  }

  counts(): { connected: number; trainers: number; volunteers: number } {
    const connected = this.connected();
    return {
      connected: connected.length,
      trainers: connected.filter((p) => p.train).length,
      volunteers: connected.filter((p) => p.committee).length,
    };
  }

  get(id: string): Participant | undefined {
    return this.participants.get(id);
  }

  isConnected(id: string): boolean {
    return !!this.participants.get(id)?.conn;
  }

  /** Sends one message; returns its size, or 0 when the participant is not connected. */
  send(id: string, msg: ServerMessage): number {
    const p = this.participants.get(id);
    if (!p?.conn) return 0;
    const bytes = encodeMessage(msg);
    try {
      p.conn.send(bytes);
    } catch (e) {
      this.log.warn('send_failed', { clientId: id, error: String(e) });
      return 0;
    }
    return bytes.byteLength;
  }

  closeAll(code: number, reason: string): void {
    for (const p of this.participants.values()) p.conn?.close(code, reason);
  }

  private emitParticipants(): void {
    const list = this.connected().map((p) => ({
      id: p.id.slice(0, SHORT_ID),
      train: p.train,
      committee: p.committee,
      ...(p.label ? { label: p.label.slice(0, 32) } : {}),
    }));
    this.host.emit({ type: 'participants', ...this.counts(), list });
  }

  /** A new transport connection; returns the handlers the transport calls. */
  connect(conn: Connection): Session {
    let id: string | undefined;
    let joining = false;
    // A fresh challenge per connection: the join must prove possession of its secret key.
    const challengeSecret = new Uint8Array(randomBytes(32));
    const challenge = x25519PublicKey(challengeSecret);
    const reply = (msg: ServerMessage) => {
      try {
        conn.send(encodeMessage(msg));
      } catch {
        /* the connection is gone; nothing to tell */
      }
    };
    const refuse = (e: unknown, ref?: string) => {
      const code = codeOf(e);
      const message = e instanceof Error ? e.message : String(e);
      if (code === 'INTERNAL') {
        const stack = e instanceof Error ? e.stack : undefined;
        this.log.error('internal_error', { clientId: id, error: message, stack });
      } else this.log.warn('refused', { clientId: id, code, message, ref });
      this.host.emit({ type: 'refused', ...(id ? { clientId: id } : {}), code, message, ...(ref ? { ref } : {}) });
      const round = this.host.currentRound();
      reply({ t: 'error', code, message, ...(ref ? { ref } : {}), ...(round !== undefined ? { round } : {}) });
    };
    reply({ t: 'hello', v: WIRE_VERSION, challenge });
    return {
      message: async (data, binary) => {
        let msg: ClientMessage | undefined;
        try {
          if (!binary) throw new Refusal('TEXT_FRAME', 'messages must be binary msgpack frames');
          msg = decodeClientMessage(data, this.maxMessageBytes);
          if (!id) {
            if (msg.t !== 'join') throw new Refusal('NOT_JOINED', `send a join message before ${msg.t}`);
            if (joining) throw new Refusal('ALREADY_JOINED', 'a join on this connection is being checked');
            joining = true;
            try {
              this.checkToken(msg.token);
              if (!(await verifyJoinProof(challengeSecret, challenge, msg.publicKey, msg.proof))) {
                const why = "the join proof does not verify: the public key is not this participant's";
                throw new Refusal('UNAUTHENTICATED', why);
              }
              if (!msg.train && !msg.committee)
                throw new Refusal('NOT_JOINED', 'a participant must train, volunteer for the committee, or both');
              const certificate = await this.checkCertificate(msg);
              id = this.join(conn, msg, certificate);
            } finally {
              joining = false;
            }
            return;
          }
          await this.dispatch(id, msg, data.byteLength);
        } catch (e) {
          refuse(e, msg?.t ?? (e instanceof WireError ? e.ref : undefined));
          if (
            e instanceof Refusal &&
            (e.code === 'UNAUTHENTICATED' || e.code === 'UNCERTIFIED' || e.code === 'OFFENDER')
          )
            conn.close(4001, e.code === 'UNCERTIFIED' ? 'uncertified' : 'unauthenticated');
        }
      },
      close: () => {
        if (!id) return;
        const p = this.participants.get(id);
        if (p && p.conn === conn) {
          p.conn = undefined;
          this.log.info('left', { clientId: id });
          this.emitParticipants();
          this.host.left(id);
        }
      },
    };
  }

  private checkToken(token: string): void {
    if (this.config.open) return;
    const want = Buffer.from(this.config.token ?? '');
    const got = Buffer.from(token);
    if (want.length !== got.length || !timingSafeEqual(want, got)) {
      throw new Refusal('UNAUTHENTICATED', 'wrong join token');
    }
  }

  /** In a certified federation, the join's certificate must name its key, roles and federation. */
  private async checkCertificate(msg: JoinMsg): Promise<WireCertificate | undefined> {
    const authorities = this.config.authorityKeys;
    if (!authorities) return undefined;
    const cert = msg.certificate;
    if (!cert) throw new Refusal('UNCERTIFIED', 'this federation admits only participants certified by its authority');
    const check = {
      authorities: authorities.map((h) => new Uint8Array(Buffer.from(h, 'hex'))),
      federation: this.host.welcome().federation,
      now: Date.now(),
    };
    try {
      if (msg.train) await verifyCertificateAsync(cert, { ...check, role: 'trainer' }, this.verifiedCerts);
      if (msg.committee) await verifyCertificateAsync(cert, { ...check, role: 'member' }, this.verifiedCerts);
    } catch (e) {
      if (e instanceof CertificateError) throw new Refusal('UNCERTIFIED', `join refused: ${e.message}`);
      throw e;
    }
    if (!bytesEqual(cert.body.sealKey, msg.publicKey) || cert.body.participantId !== participantId(msg.publicKey))
      throw new Refusal('UNCERTIFIED', 'join refused: the certificate is for another key');
    return cert;
  }

  private join(conn: Connection, msg: JoinMsg, certificate: WireCertificate | undefined): string {
    if (!msg.train && !msg.committee) {
      throw new Refusal('NOT_JOINED', 'a participant must train, volunteer for the committee, or both');
    }
    const id = participantId(msg.publicKey);
    const refused = this.host.refusal?.(id);
    if (refused) throw new Refusal('OFFENDER', refused);
    const existing = this.participants.get(id);
    if (existing?.conn && existing.conn !== conn) {
      existing.conn.close(4000, 'replaced by a new connection of the same identity');
    }
    const { publicKey, train, committee, label } = msg;
    const p: Participant = { id, publicKey, train, committee, label, conn, certificate };
    this.participants.set(id, p);
    this.log.info('joined', { clientId: id, train: msg.train, committee: msg.committee, label: msg.label });
    const { federation, version } = this.host.welcome();
    this.send(id, { t: 'welcome', v: WIRE_VERSION, clientId: id, federation, version });
    this.emitParticipants();
    this.host.joined(id);
    return id;
  }

  private async dispatch(id: string, msg: ClientMessage, size: number): Promise<void> {
    if (msg.t === 'join') throw new Refusal('ALREADY_JOINED', 'this connection has already joined');
    if (msg.t === 'leave') {
      this.participants.get(id)?.conn?.close(1000, 'left');
      return;
    }
    await this.host.roundMessage(id, msg, size);
  }
}
