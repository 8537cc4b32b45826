/**
 * The participant page: connection and role, backend, the round's state as a stepper, training
 * and sealing progress, per-round charts, history, and an error panel in words.
 */
import type { EngineSnapshot } from '../client/engine.js';
import { RoundCharts, type RoundPoint } from './charts.js';
import { clear, fmtBytes, h, shortId } from './dom.js';
import { type Scheme, insecureDemoNotice } from './insecure-demo.js';
import type { KeyProtection } from '../client/storage.js';
import { keyProtectionText } from './key-protection.js';

export interface ViewState {
  engine: EngineSnapshot;
  backend: { name: string; reason: string } | undefined;
  /** How the identity and signing keys are held (non-extractable WebCrypto keys, or bytes and why). */
  keys: KeyProtection | undefined;
  data: { name: string; rows: number; frauds: number } | undefined;
  progress: { phase: 'training' | 'sealing'; fraction: number; detail?: string | undefined } | undefined;
  points: RoundPoint[];
  history: { round: number; role: string; ok: boolean; version: number; note: string }[];
  errors: { at: string; code: string; message: string }[];
  /** The latest round's committee, from its descriptor (the INSECURE DEMO notice checks it). */
  committee: Scheme | undefined;
}

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

/** Plain-language explanations of error codes shown in the panel. */
const EXPLAIN: Record<string, string> = {
  THRESHOLD_NOT_MET:
    'Too few committee members answered in time, so the sum could not be unmasked. The model did not change; the next round draws a new committee.',
  TOO_FEW_SURVIVORS:
    'Too few trainers sent an update; unmasking a sum of one would reveal it, so the round was abandoned.',
  LATE: 'The message arrived after its deadline and was not counted.',
  DUPLICATE: 'A second message for the same round was refused: every participant speaks once.',
  UNAUTHENTICATED: 'The join token was not accepted. Check the link you were given.',
  SEAL_FAILED: 'A sealed share did not authenticate; this member refused to answer rather than sum something wrong.',
  MALFORMED: 'A message was refused because it was malformed.',
  MALFORMED_INPUT: 'A message was refused because it was malformed.',
  TOO_LARGE: 'A message was larger than the server accepts.',
  WRONG_ROUND: 'The message was for another round.',
  STORAGE_FAILED:
    'This browser refused to store data (private mode or a full disk?); it will be missing after a reload.',
  UNPROVEN_EXCLUSION:
    'The server asked this member to answer again without some trainers, but could not prove they cheated; this member refused, so no honest update can be singled out.',
  OFFENDER: 'This participant was proven to have sent unusable shares and is no longer accepted by this federation.',
  BAD_COMPLAINT: 'A complaint about a trainer did not carry the proof it claimed and was refused.',
};

export class ParticipantView {
  private readonly root: HTMLElement;
  private readonly els: Record<string, HTMLElement> = {};
  private charts: RoundCharts | undefined;

  constructor(root: HTMLElement, onLeave: () => void) {
    this.root = root;
    const fact = (id: string, label: string, big = false) =>
      h(
        'div',
        { class: 'fact' },
        h('div', { class: 'k' }, label),
        (this.els[id] = h('div', { class: big ? 'v big' : 'v', id: `fact-${id}` }, '—')),
      );
    this.els.stepper = h('div', { class: 'stepper', id: 'stepper' });
    this.els.barTrain = h('div');
    this.els.barSeal = h('div');
    this.els.trainLabel = h('span', {}, '');
    this.els.sealLabel = h('span', {}, '');
    this.els.errors = h('ul', { id: 'errors' });
    this.els.errorCard = h(
      'section',
      { class: 'card errors', id: 'error-panel', style: 'display:none' },
      h('h2', {}, 'What went wrong'),
      this.els.errors,
    );
    this.els.insecureDemo = h('section', { class: 'card insecure-demo', id: 'insecure-demo', style: 'display:none' });
    this.els.history = h('tbody');
    const quality = h('div', { class: 'chart', id: 'chart-quality' });
    const bytes = h('div', { class: 'chart', id: 'chart-bytes' });
    root.replaceChildren(
      this.els.insecureDemo,
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'This participant'),
        h(
          'div',
          { class: 'facts' },
          fact('connection', 'Connection'),
          fact('client', 'Participant id'),
          fact('role', 'Role this round'),
          fact('backend', 'TensorFlow.js backend'),
          fact('data', 'Local data'),
          fact('version', 'Global model', true),
        ),
        h('p', { class: 'muted', id: 'backend-reason' }, ''),
        h('p', { class: 'muted', id: 'key-protection' }, ''),
        h(
          'div',
          { style: 'margin-top:10px' },
          h('button', { class: 'secondary', id: 'leave', onclick: () => onLeave() }, 'Leave federation'),
        ),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', { id: 'round-title' }, 'Round'),
        this.els.stepper,
        h('div', { class: 'barlabel' }, h('span', {}, 'Training'), this.els.trainLabel),
        h('div', { class: 'bar', id: 'bar-training' }, this.els.barTrain),
        h('div', { class: 'barlabel' }, h('span', {}, 'Masking & sealing (Web Worker)'), this.els.sealLabel),
        h('div', { class: 'bar', id: 'bar-sealing' }, this.els.barSeal),
      ),
      this.els.errorCard,
      h(
        'div',
        { class: 'grid2' },
        h('section', { class: 'card' }, h('h2', {}, 'Loss and AUC-PR per round'), quality),
        h('section', { class: 'card' }, h('h2', {}, 'Bytes sent per round'), bytes),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Round history'),
        h(
          'table',
          { class: 'history' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'round'),
              h('th', {}, 'role'),
              h('th', {}, 'outcome'),
              h('th', {}, 'model'),
              h('th', {}, 'details'),
            ),
          ),
          this.els.history,
        ),
      ),
    );
    this.els.backendReason = root.querySelector('#backend-reason') as HTMLElement;
    this.els.keyProtection = root.querySelector('#key-protection') as HTMLElement;
    this.els.roundTitle = root.querySelector('#round-title') as HTMLElement;
    requestAnimationFrame(() => {
      this.charts = new RoundCharts(quality, bytes);
      this.lastPoints = undefined;
    });
  }

  private lastPoints: string | undefined;

  render(s: ViewState): void {
    const e = s.engine;
    const notice = insecureDemoNotice(s.committee);
    const banner = this.els.insecureDemo as HTMLElement;
    banner.style.display = notice ? '' : 'none';
    banner.textContent = notice ?? '';
    const conn = this.els.connection as HTMLElement;
    conn.replaceChildren(
      h(
        'span',
        { class: `pill ${e.connection === 'open' ? 'ok' : e.connection === 'connecting' ? 'warn' : 'bad'}` },
        e.connection,
      ),
    );
    (this.els.client as HTMLElement).textContent = shortId(e.clientId);
    (this.els.role as HTMLElement).textContent = e.role
      ? e.role === 'member'
        ? `committee member #${e.memberIndex}`
        : e.role
      : '—';
    (this.els.backend as HTMLElement).textContent = s.backend?.name ?? '…';
    (this.els.backendReason as HTMLElement).textContent = s.backend ? `Backend: ${s.backend.reason}` : '';
    (this.els.keyProtection as HTMLElement).textContent = keyProtectionText(s.keys);
    (this.els.data as HTMLElement).textContent = s.data
      ? `${s.data.rows.toLocaleString()} rows, ${s.data.frauds} frauds`
      : 'committee only';
    (this.els.version as HTMLElement).textContent = `v${e.version}`;
    (this.els.roundTitle as HTMLElement).textContent = e.round ? `Round ${e.round}` : 'Waiting for the first round';

    const steps = e.role === 'member' ? MEMBER_STEPS : TRAINER_STEPS;
    const idx = steps.findIndex(([k]) => k === e.phase);
    const stepper = this.els.stepper as HTMLElement;
    clear(stepper);
    steps.forEach(([k, label], i) => {
      const failed = e.phase === 'failed' && i === steps.length - 1;
      const cls = failed
        ? 'step failed'
        : i < idx || e.phase === 'done'
          ? 'step done'
          : i === idx
            ? 'step active'
            : 'step';
      stepper.append(h('div', { class: cls, 'data-step': k }, failed ? 'Round failed' : label));
    });
    stepper.dataset.phase = e.phase;

    const train =
      s.progress?.phase === 'training'
        ? s.progress.fraction
        : ['sealing', 'sent', 'done'].includes(e.phase) && e.role === 'trainer'
          ? 1
          : 0;
    const seal =
      s.progress?.phase === 'sealing'
        ? s.progress.fraction
        : ['sent', 'done'].includes(e.phase) && e.role === 'trainer'
          ? 1
          : 0;
    (this.els.barTrain as HTMLElement).style.width = `${Math.round(train * 100)}%`;
    (this.els.barSeal as HTMLElement).style.width = `${Math.round(seal * 100)}%`;
    (this.els.trainLabel as HTMLElement).textContent =
      s.progress?.phase === 'training' && s.progress.detail ? s.progress.detail : `${Math.round(train * 100)} %`;
    (this.els.sealLabel as HTMLElement).textContent = `${Math.round(seal * 100)} %`;

    const errCard = this.els.errorCard as HTMLElement;
    errCard.style.display = s.errors.length ? '' : 'none';
    (this.els.errors as HTMLElement).replaceChildren(
      ...s.errors
        .slice(-6)
        .reverse()
        .map((x) =>
          h(
            'li',
            {},
            h('span', { class: 'code' }, x.code),
            ' ',
            EXPLAIN[x.code] ? `${EXPLAIN[x.code]} ` : '',
            h('span', { class: 'muted' }, `(${x.message}; ${x.at})`),
          ),
        ),
    );
    (this.els.history as HTMLElement).replaceChildren(
      ...s.history
        .slice(-12)
        .reverse()
        .map((r) =>
          h(
            'tr',
            { 'data-round': r.round },
            h('td', {}, r.round),
            h('td', {}, r.role),
            h('td', {}, h('span', { class: `pill ${r.ok ? 'ok' : 'bad'}` }, r.ok ? 'aggregated' : 'failed')),
            h('td', {}, `v${r.version}`),
            h('td', { class: 'muted' }, r.note),
          ),
        ),
    );
    const key = JSON.stringify(s.points);
    if (this.charts && key !== this.lastPoints) {
      this.lastPoints = key;
      this.charts.update(s.points);
    }
  }
}

export { fmtBytes };
