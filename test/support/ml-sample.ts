/**
 * ML test helpers (Node): location of the real data sample, which lives
 * outside the repository at `../shared/data/creditcard-sample.csv` relative to
 * the repository root and is never copied into it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of the real sample, resolved from this file's location. */
export const SAMPLE_CSV = fileURLToPath(new URL('../../../shared/data/creditcard-sample.csv', import.meta.url));
/** Whether the sample is present. */
export const HAS_SAMPLE = existsSync(SAMPLE_CSV);
/** Reason shown when sample-based tests are skipped. */
export const SAMPLE_SKIP_REASON = `real data sample not found at ${SAMPLE_CSV} — skipping tests that need it`;
if (!HAS_SAMPLE) console.warn(SAMPLE_SKIP_REASON);
