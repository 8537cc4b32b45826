/** The rounds so far, newest first; failed rounds in red with the reason in words. */
import { clear, fmtBytes, h } from '../dom.js';
import { explainFailure, failureTitle, pct } from './narration.js';
import type { RoundRecord } from './state.js';
import type { Verification } from './verify.js';
import { failureWords, verdictOf, verifyCell } from './verify-view.js';

const dash = '—';

/** `verification`: each round as this browser checked it from its published transcript (verify.ts). */
export function renderHistory(root: HTMLElement, rounds: readonly RoundRecord[], verification?: Verification): void {
  clear(root);
  if (!rounds.length) {
    root.append(h('p', { class: 'muted' }, 'No round has finished yet.'));
    return;
  }
  // A DP federation's rounds carry the ε spent after them: one more column.
  const dp = rounds.some((r) => r.epsilon !== undefined);
  const body = h('tbody');
  for (const r of [...rounds].reverse()) {
    const dropped = r.dropped ?? 0;
    body.append(
      h(
        'tr',
        {
          class: `${r.ok ? 'ok' : 'failed'}${verification && verdictOf(verification, r.round) === 'failed' ? ' verify-failed' : ''}`,
          'data-round': r.round,
          'data-outcome': r.ok ? 'ok' : 'failed',
        },
        h('td', {}, h('b', {}, String(r.round))),
        h(
          'td',
          {},
          r.ok
            ? h('span', { class: 'pill ok' }, `✓ model v${r.versionAfter}`)
            : h('span', { class: 'pill bad' }, `✕ ${failureTitle(r.code ?? '')}`),
        ),
        verification ? verifyCell(verification, r.round) : null,
        h(
          'td',
          {},
          r.survivors === undefined ? dash : `${r.survivors}${r.trainers !== undefined ? ` of ${r.trainers}` : ''}`,
          dropped ? h('span', { class: 'dropped-tag' }, ` ${dropped} dropped`) : null,
        ),
        h(
          'td',
          {},
          r.answered === undefined
            ? dash
            : `${r.answered}${r.m !== undefined ? ` of ${r.m}` : ''}${r.tRec !== undefined ? ` (${r.tRec} needed)` : ''}`,
        ),
        h('td', {}, r.totalMs === undefined ? dash : `${(r.totalMs / 1000).toFixed(1)} s`),
        h('td', {}, r.bytesPerTrainer === undefined ? dash : fmtBytes(Math.round(r.bytesPerTrainer))),
        h(
          'td',
          {},
          r.metrics
            ? `${r.metrics.auc_pr.toFixed(3)} · ${pct(r.metrics.recall_at_1pct_fpr)} (v${r.metrics.version})`
            : dash,
        ),
        dp ? h('td', {}, r.epsilon === undefined ? dash : `ε ${r.epsilon.toFixed(2)}`) : null,
      ),
    );
    if (!r.ok) {
      body.append(
        h(
          'tr',
          { class: 'failed reason', 'data-reason-for': r.round },
          h('td', {}),
          h(
            'td',
            { colspan: (dp ? 7 : 6) + (verification ? 1 : 0) },
            h('span', { class: 'why' }, explainFailure(r.code ?? '')),
            ' ',
            h('span', { class: 'code', title: r.reason ?? '' }, `${r.code ?? ''}${r.reason ? `: ${r.reason}` : ''}`),
          ),
        ),
      );
    }
    const checked = verification?.byRound.get(r.round);
    if (verification && checked && verdictOf(verification, r.round) === 'failed') {
      body.append(
        h(
          'tr',
          { class: 'failed reason verify-failed', 'data-verify-reason-for': r.round },
          h('td', { colspan: dp ? 9 : 8 }, h('span', { class: 'why' }, failureWords(checked))),
        ),
      );
    }
  }
  root.append(
    h(
      'div',
      { class: 'table-scroll history-scroll', tabindex: 0, role: 'region', 'aria-label': 'Rounds, one row each' },
      h(
        'table',
        { class: 'history', id: 'history' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Round'),
            h('th', {}, 'Outcome'),
            verification ? h('th', {}, 'Checked here') : null,
            h('th', {}, 'Trainers in the sum'),
            h('th', {}, 'Committee answers'),
            h('th', {}, 'Time'),
            h('th', {}, 'Data / trainer'),
            h('th', {}, 'AUC-PR · frauds caught'),
            dp ? h('th', {}, 'Privacy spent') : null,
          ),
        ),
        body,
      ),
    ),
  );
}
