import { describe, expect, it } from 'vitest';
import { CodedError } from '../src/base/error.js';
import { FLAGS, UsageError, command, flag, parseCommittee, toggle } from './cli.js';

/** The UsageError `fn` throws (fails the test when it throws nothing or something else). */
function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('parseCommittee', () => {
  it('M,T,R gives the committee with its derived bounds', () => {
    expect(parseCommittee('5,3,1')).toEqual({ m: 5, tRec: 3, rho: 1, cMax: 2, dMax: 2, subsetSafe: false });
    expect(parseCommittee('10,8,4')).toEqual({ m: 10, tRec: 8, rho: 4, cMax: 4, dMax: 2, subsetSafe: true });
    expect(parseCommittee(' 7, 5 ,2')).toMatchObject({ m: 7, tRec: 5, rho: 2 });
  });

  it('M alone gives the size where the command allows the older spelling', () => {
    expect(parseCommittee('10', { allowSize: true })).toBe(10);
    expect(parseCommittee('5,3,1', { allowSize: true })).toMatchObject({ m: 5, tRec: 3, rho: 1 });
  });

  it.each([
    [
      '',
      /--committee takes M,T,R: committee size m, reconstruction threshold t_rec and packing ρ, e\.g\. 5,4,2; got ''/,
    ],
    ['10', /--committee takes M,T,R.*; got '10'/],
    ['5,3', /--committee takes M,T,R.*; got '5,3'/],
    ['5,3,1,1', /--committee takes M,T,R.*; got '5,3,1,1'/],
    ['a,b,c', /--committee takes M,T,R.*; got 'a,b,c'/],
    ['5,3,x', /--committee takes M,T,R.*; got '5,3,x'/],
    ['-5,3,1', /--committee takes M,T,R.*; got '-5,3,1'/],
    ['5.5,3,1', /--committee takes M,T,R.*; got '5\.5,3,1'/],
    ['5,,1', /--committee takes M,T,R.*; got '5,,1'/],
    ['5,6,1', /^--committee 5,6,1: t_rec=6 exceeds the committee size m=5$/],
    ['5,3,3', /^--committee 5,3,3: ρ=3 must satisfy 1 ≤ ρ ≤ t_rec − 1 = 2$/],
    ['5,3,0', /^--committee 5,3,0: ρ=0 must satisfy 1 ≤ ρ ≤ t_rec − 1 = 2$/],
    ['1,1,1', /^--committee 1,1,1: committee size m=1 must be between 2 and 4096$/],
    ['5000,3,1', /^--committee 5000,3,1: committee size m=5000 must be between 2 and 4096$/],
  ])('M,T,R only: %j is a usage error', (value, message) => {
    const e = usageError(() => parseCommittee(value));
    expect(e.message).toMatch(message);
    expect(e.code).toBe('USAGE');
    expect(e).toBeInstanceOf(CodedError);
  });

  it.each([
    ['', /--committee takes M,T,R: .*; or M alone, the committee size; got ''/],
    ['5,3', /--committee takes M,T,R: .*; or M alone, the committee size; got '5,3'/],
    ['ten', /--committee takes M,T,R: .*; or M alone, the committee size; got 'ten'/],
    ['1', /^--committee size m must be between 2 and 4096, got '1'$/],
    ['4097', /^--committee size m must be between 2 and 4096, got '4097'$/],
    ['5,6,1', /^--committee 5,6,1: t_rec=6 exceeds the committee size m=5$/],
  ])('M,T,R or M: %j is a usage error', (value, message) => {
    expect(usageError(() => parseCommittee(value, { allowSize: true })).message).toMatch(message);
  });
});

describe('command', () => {
  const cmd = command({
    usage: 'npm run x -- [options]',
    about: 'Does x.',
    flags: {
      port: 'default 8080',
      committee: true,
      open: true,
      depth: flag('N', 'how deep (default 3)'),
      dry: toggle('change nothing'),
    },
    footer: 'The end.',
  });

  it('parses shared and own flags strictly', () => {
    expect(cmd.parse(['--port', '9000', '--committee', '5,3,1', '--open', '--depth', '2', '--dry'])).toEqual({
      port: '9000',
      committee: '5,3,1',
      open: true,
      depth: '2',
      dry: true,
    });
    expect(cmd.parse([])).toEqual({});
    expect(usageError(() => cmd.parse(['--nope'])).message).toMatch(/Unknown option '--nope'/);
    expect(usageError(() => cmd.parse(['stray'])).message).toMatch(/positional argument/);
    expect(usageError(() => cmd.parse(['--port'])).message).toMatch(/--port/);
  });

  it('renders the help from the flag table, with the command notes and --help last', () => {
    const lines = cmd.help.split('\n');
    expect(lines[0]).toBe('usage: npm run x -- [options]');
    expect(cmd.help).toContain('Does x.');
    expect(cmd.help).toContain(`--port N           ${FLAGS.port.help} (default 8080)`);
    expect(cmd.help).toContain(`--committee M,T,R  ${FLAGS.committee.help}\n`);
    expect(cmd.help).toContain('--depth N          how deep (default 3)');
    expect(cmd.help).toContain('--dry              change nothing');
    expect(lines.at(-3)).toBe('  -h, --help         show this help');
    expect(lines.at(-1)).toBe('The end.');
  });
});
