import { describe, expect, it } from 'vitest';
import { type LinkEvent, describeLink, initialLink, reduceLink } from './connection.js';

const A = 'http://127.0.0.1:8080';
const run = (events: LinkEvent[]) => events.reduce(reduceLink, initialLink(A));

describe('the connection in words', () => {
  it('a server never reached is unreachable, with its address and a countdown', () => {
    const s = run([{ type: 'close', code: 1006, reason: '', at: 1000 }]);
    expect(s.kind).toBe('unreachable');
    const w = describeLink(s, 1000, A);
    expect(w.text).toContain(`Cannot reach the server at ${A}`);
    expect(w.text).toContain('Trying again in 1 s');
    const later = run([
      { type: 'close', code: 1006, reason: '', at: 0 },
      { type: 'close', code: 1006, reason: '', at: 0 },
      { type: 'close', code: 1006, reason: '', at: 0 },
    ]);
    expect(describeLink(later, 0, A).text).toContain('Trying again in 1 s'); // 250 ms · 2² = 1 s
    expect(describeLink(later, 1000, A).text).toContain('Trying again now');
  });
  it('says when the page cannot reach another origin at all', () => {
    const s = reduceLink(initialLink('http://elsewhere:9'), { type: 'enroll-unreachable', message: 'x', at: 0 });
    expect(describeLink(s, 0, A).text).toMatch(/can only connect to the server it was loaded from/);
    expect(describeLink(s, 0, A).text).toContain('Trying again in 1 s');
  });
  it('a server that was there and went away is restarting, and the message clears on reconnect', () => {
    const s = run([{ type: 'open' }, { type: 'close', code: 1001, reason: 'server stopping', at: 0 }]);
    expect(s.kind).toBe('restarting');
    expect(describeLink(s, 0, A).pill).toBe('server restarting');
    const back = run([{ type: 'open' }, { type: 'close', code: 1006, reason: '', at: 0 }, { type: 'open' }]);
    expect(back.kind).toBe('open');
    expect(back.retryAt).toBeUndefined();
    expect(back.socketFails).toBe(0);
  });
  it('superseded and refused say what to do', () => {
    const sup = run([{ type: 'open' }, { type: 'close', code: 4000, reason: 'replaced', at: 0 }]);
    expect(describeLink(sup, 0, A).text).toMatch(/active in another tab/);
    const ref = run([{ type: 'open' }, { type: 'close', code: 4001, reason: 'unauthenticated', at: 0 }]);
    expect(describeLink(ref, 0, A).text).toMatch(/restarted with a new token/);
    expect(run([{ type: 'enroll-refused', message: 'wrong join token' }]).kind).toBe('refused');
    const offender = run([
      { type: 'open' },
      { type: 'enroll-refused', message: 'offender: convicted' },
      { type: 'close', code: 4001, reason: 'unauthenticated', at: 0 },
    ]);
    expect(describeLink(offender, 0, A).text).toMatch(/no longer accepts this participant/);
  });
});
