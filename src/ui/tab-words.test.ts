import { describe, expect, it } from 'vitest';
import { backendWords, withMissed } from './tab-words.js';

const row = (round: number) => ({ round, role: 'trainer', ok: true, version: round, note: '' });

describe('tab words', () => {
  it('names the backend in plain words', () => {
    expect(backendWords('wasm')).toMatch(/processor/);
    expect(backendWords('webgpu')).toMatch(/graphics chip/);
  });
  it('adds a row for every run of missed rounds, up to the current one', () => {
    const shown = withMissed([row(5), row(2), row(3)], 9);
    expect(shown.map((r) => (r.kind === 'missed' ? `${r.from}-${r.to}` : r.round))).toEqual([2, 3, '4-4', 5, '6-8']);
    expect(withMissed([row(1)], 2)).toHaveLength(1);
  });
});
