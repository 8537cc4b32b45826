/**
 * An in-page confirmation (no `window.confirm`, which a page cannot style and a test cannot
 * see): the button that asks is replaced by the question, a confirming button and Cancel.
 */
import { h } from './dom.js';

export function confirmButton(o: {
  id: string;
  label: string;
  question: string;
  yes: string;
  onYes: () => void;
  cls?: string;
}): HTMLElement {
  const box = h('div', { class: 'confirm' });
  const ask = h('button', { type: 'button', class: o.cls ?? 'secondary', id: o.id }, o.label);
  const show = (asking: boolean) => {
    if (!asking) {
      box.replaceChildren(ask);
      return;
    }
    const yes = h('button', { type: 'button', class: 'danger', id: `${o.id}-yes`, onclick: () => o.onYes() }, o.yes);
    const no = h(
      'button',
      { type: 'button', class: 'plain', id: `${o.id}-cancel`, onclick: () => show(false) },
      'Cancel',
    );
    box.replaceChildren(h('p', { role: 'alert' }, o.question), h('div', { class: 'inline' }, yes, no));
    yes.focus();
  };
  ask.addEventListener('click', () => show(true));
  show(false);
  return box;
}
