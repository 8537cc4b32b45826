/**
 * Events of the federation, for the observer stream (Server-Sent Events at /events), the
 * dashboard and test harnesses. No event carries an individual update.
 */
export type FederationEvent =
  | { type: 'participants'; connected: number; trainers: number; volunteers: number }
  | { type: 'waiting'; reason: string }
  | {
      type: 'round_started';
      round: number;
      version: number;
      trainers: string[];
      members: string[];
      m: number;
      tRec: number;
      rho: number;
      length: number;
      submitBy: number;
      answerBy: number;
      insecurePlaintext: boolean;
    }
  | { type: 'contribution'; round: number; received: number; expected: number; bytes: number }
  | { type: 'cutoff'; round: number; survivors: string[]; dropped: string[] }
  | { type: 'answer'; round: number; answered: number; tRec: number; m: number }
  | {
      type: 'round_done';
      round: number;
      version: number;
      survivors: string[];
      membersAnswered: number[];
      timings: Record<string, number>;
      bytesIn: number;
      bytesOut: number;
      /** SHA-256 (hex) of the decoded integer sum, as little-endian int32 — lets a harness that
       * knows its trainers' plaintext check exactness without the server revealing more. */
      sumDigest: string;
    }
  | { type: 'round_failed'; round: number; version: number; code: string; reason: string }
  | { type: 'refused'; clientId?: string; code: string; message: string; ref?: string }
  | { type: 'finished'; rounds: number; version: number }
  /** Test mode only: the decoded aggregate, for harnesses that check exactness. */
  | { type: 'test_aggregate'; round: number; sum: number[] };

export type FederationEventType = FederationEvent['type'];
