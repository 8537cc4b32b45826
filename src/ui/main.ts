/**
 * The web app's entry: resume a stored federation (same identity, carries on with the next
 * round) or show the join page; then run the participant session. Whatever fails — the stored
 * state, the data, the start of the session — ends on a page that says why and offers the
 * ways out (problem-page.ts), never on a dead end.
 */
import { type ClientStore, DB_NAME, type JoinedFederation, openClientStore } from '../client/storage.js';
import { type JoinDefaults, type LocalData, joinFlow } from './join-flow.js';
import type { JoinLink } from './new-link.js';
import { ParticipantView } from './participant-view.js';
import { type ProblemActions, renderProblem } from './problem-page.js';
import { startSession } from './session.js';
import './styles.css';

const root = document.getElementById('app') as HTMLElement;
const params = new URLSearchParams(location.search);
let store: ClientStore | undefined;

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The query of a join link for this federation, to land on a filled join page. */
function linkQuery(fed: Pick<JoinedFederation, 'token' | 'authorityKey' | 'insecureDemo'> | undefined): string {
  if (!fed) return '';
  const q = new URLSearchParams();
  if (fed.token) q.set('join', fed.token);
  if (fed.authorityKey) q.set('authority', fed.authorityKey);
  if (fed.insecureDemo) q.set('insecure-demo', '1');
  return `?${q.toString()}`;
}

/** Deletes this tab's database (identity, data, history) and opens the join page again. */
function resetTab(fed?: JoinedFederation): () => void {
  return () => {
    store?.close();
    const req = indexedDB.deleteDatabase(DB_NAME);
    const done = () => location.assign(`${location.pathname}${linkQuery(fed)}`);
    req.onsuccess = done;
    req.onerror = () => renderProblem(root, 'Resetting failed', reasonOf(req.error), { rejoin });
    req.onblocked = done; // another tab of this site holds it open; the deletion completes when it closes
  };
}

const rejoin = (link: JoinLink): void => location.assign(link.href);

function problem(title: string, e: unknown, actions: ProblemActions): void {
  console.error(e);
  renderProblem(root, title, reasonOf(e), actions);
}

async function run(s: ClientStore, defaults: JoinDefaults | undefined): Promise<void> {
  const joinToken = params.get('join');
  const authorityParam = params.get('authority');
  let fed: JoinedFederation | undefined;
  let data: LocalData | undefined;
  if (!defaults) {
    fed = await s.getFederation();
    if (fed && joinToken !== null && joinToken !== fed.token) fed = undefined; // a new invitation
    if (fed && authorityParam !== null && authorityParam !== fed.authorityKey) fed = undefined;
    if (fed && !fed.authorityKey) fed = undefined; // joined before certificates: join again
    if (fed?.train) {
      const stored = await s.getDataset();
      if (stored) data = { data: stored.data, name: stored.name };
    }
  }
  if (!fed) {
    const joined = await joinFlow(
      root,
      s,
      defaults ?? {
        serverUrl: location.origin,
        token: joinToken ?? '',
        authorityKey: authorityParam ?? '',
        insecureDemo: params.get('insecure-demo') === '1',
      },
    );
    fed = joined.fed;
    data = joined.data;
  }
  if (joinToken !== null || authorityParam !== null) history.replaceState(null, '', location.pathname); // keep the token out of the address bar

  const joined = fed;
  const view = new ParticipantView(root, {
    leave: () => {
      session?.stop();
      s.leave().then(
        () => location.assign(location.pathname),
        (e: unknown) => problem('Leaving the federation failed', e, { reset: resetTab(joined) }),
      );
    },
    newLink: (link) => void useNewLink(s, joined, link),
  });
  let session: { stop(): void } | undefined;
  try {
    session = await startSession(
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
        simd: params.get('simd') !== 'off',
      },
      s,
      view,
    );
  } catch (e) {
    problem('SpeakOnce could not start', e, {
      ...(fed.train ? { otherData: () => void chooseOtherData(s, joined) } : {}),
      rejoin,
      reset: resetTab(joined),
    });
  }
}

/** Back to the join page with this federation's link and role, to pick other data. */
async function chooseOtherData(s: ClientStore, fed: JoinedFederation): Promise<void> {
  await s.leave({ forgetData: true });
  await run(s, {
    serverUrl: fed.serverUrl,
    token: fed.token,
    authorityKey: fed.authorityKey ?? '',
    insecureDemo: fed.insecureDemo === true,
    previous: {
      serverUrl: fed.serverUrl,
      token: fed.token,
      authorityKey: fed.authorityKey ?? '',
      train: fed.train,
      committee: fed.committee,
      data: { kind: 'synthetic' },
    },
  });
}

/**
 * The server refused this tab's token (restarted with a new one): the new link's token and key
 * replace the stored ones, identity and data stay, and the tab carries on after a reload.
 */
async function useNewLink(s: ClientStore, fed: JoinedFederation, link: JoinLink): Promise<void> {
  if (new URL(link.href).origin !== location.origin) return location.assign(link.href); // another server: its own page
  await s.saveFederation({
    ...fed,
    token: link.token ?? fed.token,
    ...(link.authorityKey ? { authorityKey: link.authorityKey } : {}),
  });
  location.assign(location.pathname);
}

async function main(): Promise<void> {
  try {
    store = await openClientStore();
  } catch (e) {
    problem('This tab’s stored data cannot be opened', e, { rejoin, reset: resetTab() });
    return;
  }
  const s = store;
  await run(s, undefined).catch((e: unknown) =>
    problem('SpeakOnce could not carry on from what this tab stored', e, { rejoin, reset: resetTab() }),
  );
}

void main();
