/** Pieces of a session record every layout builds the same way. */
import { terminalSafe } from '../json-safe.js';
import type { LineInfo, SessionLayout, SessionRecord } from './layout.js';

/** A value the layout cannot read: listed with its key's TTL, counted by the caller through `info`. */
export function unreadableRecord(id: string, pttlMs: number, now: number, reason: string, info?: LineInfo): SessionRecord {
  noteUnreadable(info, reason);
  return {
    id,
    user: null,
    ttlSeconds: keyTtlSeconds(pttlMs),
    expiresAt: keyExpiresAt(now, pttlMs),
    readable: false,
    extra: null,
    unreadable: reason,
  };
}

/**
 * A session read, for the layouts whose expiry is the key's TTL (the app keeps none in the value,
 * or renews the TTL on every request). `times`: when the value says when it began and was last used.
 */
export function ttlRecord(
  id: string,
  user: string | null,
  pttlMs: number,
  now: number,
  extra: SessionRecord['extra'],
  times?: { createdAt: string | null; lastAccessedAt: string | null },
): SessionRecord {
  const record: SessionRecord = {
    id,
    user,
    ttlSeconds: keyTtlSeconds(pttlMs),
    expiresAt: keyExpiresAt(now, pttlMs),
    readable: true,
    extra,
  };
  if (times !== undefined) Object.assign(record, times);
  return record;
}

/** `info` for a value the layout cannot read (set field by field: no object per session in a listing). */
export function noteUnreadable(info: LineInfo | undefined, reason: string): void {
  if (info === undefined) return;
  info.readable = false;
  info.unreadable = reason;
  info.oddUserField = undefined;
  info.oddUserShape = undefined;
}

/** `info` for a value read, whose user fields (where the layout has them) named a user or nothing. */
export function noteReadable(info: LineInfo | undefined, odd?: { field: string; shape: string }): void {
  if (info === undefined) return;
  info.readable = true;
  info.unreadable = undefined;
  info.oddUserField = odd?.field;
  info.oddUserShape = odd?.shape;
}

/** A record's NDJSON line (`unreadable` is not a listing field) ending with `tail`'s members, safe for a terminal. */
export function recordLine(record: SessionRecord, raw: Buffer, tail = ''): string {
  // JSON.stringify leaves out a member whose value is undefined: copy the record only to drop a reason.
  const json = JSON.stringify(record.unreadable === undefined ? record : { ...record, unreadable: undefined });
  const line = tail === '' ? json : `${json.slice(0, -1)}${tail}}`;
  return terminalSafe(line, raw);
}

/**
 * A layout's `jsonLine` made of its `record`: the record, left out when `onlyUser` is given and
 * not its user, as its NDJSON line. For layouts whose listing has no faster path from the bytes.
 */
export function lineOfRecord(record: SessionLayout['record']): SessionLayout['jsonLine'] {
  return (id, raw, pttlMs, userFields, now, onlyUser, info, tail) => {
    const made = record(id, raw, pttlMs, userFields, now, info);
    if (onlyUser !== undefined && made.user !== onlyUser) return undefined;
    return recordLine(made, raw, tail);
  };
}

/**
 * `new Date(ms).toISOString()`, memoised per minute: a listing formats one expiry per
 * session (a million Date objects), yet expiries cluster in few minutes. Only the seconds
 * and milliseconds are formatted per call. The cache is bounded and simply dropped when full.
 */
const minutePrefixes = new Map<number, string>();
export function isoTime(ms: number): string {
  const minute = Math.floor(ms / 60_000);
  let prefix = minutePrefixes.get(minute);
  if (prefix === undefined) {
    if (minutePrefixes.size >= 10_000) minutePrefixes.clear();
    // "2026-11-29T00:12:00.000Z" (or "+275760-..." far out) minus its "00.000Z".
    prefix = new Date(minute * 60_000).toISOString().slice(0, -7);
    minutePrefixes.set(minute, prefix);
  }
  const rest = ms - minute * 60_000; // 0..59999: seconds and milliseconds
  const sec = Math.floor(rest / 1000);
  const milli = rest - sec * 1000;
  return `${prefix}${sec < 10 ? '0' : ''}${sec}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** The most milliseconds from 1970 a Date holds, either way (ECMAScript's time range). */
const DATE_RANGE_MS = 8.64e15;

/**
 * isoTime of a time taken from Redis or a stored value, or null when no Date holds it: a key's
 * TTL may reach past the year 275760 (Redis takes EXPIRE up to ~2^63 ms), and a stored time
 * is whatever its writer put there. isoTime itself would throw, and end a whole listing. A
 * fraction of a millisecond is dropped toward zero, as `new Date(ms)` drops it.
 */
export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined || !Number.isFinite(ms) || Math.abs(ms) >= DATE_RANGE_MS ? null : isoTime(Math.trunc(ms));
}

/**
 * The time of `YYYY-MM-DDTHH:MM:SS.sssZ` (what JSON makes of a Date, so what JavaScript apps
 * store) when every field is within its usual range and the year has four digits from 1000,
 * else undefined. Date.UTC of those fields is what Date.parse gives for the same text, at a
 * fraction of its cost: Better Auth's listing parsed three times a session, 6.5% of its CPU.
 */
function jsonDateMs(text: string): number | undefined {
  if (text.length !== 24 || text.charCodeAt(23) !== 90 /* Z */) return undefined;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[19] !== '.') return undefined;
  // A character that is not a digit makes its field NaN, which fails every range check below.
  const year = digitsAt(text, 0) * 100 + digitsAt(text, 2);
  const month = digitsAt(text, 5);
  const day = digitsAt(text, 8);
  const hour = digitsAt(text, 11);
  const minute = digitsAt(text, 14);
  const second = digitsAt(text, 17);
  const milli = digitsAt(text, 20) * 10 + digitAt(text, 22);
  if (!(year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59 && milli >= 0))
    return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, milli);
}

/** The decimal digit at text[i], or NaN. */
function digitAt(text: string, i: number): number {
  const d = text.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : NaN;
}

/** The two digits at text[i..i+1] as a number, or NaN. */
const digitsAt = (text: string, i: number): number => digitAt(text, i) * 10 + digitAt(text, i + 1);

/** Date.parse(text): fast for the form JSON gives a Date (jsonDateMs). */
export function parseTime(text: string): number {
  return jsonDateMs(text) ?? Date.parse(text);
}

/**
 * A stored time as the listing shows it: isoOrNull of its parse. Text already in that form
 * (jsonDateMs, a day of the month up to 28 so that no date rolls over) is shown as it is.
 */
export function storedIso(text: string): string | null {
  const ms = jsonDateMs(text);
  if (ms !== undefined && digitsAt(text, 8) <= 28) return text;
  return isoOrNull(ms ?? Date.parse(text));
}

/** When a key with this PTTL expires: null when it has no expiry (PTTL -1), or one no Date holds. */
export const keyExpiresAt = (now: number, pttlMs: number): string | null => (pttlMs < 0 ? null : isoOrNull(now + pttlMs));

/** A key's PTTL as the listing's ttlSeconds: -1 for no expiry, else whole seconds, rounded up. */
export const keyTtlSeconds = (pttlMs: number): number => (pttlMs < 0 ? -1 : Math.ceil(pttlMs / 1000));

/** `ttlSeconds` of a session whose stored value says when it expires (ms): never below 0, as an expired one the app has yet to remove. */
export const storedTtlSeconds = (expiresMs: number, now: number): number => Math.max(0, Math.ceil((expiresMs - now) / 1000));
