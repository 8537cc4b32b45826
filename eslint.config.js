/**
 * ESLint: the recommended JavaScript and typescript-eslint rules (type-aware), a few rules that
 * catch real mistakes, and the floors of the code base as import rules. Formatting is
 * Prettier's business (`npm run format:check`); no stylistic rule here.
 */
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The floors: a room imports only rooms on lower floors (and itself).
 *   0 src/base
 *   1 src/secagg (protocol core), src/cert (signed statements and certificates), src/ml (model,
 *     data, training), src/dp (differential privacy: samplers, transforms, accountant)
 *   2 src/wire
 *   3 src/server, src/client, src/authority (the enrollment authority)
 *   4 src/sim, src/audit (the transcripts' verifier, npm run audit)
 *   5 src/ui (the web app and the dashboard, which runs the audit's verifier in the browser)
 *   6 scripts/, bench/, e2e/, test/ (tools and test support)
 * Rooms on one floor do not import each other, and the browser app (src/ui) never imports the
 * server, the authority, the in-process federations (src/sim) or the audit's data-directory
 * source (src/audit/source.ts, Node's file system). Test files may also import the shared test
 * support (test/).
 */
const FLOORS = {
  'src/base': 0,
  'src/secagg': 1,
  'src/cert': 1,
  'src/ml': 1,
  'src/dp': 1,
  'src/wire': 2,
  'src/server': 3,
  'src/client': 3,
  'src/authority': 3,
  'src/sim': 4,
  'src/audit': 4,
  'src/ui': 5,
  scripts: 6,
  bench: 6,
  e2e: 6,
  test: 6,
};
const TOP = 6;
/** Imports that the floor order allows but the design does not. */
const ALSO_FORBIDDEN = { 'src/ui': ['src/server', 'src/authority', 'src/sim', 'src/audit/source.ts'] };
/** The same, for product code only: the audit's verifier, bundled into the dashboard, uses no server code (its tests run servers). */
const ALSO_FORBIDDEN_IN_CODE = { 'src/audit': ['src/server', 'src/authority'] };

/** One zone per (room, forbidden room): nothing from its own floor or above, except itself. */
function floorZones({ forTests }) {
  return Object.entries(FLOORS)
    .filter(([, floor]) => floor < TOP)
    .flatMap(([room, floor]) =>
      Object.entries(FLOORS)
        .filter(([other, f]) => other !== room && f >= floor && !(forTests && other === 'test'))
        .map(([other]) => other)
        .concat(ALSO_FORBIDDEN[room] ?? [], forTests ? [] : (ALSO_FORBIDDEN_IN_CODE[room] ?? []))
        .map((other) => ({
          target: `./${room}`,
          from: `./${other}`,
          message: `${room} (floor ${floor}) must not import ${other} (${other in FLOORS ? `floor ${FLOORS[other]}` : 'Node only'}); see the floors in eslint.config.js.`,
        })),
    );
}

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      'test-results/**',
      'playwright-report/**',
      'data/**',
      'out/**',
      'scratch/**',
      '.vite/**',
      '**/node_modules/**',
      // AssemblyScript (compiled by scripts/build-wasm.ts, not by tsc) and its generated output
      '**/*.as.ts',
      'src/secagg/wasm/arith-binary.js',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js', '.json'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: floorZones({ forTests: false }) }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      eqeqeq: ['error', 'smart'],
      // Deliberate patterns these would flag: `let ok = false; try { ok = … } catch {}`,
      // `cond ? a++ : b++`, async functions that satisfy an async interface without awaiting.
      'no-useless-assignment': 'off',
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // The protocol core, the certificates and the DP core are pure: no DOM, no tfjs, no sockets,
    // no Node built-ins; only their crypto libraries and the error base.
    files: ['src/secagg/**/*.ts', 'src/cert/**/*.ts', 'src/dp/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\.{1,2}/|@noble/)',
              message: 'src/secagg, src/cert and src/dp import only @noble/* and src/base.',
            },
          ],
        },
      ],
    },
  },
  {
    // The audit's verifier runs in the browser too (the dashboard's worker): only its
    // data-directory source (source.ts) may use Node built-ins.
    files: ['src/audit/**/*.ts'],
    ignores: ['**/*.test.ts', 'src/audit/source.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^node:',
              message: "src/audit's verifier runs in the browser too: Node built-ins only in src/audit/source.ts.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: floorZones({ forTests: true }) }],
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
