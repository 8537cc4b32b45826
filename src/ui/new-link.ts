/**
 * "Paste a new link": what a person does when the server no longer accepts this tab's join
 * link (it was restarted with `--new-token`) or a stored federation cannot be resumed.
 * `parseJoinLink` is pure; `newLinkBox` is the input and its button.
 */
import { h } from './dom.js';

export interface JoinLink {
  /** The page to open: the link as given, normalised. */
  href: string;
  token: string | undefined;
  authorityKey: string | undefined;
}

/** Reads a join link (`http…/?join=T&authority=HEX`); an error in words when it is not one. */
export function parseJoinLink(text: string): JoinLink | string {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    return 'That is not a link: paste the whole address the organiser gave you (it starts with http).';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'The link must start with http:// or https://.';
  const token = u.searchParams.get('join') ?? undefined;
  const authorityKey = u.searchParams.get('authority')?.toLowerCase() ?? undefined;
  if (token === undefined && authorityKey === undefined)
    return 'This link has no join token or authority key (…/?join=…&authority=…): ask for the join link.';
  if (authorityKey !== undefined && !/^[0-9a-f]{64}$/.test(authorityKey))
    return 'The authority key in this link is damaged (it must be 64 hex digits): copy the link again.';
  return { href: u.href, token, authorityKey };
}

/** An input for a new join link and its button; `onLink` gets a valid one. */
export function newLinkBox(onLink: (link: JoinLink) => void, label = 'Use this link'): HTMLElement {
  const input = h('input', { type: 'url', id: 'new-link', placeholder: 'http://…/?join=…&authority=…' });
  const problem = h('p', { class: 'problem', id: 'new-link-error', role: 'alert' });
  problem.hidden = true;
  const use = () => {
    const r = parseJoinLink(input.value);
    if (typeof r === 'string') {
      problem.textContent = r;
      problem.hidden = false;
      return;
    }
    problem.hidden = true;
    onLink(r);
  };
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') use();
  });
  return h(
    'div',
    { class: 'new-link' },
    h('label', { for: 'new-link' }, 'New join link'),
    h('div', { class: 'inline' }, input, h('button', { type: 'button', id: 'use-link', onclick: use }, label)),
    problem,
  );
}
