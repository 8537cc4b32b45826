/**
 * A minimal Server-Sent Events reader for the server's observer stream (/events), over fetch
 * (Node 20 has no EventSource). Used by the simulator and tests; the dashboard uses the
 * browser's EventSource.
 */
import type { FederationEvent } from '../wire/events.js';

export interface Observer {
  close(): void;
  /** Resolves when the stream is open. */
  ready: Promise<void>;
}

export function observe(
  baseUrl: string,
  onEvent: (e: FederationEvent) => void,
  onError: (e: Error) => void = () => undefined,
): Observer {
  const ctrl = new AbortController();
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  void (async () => {
    const res = await fetch(`${baseUrl.replace(/\/$/, '')}/events`, {
      signal: ctrl.signal,
      headers: { accept: 'text/event-stream' },
    });
    if (!res.ok || !res.body) throw new Error(`observer stream: HTTP ${res.status}`);
    markReady();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let sep: number;
      while ((sep = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, sep);
        buf = buf.slice(sep + 2);
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (data) onEvent(JSON.parse(data) as FederationEvent);
      }
    }
  })().catch((e: unknown) => {
    if (!ctrl.signal.aborted) onError(e instanceof Error ? e : new Error(String(e)));
  });
  return { close: () => ctrl.abort(), ready };
}
