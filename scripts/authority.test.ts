/**
 * `npm run authority` (scripts/authority.ts), run as the real script: --show creates the key file
 * and prints the key to pin, --rotate rolls it and lists the retired key, --rotate-participant
 * rolls a client identity's signing key only, usage errors exit with 2 and change nothing, and
 * the authority it serves enrolls over HTTP.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromHex, loadOrCreateKeys, toHex } from '../src/authority/keys.js';

const ROOT = join(import.meta.dirname, '..');
const SCRIPT = join(ROOT, 'scripts', 'authority.ts');
/** tsx by file URL, so that the script also runs from a directory without node_modules. */
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const HEX64 = /^[0-9a-f]{64}$/;

const temp = () => mkdtempSync(join(tmpdir(), 'speakonce-authority-'));

function run(args: string[], cwd = ROOT): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', TSX, SCRIPT, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
}

/** The one JSON line a successful command prints. */
function jsonLine(r: SpawnSyncReturns<string>): Record<string, unknown> {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const lines = r.stdout.split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toBe('');
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

function usage(r: SpawnSyncReturns<string>, message: string): void {
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`error: ${message}\n(run with --help for usage)\n`);
  expect(r.status).toBe(2);
}

describe('npm run authority', () => {
  it('--show creates the key file (mode 0600) and prints one JSON line with the key to pin, the same each time', () => {
    const dir = temp();
    const key = join(dir, 'auth.json');
    const first = jsonLine(run(['--show', '--key', key]));
    expect(Object.keys(first)).toEqual(['publicKey', 'pin']);
    expect(first.publicKey).toMatch(HEX64);
    expect(first.pin).toBe(first.publicKey);
    expect(existsSync(key)).toBe(true);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const keys = loadOrCreateKeys(key);
    expect(toHex(keys.signPublic)).toBe(first.publicKey);
    expect(toHex(ed25519.getPublicKey(keys.signSecret))).toBe(first.publicKey);
    expect(jsonLine(run(['--show', '--key', key]))).toEqual(first);
    expect(readdirSync(dir)).toEqual(['auth.json']);
  });

  it('--rotate prints the new key and the retired one, accepted for --certificate-hours; --show then pins both', () => {
    const key = join(temp(), 'auth.json');
    const old = jsonLine(run(['--show', '--key', key])).publicKey as string;
    const before = Date.now();
    const rotated = jsonLine(run(['--rotate', '--key', key, '--certificate-hours', '2']));
    const after = Date.now();
    expect(Object.keys(rotated)).toEqual(['rotated', 'publicKey', 'accepted']);
    expect(rotated.rotated).toBe('authority');
    expect(rotated.publicKey).toMatch(HEX64);
    expect(rotated.publicKey).not.toBe(old);
    const accepted = rotated.accepted as { publicKey: string; acceptUntil: string }[];
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.publicKey).toBe(old);
    const until = Date.parse(accepted[0]!.acceptUntil);
    expect(accepted[0]!.acceptUntil).toBe(new Date(until).toISOString());
    expect(until).toBeGreaterThanOrEqual(before + 2 * 3600_000);
    expect(until).toBeLessThanOrEqual(after + 2 * 3600_000);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(jsonLine(run(['--show', '--key', key]))).toEqual({
      publicKey: rotated.publicKey,
      pin: `${rotated.publicKey as string},${old}`,
    });
  });

  it('--rotate without a key file is a usage error and creates none', () => {
    const key = join(temp(), 'auth.json');
    usage(run(['--rotate', '--key', key]), `no key file ${key} to rotate`);
    expect(existsSync(key)).toBe(false);
  });

  it('a malformed key file is refused (exit 1), not replaced', () => {
    const key = join(temp(), 'auth.json');
    writeFileSync(key, '{"version": 1}');
    for (const args of [['--show'], ['--rotate'], ['--federation', 'f', '--token', 't', '--port', '0']]) {
      const r = run([...args, '--key', key]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^error: authority key file ${key} is malformed: `));
      expect(readFileSync(key, 'utf8')).toBe('{"version": 1}');
    }
  });

  it.each<[string, string[], string]>([
    ['no --federation', ['--token', 't'], '--federation is required (the id the aggregation server prints)'],
    ['no --federation nor --token', [], '--federation is required (the id the aggregation server prints)'],
    ['no --token', ['--federation', 'fed-1'], '--token is required unless --open'],
    [
      'a bad --port',
      ['--federation', 'fed-1', '--open', '--port', '70000'],
      "--port must be an integer >= 0 and <= 65535, got '70000'",
    ],
    [
      'a bad --certificate-hours',
      ['--show', '--certificate-hours', '0'],
      "--certificate-hours must be a number >= 0.01, got '0'",
    ],
    ['an unknown flag', ['--federaton', 'fed-1'], "Unknown option '--federaton'"],
  ])('%s is a usage error (exit 2) that creates no key file', (_, args, message) => {
    const dir = temp();
    const key = join(dir, 'auth.json');
    usage(run([...args, '--key', key]), message);
    expect(readdirSync(dir)).toEqual([]);
    // Nor the default key file, from a directory where there is none.
    usage(run(args, dir), message);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('--help prints the usage and exits 0', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run authority -- --federation ID /);
    for (const flag of ['--key FILE', '--show', '--rotate ', '--rotate-participant FILE', '--token', '--open'])
      expect(r.stdout).toContain(flag);
  });

  describe('--rotate-participant', () => {
    const identity = {
      secretKey: 'a1'.repeat(32),
      publicKey: 'b2'.repeat(32),
      signingKey: 'c3'.repeat(32),
      label: 'kept',
    };

    it("replaces the identity file's signingKey and keeps everything else", () => {
      const file = join(temp(), 'client.json');
      writeFileSync(file, JSON.stringify(identity), { mode: 0o600 });
      const out = jsonLine(run(['--rotate-participant', file]));
      const saved = JSON.parse(readFileSync(file, 'utf8')) as typeof identity;
      expect(saved.signingKey).toMatch(HEX64);
      expect(saved.signingKey).not.toBe(identity.signingKey);
      expect(saved).toEqual({ ...identity, signingKey: saved.signingKey });
      expect(out).toEqual({
        rotated: 'participant',
        file,
        signKey: toHex(ed25519.getPublicKey(fromHex(saved.signingKey))),
      });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      // Again: another key.
      jsonLine(run(['--rotate-participant', file]));
      const again = JSON.parse(readFileSync(file, 'utf8')) as typeof identity;
      expect(again.signingKey).not.toBe(saved.signingKey);
      expect(again.secretKey).toBe(identity.secretKey);
    });

    it('adds a signing key to an identity file from before signing keys', () => {
      const file = join(temp(), 'client.json');
      writeFileSync(file, JSON.stringify({ secretKey: identity.secretKey, publicKey: identity.publicKey }));
      jsonLine(run(['--rotate-participant', file]));
      const saved = JSON.parse(readFileSync(file, 'utf8')) as typeof identity;
      expect(saved.secretKey).toBe(identity.secretKey);
      expect(saved.signingKey).toMatch(HEX64);
    });

    it('refuses a missing file, and a file that holds no identity (the authority key file, say), changing nothing', () => {
      const dir = temp();
      usage(run(['--rotate-participant', join(dir, 'none.json')]), `no identity file ${join(dir, 'none.json')}`);
      expect(readdirSync(dir)).toEqual([]);
      const authority = join(dir, 'authority.json');
      jsonLine(run(['--show', '--key', authority]));
      const notJson = join(dir, 'garbage.json');
      writeFileSync(notJson, 'not json');
      const array = join(dir, 'array.json');
      writeFileSync(array, '["a1a1"]');
      for (const file of [authority, notJson, array]) {
        const before = readFileSync(file, 'utf8');
        usage(run(['--rotate-participant', file]), `${file} does not hold an identity ({"secretKey": "<64 hex>"})`);
        expect(readFileSync(file, 'utf8')).toBe(before);
      }
      expect(() => loadOrCreateKeys(authority)).not.toThrow();
    });
  });

  it('serves the authority: it prints where to enroll, answers with the key it printed, and stops on SIGTERM', async () => {
    const key = join(temp(), 'auth.json');
    const pin = jsonLine(run(['--show', '--key', key])).publicKey as string;
    const child = spawn(
      process.execPath,
      ['--import', TSX, SCRIPT, '--federation', 'fed-cli', '--token', 'tok', '--port', '0', '--key', key],
      { cwd: ROOT },
    );
    try {
      const text = await new Promise<string>((resolve, reject) => {
        let err = '';
        const timer = setTimeout(() => reject(new Error(`no start line in 60 s:\n${err}`)), 60_000);
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          if (/enroll at: .*\n/.test(err)) {
            clearTimeout(timer);
            resolve(err);
          }
        });
        child.once('exit', (code) => reject(new Error(`authority exited with ${code}:\n${err}`)));
      });
      expect(text).toContain('SpeakOnce enrollment authority — federation fed-cli');
      expect(text).toContain(`: ${pin}\n`);
      const url = /enroll at: (http:\/\/127\.0\.0\.1:\d+)\/v1\/enroll {3}key file: (.*)\n/.exec(text);
      expect(url?.[2]).toBe(key);
      const res = await fetch(`${url![1]}/v1/authority`);
      expect(await res.json()).toMatchObject({ federation: 'fed-cli', publicKey: pin, retired: [] });
      const refused = await fetch(`${url![1]}/v1/enroll`, { method: 'POST', body: '{}' });
      expect(refused.status).toBe(400);
    } finally {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
