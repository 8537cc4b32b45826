/**
 * Who is connected, by role — short ids only (the first characters of a key-derived id), with
 * each one's part in the current round.
 */
import { clear, h } from '../dom.js';
import type { CurrentRound, Participant } from './state.js';

function trainerStatus(id: string, c: CurrentRound | undefined): { cls: string; title: string } {
  if (!c || !c.trainers.includes(id)) return { cls: '', title: 'connected' };
  if (c.dropped?.includes(id)) return { cls: 'dropped', title: `dropped out of round ${c.round}` };
  if (c.survivors?.includes(id)) return { cls: 'sent', title: `in the sum of round ${c.round}` };
  return { cls: 'busy', title: `training in round ${c.round}` };
}

function memberStatus(id: string, c: CurrentRound | undefined): { cls: string; title: string } {
  if (!c || !c.members.includes(id)) return { cls: '', title: 'volunteer, not on this round’s committee' };
  return { cls: 'member', title: `on the committee of round ${c.round}` };
}

function group(
  title: string,
  hint: string,
  people: Participant[],
  status: (id: string) => { cls: string; title: string },
  id: string,
): HTMLElement {
  const chips = h('div', { class: 'chips' });
  for (const p of people) {
    const s = status(p.id);
    chips.append(h('span', { class: `chip ${s.cls}`, title: s.title }, p.id));
  }
  if (!people.length) chips.append(h('span', { class: 'muted' }, 'nobody yet'));
  return h(
    'div',
    { class: 'pgroup' },
    h(
      'div',
      { class: 'ptitle' },
      h('b', { id }, String(people.length)),
      ` ${title}`,
      h('span', { class: 'muted' }, ` · ${hint}`),
    ),
    chips,
  );
}

export function renderParticipants(
  root: HTMLElement,
  people: Participant[] | undefined,
  counts: { trainers: number; volunteers: number },
  c: CurrentRound | undefined,
): void {
  clear(root);
  if (!people) {
    // Opened late: the stream's replay no longer holds the list; it comes with the next join or leave.
    root.append(
      h(
        'div',
        { class: 'pgroup' },
        h('div', { class: 'ptitle' }, h('b', { id: 'count-trainers' }, String(counts.trainers)), ' trainers'),
      ),
      h(
        'div',
        { class: 'pgroup' },
        h(
          'div',
          { class: 'ptitle' },
          h('b', { id: 'count-volunteers' }, String(counts.volunteers)),
          ' committee volunteers',
        ),
      ),
      h('p', { class: 'muted' }, 'The list of short ids appears when someone joins or leaves.'),
    );
    return;
  }
  const trainers = people.filter((p) => p.train && !c?.members.includes(p.id));
  const committee = people.filter((p) => p.committee);
  root.append(
    group('trainers', 'train on their own data', trainers, (id) => trainerStatus(id, c), 'count-trainers'),
    group(
      'committee volunteers',
      'hold pieces of the mask keys',
      committee,
      (id) => memberStatus(id, c),
      'count-volunteers',
    ),
    h(
      'div',
      { class: 'legend muted' },
      h('span', { class: 'chip busy' }, 'training'),
      h('span', { class: 'chip sent' }, 'in the sum'),
      h('span', { class: 'chip dropped' }, 'dropped out'),
      h('span', { class: 'chip member' }, 'on the committee'),
      ' Only short ids are shown: no names, no addresses.',
    ),
  );
}
