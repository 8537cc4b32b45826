/**
 * The dashboard's verification worker (an ES module worker, bundled by Vite from the
 * `new Worker(new URL(…))` in verify.ts): runs the audit (src/audit/audit.ts) over the server's
 * published transcripts (src/audit/http-source.ts) off the page's main thread and posts the
 * per-round lines back. The page only shows what this worker recomputed.
 */
import { audit } from '../../audit/audit.js';
import { urlSource } from '../../audit/http-source.js';
import { fromHex } from '../../secagg/index.js';
import type { VerifyReply, VerifyRequest } from './verify.js';

const post = (m: VerifyReply): void => self.postMessage(m);

self.onmessage = async (ev: MessageEvent<VerifyRequest>) => {
  const { id, base, authorities } = ev.data;
  const t0 = performance.now();
  try {
    const src = urlSource(base);
    const pinned = authorities.length > 0;
    const keys = (pinned ? [...authorities] : await src.authorityHint()).filter((k) => /^[0-9a-f]{64}$/.test(k));
    const report = await audit(
      src,
      keys.map((k) => fromHex(k)),
    );
    post({
      type: 'report',
      id,
      pinned,
      keys,
      lines: report.lines,
      summary: report.summary,
      ms: performance.now() - t0,
    });
  } catch (e) {
    post({ type: 'error', id, message: e instanceof Error ? e.message : String(e) });
  }
};
