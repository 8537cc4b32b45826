/**
 * What the page must tell the person about the data they chose, before joining with it: a
 * reason it cannot be used at all (no rows, too few to hold some back for checking the model),
 * or what to confirm (bad rows that would be skipped, a file with only one class). Pure: no DOM.
 */
import { countFrauds, type Dataset } from '../../ml/dataset.js';
import type { CsvRowIssue } from '../../ml/errors.js';
import { splitDataset } from '../../ml/split.js';

/** Fewer valid rows than this cannot be split into training and held-out rows usefully. */
export const MIN_ROWS = 10;

export interface DataReview {
  /** Why this data cannot be used at all (nothing to confirm then). */
  fatal?: string;
  /** Rows that would be skipped: how many, and the first few with their reasons. */
  badRows?: { count: number; first: readonly CsvRowIssue[] };
  /** The file has only ordinary transactions, or only frauds. */
  oneClass?: string;
  rows: number;
  frauds: number;
}

export function reviewData(name: string, data: Dataset, issues: readonly CsvRowIssue[], badRowCount: number): DataReview {
  const rows = data.size;
  const frauds = countFrauds(data);
  const out: DataReview = { rows, frauds };
  if (rows === 0) {
    out.fatal =
      badRowCount > 0
        ? `${name} has no usable rows: all ${badRowCount} data row(s) are invalid (line ${issues[0]?.line ?? '?'}: ${issues[0]?.reason ?? ''}).`
        : `${name} has no data rows — only a header. Choose a file with transactions, or use the synthetic data.`;
    return out;
  }
  if (rows < MIN_ROWS) {
    out.fatal = `${name} has only ${rows} valid row(s); at least ${MIN_ROWS} are needed to train and to keep some rows back for checking the model.`;
    return out;
  }
  try {
    splitDataset(data);
  } catch (e) {
    out.fatal = `${name} cannot be split into training and held-out rows: ${e instanceof Error ? e.message : String(e)}.`;
    return out;
  }
  if (badRowCount > 0) out.badRows = { count: badRowCount, first: issues.slice(0, 5) };
  if (frauds === 0)
    out.oneClass = `${name} has no fraud rows (Class = 1): this tab can train on it, but cannot measure how well the model catches fraud (its AUC-PR shows 0).`;
  else if (frauds === rows)
    out.oneClass = `${name} has only fraud rows (Class = 1): the model cannot learn what an ordinary transaction looks like from it.`;
  return out;
}

/** Whether the person must confirm something before this data is used. */
export function needsConfirmation(r: DataReview): boolean {
  return !r.fatal && (r.badRows !== undefined || r.oneClass !== undefined);
}
