/** Structured log lines (one JSON object per line) on stderr, with levels. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  min: Level | 'silent' = 'info',
  sink: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Logger {
  const emit =
    (level: Level) =>
    (event: string, fields: Record<string, unknown> = {}) => {
      if (min === 'silent' || ORDER[level] < ORDER[min]) return;
      sink(JSON.stringify({ ts: new Date().toISOString(), level, event, ...fields }));
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
