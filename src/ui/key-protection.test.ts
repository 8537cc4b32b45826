import { describe, expect, it } from 'vitest';
import { LEGACY_RAW_REASON } from '../client/storage.js';
import { keyProtectionText } from './key-protection.js';

describe("the tab's key protection line", () => {
  it('says non-extractable, or bytes with the reason, or each kind when they differ', () => {
    expect(keyProtectionText(undefined)).toBe('');
    expect(keyProtectionText({ x25519: 'none', ed25519: 'none' })).toBe('');
    expect(keyProtectionText({ x25519: 'non-extractable', ed25519: 'non-extractable' })).toBe(
      'Keys: non-extractable (WebCrypto)',
    );
    expect(
      keyProtectionText({
        x25519: 'raw',
        ed25519: 'raw',
        reason: "this browser's WebCrypto has no X25519 (NotSupportedError)",
      }),
    ).toBe("Keys: stored as bytes — this browser's WebCrypto has no X25519 (NotSupportedError)");
    expect(keyProtectionText({ x25519: 'raw', ed25519: 'raw', reason: LEGACY_RAW_REASON })).toBe(
      `Keys: stored as bytes — ${LEGACY_RAW_REASON}`,
    );
    expect(
      keyProtectionText({
        x25519: 'raw',
        ed25519: 'non-extractable',
        reason: "this browser's WebCrypto has no X25519",
      }),
    ).toBe(
      "Keys: X25519 stored as bytes, Ed25519 non-extractable (WebCrypto) — this browser's WebCrypto has no X25519",
    );
  });
});
