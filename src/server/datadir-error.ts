import { CodedError } from '../base/error.js';

/**
 * A data directory the server will not start on, or a write it refused: each message names the
 * file and the fix (datadir.ts, store.ts).
 */
export type DataDirErrorCode =
  /** state.json is missing, but models/ or rounds.jsonl show an existing federation. */
  | 'STATE_MISSING'
  /** state.json cannot be read, or its checksum does not match (edited or torn). */
  | 'STATE_CORRUPT'
  /** state.json is older than what models/ or rounds.jsonl hold. */
  | 'STATE_BEHIND'
  /** state.json names a version or rounds that are not on disk. */
  | 'STATE_AHEAD'
  /** A line of rounds.jsonl cannot be read or does not match its checksum. */
  | 'LOG_UNREADABLE'
  /** rounds.jsonl is missing although rounds ran. */
  | 'LOG_MISSING'
  /** The round log holds a round id twice. */
  | 'ROUND_REUSED'
  /** The current version's checkpoint cannot be loaded. */
  | 'MODEL_UNREADABLE'
  /** A directory of that version exists already (never overwritten). */
  | 'VERSION_EXISTS'
  /** The data directory cannot be written. */
  | 'DATA_DIR_UNWRITABLE'
  /** --recover found no loadable version. */
  | 'NOTHING_TO_RECOVER'
  /** server-key.json cannot be read, or its keys do not match (docs/protocol.md §26). */
  | 'SERVER_KEY_UNREADABLE'
  /** Another live server holds the data directory's lock (lock.ts). */
  | 'DATA_DIR_LOCKED';

export class DataDirError extends CodedError<DataDirErrorCode> {}
