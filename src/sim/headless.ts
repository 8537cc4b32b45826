/**
 * Headless participants that run beside browsers in `npm start` and `npm run demo`, with
 * failures injected at chosen rounds: committee members that stay silent (a round fails
 * loudly when more than m − t_rec do) and trainers that crash at random protocol points.
 * Crashed participants come back with the same identity once the round has ended.
 */
import { randomInt } from 'node:crypto';
import type { CryptoRunner } from '../client/crypto/types.js';
import type { DropPoint } from '../client/engine.js';
import type { LocalEvaluator, LocalTrainer } from '../client/trainers/types.js';
import type { Dataset } from '../ml/dataset.js';
import { type MemberIdentity, createIdentity } from '../secagg/index.js';
import { type AuthorityPin, type SimParticipant, startParticipant } from './harness.js';

export interface HeadlessOptions {
  wsUrl: string;
  token: string;
  /** The enrollment authority the headless participants enroll with and pin. */
  authority?: AuthorityPin;
  trainers: { train: Dataset; heldOut: Dataset }[];
  members: number;
  makeTrainer: (data: Dataset, i: number) => LocalTrainer;
  makeEvaluator: (heldOut: Dataset) => LocalEvaluator;
  /** The protocol's arithmetic of participant `i` (trainers first, then members); default in process. */
  makeCrypto?: (i: number) => CryptoRunner;
}

interface Slot {
  identity: MemberIdentity;
  label: string;
  data?: { train: Dataset; heldOut: Dataset };
  current: SimParticipant;
}

const TRAINER_POINTS: DropPoint[] = ['before-train', 'before-send', 'after-send'];

export class HeadlessPool {
  private readonly slots: Slot[] = [];
  /** Absolute round → how many members stay silent / trainers crash in it. */
  private readonly silentMembers = new Map<number, number>();
  private readonly crashingTrainers = new Map<number, { count: number; points: readonly DropPoint[] }>();
  private readonly planned = new Map<number, Map<number, DropPoint>>();

  constructor(private readonly o: HeadlessOptions) {
    o.trainers.forEach((data, i) => this.add(`headless-trainer-${i + 1}`, data));
    for (let j = 0; j < o.members; j++) this.add(`headless-member-${j + 1}`);
  }

  get participants(): SimParticipant[] {
    return this.slots.map((s) => s.current);
  }

  private add(label: string, data?: { train: Dataset; heldOut: Dataset }): void {
    const slot: Slot = {
      identity: createIdentity(),
      label,
      ...(data ? { data } : {}),
      current: undefined as unknown as SimParticipant,
    };
    this.slots.push(slot);
    slot.current = this.spawn(this.slots.length - 1);
  }

  private spawn(i: number): SimParticipant {
    const s = this.slots[i] as Slot;
    return startParticipant({
      url: this.o.wsUrl,
      token: this.o.token,
      ...(this.o.authority ? { authority: this.o.authority } : {}),
      train: !!s.data,
      committee: !s.data,
      identity: s.identity,
      label: s.label,
      ...(s.data
        ? { trainer: this.o.makeTrainer(s.data.train, i), evaluator: this.o.makeEvaluator(s.data.heldOut) }
        : {}),
      ...(this.o.makeCrypto ? { crypto: this.o.makeCrypto(i) } : {}),
      dropAt: (round, point) => this.plan(round).get(i) === point,
    });
  }

  /** In `round`, `count` headless members stay silent (crash before answering). */
  silenceMembers(round: number, count: number): void {
    this.silentMembers.set(round, count);
  }

  /** In `round`, `count` headless trainers crash at random protocol points (of `points`). */
  crashTrainers(round: number, count: number, points: readonly DropPoint[] = TRAINER_POINTS): void {
    this.crashingTrainers.set(round, { count, points });
  }

  private plan(round: number): Map<number, DropPoint> {
    let p = this.planned.get(round);
    if (!p) {
      p = new Map();
      const members = this.slots.map((s, i) => (s.data ? -1 : i)).filter((i) => i >= 0);
      const trainers = this.slots.map((s, i) => (s.data ? i : -1)).filter((i) => i >= 0);
      for (const i of pick(members, this.silentMembers.get(round) ?? 0)) p.set(i, 'before-answer');
      const crash = this.crashingTrainers.get(round);
      for (const i of pick(trainers, crash?.count ?? 0))
        p.set(i, crash?.points[randomInt(crash.points.length)] as DropPoint);
      this.planned.set(round, p);
    }
    return p;
  }

  /** After a round: crashed participants come back with the same identity. */
  roundEnded(round: number): void {
    for (const i of this.plan(round).keys()) {
      const s = this.slots[i] as Slot;
      if (s.current.engine.state.connection === 'closed') s.current = this.spawn(i);
    }
  }

  stop(): void {
    for (const s of this.slots) s.current.engine.stop();
  }
}

/** k elements of xs drawn uniformly without replacement (crypto randomness). */
export function pick<T>(xs: readonly T[], k: number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a.slice(0, k);
}
