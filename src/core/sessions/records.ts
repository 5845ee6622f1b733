/** Pieces of a session record every layout builds the same way. */
import { mayNeedSafeJson, safeJson } from '../json-safe.js';
import type { LineInfo, SessionRecord } from './layout.js';

/** A value the layout cannot read: listed with its key's TTL, counted by the caller through `info`. */
export function unreadableRecord(id: string, pttlMs: number, now: number, reason: string, info?: LineInfo): SessionRecord {
  if (info !== undefined) Object.assign(info, { readable: false, unreadable: reason, oddUserField: undefined, oddUserShape: undefined });
  return {
    id,
    user: null,
    ttlSeconds: pttlMs < 0 ? -1 : Math.ceil(pttlMs / 1000),
    expiresAt: pttlMs < 0 ? null : new Date(now + pttlMs).toISOString(),
    readable: false,
    extra: null,
    unreadable: reason,
  };
}

/** `info` for a value read, whose user fields (if the layout has any) named a user or nothing. */
export function noteReadable(info: LineInfo | undefined, odd?: { field: string; shape: string }): void {
  if (info !== undefined)
    Object.assign(info, { readable: true, unreadable: undefined, oddUserField: odd?.field, oddUserShape: odd?.shape });
}

/** A record's NDJSON line (`unreadable` is not a listing field) ending with `tail`'s members, safe for a terminal. */
export function recordLine(record: SessionRecord, raw: Buffer, tail = ''): string {
  const { unreadable: _why, ...shown } = record;
  const json = JSON.stringify(shown);
  const line = tail === '' ? json : `${json.slice(0, -1)}${tail}}`;
  return mayNeedSafeJson(raw) ? safeJson(line) : line;
}
