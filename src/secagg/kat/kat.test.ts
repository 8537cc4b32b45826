import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../primitives.js';
import { computeKat } from '../../../scripts/kat/compute.js';

const stored = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('known-answer vectors (src/secagg/kat/vectors.json)', () => {
  it('the implementation reproduces every stored vector (WebCrypto)', async () => {
    const now = await computeKat();
    for (const key of ['ntt', 'xof', 'cbd', 'shamir', 'round']) expect(now[key], key).toEqual(stored[key]);
  });

  it('and with the pure-JS fallback (noble) too', async () => {
    useBackend('noble');
    try {
      const now = await computeKat();
      expect(now.round).toEqual(stored.round);
      expect(now.xof).toEqual(stored.xof);
    } finally {
      useBackend(undefined);
    }
  });
});
