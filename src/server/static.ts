/** Serves the built web app (dist/) from the aggregation server's port, with sirv: GET and HEAD only (405 otherwise). */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import sirv from 'sirv';

export function staticApp(
  distDir: string,
): ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | undefined {
  if (!existsSync(join(distDir, 'index.html'))) return undefined;
  const serve = sirv(distDir, { etag: true, gzip: false, dev: false, extensions: ['html'] });
  return (req, res) => {
    // The app is read-only: other methods than GET and HEAD are not allowed (405), never served.
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      serve(req, res, () => resolve(false));
      res.once('finish', () => resolve(true));
    });
  };
}
