/**
 * The page a tab shows when it cannot start, or cannot carry on from what it stored: the
 * reason in words and the ways out that apply — choose other data, rejoin with a new link,
 * reset this tab's stored data (after a confirmation). Nothing leaves the person stuck.
 */
import { confirmButton } from './confirm.js';
import { h } from './dom.js';
import { type JoinLink, newLinkBox } from './new-link.js';

export interface ProblemActions {
  /** Back to the join page with the person's choices, to pick other data. */
  otherData?: () => void;
  /** Open a new join link. */
  rejoin?: (link: JoinLink) => void;
  /** Forget everything this tab stored (identity, data, history) and start over. */
  reset?: () => void;
}

export function renderProblem(root: HTMLElement, title: string, reason: string, actions: ProblemActions): void {
  const parts: HTMLElement[] = [h('h2', {}, title), h('p', { class: 'problem', id: 'problem-reason' }, reason)];
  parts.push(h('p', {}, 'What you can do:'));
  const list = h('div', { class: 'fixes' });
  if (actions.otherData)
    list.append(
      h(
        'div',
        { class: 'fix' },
        h('button', { type: 'button', id: 'fix-data', onclick: () => actions.otherData?.() }, 'Choose other data'),
        h('span', { class: 'muted' }, 'Back to the join page, with your choices kept.'),
      ),
    );
  if (actions.rejoin)
    list.append(
      h(
        'div',
        { class: 'fix' },
        newLinkBox((l) => actions.rejoin?.(l), 'Rejoin with this link'),
      ),
    );
  if (actions.reset)
    list.append(
      h(
        'div',
        { class: 'fix' },
        confirmButton({
          id: 'fix-reset',
          label: 'Reset this tab’s stored data',
          question:
            'Delete everything this tab stored — its identity, data, model and round history? It will join again as a new participant.',
          yes: 'Delete and start over',
          onYes: () => actions.reset?.(),
        }),
      ),
    );
  parts.push(list);
  root.replaceChildren(h('section', { class: 'card errors', id: 'problem', role: 'alert' }, ...parts));
}
