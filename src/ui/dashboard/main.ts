/**
 * The dashboard page (dashboard.html): live view of the federation for people watching a demo.
 * State comes only from the observer stream (stream.ts) through the pure reducer (state.ts);
 * the views re-render on the next animation frame, and a 1 s local timer moves the countdowns.
 */
import '../styles.css';
import './dashboard.css';
import { clear, h } from '../dom.js';
import { dashTables, updateTables } from './chart-tables.js';
import { DashCharts } from './charts.js';
import { joinCard, joinLinkOf } from './join-qr.js';
import { renderSummary } from './summary.js';
import { type Baseline, parseBaseline } from '../../wire/baseline.js';
import { renderHistory } from './history.js';
import { describeNow, pct } from './narration.js';
import { renderParticipants } from './participants.js';
import { drawPrivacy } from './privacy.js';
import { DpPanel } from './dp-panel.js';
import {
  type DashAction,
  type DashState,
  chartSeries,
  initialState,
  insecureDemoOf,
  latestMetrics,
  reduce,
} from './state.js';
import { connectStream } from './stream.js';
import { renderTimeline } from './timeline.js';
import { Verifier, authorityPinOf } from './verify.js';
import { verifyStatus } from './verify-view.js';

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;

let state: DashState = initialState();
const joinLink = joinLinkOf(location.hash);
let baseline: Baseline | undefined;
let drawnSummary: unknown[] = [];
let charts: DashCharts | undefined;
const dpPanel = new DpPanel();
let drawnPreview: DashState['preview'];
let drawnRounds: DashState['rounds'] | undefined;
// Every round checked here from its published transcript, again after each round (verify.ts).
const verifier = new Verifier(location.origin, authorityPinOf(location.hash), () => {
  if (!frame) frame = requestAnimationFrame(render);
});
let drawnVerification: Verifier['result'] | undefined;
let drawnHistory: [DashState['rounds']?] = [];
let frame = 0;

function kpi(id: string, label: string, sub = ''): HTMLElement {
  return h(
    'div',
    { class: 'kpi' },
    h('div', { class: 'k' }, label),
    h('div', { class: 'v', id }, '—'),
    h('div', { class: 'sub', id: `${id}-sub` }, sub),
  );
}

const chartEls = {
  quality: h('div', { class: 'chart', id: 'chart-quality' }),
  survivors: h('div', { class: 'chart', id: 'chart-survivors' }),
  time: h('div', { class: 'chart', id: 'chart-time' }),
  bytes: h('div', { class: 'chart', id: 'chart-bytes' }),
};
const tables = dashTables(chartEls, {
  quality: 'How good is the shared model, by version',
  survivors: 'Trainers in each round',
  time: 'Time per round',
  bytes: 'Data sent per trainer',
});

function layout(root: HTMLElement): void {
  clear(root);
  root.append(
    h('section', { class: 'card insecure-demo', id: 'insecure-demo', style: 'display:none' }),
    h(
      'section',
      { class: 'card kpis' },
      kpi('model-version', 'Shared model'),
      kpi('kpi-round', 'Round'),
      kpi('kpi-rounds', 'Rounds so far'),
      kpi('kpi-connected', 'Connected'),
      kpi('kpi-aucpr', 'Fraud detection (AUC-PR)'),
      kpi('kpi-recall', 'Frauds caught at 1 % false alarms'),
    ),
    h(
      'div',
      { class: 'row-main' },
      h('section', { class: 'card' }, h('h2', {}, 'This round'), h('div', { id: 'round' })),
      h(
        'section',
        { class: 'card now', id: 'now' },
        h('h2', {}, 'What is happening'),
        h('div', { class: 'now-title', id: 'now-title', role: 'status', 'aria-live': 'polite' }, 'Connecting…'),
        h('p', { class: 'now-text', id: 'now-text' }, ''),
        h('ol', { class: 'story', id: 'story', tabindex: 0, 'aria-label': 'What happened, latest first' }),
      ),
    ),
    h(
      'div',
      { class: 'row-story' },
      h('section', { class: 'card summary' }, h('h2', {}, 'The story so far'), h('div', { id: 'summary' })),
      ...(joinLink ? [joinCard(joinLink)] : []),
    ),
    h(
      'section',
      { class: 'card privacy' },
      h('h2', {}, 'What the server sees'),
      h(
        'div',
        { class: 'privacy-grid' },
        h(
          'figure',
          {},
          h('canvas', { id: 'masked', width: 300, height: 80 }),
          h(
            'figcaption',
            {},
            h('b', {}, 'One trainer’s message'),
            ' — its update hidden under a random mask. Every colour is equally likely (bars below: the spread of values is flat) — the server learns nothing from it.',
          ),
        ),
        h(
          'div',
          { class: 'privacy-arrow' },
          h('span', {}, '+ all other messages'),
          h('span', { class: 'big' }, '→'),
          h('span', {}, 'masks cancel out'),
        ),
        h(
          'figure',
          {},
          h('canvas', { id: 'aggregate', width: 300, height: 80 }),
          h(
            'figcaption',
            {},
            h('b', {}, 'The unmasked sum'),
            ' — the average update of all trainers together. Mostly small, calm values: useful to improve the model, yet no single trainer’s update can be recovered from it.',
          ),
        ),
      ),
      h('div', { class: 'muted', id: 'privacy-note' }, 'Appears after the first successful round.'),
    ),
    dpPanel.el,
    h(
      'section',
      { class: 'charts' },
      h(
        'div',
        { class: 'card' },
        h('h2', {}, 'How good is the shared model?'),
        h(
          'div',
          { class: 'muted explain' },
          'Measured on every trainer’s held-out data with secure aggregation too — only totals are revealed.',
        ),
        tables.quality.el,
      ),
      h(
        'div',
        { class: 'card' },
        h('h2', {}, 'Trainers in each round'),
        h(
          'div',
          { class: 'muted explain' },
          'Dropouts are left out of the sum; a round needs a minimum to stay private.',
        ),
        tables.survivors.el,
      ),
      h(
        'div',
        { class: 'card' },
        h('h2', {}, 'Time per round'),
        h('div', { class: 'muted explain' }, 'From publishing the round to the new model.'),
        tables.time.el,
      ),
      h(
        'div',
        { class: 'card' },
        h('h2', {}, 'Data sent per trainer'),
        h('div', { class: 'muted explain' }, 'One message per round: the masked update plus sealed key pieces.'),
        tables.bytes.el,
      ),
    ),
    h(
      'div',
      { class: 'row-bottom' },
      h('section', { class: 'card' }, h('h2', {}, 'Who is connected'), h('div', { id: 'people' })),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Rounds'),
        h('p', { class: 'muted verify-status', id: 'verify-status', role: 'status' }, ''),
        h('div', { id: 'rounds' }),
      ),
    ),
  );
}

function renderNow(now: number): void {
  const d = describeNow(state, now);
  const panel = $('now');
  panel.dataset.tone = d.tone;
  $('now-title').textContent = d.title;
  $('now-text').textContent = d.text;
  renderTimeline($('round'), state.current, now, state.waiting);
}

function render(): void {
  frame = 0;
  const now = Date.now();
  const s = state;
  const conn = $('conn');
  conn.className = `pill ${s.connection === 'live' ? 'ok' : s.connection === 'lost' ? 'bad' : 'warn'}`;
  conn.textContent = s.connection === 'live' ? '● live' : s.connection === 'lost' ? 'disconnected' : 'connecting…';
  $('fed-id').textContent = s.federation ? `federation ${s.federation}` : '';
  const notice = insecureDemoOf(s);
  const banner = $('insecure-demo');
  banner.style.display = notice ? '' : 'none';
  banner.textContent = notice ?? '';

  $('model-version').textContent = `v${s.version}`;
  $('model-version-sub').textContent =
    s.version === 0 ? 'starting point' : `improved ${s.version} time${s.version === 1 ? '' : 's'}`;
  $('kpi-round').textContent = s.current ? String(s.current.round) : '—';
  $('kpi-round-sub').textContent = s.current
    ? s.current.outcome
      ? s.current.outcome.ok
        ? 'done'
        : 'failed'
      : 'in progress'
    : 'not started';
  const ok = s.rounds.filter((r) => r.ok).length;
  const failed = s.rounds.length - ok;
  const roundsEl = $('kpi-rounds');
  clear(roundsEl);
  roundsEl.append(h('span', { class: 'okc' }, `${ok} ✓`), failed ? h('span', { class: 'badc' }, `  ${failed} ✕`) : '');
  $('kpi-rounds-sub').textContent = failed ? `${failed} failed safely` : 'succeeded';
  $('kpi-connected').textContent = String(s.connected);
  $('kpi-connected-sub').textContent = `${s.counts.trainers} trainers · ${s.counts.volunteers} committee`;
  const m = latestMetrics(s.rounds);
  $('kpi-aucpr').textContent = m ? m.auc_pr.toFixed(3) : '—';
  $('kpi-aucpr-sub').textContent = m
    ? `model v${m.version}, ${m.n.toLocaleString('en')} held-out rows`
    : 'after the first round';
  $('kpi-recall').textContent = m ? pct(m.recall_at_1pct_fpr) : '—';
  $('kpi-recall-sub').textContent = m ? `${m.frauds} frauds in the test data` : '';

  renderNow(now);

  const story = $('story');
  clear(story);
  for (const l of [...s.story].reverse()) story.append(h('li', { class: l.tone }, l.text));

  if (s.rounds !== drawnRounds) {
    drawnRounds = s.rounds;
    const series = chartSeries(s.rounds);
    charts?.update(series);
    updateTables(tables, series);
  }
  if (s.rounds !== drawnHistory[0] || verifier.result !== drawnVerification) {
    drawnHistory = [s.rounds];
    drawnVerification = verifier.result;
    renderHistory($('rounds'), s.rounds, verifier.result);
    $('verify-status').textContent = verifyStatus(verifier.result);
  }
  dpPanel.update(s);
  renderParticipants($('people'), s.participants, s.counts, s.current);
  if (drawnSummary[0] !== s.rounds || drawnSummary[1] !== baseline) {
    drawnSummary = [s.rounds, baseline];
    renderSummary($('summary'), s.rounds, baseline);
  }

  if (s.preview && s.preview !== drawnPreview) {
    drawnPreview = s.preview;
    drawPrivacy($('masked') as HTMLCanvasElement, $('aggregate') as HTMLCanvasElement, s.preview);
    $('privacy-note').textContent =
      `Round ${s.preview.round}: the first ${s.preview.masked.length} of the model’s numbers, blue = negative, red = positive.`;
  }
}

/** The baseline (GET /baseline.json) after each finished round; absent where not served. */
let baselineTimer: ReturnType<typeof setTimeout> | undefined;
function refreshBaseline(): void {
  clearTimeout(baselineTimer);
  baselineTimer = setTimeout(() => {
    fetch('/baseline.json', { cache: 'no-store' })
      .then(async (r) => (r.ok ? parseBaseline(await r.json()) : undefined))
      .then((b) => {
        if (!b) return;
        baseline = b;
        if (!frame) frame = requestAnimationFrame(render);
      })
      .catch(() => undefined);
  }, 400);
}

function dispatch(a: DashAction): void {
  if (a.type === 'round_done' || (a.type === 'connection' && a.state === 'live')) refreshBaseline();
  if (a.type === 'round_done' || a.type === 'round_failed' || a.type === 'log') verifier.request();
  state = reduce(state, a);
  if (!frame) frame = requestAnimationFrame(render);
}

function main(): void {
  const root = $('dash');
  layout(root);
  charts = new DashCharts(chartEls);
  render();
  connectStream(dispatch);
  verifier.request(0);
  // Countdowns: local time only, no requests.
  setInterval(() => {
    if (state.current && !state.current.outcome) renderNow(Date.now());
  }, 1000);
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => (charts?.resize(), dpPanel.resize()), 150);
  });
}

main();
