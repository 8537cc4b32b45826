/**
 * When the next round may start, and the draw of its roles. Every participant speaks once per
 * round: the committee is drawn uniformly (crypto.randomInt Fisher–Yates) from the connected
 * volunteers, and everyone else with the train role trains. The committee is the operator's
 * (checked once, at start: config.ts) or sized by the core against the connected volunteers
 * (docs/protocol.md §15: every corrupt participant assumed to volunteer); a sized committee that
 * is not subset-safe is not used unless the server runs with `insecureDemo`.
 */
import { randomInt } from 'node:crypto';
import { type CommitteeSettings, sizeCommittee } from '../secagg/index.js';
import type { SignedCommittee } from '../cert/committee.js';
import type { ServerConfig } from './config.js';
import type { Participant } from './registry.js';

/** The roles of a round; a plaintext round (INSECURE benchmark mode) has no committee. */
export interface Draw {
  readonly trainers: Participant[];
  /** members[j − 1] is member j. */
  readonly members: Participant[];
  readonly committee: CommitteeSettings | undefined;
  /** The authority's signed committee list, when it drew the members (docs/protocol.md §24). */
  readonly signedCommittee?: SignedCommittee;
}

function shuffle<T>(xs: readonly T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** True once the configured number of rounds has run (0: run until stopped). */
export function allRoundsRun(config: ServerConfig, roundsRun: number): boolean {
  return config.rounds > 0 && roundsRun >= config.rounds;
}

function drawCommittee(
  connected: readonly Participant[],
  config: ServerConfig,
  explicit: CommitteeSettings | undefined,
): { settings: CommitteeSettings; members: Participant[] } | string {
  const volunteers = connected.filter((p) => p.committee);
  let settings: CommitteeSettings;
  try {
    settings =
      explicit ??
      sizeCommittee({
        n: connected.length,
        pool: volunteers.length,
        m: Math.min(config.committeeMax, volunteers.length),
        corruptFraction: config.corruptFraction,
        dropoutFraction: config.dropoutFraction,
      });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return `committee cannot be sized from ${volunteers.length} volunteer(s): ${why}`;
  }
  if (!explicit && !settings.subsetSafe && !config.insecureDemo) {
    const { m, tRec, rho, cMax } = settings;
    return (
      `the committee sized from ${volunteers.length} volunteer(s) of ${connected.length} participant(s), ` +
      `m=${m} t_rec=${tRec} ρ=${rho} c_max=${cMax}, is not subset-safe: 2·t_rec = ${2 * tRec} must exceed ` +
      `m + c_max = ${m + cMax}; waiting for more volunteers (or start with --insecure-demo)`
    );
  }
  if (volunteers.length < settings.m) {
    return `${volunteers.length} committee volunteer(s) connected, ${settings.m} needed`;
  }
  return { settings, members: shuffle(volunteers).slice(0, settings.m) };
}

/**
 * The roles of the next round among the connected participants, or why it cannot start yet.
 * `explicit` is the operator's committee; `firstRound` whether no round has run since start.
 */
export function drawRoles(
  connected: readonly Participant[],
  config: ServerConfig,
  explicit: CommitteeSettings | undefined,
  firstRound: boolean,
): Draw | string {
  if (firstRound && connected.length < config.firstRoundParticipants) {
    return `${connected.length} of ${config.firstRoundParticipants} participants connected for the first round`;
  }
  let committee: CommitteeSettings | undefined;
  let members: Participant[] = [];
  if (!config.insecurePlaintext) {
    const pick = drawCommittee(connected, config, explicit);
    if (typeof pick === 'string') return pick;
    ({ settings: committee, members } = pick);
  }
  const memberIds = new Set(members.map((p) => p.id));
  const trainers = connected.filter((p) => p.train && !memberIds.has(p.id));
  if (trainers.length < config.minTrainers) {
    return `${trainers.length} trainer(s) connected, ${config.minTrainers} needed`;
  }
  return { trainers, members, committee };
}
