/**
 * Plain-language narration for people who are not engineers: one line per step of a round as
 * it happens, a "what is happening now" paragraph, and failure codes in words. Pure functions
 * (no DOM, no clock), unit-tested in state.test.ts.
 */
import type { DashAction, DashState, Phase, StoryLine, Tone } from './types.js';

export type { StoryLine, Tone } from './types.js';

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Failure codes in words (what happened, and what it means for the model). */
export const FAILURE_WORDS: Record<string, string> = {
  THRESHOLD_NOT_MET:
    'Not enough committee members answered in time, so nobody — not even the server — could remove the masks. The model stays as it was; the next round picks a new committee.',
  TOO_FEW_SURVIVORS:
    'Too few trainers sent their update before the deadline. Revealing a "sum" of so few updates could expose one of them, so the round was abandoned and the model stays as it was.',
  INCONSISTENT_SURVIVOR_SET:
    'Committee members disagreed about which trainers took part, so the server refused to unmask anything. The model stays as it was.',
  INCONSISTENT_SHARES:
    'Some committee answers did not fit together, so the sum could not be trusted and was thrown away. The model stays as it was.',
  SEAL_FAILED: 'A sealed message did not check out, so it was refused rather than used. The model stays as it was.',
  APPLY_FAILED: 'The sum was unmasked but could not be applied to the model. The model stays as it was.',
  ABORTED: 'The server was stopped during the round. The model stays as it was.',
  BUDGET_EXCEEDED: 'The round was too large for the safety limits of the masking scheme. The model stays as it was.',
  CAPACITY_EXCEEDED: 'More trainers took part than the masking scheme allows. The model stays as it was.',
  INTERNAL: 'An internal error ended the round. The model stays as it was.',
};

/** A failure in words; unknown codes fall back to a generic sentence (the detail is shown apart). */
export function explainFailure(code: string): string {
  return FAILURE_WORDS[code] ?? 'The round could not be completed. The model stays as it was.';
}

/** A short title for a failure code. */
export function failureTitle(code: string): string {
  switch (code) {
    case 'THRESHOLD_NOT_MET':
      return 'Committee too quiet';
    case 'TOO_FEW_SURVIVORS':
      return 'Too few trainers';
    case 'ABORTED':
      return 'Stopped';
    default:
      return 'Round failed';
  }
}

/** The narration line an event adds, if any. */
export function narrateEvent(prev: DashState, e: DashAction, next: DashState): StoryLine | undefined {
  switch (e.type) {
    case 'waiting':
      return {
        key: `waiting:${e.reason}:${prev.rounds.length}`,
        round: undefined,
        tone: 'warn',
        text: `Waiting before the next round: ${e.reason}.`,
      };
    case 'round_started':
      return {
        key: `r${e.round}:start`,
        round: e.round,
        tone: 'info',
        text:
          `Round ${e.round} begins. The server sends model v${e.version} to ${plural(e.trainers.length, 'trainer')} and names a committee of ${e.m}. ` +
          `Each trainer improves the model on its own data, hides its update under a random mask and sends one message.`,
      };
    case 'contribution':
      if (e.received !== 1 || next.current?.round !== e.round) return undefined;
      return {
        key: `r${e.round}:first`,
        round: e.round,
        tone: 'info',
        text: `The first masked update of round ${e.round} has arrived. To the server it looks like random noise.`,
      };
    case 'cutoff': {
      const n = e.survivors.length + e.dropped.length;
      const dropped = e.dropped.length
        ? ` ${plural(e.dropped.length, 'trainer')} dropped out and ${e.dropped.length === 1 ? 'is' : 'are'} simply left out of the sum.`
        : '';
      return {
        key: `r${e.round}:cutoff`,
        round: e.round,
        tone: e.dropped.length ? 'warn' : 'info',
        text: `The server has cut off contributions: ${e.survivors.length} of ${n} trainers made it.${dropped} It now asks the committee for the key to the sum of their masks.`,
      };
    }
    case 'answer': {
      if (e.answered !== e.tRec) return undefined;
      return {
        key: `r${e.round}:quorum`,
        round: e.round,
        tone: 'info',
        text: `${e.answered} of ${e.m} committee members have answered — enough (${e.tRec} needed) to unmask the sum, and still not enough to reveal any single update.`,
      };
    }
    case 'excluded':
      return {
        key: `r${e.round}:excluded`,
        round: e.round,
        tone: 'warn',
        text:
          `${plural(e.trainers.length, 'trainer')} sent shares the committee could not use, and the members proved it. ` +
          `${e.trainers.length === 1 ? 'It is' : 'They are'} left out of round ${e.round} and refused from now on; the committee answers again for everyone else.`,
      };
    case 'round_done': {
      const m = e.metrics;
      const quality = m
        ? ` Measured together, without pooling data, model v${m.version} found ${pct(m.recall_at_1pct_fpr)} of frauds at a 1 % false-alarm rate (AUC-PR ${m.auc_pr.toFixed(3)}).`
        : '';
      const dp = e.privacy
        ? ` Each update carried a share of differential-privacy noise; privacy spent so far: ε = ${e.privacy.epsilon.toFixed(2)} (δ = ${e.privacy.delta}).`
        : '';
      return {
        key: `r${e.round}:done`,
        round: e.round,
        tone: 'ok',
        text: `Round ${e.round} done: the masks cancelled out and the server learned only the average of ${plural(e.survivors.length, 'update')}. The shared model is now v${e.version}.${quality}${dp}`,
      };
    }
    case 'round_failed':
      return {
        key: `r${e.round}:failed`,
        round: e.round,
        tone: 'bad',
        text: `Round ${e.round} failed. ${explainFailure(e.code)}`,
      };
    case 'finished':
      return {
        key: `finished:${e.rounds}`,
        round: undefined,
        tone: 'ok',
        text: `The federation has finished after ${plural(e.rounds, 'round')}; the final model is v${e.version}.`,
      };
    case 'privacy_budget_spent':
      return {
        key: `budget:${e.rounds}`,
        round: undefined,
        tone: 'warn',
        text: `The privacy budget is spent (ε = ${e.epsilon.toFixed(2)} of ${e.budget.toFixed(2)}): no more rounds will be opened, and the model stays at its last version.`,
      };
    default:
      return undefined;
  }
}

export function pct(x: number): string {
  return `${Math.round(x * 100)} %`;
}

/** Seconds left until `deadline` (epoch ms), never negative. */
export function secondsLeft(deadline: number, now: number): number {
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

/** The next round as the server's schedule announced it. */
function nextRound(at: number | undefined, now: number): string {
  if (at === undefined) return 'The next round starts shortly.';
  const s = secondsLeft(at, now);
  return s > 0 ? `The server opens the next round in ${s} s.` : 'The server is opening the next round.';
}

/** "What is happening now": a headline and a paragraph for the explanation panel. */
export function describeNow(
  s: DashState,
  now: number,
): { phase: Phase | 'idle'; tone: Tone; title: string; text: string } {
  const c = s.current;
  if (s.connection !== 'live' && s.everLive)
    return {
      phase: 'idle',
      tone: 'warn',
      title: 'Server not reachable',
      text: 'The dashboard lost its connection to the server — it may be restarting. It reconnects by itself and catches up; nothing is lost (every round is in the server’s round log).',
    };
  if (s.finished && (!c || c.outcome))
    return {
      phase: 'idle',
      tone: 'ok',
      title: 'Finished',
      text: `The federation ran ${plural(s.finished.rounds, 'round')}. The final shared model is v${s.finished.version}.`,
    };
  if (!c) {
    if (s.waiting)
      return {
        phase: 'idle',
        tone: 'warn',
        title: 'Waiting for participants',
        text: `The first round starts when enough people have joined: ${s.waiting}.`,
      };
    return {
      phase: 'idle',
      tone: 'info',
      title: 'Waiting for the next round',
      text: 'The server starts a round as soon as enough trainers and committee members are connected.',
    };
  }
  if (c.outcome?.ok) {
    return {
      phase: 'model',
      tone: 'ok',
      title: `Model v${c.outcome.version} is ready`,
      text: `Round ${c.round} is complete. Only the combined update of ${plural(c.survivors?.length ?? c.received, 'trainer')} was ever visible to the server. ${nextRound(c.nextAt, now)}`,
    };
  }
  if (c.outcome && !c.outcome.ok) {
    return {
      phase: c.outcome.failedAt,
      tone: 'bad',
      title: `Round ${c.round} failed — ${failureTitle(c.outcome.code).toLowerCase()}`,
      text: `${explainFailure(c.outcome.code)} ${nextRound(c.nextAt, now)}`,
    };
  }
  if (c.phase === 'contributions') {
    const left = secondsLeft(c.submitBy, now);
    return {
      phase: 'contributions',
      tone: 'info',
      title: 'Trainers are training and sending',
      text: `Each of the ${plural(c.expected, 'trainer')} improves model v${c.version} on data that never leaves it, masks the update and sends it once. ${c.received} of ${c.expected} masked updates have arrived; the server closes the door in ${left} s.`,
    };
  }
  const left = secondsLeft(c.answerBy, now);
  const need = Math.max(0, c.tRec - c.answered);
  return {
    phase: 'committee',
    tone: 'info',
    title: 'The committee is answering',
    text:
      `${c.survivors?.length ?? c.received} trainers made it in time. Each committee member adds up the pieces of mask keys it was given and answers once. ` +
      (need > 0
        ? `${c.answered} of ${c.m} have answered; ${need} more needed within ${left} s.`
        : `${c.answered} of ${c.m} have answered — enough to unmask the sum.`),
  };
}
