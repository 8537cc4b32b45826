/**
 * The tab's round as a person sees it: the steps, the current one marked (and `aria-current`),
 * a sentence in a live region (what is happening now, the countdown to the next round), the
 * progress bars (progressbar roles), and what the server received from this tab beside what
 * it learned.
 */
import type { EngineSnapshot } from '../client/engine.js';
import { clear, fmtBytes, h } from './dom.js';

const TRAINER_STEPS = [
  ['waiting', 'Waiting for round'],
  ['training', 'Training locally'],
  ['sealing', 'Masking & sealing'],
  ['sent', 'Sent (one message)'],
  ['done', 'Aggregated'],
] as const;
const MEMBER_STEPS = [
  ['waiting', 'Waiting for job'],
  ['job', 'Job received'],
  ['answered', 'Answered (once)'],
  ['done', 'Aggregated'],
] as const;

export interface RoundFacts {
  engine: EngineSnapshot;
  progress: { phase: 'training' | 'sealing'; fraction: number; detail?: string | undefined } | undefined;
  /** This tab's last message: round and size. */
  sent: { round: number; bytes: number; member: boolean } | undefined;
  /** The last result this tab saw: how many trainers the sum covered. */
  result: { round: number; ok: boolean; survivors: number } | undefined;
  /** When the server opens the next round (ms since the epoch, this tab's clock), from its last result. */
  nextAt: number | undefined;
}

function bar(id: string, label: string): { el: HTMLElement; fill: HTMLElement; text: HTMLElement } {
  const fill = h('div', { class: 'fill' });
  const text = h('span', {}, '0 %');
  const el = h(
    'div',
    {},
    h('div', { class: 'barlabel' }, h('span', { id: `${id}-label` }, label), text),
    h(
      'div',
      {
        class: 'bar',
        id,
        role: 'progressbar',
        'aria-labelledby': `${id}-label`,
        'aria-valuemin': 0,
        'aria-valuemax': 100,
        'aria-valuenow': 0,
      },
      fill,
    ),
  );
  return { el, fill, text };
}

export class RoundView {
  readonly el: HTMLElement;
  readonly privacy: HTMLElement;
  private readonly title = h('h2', { id: 'round-title' }, 'Round');
  private readonly stepper = h('ol', { class: 'stepper', id: 'stepper', 'aria-label': 'Steps of this round' });
  private readonly status = h('p', {
    class: 'round-status',
    id: 'round-status',
    role: 'status',
    'aria-live': 'polite',
  });
  private readonly train = bar('bar-training', 'Training');
  private readonly seal = bar('bar-sealing', 'Masking & sealing (Web Worker)');
  private readonly received = h('p', { id: 'server-received' }, 'Nothing yet: this tab has not sent a message.');
  private readonly learned = h('p', { id: 'server-learned' }, 'Nothing yet.');
  private lastStatus = '';

  constructor() {
    this.el = h('section', { class: 'card' }, this.title, this.stepper, this.status, this.train.el, this.seal.el);
    this.privacy = h(
      'section',
      { class: 'card', id: 'server-view' },
      h('h2', {}, 'What the server sees'),
      h(
        'div',
        { class: 'grid2' },
        h('div', {}, h('h3', {}, 'What it received from you'), this.received),
        h('div', {}, h('h3', {}, 'What it learned'), this.learned),
      ),
    );
  }

  render(f: RoundFacts, now: number): void {
    const e = f.engine;
    this.title.textContent = e.round ? `Round ${e.round}` : 'Waiting for the first round';
    const steps = e.role === 'member' ? MEMBER_STEPS : TRAINER_STEPS;
    const waitingPhase = e.phase === 'idle' || e.phase === 'waiting';
    const idx = e.phase === 'failed' ? steps.length - 1 : waitingPhase ? 0 : steps.findIndex(([k]) => k === e.phase);
    clear(this.stepper);
    steps.forEach(([k, label], i) => {
      const failed = e.phase === 'failed' && i === steps.length - 1;
      const cls = failed ? 'step failed' : i === idx ? 'step active' : i < idx ? 'step done' : 'step';
      const li = h('li', { class: cls, 'data-step': k }, failed ? 'Round failed' : label);
      if (i === idx) li.setAttribute('aria-current', 'step');
      this.stepper.append(li);
    });
    this.stepper.dataset.phase = e.phase;

    const trainF =
      f.progress?.phase === 'training'
        ? f.progress.fraction
        : ['sealing', 'sent', 'done'].includes(e.phase) && e.role === 'trainer'
          ? 1
          : 0;
    const sealF =
      f.progress?.phase === 'sealing'
        ? f.progress.fraction
        : ['sent', 'done'].includes(e.phase) && e.role === 'trainer'
          ? 1
          : 0;
    this.setBar(this.train, trainF, f.progress?.phase === 'training' ? f.progress.detail : undefined);
    this.setBar(this.seal, sealF, undefined);

    const status = this.statusText(f, now);
    if (status !== this.lastStatus) this.status.textContent = this.lastStatus = status;

    if (f.sent)
      this.received.textContent = f.sent.member
        ? `Round ${f.sent.round}: one answer of ${fmtBytes(f.sent.bytes)} — the sum of the key pieces sealed to this tab, which on its own reveals no one’s key.`
        : `Round ${f.sent.round}: one message of ${fmtBytes(f.sent.bytes)} — your update hidden under a random mask, plus pieces of the mask’s key sealed to the committee. On its own it looks like random noise.`;
    if (f.result)
      this.learned.textContent = f.result.ok
        ? `Round ${f.result.round}: only the sum of the ${f.result.survivors} trainers’ updates (and of their evaluation counts) — never yours alone.`
        : `Round ${f.result.round}: nothing — the round failed before the sum was unmasked, and the model did not change.`;
  }

  private setBar(b: { el: HTMLElement; fill: HTMLElement; text: HTMLElement }, f: number, detail: string | undefined) {
    const p = Math.round(f * 100);
    b.fill.style.width = `${p}%`;
    b.el.querySelector('[role=progressbar]')?.setAttribute('aria-valuenow', String(p));
    b.text.textContent = detail ?? `${p} %`;
  }

  private statusText(f: RoundFacts, now: number): string {
    const e = f.engine;
    const next = () => {
      if (f.nextAt === undefined) return 'The next round starts when the server opens it.';
      const s = Math.ceil((f.nextAt - now) / 1000);
      return s > 0
        ? `The server opens the next round in ${s} s.`
        : 'The server is opening the next round (once enough participants are connected).';
    };
    switch (e.phase) {
      case 'idle':
      case 'waiting':
        return e.connection === 'open'
          ? `Waiting for the next round. ${next()}`
          : 'Not connected: waiting to reconnect.';
      case 'training':
        return 'Training the model on your data, in this tab.';
      case 'sealing':
        return 'Masking your update and sealing the mask’s key pieces to the committee.';
      case 'sent':
        return 'Your one message is sent. Waiting for the other trainers and the committee.';
      case 'job':
        return 'Summing the key pieces the trainers sealed to this tab.';
      case 'answered':
        return 'Your one answer is sent. Waiting for the server to unmask the sum.';
      case 'done':
        return `Round ${e.round ?? ''} aggregated: the model is now v${e.version}. ${next()}`;
      case 'failed':
        return `Round ${e.round ?? ''} failed; the model did not change. ${next()}`;
    }
  }
}
