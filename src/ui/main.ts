/**
 * The web app's entry: resume a stored federation (same identity, carries on with the next
 * round) or show the join page; then run the participant session.
 */
import { loadCreditCardCsv } from '../ml/csv.js';
import type { Dataset } from '../ml/dataset.js';
import { generateSynthetic } from '../ml/synthetic.js';
import { type ClientStore, openClientStore } from '../client/storage.js';
import { h } from './dom.js';
import { type JoinChoice, renderJoin } from './join-view.js';
import { ParticipantView } from './participant-view.js';
import { startSession } from './session.js';
import './styles.css';

const SYNTHETIC_ROWS = 4000;

/** This client's synthetic data: deterministic from its identity, so a reload gets the same rows. */
function syntheticFor(publicKey: Uint8Array): Dataset {
  const seed = ((publicKey[0] ?? 0) | ((publicKey[1] ?? 0) << 8) | ((publicKey[2] ?? 0) << 16)) >>> 0;
  return generateSynthetic({ rows: SYNTHETIC_ROWS, fraudRate: 0.01, seed });
}

async function loadChoiceData(choice: JoinChoice, store: ClientStore): Promise<{ data: Dataset; name: string }> {
  if (choice.data.kind === 'csv') {
    const res = await loadCreditCardCsv(choice.data.file);
    return { data: res.dataset, name: choice.data.file.name };
  }
  const id = await store.getOrCreateIdentity();
  return { data: syntheticFor(id.publicKey), name: `synthetic (${SYNTHETIC_ROWS} rows for this client)` };
}

async function main(): Promise<void> {
  const root = document.getElementById('app') as HTMLElement;
  const params = new URLSearchParams(location.search);
  const store = await openClientStore();
  const joinToken = params.get('join');
  const authorityParam = params.get('authority');
  const insecureDemo = params.get('insecure-demo') === '1';
  let fed = await store.getFederation();
  let data: { data: Dataset; name: string } | undefined;
  let error: string | undefined;

  if (fed && joinToken !== null && joinToken !== fed.token) fed = undefined; // a new invitation
  if (fed && authorityParam !== null && authorityParam !== fed.authorityKey) fed = undefined;
  if (fed && !fed.authorityKey) fed = undefined; // joined before certificates: join again
  if (fed) {
    const stored = await store.getDataset();
    if (stored) data = { data: stored.data, name: stored.name };
  }
  while (!fed) {
    const choice = await renderJoin(root, {
      serverUrl: location.origin,
      token: joinToken ?? '',
      authorityKey: authorityParam ?? '',
      ...(error ? { error } : {}),
    });
    try {
      if (choice.train) {
        data = await loadChoiceData(choice, store);
        await store.saveDataset({ name: data.name, kind: choice.data.kind, data: data.data });
      }
      fed = {
        serverUrl: choice.serverUrl,
        token: choice.token,
        authorityKey: choice.authorityKey,
        ...(insecureDemo ? { insecureDemo: true } : {}),
        train: choice.train,
        committee: choice.committee,
        joinedAt: new Date().toISOString(),
      };
      await store.saveFederation(fed);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
  }
  if (joinToken !== null || authorityParam !== null) history.replaceState(null, '', location.pathname); // keep the token out of the address bar

  const view = new ParticipantView(root, () => {
    session.stop();
    store.leave().then(
      () => location.assign(location.pathname),
      (e: unknown) => showFatal('Leaving the federation failed', e),
    );
  });
  const session = await startSession(
    {
      serverUrl: fed.serverUrl,
      token: fed.token,
      authorityKey: fed.authorityKey ?? '',
      insecureDemo: fed.insecureDemo === true,
      train: fed.train,
      committee: fed.committee,
      data: fed.train ? data?.data : undefined,
      dataName: data?.name ?? '',
      backendOverride: params.get('backend') ?? undefined,
    },
    store,
    view,
  );
}

function showFatal(title: string, e: unknown): void {
  const root = document.getElementById('app') as HTMLElement;
  root.replaceChildren(
    h('section', { class: 'card errors' }, h('h2', {}, title), h('p', {}, e instanceof Error ? e.message : String(e))),
  );
  console.error(e);
}

main().catch((e: unknown) => showFatal('SpeakOnce could not start', e));
