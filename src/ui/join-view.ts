/** The join page: server, token, role, data. Resolves with the person's choice. */
import { h } from './dom.js';

export interface JoinChoice {
  serverUrl: string;
  token: string;
  /** The enrollment authority's key to pin (64 hex digits). */
  authorityKey: string;
  train: boolean;
  committee: boolean;
  data: { kind: 'synthetic' } | { kind: 'csv'; file: File };
}

export function renderJoin(
  root: HTMLElement,
  defaults: { serverUrl: string; token: string; authorityKey: string; error?: string },
): Promise<JoinChoice> {
  return new Promise((resolve) => {
    const server = h('input', { type: 'url', id: 'server', value: defaults.serverUrl, required: true });
    const token = h('input', {
      type: 'text',
      id: 'token',
      value: defaults.token,
      placeholder: 'join token (empty for an open federation)',
    });
    const authority = h('input', {
      type: 'text',
      id: 'authority',
      value: defaults.authorityKey,
      required: true,
      pattern: '[0-9a-f]{64}',
      placeholder: "the federation's enrollment authority key (64 hex digits, in the join link)",
    });
    const role = (value: string, text: string, checked = false) =>
      h('label', {}, h('input', { type: 'radio', name: 'role', value, checked }), text);
    const file = h('input', { type: 'file', id: 'csv', accept: '.csv,text/csv' });
    const dataSel = h(
      'select',
      { id: 'data' },
      h('option', { value: 'synthetic' }, 'Synthetic fraud data generated for this client (default)'),
      h('option', { value: 'csv' }, 'A CSV file of the creditcard.csv schema'),
    );
    const fileRow = h(
      'div',
      { style: 'display:none' },
      h('label', { for: 'csv' }, 'CSV file (Time, V1..V28, Amount, Class) — stays in this browser'),
      file,
    );
    dataSel.addEventListener('change', () => (fileRow.style.display = dataSel.value === 'csv' ? '' : 'none'));
    const err = h(
      'p',
      { class: 'muted', id: 'join-error', style: defaults.error ? 'color: var(--bad)' : 'display:none' },
      defaults.error ?? '',
    );
    const form = h(
      'form',
      { class: 'card', id: 'join-form' },
      h('h2', {}, 'Join a federation'),
      h(
        'p',
        { class: 'muted' },
        'Your data never leaves this tab. Each round this page trains locally, masks its update in a Web Worker and sends one message; the server only ever learns the sum over all participants.',
      ),
      h('label', { for: 'server' }, 'Server'),
      server,
      h('label', { for: 'token' }, 'Join token'),
      token,
      h('label', { for: 'authority' }, 'Enrollment authority key — this tab trusts only committees it certifies'),
      authority,
      h('label', {}, 'Role'),
      h(
        'div',
        { class: 'roles' },
        role('trainer', 'Trainer', true),
        role('committee', 'Committee volunteer'),
        role('both', 'Both'),
      ),
      h('label', { for: 'data' }, 'Training data'),
      dataSel,
      fileRow,
      err,
      h('div', { style: 'margin-top:16px' }, h('button', { type: 'submit', id: 'join' }, 'Join')),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const r = form.querySelector<HTMLInputElement>('input[name=role]:checked')?.value ?? 'trainer';
      const f = file.files?.[0];
      if (dataSel.value === 'csv' && !f) {
        err.textContent = 'Choose a CSV file, or use the synthetic data.';
        err.style.cssText = 'color: var(--bad)';
        return;
      }
      resolve({
        serverUrl: server.value.trim(),
        token: token.value.trim(),
        authorityKey: authority.value.trim().toLowerCase(),
        train: r !== 'committee',
        committee: r !== 'trainer',
        data: dataSel.value === 'csv' && f ? { kind: 'csv', file: f } : { kind: 'synthetic' },
      });
    });
    root.replaceChildren(form);
  });
}
