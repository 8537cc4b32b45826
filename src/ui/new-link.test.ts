import { describe, expect, it } from 'vitest';
import { parseJoinLink } from './new-link.js';

const KEY = 'ab'.repeat(32);

describe('parseJoinLink', () => {
  it('reads the token and the authority key', () => {
    expect(parseJoinLink(` http://127.0.0.1:8080/?join=abc&authority=${KEY.toUpperCase()} `)).toEqual({
      href: `http://127.0.0.1:8080/?join=abc&authority=${KEY.toUpperCase()}`,
      token: 'abc',
      authorityKey: KEY,
    });
  });
  it('says what is wrong with a link that is not one', () => {
    expect(parseJoinLink('abc')).toMatch(/not a link/);
    expect(parseJoinLink('ftp://x/?join=a')).toMatch(/http/);
    expect(parseJoinLink('http://x/')).toMatch(/no join token/);
    expect(parseJoinLink('http://x/?join=a&authority=12')).toMatch(/damaged/);
  });
});
