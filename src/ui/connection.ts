/**
 * The tab's connection to the federation in words. A pure reducer over what the page sees —
 * its WebSocket opening and closing (with the server's close code), the enrollment authority
 * unreachable or refusing — to one state a person can act on: connecting, connected,
 * unreachable (with the address tried and when the next try is), server restarting,
 * superseded by another tab of this browser, refused (why). Each state replaces the one
 * before, so a message clears as soon as what it describes is over.
 */

export type LinkKind = 'connecting' | 'open' | 'unreachable' | 'restarting' | 'superseded' | 'refused' | 'stopped';

export interface LinkState {
  kind: LinkKind;
  /** The server's address as the tab tries it. */
  address: string;
  /** When the next automatic try is due (ms since the epoch), for a countdown. */
  retryAt?: number;
  /** The refusal or failure in the server's or the browser's words. */
  detail?: string;
  /** Whether this page has been connected since it loaded (a later loss reads as "restarting"). */
  wasOpen: boolean;
  /** Consecutive socket closes and enrollment failures since the last open connection. */
  socketFails: number;
  enrollFails: number;
}

export type LinkEvent =
  | { type: 'open' }
  | { type: 'close'; code: number; reason: string; at: number }
  | { type: 'enroll-unreachable'; message: string; at: number }
  | { type: 'enroll-refused'; message: string }
  | { type: 'stopped' };

/** Close codes of the server (src/server/registry.ts, federation.ts). */
export const CLOSE_SUPERSEDED = 4000;
export const CLOSE_REFUSED = 4001;
const GOING_AWAY = new Set([1001, 1012]);

/** The transport's and the enrollment's backoff (src/client/transport.ts, engine.ts). */
export const socketDelayMs = (fails: number): number => Math.min(5000, 250 * 2 ** fails);
export const enrollDelayMs = (fails: number): number => Math.min(10_000, 500 * 2 ** fails);

export function initialLink(address: string): LinkState {
  return { kind: 'connecting', address, wasOpen: false, socketFails: 0, enrollFails: 0 };
}

export function reduceLink(s: LinkState, e: LinkEvent): LinkState {
  if (s.kind === 'stopped') return s;
  const base = { address: s.address, wasOpen: s.wasOpen, socketFails: s.socketFails, enrollFails: s.enrollFails };
  switch (e.type) {
    case 'open':
      return { ...base, kind: 'open', wasOpen: true, socketFails: 0, enrollFails: 0 };
    case 'stopped':
      return { ...base, kind: 'stopped' };
    case 'enroll-refused':
      return { ...base, kind: 'refused', detail: e.message };
    case 'enroll-unreachable':
      return {
        ...base,
        kind: s.wasOpen ? 'restarting' : 'unreachable',
        detail: e.message,
        retryAt: e.at + enrollDelayMs(s.enrollFails),
        enrollFails: s.enrollFails + 1,
      };
    case 'close': {
      if (e.code === CLOSE_SUPERSEDED) return { ...base, kind: 'superseded', detail: e.reason };
      // A refusal already explained (an error message before the close) keeps its words.
      if (e.code === CLOSE_REFUSED)
        return { ...base, kind: 'refused', detail: s.kind === 'refused' && s.detail ? s.detail : e.reason };
      if (e.code === 1000) return s; // closed by this page
      const retryAt = e.at + socketDelayMs(s.socketFails);
      const kind = s.wasOpen || GOING_AWAY.has(e.code) ? 'restarting' : 'unreachable';
      return { ...base, kind, retryAt, socketFails: s.socketFails + 1, ...(e.reason ? { detail: e.reason } : {}) };
    }
  }
}

export type Tone = 'ok' | 'warn' | 'bad';

export interface LinkWords {
  tone: Tone;
  /** A short label for the pill. */
  pill: string;
  /** What happened and what the page does about it, in a sentence or two. */
  text: string;
}

function refusedWhy(detail: string | undefined): string {
  const d = (detail ?? '').toLowerCase();
  if (d.includes('offender'))
    return 'The federation no longer accepts this participant: it was found to have sent shares the committee could not use. Reset this tab to join as a new participant, or ask the organiser.';
  if (d.includes('unauthenticated') || d.includes('token'))
    return 'The server no longer accepts this tab’s join link — it was probably restarted with a new token. Paste the new link you were given.';
  if (d.includes('uncertified') || d.includes('certif'))
    return 'The server refused this tab’s certificate from the enrollment authority. Paste a new join link, or reset this tab.';
  return `The server refused this tab${detail ? ` (${detail})` : ''}. Paste a new join link.`;
}

/** The words for a state at time `now`; `pageOrigin` is the origin the page was loaded from. */
export function describeLink(s: LinkState, now: number, pageOrigin: string): LinkWords {
  const secs = s.retryAt !== undefined ? Math.max(0, Math.ceil((s.retryAt - now) / 1000)) : undefined;
  const retry = secs === undefined ? '' : secs > 0 ? ` Trying again in ${secs} s.` : ' Trying again now…';
  switch (s.kind) {
    case 'connecting':
      return { tone: 'warn', pill: 'connecting', text: `Connecting to ${s.address}…` };
    case 'open':
      return { tone: 'ok', pill: 'connected', text: `Connected to ${s.address}.` };
    case 'stopped':
      return { tone: 'warn', pill: 'stopped', text: 'This tab has stopped taking part.' };
    case 'superseded':
      return {
        tone: 'warn',
        pill: 'in another tab',
        text: 'This participant is now active in another tab or window of this browser, so this one stopped. Close this tab, or use this tab instead (the other one stops).',
      };
    case 'refused':
      return { tone: 'bad', pill: 'refused', text: refusedWhy(s.detail) };
    case 'restarting':
      return {
        tone: 'warn',
        pill: 'server restarting',
        text: `The server at ${s.address} went away — it is probably restarting. This tab reconnects by itself and carries on.${retry}`,
      };
    case 'unreachable': {
      let origin = '';
      try {
        origin = new URL(s.address).origin;
      } catch {
        /* shown as typed */
      }
      const elsewhere =
        origin && origin !== pageOrigin
          ? ` This page can only connect to the server it was loaded from (${pageOrigin}): open the join link of the server you want to join instead.`
          : ' Check the address in your join link, and that the server is running.';
      return {
        tone: 'bad',
        pill: 'unreachable',
        text: `Cannot reach the server at ${s.address}.${elsewhere}${retry}`,
      };
    }
  }
}
