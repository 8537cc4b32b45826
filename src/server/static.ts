/** Serves the built web app (dist/) from the aggregation server's port, with sirv. */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import sirv from 'sirv';

export function staticApp(
  distDir: string,
): ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | undefined {
  if (!existsSync(join(distDir, 'index.html'))) return undefined;
  const serve = sirv(distDir, { etag: true, gzip: false, dev: false, extensions: ['html'] });
  return (req, res) =>
    new Promise<boolean>((resolve) => {
      serve(req, res, () => resolve(false));
      res.once('finish', () => resolve(true));
    });
}
