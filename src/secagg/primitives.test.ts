import { afterEach, describe, expect, it } from 'vitest';
import { SealError } from './errors.js';
import {
  KeyStream,
  activeBackends,
  gcmOpen,
  gcmSeal,
  useBackend,
  x25519PublicKey,
  x25519Shared,
} from './primitives.js';

afterEach(() => useBackend(undefined));

async function both<T>(f: () => Promise<T>): Promise<[T, T]> {
  useBackend(undefined);
  const a = await f();
  useBackend('noble');
  const b = await f();
  useBackend(undefined);
  return [a, b];
}

describe('primitives: WebCrypto and noble give the same bytes', () => {
  it('uses WebCrypto in Node', async () => {
    expect(await activeBackends()).toEqual({ aes: 'webcrypto', x25519: 'webcrypto' });
  });

  it('AES-256-CTR keystream (FIPS-197 key, counter from 0)', async () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const nonce = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 9);
    const [a, b] = await both(() => new KeyStream(key).bytes(nonce, 5000));
    expect(a).toEqual(b);
    // The first keystream block is AES_k(nonce ‖ 0^8); a different nonce changes everything.
    const c = await new KeyStream(key).bytes(new Uint8Array(8), 16);
    expect(c).not.toEqual(a.subarray(0, 16));
  });

  it('AES-256-GCM seals and opens; tampering fails', async () => {
    const key = new Uint8Array(32).fill(3);
    const nonce = new Uint8Array(12).fill(1);
    const ad = Uint8Array.of(1, 2, 3);
    const msg = Uint8Array.from({ length: 100 }, (_, i) => i);
    const [a, b] = await both(() => gcmSeal(key, nonce, ad, msg));
    expect(a).toEqual(b);
    expect(await gcmOpen(key, nonce, ad, a)).toEqual(msg);
    for (const backend of [undefined, 'noble'] as const) {
      useBackend(backend);
      const bad = a.slice();
      bad[5] = (bad[5] as number) ^ 1;
      await expect(gcmOpen(key, nonce, ad, bad)).rejects.toBeInstanceOf(SealError);
      await expect(gcmOpen(key, nonce, Uint8Array.of(1, 2, 4), a)).rejects.toBeInstanceOf(SealError);
    }
  });

  it('X25519 agrees (RFC 7748 §6.1 vector) and refuses low-order points', async () => {
    const hex = (h: string) => Uint8Array.from(h.match(/../g) as string[], (x) => parseInt(x, 16));
    const aliceSk = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bobPk = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    expect(x25519PublicKey(aliceSk)).toEqual(hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'));
    const [a, b] = await both(() => x25519Shared(aliceSk, bobPk));
    expect(a).toEqual(shared);
    expect(b).toEqual(shared);
    for (const backend of [undefined, 'noble'] as const) {
      useBackend(backend);
      await expect(x25519Shared(aliceSk, new Uint8Array(32))).rejects.toBeInstanceOf(SealError);
      await expect(x25519Shared(aliceSk, new Uint8Array(31))).rejects.toBeInstanceOf(SealError);
    }
  });
});
