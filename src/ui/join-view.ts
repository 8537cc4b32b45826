/**
 * The join page: server, token, role, data. Resolves with the person's choice. A choice made
 * before (an error sent the person back here) is shown again as it was, the chosen file
 * included: nothing silently falls back to the synthetic data.
 */
import { h } from './dom.js';

export type DataChoice = { kind: 'synthetic' } | { kind: 'csv'; file: File };

export interface JoinChoice {
  serverUrl: string;
  token: string;
  /** The enrollment authority's key to pin (64 hex digits). */
  authorityKey: string;
  train: boolean;
  committee: boolean;
  data: DataChoice;
}

export interface JoinDefaults {
  serverUrl: string;
  token: string;
  authorityKey: string;
  error?: string;
  /** The person's previous choice, shown again. */
  previous?: JoinChoice;
}

function roleOf(c: JoinChoice | undefined): string {
  if (!c) return 'trainer';
  return c.train && c.committee ? 'both' : c.committee ? 'committee' : 'trainer';
}

export function renderJoin(root: HTMLElement, defaults: JoinDefaults): Promise<JoinChoice> {
  return new Promise((resolve) => {
    const prev = defaults.previous;
    const server = h('input', {
      type: 'url',
      id: 'server',
      value: prev?.serverUrl ?? defaults.serverUrl,
      required: true,
    });
    const token = h('input', {
      type: 'text',
      id: 'token',
      value: prev?.token ?? defaults.token,
      placeholder: 'join token (empty for an open federation)',
    });
    const authority = h('input', {
      type: 'text',
      id: 'authority',
      value: prev?.authorityKey ?? defaults.authorityKey,
      required: true,
      pattern: '[0-9a-f]{64}',
      placeholder: "the federation's enrollment authority key (64 hex digits, in the join link)",
    });
    const chosenRole = roleOf(prev);
    const role = (value: string, text: string) =>
      h('label', {}, h('input', { type: 'radio', name: 'role', value, checked: value === chosenRole }), text);
    // The file chosen before an error: kept unless the person picks another.
    let keptFile = prev?.data.kind === 'csv' ? prev.data.file : undefined;
    const file = h('input', { type: 'file', id: 'csv', accept: '.csv,text/csv' });
    const fileName = h('p', { class: 'muted', id: 'csv-name' }, keptFile ? `Chosen: ${keptFile.name}` : '');
    file.addEventListener('change', () => {
      const f = file.files?.[0];
      if (f) keptFile = f;
      fileName.textContent = keptFile ? `Chosen: ${keptFile.name}` : '';
    });
    const dataSel = h(
      'select',
      { id: 'data' },
      h('option', { value: 'synthetic' }, 'Synthetic fraud data generated for this client (default)'),
      h('option', { value: 'csv' }, 'A CSV file of the creditcard.csv schema'),
    );
    dataSel.value = prev?.data.kind ?? 'synthetic';
    const fileRow = h(
      'div',
      { id: 'csv-row' },
      h('label', { for: 'csv' }, 'CSV file (Time, V1..V28, Amount, Class) — stays in this browser'),
      file,
      fileName,
    );
    const showFile = () => (fileRow.hidden = dataSel.value !== 'csv');
    showFile();
    dataSel.addEventListener('change', showFile);
    const err = h('p', { class: 'problem', id: 'join-error', role: 'alert' }, defaults.error ?? '');
    err.hidden = !defaults.error;
    const form = h(
      'form',
      { class: 'card', id: 'join-form' },
      h('h2', {}, 'Join a federation'),
      h(
        'p',
        { class: 'muted' },
        'Your data never leaves this tab. Each round this page trains locally, masks its update in a Web Worker and sends one message; the server only ever learns the sum over all participants.',
      ),
      err,
      h('label', { for: 'server' }, 'Server'),
      server,
      h('label', { for: 'token' }, 'Join token'),
      token,
      h('label', { for: 'authority' }, 'Enrollment authority key — this tab trusts only committees it certifies'),
      authority,
      h(
        'fieldset',
        { class: 'roles' },
        h('legend', {}, 'Role'),
        role('trainer', 'Trainer'),
        role('committee', 'Committee volunteer'),
        role('both', 'Both'),
      ),
      h('label', { for: 'data' }, 'Training data'),
      dataSel,
      fileRow,
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'join' }, 'Join')),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const r = form.querySelector<HTMLInputElement>('input[name=role]:checked')?.value ?? 'trainer';
      const f = file.files?.[0] ?? keptFile;
      if (dataSel.value === 'csv' && !f && r !== 'committee') {
        err.textContent = 'Choose a CSV file, or use the synthetic data.';
        err.hidden = false;
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
