/**
 * The tab's line about how its secret keys are held (docs/threat-model.md, "Browser keys"):
 * non-extractable WebCrypto keys where the browser has X25519 and Ed25519, bytes otherwise
 * (with the reason the store recorded).
 */
import type { KeyKind, KeyProtection } from '../client/storage.js';

const NAMES: Record<KeyKind, string> = {
  'non-extractable': 'non-extractable (WebCrypto)',
  extractable: 'extractable WebCrypto keys',
  raw: 'stored as bytes',
};

/** "Keys: non-extractable (WebCrypto)", "Keys: stored as bytes — <reason>", or each key's kind. */
export function keyProtectionText(p: KeyProtection | undefined): string {
  if (!p || p.x25519 === 'none' || p.ed25519 === 'none') return '';
  const kinds = p.x25519 === p.ed25519 ? NAMES[p.x25519] : `X25519 ${NAMES[p.x25519]}, Ed25519 ${NAMES[p.ed25519]}`;
  return `Keys: ${kinds}${p.reason ? ` — ${p.reason}` : ''}`;
}
