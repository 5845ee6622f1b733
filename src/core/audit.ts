/**
 * The audit trail: every change the tool makes appends one entry to a capped Redis stream
 * (XADD ... MAXLEN ~), so responders can later see who did what, when and why, and, when the
 * operator asks for it, one JSON line to a file outside Redis. An entry names the target and
 * a count, never a password, a hash or a session's contents.
 *
 * The time of an entry is its stream id, which the server assigns from its own clock: the
 * operator's clock can be wrong or set. The client's time is kept beside it (clientTime).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { UsageError } from './errors.js';
import type { Keyed } from './redis/connection.js';

/** Approximate cap: the stream is trimmed past this many entries (MAXLEN ~). */
export const AUDIT_MAX_ENTRIES = 100000;

/** What a command records; the stream adds the id (and so the time). */
export interface AuditRecord {
  /** The operator's clock when the entry was made, ISO 8601 UTC. */
  clientTime: string;
  actor: string;
  /** e.g. "session revoke". */
  command: string;
  /** What was changed: "user alice", "session <id>", "sessions of alice", "all sessions". */
  target: string;
  count: number;
  outcome: 'ok' | 'failed' | 'interrupted';
  reason: string;
  /** Why it failed (the one-line error), for failed entries. */
  error: string;
  /**
   * A user record's lifecycle fields before and after the change (`user disable`, `passwd`,
   * `delete`, ...; null: no record, as after a delete), never its hash. Only on entries of
   * commands that change a user record's lifecycle.
   */
  before?: AuditState;
  after?: AuditState;
  /** How many sessions the change revoked (user passwd, disable, delete). */
  sessionsRevoked?: number;
}

/** A record's lifecycle fields (store.ts LIFECYCLE_FIELDS); null for none. Text when a stored entry holds something else. */
export type AuditState = Record<string, string> | null | string;

export interface AuditEntry extends AuditRecord {
  /** Stream entry id (milliseconds-sequence), assigned by Redis. */
  id: string;
  /** The server's time of the entry (from its id), ISO 8601 UTC. */
  time: string;
}

/** OS user and host, unless the operator names themselves with --actor. */
export function defaultActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep "unknown"
  }
  return `${user}@${hostname()}`;
}

/** Append one entry; returns the id the server gave it (its time). */
export async function appendAudit(redis: Keyed, key: string, entry: AuditRecord, maxEntries = AUDIT_MAX_ENTRIES): Promise<string> {
  const fields: Record<string, string> = {
    clientTime: entry.clientTime,
    actor: entry.actor,
    command: entry.command,
    target: entry.target,
    count: String(entry.count),
    outcome: entry.outcome,
    reason: entry.reason,
    error: entry.error,
  };
  // Only on the entries that have them: the others stay as they always were.
  if (entry.before !== undefined) fields['before'] = JSON.stringify(entry.before);
  if (entry.after !== undefined) fields['after'] = JSON.stringify(entry.after);
  if (entry.sessionsRevoked !== undefined) fields['sessionsRevoked'] = String(entry.sessionsRevoked);
  return redis.xAdd(key, '*', fields, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxEntries } });
}

/** The server time in a stream id ("1795830964664-0"), ISO 8601 UTC; "" if it is not one. */
export function idTime(id: string): string {
  const ms = Number(/^(\d{1,15})-\d+$/.exec(id)?.[1] ?? NaN);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

function toEntry(id: string, f: Record<string, string>): AuditEntry {
  const outcome = f['outcome'] === 'failed' || f['outcome'] === 'interrupted' ? f['outcome'] : 'ok';
  return {
    id,
    time: idTime(id),
    // Entries written before clientTime existed kept the client's time in "time".
    clientTime: f['clientTime'] ?? f['time'] ?? '',
    actor: f['actor'] ?? '',
    command: f['command'] ?? '',
    target: f['target'] ?? '',
    count: Number(f['count'] ?? 0),
    outcome,
    reason: f['reason'] ?? '',
    error: f['error'] ?? '',
    ...(f['before'] === undefined ? {} : { before: stateOf(f['before']) }),
    ...(f['after'] === undefined ? {} : { after: stateOf(f['after']) }),
    ...(f['sessionsRevoked'] === undefined ? {} : { sessionsRevoked: Number(f['sessionsRevoked']) }),
  };
}

/**
 * A stored before/after field: the object (or null) it was written as. Anyone who can write
 * the stream can put anything there; what is not an object of strings is shown as its text.
 */
function stateOf(text: string): AuditState {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null) return null;
    if (typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string'))
      return value as Record<string, string>;
  } catch {
    // not JSON: shown as text
  }
  return text;
}

type StreamPage = Array<{ id: string; message: Record<string, string> } | null> | null;

/** Entries from `sinceMs` on, oldest first, read in pages so memory stays bounded. */
export async function* readAudit(redis: Keyed, key: string, sinceMs: number, pageSize = 1000): AsyncGenerator<AuditEntry> {
  let start = `${sinceMs}-0`;
  for (;;) {
    const page = ((await redis.xRange(key, start, '+', { COUNT: pageSize })) ?? []) as NonNullable<StreamPage>;
    for (const item of page) if (item) yield toEntry(item.id, item.message);
    if (page.length < pageSize) return;
    // Exclusive start after the last id read (XRANGE "(" syntax, Redis >= 6.2).
    start = `(${page[page.length - 1]?.id ?? ''}`;
  }
}

/**
 * The newest `limit` entries from `sinceMs` on (XREVRANGE), returned oldest first so that a
 * page reads in time order like the whole trail. Holds at most `limit` entries (the stream is
 * capped at about AUDIT_MAX_ENTRIES anyway).
 */
export async function readNewestAudit(redis: Keyed, key: string, sinceMs: number, limit: number, pageSize = 1000): Promise<AuditEntry[]> {
  const newestFirst: AuditEntry[] = [];
  let end = '+';
  while (newestFirst.length < limit) {
    const count = Math.min(pageSize, limit - newestFirst.length);
    const page = ((await redis.xRevRange(key, end, `${sinceMs}-0`, { COUNT: count })) ?? []) as NonNullable<StreamPage>;
    for (const item of page) if (item) newestFirst.push(toEntry(item.id, item.message));
    if (page.length < count) break;
    end = `(${page[page.length - 1]?.id ?? ''}`;
  }
  return newestFirst.reverse();
}

/**
 * The copy of the trail outside Redis (--audit-log): one JSON line per entry, appended
 * (O_APPEND: lines of concurrent runs never overwrite each other), the file created 0600.
 * Opened before the change, so a path that cannot be written stops the command first.
 */
export interface AuditLog {
  readonly path: string;
  append(line: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function openAuditLog(path: string): Promise<AuditLog> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'a', 0o600);
  } catch (err) {
    throw new UsageError(`cannot open the audit log file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
      hint: 'give a writable file with --audit-log or REDIS_ACCOUNTS_AUDIT_LOG',
    });
  }
  return {
    path,
    // One write() per line: with O_APPEND the kernel appends it whole.
    append: async (line) => {
      await handle.write(`${JSON.stringify(line)}\n`);
    },
    close: () => handle.close(),
  };
}
