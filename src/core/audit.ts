/**
 * The audit trail: every change the tool makes appends one entry to a capped Redis stream
 * (XADD ... MAXLEN ~), so responders can later see who did what, when and why. An entry
 * names the target and a count, never a password, a hash or a session's contents.
 */
import { hostname, userInfo } from 'node:os';
import type { Redis } from './connection.js';

export const DEFAULT_AUDIT_KEY = 'redis-accounts:audit';
/** Approximate cap: the stream is trimmed past this many entries (MAXLEN ~). */
export const AUDIT_MAX_ENTRIES = 100000;

export interface AuditEntry {
  /** Stream entry id (milliseconds-sequence), assigned by Redis. */
  id?: string;
  time: string;
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

export async function appendAudit(redis: Redis, key: string, entry: Omit<AuditEntry, 'id'>, maxEntries = AUDIT_MAX_ENTRIES): Promise<string> {
  const fields: Record<string, string> = {
    time: entry.time,
    actor: entry.actor,
    command: entry.command,
    target: entry.target,
    count: String(entry.count),
    outcome: entry.outcome,
    reason: entry.reason,
    error: entry.error,
  };
  return redis.xAdd(key, '*', fields, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxEntries } });
}

function toEntry(id: string, f: Record<string, string>): AuditEntry {
  const outcome = f['outcome'] === 'failed' || f['outcome'] === 'interrupted' ? f['outcome'] : 'ok';
  return {
    id,
    time: f['time'] ?? '',
    actor: f['actor'] ?? '',
    command: f['command'] ?? '',
    target: f['target'] ?? '',
    count: Number(f['count'] ?? 0),
    outcome,
    reason: f['reason'] ?? '',
    error: f['error'] ?? '',
  };
}

/** Entries from `sinceMs` on, oldest first, read in pages so memory stays bounded. */
export async function* readAudit(redis: Redis, key: string, sinceMs: number, pageSize = 1000): AsyncGenerator<AuditEntry> {
  let start = `${sinceMs}-0`;
  for (;;) {
    const page = (await redis.xRange(key, start, '+', { COUNT: pageSize })) ?? [];
    for (const item of page) if (item) yield toEntry(item.id, item.message as Record<string, string>);
    if (page.length < pageSize) return;
    // Exclusive start after the last id read (XRANGE "(" syntax, Redis >= 6.2).
    start = `(${page[page.length - 1]?.id ?? ''}`;
  }
}
