/**
 * The browser section's Node-side helpers (no browser needed): staleness of a build, the
 * static server's MIME types and path confinement, finding Chromium, and the sealing
 * measurement shared with the browser worker at a tiny length.
 */
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findChromium, isStale, mimeType, serveStatic } from './browser.js';
import { runSealBench } from './browser/seal-core.js';

describe('bench browser section helpers', () => {
  it('treats a missing or older build as stale', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'so-bench-'));
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src/a.ts'), 'x');
    const out = path.join(root, 'dist');
    expect(isStale(out, root)).toBe(true);
    mkdirSync(path.join(out, 'bench/browser'), { recursive: true });
    const page = path.join(out, 'bench/browser/index.html');
    writeFileSync(page, '<html>');
    const now = Date.now() / 1000;
    utimesSync(path.join(root, 'src/a.ts'), now - 100, now - 100);
    utimesSync(page, now, now);
    expect(isStale(out, root)).toBe(false);
    utimesSync(path.join(root, 'src/a.ts'), now + 100, now + 100);
    expect(isStale(out, root)).toBe(true);
  });

  it('serves files with the MIME types browsers require and stays inside its directory', async () => {
    expect(mimeType('x.wasm')).toBe('application/wasm');
    expect(mimeType('a/b.js')).toMatch(/^text\/javascript/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'so-serve-'));
    writeFileSync(path.join(dir, 'index.html'), 'hello');
    const { server, url } = await serveStatic(dir);
    try {
      const ok = await fetch(`${url}/`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('hello');
      expect((await fetch(`${url}/missing.js`)).status).toBe(404);
      expect((await fetch(`${url}/%2e%2e/%2e%2e/etc/passwd`)).status).toBeGreaterThanOrEqual(403);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('finds Chromium from CHROMIUM_PATH only when the file exists', () => {
    expect(findChromium({ CHROMIUM_PATH: '/nonexistent/chromium' })).not.toBe('/nonexistent/chromium');
    expect(findChromium({ CHROMIUM_PATH: process.execPath })).toBe(process.execPath);
  });

  it('measures sealing at a tiny length with the fields the records use', async () => {
    const r = await runSealBench({ L: 1000, warmup: 0, runs: 2 });
    expect(r.L).toBe(1000);
    expect(r.m).toBe(10);
    expect(r.runs).toBe(2);
    expect(r.median_ms).toBeGreaterThan(0);
    expect(r.upload_bytes).toBeGreaterThan(8000);
    expect(['webcrypto', 'noble']).toContain(r.backends.aes);
  });
});
