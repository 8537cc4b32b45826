/**
 * The current round as a timeline of phases (descriptor → contributions → cut-off → committee →
 * unmasked → model vN), with counts against thresholds and deadlines counting down.
 */
import { clear, fmtBytes, h } from '../dom.js';
import { failureTitle, secondsLeft } from './narration.js';
import { type CurrentRound, PHASES, type Phase } from './state.js';

const LABEL: Record<Phase, string> = {
  descriptor: 'Round published',
  contributions: 'Updates arriving',
  cutoff: 'Cut-off',
  committee: 'Committee answers',
  unmasked: 'Sum unmasked',
  model: 'New model',
};

type StepState = 'todo' | 'active' | 'done' | 'failed';

function stepStates(c: CurrentRound): Record<Phase, StepState> {
  const out = {} as Record<Phase, StepState>;
  const failedAt = c.outcome && !c.outcome.ok ? c.outcome.failedAt : undefined;
  const at = PHASES.indexOf(failedAt ?? c.phase);
  PHASES.forEach((p, i) => {
    if (failedAt) out[p] = i < at ? 'done' : i === at ? 'failed' : 'todo';
    else if (c.outcome?.ok) out[p] = 'done';
    else out[p] = i < at ? 'done' : i === at ? 'active' : 'todo';
  });
  return out;
}

function bar(value: number, max: number, label: string, mark?: number, tone = ''): HTMLElement {
  const w = max > 0 ? Math.min(100, (100 * value) / max) : 0;
  return h(
    'div',
    {
      class: `dbar ${tone}`,
      role: 'progressbar',
      'aria-labelledby': label,
      'aria-valuemin': 0,
      'aria-valuemax': max,
      'aria-valuenow': Math.min(value, max),
    },
    h('div', { class: 'fill', style: `width:${w}%` }),
    mark !== undefined && max > 0
      ? h('div', { class: 'mark', style: `left:${(100 * mark) / max}%`, title: 'needed' })
      : null,
  );
}

function countdown(deadline: number, now: number, active: boolean): HTMLElement | null {
  if (!active) return null;
  const s = secondsLeft(deadline, now);
  return h('span', { class: `countdown${s <= 5 ? ' soon' : ''}` }, `closes in ${s} s`);
}

/** Renders the timeline of `c` (or an idle note) into `root`. */
export function renderTimeline(
  root: HTMLElement,
  c: CurrentRound | undefined,
  now: number,
  waiting: string | undefined,
): void {
  clear(root);
  if (!c) {
    root.append(
      h(
        'p',
        { class: 'muted' },
        waiting
          ? `Waiting for participants: ${waiting}.`
          : 'No round yet — the first one starts when enough participants are connected.',
      ),
    );
    return;
  }
  const st = stepStates(c);
  const detail: Record<Phase, string> = {
    descriptor: `model v${c.version} → ${c.expected} trainers`,
    contributions: `${c.received}/${c.expected}`,
    cutoff: c.survivors ? `${c.survivors.length} in, ${c.dropped?.length ?? 0} dropped` : '',
    committee: `${c.answered}/${c.m} · ${c.tRec} needed`,
    unmasked: st.unmasked === 'done' ? 'only the sum' : '',
    model: c.outcome?.ok ? `v${c.outcome.version}` : c.outcome ? `stays v${c.version}` : `v${c.version + 1}?`,
  };
  const steps = h('ol', { class: 'timeline', id: 'timeline', 'data-round': c.round });
  PHASES.forEach((p, i) => {
    const s = st[p];
    steps.append(
      h(
        'li',
        { class: `tstep ${s}`, 'data-phase': p, 'data-state': s, 'aria-current': s === 'active' ? 'step' : undefined },
        h('span', { class: 'dot' }, s === 'done' ? '✓' : s === 'failed' ? '✕' : String(i + 1)),
        h('span', { class: 'tlabel' }, p === 'model' && c.outcome?.ok ? `Model v${c.outcome.version}` : LABEL[p]),
        h('span', { class: 'tdetail' }, detail[p]),
      ),
    );
  });

  const collecting = !c.outcome && c.phase === 'contributions';
  const answering = !c.outcome && c.phase === 'committee';
  const dropped = c.dropped?.length ?? 0;
  const counters = h(
    'div',
    { class: 'counters' },
    h(
      'div',
      { class: 'counter' },
      h(
        'div',
        { class: 'barlabel' },
        h('span', { id: 'count-contributions' }, `Contributions ${c.received}/${c.expected}`),
        countdown(c.submitBy, now, collecting) ?? h('span', {}, c.bytes ? fmtBytes(c.bytes) + ' received' : ''),
      ),
      bar(c.received, c.expected, 'count-contributions', undefined, dropped ? 'warn' : ''),
      dropped
        ? h(
            'div',
            { class: 'note bad', id: 'dropped-note' },
            `${dropped} trainer${dropped === 1 ? '' : 's'} dropped out — left out of the sum`,
          )
        : null,
    ),
    h(
      'div',
      { class: 'counter' },
      h(
        'div',
        { class: 'barlabel' },
        h('span', { id: 'count-committee' }, `Committee ${c.answered}/${c.m} answered, ${c.tRec} needed`),
        countdown(c.answerBy, now, answering) ?? h('span', {}, ''),
      ),
      bar(
        c.answered,
        c.m,
        'count-committee',
        c.tRec,
        c.outcome && !c.outcome.ok && c.outcome.failedAt === 'committee' ? 'bad' : c.answered >= c.tRec ? 'ok' : '',
      ),
    ),
  );
  const head = h(
    'div',
    { class: 'thead' },
    h('span', { class: 'round-no' }, `Round ${c.round}`),
    c.outcome?.ok
      ? h('span', { class: 'pill ok' }, `✓ model v${c.outcome.version}`)
      : c.outcome
        ? h('span', { class: 'pill bad', id: 'round-failed-pill' }, `✕ ${failureTitle(c.outcome.code)}`)
        : h('span', { class: 'pill warn' }, 'in progress'),
    c.insecurePlaintext ? h('span', { class: 'pill bad' }, 'INSECURE plaintext benchmark mode') : null,
    c.insecureDemo ? h('span', { class: 'pill bad' }, 'INSECURE DEMO: committee not subset-safe') : null,
  );
  root.append(head, steps, counters);
}
