/**
 * From the join page to a stored federation: the person's choice, their data read and checked
 * (a CSV in its worker with progress; the questions of data-review), then the federation and
 * the data stored. Any problem brings the join page back with the reason and the choices kept.
 */
import type { ClientStore, JoinedFederation } from '../client/storage.js';
import type { Dataset } from '../ml/dataset.js';
import { generateSynthetic } from '../ml/synthetic.js';
import { DataProblem, loadCsvInWorker } from './data/csv-load.js';
import { needsConfirmation, reviewData } from './data/data-check.js';
import { askAboutData, showLoading } from './data/data-view.js';
import { type DataChoice, type JoinChoice, renderJoin } from './join-view.js';

const SYNTHETIC_ROWS = 4000;

export interface LocalData {
  data: Dataset;
  name: string;
}

export interface JoinDefaults {
  serverUrl: string;
  token: string;
  authorityKey: string;
  insecureDemo: boolean;
  previous?: JoinChoice;
  error?: string;
}

/** This client's synthetic data: deterministic from its identity, so a reload gets the same rows. */
export function syntheticFor(publicKey: Uint8Array): Dataset {
  const seed = ((publicKey[0] ?? 0) | ((publicKey[1] ?? 0) << 8) | ((publicKey[2] ?? 0) << 16)) >>> 0;
  return generateSynthetic({ rows: SYNTHETIC_ROWS, fraudRate: 0.01, seed });
}

/** The chosen data, read and checked; undefined when the person chose to go back. */
async function prepareData(root: HTMLElement, choice: DataChoice, store: ClientStore): Promise<LocalData | undefined> {
  if (choice.kind === 'synthetic') {
    const id = await store.getOrCreateIdentity();
    return { data: syntheticFor(id.publicKey), name: 'synthetic data made for this tab' };
  }
  const file = choice.file;
  const res = await loadCsvInWorker(file, showLoading(root, file.name));
  const review = reviewData(file.name, res.dataset, res.issues, res.badRowCount);
  if (review.fatal) throw new DataProblem(review.fatal);
  if (needsConfirmation(review) && (await askAboutData(root, file.name, review)) === 'back') return undefined;
  const skipped = review.badRows ? ` (${review.badRows.count} bad row(s) skipped)` : '';
  return { data: res.dataset, name: `${file.name}${skipped}` };
}

export async function joinFlow(
  root: HTMLElement,
  store: ClientStore,
  d: JoinDefaults,
): Promise<{ fed: JoinedFederation; data: LocalData | undefined }> {
  let previous = d.previous;
  let error = d.error;
  for (;;) {
    const choice = await renderJoin(root, {
      serverUrl: d.serverUrl,
      token: d.token,
      authorityKey: d.authorityKey,
      ...(error ? { error } : {}),
      ...(previous ? { previous } : {}),
    });
    previous = choice;
    error = undefined;
    try {
      let data: LocalData | undefined;
      if (choice.train) {
        data = await prepareData(root, choice.data, store);
        if (!data) continue; // back to the join page, choices kept
        await store.saveDataset({ name: data.name, kind: choice.data.kind, data: data.data });
      }
      const fed: JoinedFederation = {
        serverUrl: choice.serverUrl,
        token: choice.token,
        authorityKey: choice.authorityKey,
        ...(d.insecureDemo ? { insecureDemo: true } : {}),
        train: choice.train,
        committee: choice.committee,
        joinedAt: new Date().toISOString(),
      };
      await store.saveFederation(fed);
      return { fed, data };
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
  }
}
