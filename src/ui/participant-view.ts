/**
 * The participant page: the connection in words (with the way out when there is one), who this
 * participant is, the round as a person sees it (round-view.ts), what the server received and
 * learned, per-round charts with their tables, the history with the rounds missed, and an
 * error panel in words. Leave asks first.
 */
import type { EngineSnapshot } from '../client/engine.js';
import type { PrivacyView } from '../client/privacy.js';
import { DpCard } from './dp-card.js';
import type { KeyProtection } from '../client/storage.js';
import type { EngineStatus } from '../secagg/index.js';
import { RoundCharts, type RoundPoint } from './charts.js';
import { chartWithTable } from './chart-table.js';
import { confirmButton } from './confirm.js';
import { type LinkState, describeLink } from './connection.js';
import { fmtBytes, h, shortId } from './dom.js';
import { type Scheme, insecureDemoNotice } from './insecure-demo.js';
import { keyProtectionText } from './key-protection.js';
import { type JoinLink, newLinkBox } from './new-link.js';
import { type RoundFacts, RoundView } from './round-view.js';
import { type HistoryRow, backendWords, maskingWords, withMissed } from './tab-words.js';

export interface ViewState extends Omit<RoundFacts, 'engine'> {
  engine: EngineSnapshot;
  link: LinkState;
  backend: { name: string; reason: string } | undefined;
  /** The arithmetic engine that masks in the crypto worker, and why it is the fallback if it is. */
  masking: EngineStatus | undefined;
  /** How the identity and signing keys are held (non-extractable WebCrypto keys, or bytes and why). */
  keys: KeyProtection | undefined;
  data: { name: string; rows: number; frauds: number } | undefined;
  points: RoundPoint[];
  history: HistoryRow[];
  errors: { at: string; code: string; message: string }[];
  /** The latest round's committee, from its descriptor (the INSECURE DEMO notice checks it). */
  committee: Scheme | undefined;
  /** The latest DP round this tab trained in (docs/dp.md §12). */
  privacy: PrivacyView | undefined;
}

export interface ViewActions {
  leave: () => void;
  /** The person pasted a new join link (the server refused the stored token). */
  newLink: (link: JoinLink) => void;
}

/** Plain-language explanations of error codes shown in the panel. */
const EXPLAIN: Record<string, string> = {
  THRESHOLD_NOT_MET:
    'Too few committee members answered in time, so the sum could not be unmasked. The model did not change; the next round draws a new committee.',
  TOO_FEW_SURVIVORS:
    'Too few trainers sent an update; unmasking a sum of one would reveal it, so the round was abandoned.',
  LATE: 'The message arrived after its deadline and was not counted.',
  DUPLICATE: 'A second message for the same round was refused: every participant speaks once.',
  UNAUTHENTICATED: 'The join token was not accepted. Paste the new link you were given (above).',
  AUTHORITY_UNREACHABLE: 'The enrollment authority of the server could not be reached; this tab keeps trying.',
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
  DP_BUDGET:
    'Taking part in this round would have spent more privacy than the largest ε you accept (set below), so this tab sat it out; nothing was sent.',
  DP_PARAMETERS:
    'The server asked for differential-privacy noise that this tab checked and found too weak or malformed; it refused the round and sent nothing.',
  DP_FIELD_BUDGET:
    'The round’s differential-privacy settings could overflow the secure sum; this tab refused the round and sent nothing.',
};

export class ParticipantView {
  private readonly els: Record<string, HTMLElement> = {};
  private readonly round = new RoundView();
  private readonly dp = new DpCard();
  private charts: RoundCharts | undefined;
  private readonly qualityTable: ReturnType<typeof chartWithTable>;
  private readonly bytesTable: ReturnType<typeof chartWithTable>;
  private lastPoints: string | undefined;
  private linkActionsFor: string | undefined;

  constructor(root: HTMLElement, actions: ViewActions) {
    const fact = (id: string, label: string, big = false) =>
      h(
        'div',
        { class: 'fact' },
        h('div', { class: 'k' }, label),
        (this.els[id] = h('div', { class: big ? 'v big' : 'v', id: `fact-${id}` }, '—')),
      );
    this.els.connText = h('p', { id: 'connection-text', role: 'status', 'aria-live': 'polite' });
    this.els.connActions = h('div', { id: 'connection-actions' });
    this.els.errors = h('ul', { id: 'errors' });
    this.els.errorCard = h(
      'section',
      { class: 'card errors', id: 'error-panel' },
      h('h2', {}, 'What went wrong'),
      this.els.errors,
    );
    this.els.insecureDemo = h('section', { class: 'card insecure-demo', id: 'insecure-demo', role: 'alert' });
    this.els.backendReason = h('p', { class: 'muted', id: 'backend-reason' });
    this.els.maskingReason = h('p', { class: 'muted', id: 'masking-reason' });
    this.els.keyProtection = h('p', { class: 'muted', id: 'key-protection' });
    this.els.history = h('tbody');
    const quality = h('div', { class: 'chart', id: 'chart-quality' });
    const bytes = h('div', { class: 'chart', id: 'chart-bytes' });
    this.qualityTable = chartWithTable(quality, 'Loss and AUC-PR per round');
    this.bytesTable = chartWithTable(bytes, 'Bytes sent per round');
    root.replaceChildren(
      this.els.insecureDemo,
      h(
        'section',
        { class: 'card', id: 'connection' },
        h('h2', {}, 'Connection'),
        h(
          'div',
          { class: 'conn-line' },
          (this.els.connection = h('span', { id: 'fact-connection' }, '—')),
          this.els.connText,
        ),
        this.els.connActions,
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'This participant'),
        h(
          'div',
          { class: 'facts' },
          fact('client', 'Participant id'),
          fact('role', 'Role this round'),
          fact('backend', 'Trains on'),
          fact('masking', 'Masks with'),
          fact('data', 'Local data'),
          fact('version', 'Global model', true),
        ),
        h(
          'details',
          { class: 'more' },
          h('summary', {}, 'Technical details'),
          this.els.backendReason,
          this.els.maskingReason,
          this.els.keyProtection,
        ),
        h(
          'div',
          { class: 'actions' },
          confirmButton({
            id: 'leave',
            label: 'Leave federation',
            question:
              'Leave this federation? This tab forgets the federation, its model and its round history; to take part again you need the join link.',
            yes: 'Yes, leave',
            onYes: actions.leave,
          }),
        ),
      ),
      this.round.el,
      this.round.privacy,
      this.dp.el,
      this.els.errorCard,
      h(
        'div',
        { class: 'grid2' },
        h('section', { class: 'card' }, h('h2', {}, 'Loss and AUC-PR per round'), this.qualityTable.el),
        h('section', { class: 'card' }, h('h2', {}, 'Bytes sent per round'), this.bytesTable.el),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Round history'),
        h(
          'div',
          { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': 'Round history' },
          h(
            'table',
            { class: 'history' },
            h(
              'thead',
              {},
              h('tr', {}, ...['round', 'role', 'outcome', 'model', 'details'].map((c) => h('th', { scope: 'col' }, c))),
            ),
            this.els.history,
          ),
        ),
      ),
    );
    this.actions = actions;
    requestAnimationFrame(() => {
      this.charts = new RoundCharts(quality, bytes);
      this.lastPoints = undefined;
    });
    let resizeTimer: ReturnType<typeof setTimeout> | undefined;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => this.charts?.resize(Math.max(200, quality.clientWidth)), 150);
    });
  }

  private readonly actions: ViewActions;

  render(s: ViewState, now = Date.now()): void {
    const e = s.engine;
    const notice = insecureDemoNotice(s.committee);
    const banner = this.els.insecureDemo as HTMLElement;
    banner.hidden = !notice;
    banner.textContent = notice ?? '';

    const words = describeLink(s.link, now, location.origin);
    (this.els.connection as HTMLElement).replaceChildren(h('span', { class: `pill ${words.tone}` }, words.pill));
    const connText = this.els.connText as HTMLElement;
    if (connText.textContent !== words.text) connText.textContent = words.text;
    this.renderLinkActions(s.link);

    (this.els.client as HTMLElement).textContent = shortId(e.clientId);
    (this.els.role as HTMLElement).textContent = e.role
      ? e.role === 'member'
        ? `committee member #${e.memberIndex}`
        : e.role
      : '—';
    (this.els.backend as HTMLElement).textContent = backendWords(s.backend?.name);
    (this.els.backend as HTMLElement).dataset.backend = s.backend?.name ?? '';
    (this.els.backendReason as HTMLElement).textContent = s.backend
      ? `Backend ${s.backend.name}: ${s.backend.reason}`
      : '';
    (this.els.masking as HTMLElement).textContent = maskingWords(s.masking?.engine);
    (this.els.masking as HTMLElement).dataset.engine = s.masking?.engine ?? '';
    (this.els.maskingReason as HTMLElement).textContent = s.masking
      ? `Masking engine ${s.masking.engine}${s.masking.fallback ? `: ${s.masking.fallback.code}, ${s.masking.fallback.message}` : ' (128-bit SIMD)'}`
      : '';
    (this.els.keyProtection as HTMLElement).textContent = keyProtectionText(s.keys);
    (this.els.data as HTMLElement).textContent = s.data
      ? `${s.data.name}: ${s.data.rows.toLocaleString('en')} rows, ${s.data.frauds} frauds`
      : 'committee only';
    (this.els.version as HTMLElement).textContent = `v${e.version}`;

    this.round.render(s, now);
    this.dp.render(s.privacy);

    (this.els.errorCard as HTMLElement).hidden = s.errors.length === 0;
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
      ...withMissed(s.history, e.round)
        .slice(-14)
        .reverse()
        .map((r) =>
          r.kind === 'missed'
            ? h(
                'tr',
                { class: 'missed', 'data-missed': `${r.from}-${r.to}` },
                h('td', {}, r.from === r.to ? r.from : `${r.from}–${r.to}`),
                h('td', {}, '—'),
                h('td', {}, h('span', { class: 'pill' }, 'missed')),
                h('td', {}, ''),
                h('td', { class: 'muted' }, 'this tab was not part of it (offline, reloading, or not drawn)'),
              )
            : h(
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
    if (key !== this.lastPoints && this.charts) {
      this.lastPoints = key;
      this.charts.update(s.points);
      const pts = [...s.points].sort((a, b) => a.round - b.round);
      const n = (x: number | undefined, d: number) =>
        x === undefined || !Number.isFinite(x) ? undefined : x.toFixed(d);
      this.qualityTable.update(
        ['round', 'local training loss', 'AUC-PR on local data'],
        pts.map((p) => [p.round, n(p.loss, 4), n(p.aucPr, 3)]),
      );
      this.bytesTable.update(
        ['round', 'sent'],
        pts.map((p) => [p.round, p.bytes === undefined ? undefined : fmtBytes(p.bytes)]),
      );
    }
  }

  /** The way out of a connection state, when there is one (built once per state). */
  private renderLinkActions(link: LinkState): void {
    if (this.linkActionsFor === link.kind) return;
    this.linkActionsFor = link.kind;
    const box = this.els.connActions as HTMLElement;
    if (link.kind === 'superseded')
      box.replaceChildren(
        h('button', { type: 'button', id: 'use-here', onclick: () => location.reload() }, 'Use this tab instead'),
      );
    else if (link.kind === 'refused') box.replaceChildren(newLinkBox(this.actions.newLink));
    else box.replaceChildren();
  }
}
