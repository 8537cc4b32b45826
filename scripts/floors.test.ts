/**
 * The floors of the code base (eslint.config.js) are import rules; this checks that they
 * really report imports that go up or sideways, so a config change cannot silently drop them.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** The project's config on a file that is not on disk (so without the type-aware rules). */
async function problems(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT, overrideConfig: tseslint.configs.disableTypeChecked });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the floors as import rules', () => {
  it('the protocol core imports nothing but @noble/* and src/base', async () => {
    const found = await problems(
      'src/secagg/floor-check.ts',
      `import { createHash } from 'node:crypto';
import { encode } from '../wire/codec.js';
import { MlError } from '../ml/errors.js';
import { CodedError } from '../base/error.js';
import { sha256 } from '@noble/hashes/sha2.js';
export const all = [createHash, encode, MlError, CodedError, sha256];
`,
    );
    expect(found).toEqual([
      expect.stringMatching(/^no-restricted-imports: 'node:crypto' import is restricted/),
      expect.stringMatching(/^import-x\/no-restricted-paths: .*src\/secagg \(floor 1\) must not import src\/wire/),
      expect.stringMatching(/^import-x\/no-restricted-paths: .*src\/secagg \(floor 1\) must not import src\/ml/),
    ]);
  });

  it('the browser app never imports the server; the client neither; src never imports the tools', async () => {
    expect(
      await problems(
        'src/ui/floor-check.ts',
        `import { listen } from '../server/http.js';\nexport const x = listen;\n`,
      ),
    ).toEqual([expect.stringMatching(/src\/ui \(floor 5\) must not import src\/server/)]);
    expect(
      await problems(
        'src/client/floor-check.ts',
        `import { listen } from '../server/http.js';\nimport { num } from '../../scripts/cli.js';\nexport const x = [listen, num];\n`,
      ),
    ).toEqual([
      expect.stringMatching(/src\/client \(floor 3\) must not import src\/server/),
      expect.stringMatching(/src\/client \(floor 3\) must not import scripts/),
    ]);
  });

  it("the dashboard runs the audit's verifier, never its Node source; the verifier uses no Node built-in", async () => {
    expect(
      await problems(
        'src/ui/dashboard/floor-check.ts',
        `import { audit } from '../../audit/audit.js';\nimport { urlSource } from '../../audit/http-source.js';\nexport const x = [audit, urlSource];\n`,
      ),
    ).toEqual([]);
    expect(
      await problems(
        'src/ui/dashboard/floor-check.ts',
        `import { dirSource } from '../../audit/source.js';\nimport { observe } from '../../sim/observe.js';\nexport const x = [dirSource, observe];\n`,
      ),
    ).toEqual([
      expect.stringMatching(/src\/ui \(floor 5\) must not import src\/audit\/source\.ts \(Node only\)/),
      expect.stringMatching(/src\/ui \(floor 5\) must not import src\/sim/),
    ]);
    expect(
      await problems(
        'src/audit/floor-check.ts',
        `import { createHash } from 'node:crypto';\nimport { GENESIS } from '../server/chain.js';\nexport const x = [createHash, GENESIS];\n`,
      ),
    ).toEqual([
      expect.stringMatching(/^no-restricted-imports: 'node:crypto' import is restricted/),
      expect.stringMatching(/src\/audit \(floor 4\) must not import src\/server/),
    ]);
  });

  it('imports that go down are fine', async () => {
    expect(
      await problems(
        'src/server/floor-check.ts',
        `import { CodedError } from '../base/error.js';\nimport { explicitCommittee } from '../secagg/committee.js';\nexport const x = [CodedError, explicitCommittee];\n`,
      ),
    ).toEqual([]);
  });
});
