/**
 * Reading one stored session as express-session + connect-redis write it:
 * JSON like {"cookie":{"originalMaxAge":86400000,"expires":"2026-...Z",...},"passport":{"user":"alice"},...}
 * Pure functions only; no Redis here.
 */

import type { LineInfo, SessionRecord } from '../../layout.js';
import { objectMembers } from '../../decode/json-bytes.js';
import { keyExpiresAt, keyTtlSeconds } from '../../records.js';
import { terminalSafe } from '../../../json-safe.js';
import { keyTimes, quote, unreadableLine } from '../../json-line.js';
import {
  decodeSession,
  sessionUser,
  setMembers,
  userRootOf,
  type DecodedSession,
  type JsonObject,
  type UserLookup,
  type Unreadable,
} from '../../decode/json-session.js';

/**
 * The one reading of a stored value both record builders share: decode it, find its user, and
 * note in `info` what the caller counts (unreadable, a user field that names no user).
 */
function readSession(
  raw: Buffer | string,
  fields: readonly string[],
  info: LineInfo,
): { decoded: DecodedSession; found: UserLookup | undefined } | Unreadable {
  const decoded = decodeSession(raw);
  const found = typeof decoded === 'string' ? undefined : sessionUser(decoded.session, fields, decoded.bytes);
  info.readable = typeof decoded !== 'string';
  info.unreadable = typeof decoded === 'string' ? decoded : undefined;
  info.oddUserField = found !== undefined && found.user === null ? found.field : undefined;
  info.oddUserShape = found !== undefined && found.user === null ? found.shape : undefined;
  return typeof decoded === 'string' ? decoded : { decoded, found };
}

export function toSessionRecord(
  id: string,
  raw: Buffer | string,
  pttlMs: number,
  fields: readonly string[],
  now: number,
  info?: LineInfo,
): SessionRecord {
  const ttlSeconds = keyTtlSeconds(pttlMs);
  const expiresAt = keyExpiresAt(now, pttlMs);
  const read = readSession(raw, fields, info ?? { readable: true });
  if (typeof read === 'string') return { id, user: null, ttlSeconds, expiresAt, readable: false, extra: null, unreadable: read };
  const { session } = read.decoded;
  const { found } = read;
  const userRoot = userRootOf(fields, found);
  let extra: JsonObject | null = null;
  for (const k in session) {
    if (k === 'cookie' || k === userRoot || !Object.hasOwn(session, k)) continue;
    extra ??= {};
    extra[k] = session[k];
  }
  return { id, user: found?.user ?? null, ttlSeconds, expiresAt, readable: true, extra };
}

/** The NDJSON line of a record, field for field what JSON.stringify(record) writes, faster. */
export function recordJsonLine(r: SessionRecord): string {
  return `{"id":${JSON.stringify(r.id)},"user":${r.user === null ? 'null' : JSON.stringify(r.user)},"ttlSeconds":${r.ttlSeconds},"expiresAt":${
    r.expiresAt === null ? 'null' : `"${r.expiresAt}"`
  },"readable":${r.readable},"extra":${r.extra === null ? 'null' : JSON.stringify(r.extra)}}`;
}

/**
 * What JSON.stringify writes for a number that may be an integer beyond 2^53, which it rounds:
 * a run of 16 digits, or an exponent (1000000000000000000001 prints as 1e+21). A string that
 * merely looks so takes the slower path to the same output.
 */
const LONG_DIGITS = /\d{16}|\de\+/;

/**
 * The JSON text of a member's value, as stored, without the whitespace between its tokens (an
 * NDJSON line may not hold a line break). Used where re-serializing would round a number.
 */
function compactSlice(bytes: Buffer, start: number, end: number): string {
  const text = bytes.toString('utf8', start, end);
  if (!/[\s]/.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') out += c;
  }
  return out;
}

/**
 * The NDJSON line of one stored session, exactly `recordJsonLine(toSessionRecord(...))`
 * (field for field, same escaping and key order), built without the intermediate record,
 * its `extra` object or a Date: `session list --json` does this a million times and the
 * allocations cost more than the JSON.parse. Returns undefined when `onlyUser` is given and
 * the session is not that user's. Sets `info` as toSessionRecord does. Two exceptions to
 * "exactly": numbers beyond 2^53 in `extra` keep their stored digits, and what a terminal may
 * act on is escaped (json-safe.ts, as printJson does).
 */
export function sessionJsonLine(
  id: string,
  raw: Buffer,
  pttlMs: number,
  fields: readonly string[],
  now: number,
  onlyUser: string | undefined,
  info: LineInfo,
  tail = '',
): string | undefined {
  const read = readSession(raw, fields, info);
  if (typeof read === 'string') return onlyUser === undefined ? unreadableLine(id, raw, pttlMs, now, tail) : undefined;
  const { session, bytes, text } = read.decoded;
  const { found } = read;
  if (onlyUser !== undefined && found?.user !== onlyUser) return undefined;
  const userRoot = userRootOf(fields, found);
  // `extra` as JSON.stringify would write the object toSessionRecord builds: same keys in
  // the same (for-in) order. A "__proto__" key makes that object exist but, assigned with
  // `extra[k] =`, never becomes an own property, so it is not written. A value holding an
  // integer beyond 2^53, which JSON.stringify rounds, is copied from the stored text instead.
  let extra = '';
  let hasExtra = false;
  let members: Map<string, { value: { start: number; end: number } }> | undefined;
  for (const k in session) {
    if (k === 'cookie' || k === userRoot || !Object.hasOwn(session, k)) continue;
    hasExtra = true;
    if (k === '__proto__') continue;
    const v = session[k];
    let json = typeof v === 'string' ? quote(v) : JSON.stringify(v);
    if (
      typeof v === 'number'
        ? Number.isInteger(v) && !Number.isSafeInteger(v)
        : typeof v === 'object' && v !== null && LONG_DIGITS.test(json)
    ) {
      members ??= objectMembers(bytes, text.indexOf('{')).members;
      const span = members.get(k)?.value;
      if (span !== undefined) json = compactSlice(bytes, span.start, span.end);
    }
    extra += `${extra === '' ? '' : ','}${quote(k)}:${json}`;
  }
  const user = found === undefined || found.user === null ? 'null' : quote(found.user);
  return terminalSafe(
    `{"id":${quote(id)},"user":${user},${keyTimes(pttlMs, now)},"readable":true,"extra":${hasExtra ? `{${extra}}` : 'null'}${tail}}`,
    bytes,
  );
}

/**
 * The stored session with a new lifetime, as express-session itself would write it:
 * express-session resets cookie.expires from cookie.originalMaxAge on every request, and
 * connect-redis derives the key's TTL from cookie.expires, so both must change together
 * with the TTL or the user's next request undoes it. Returns undefined when the value is
 * not an express-session object (then only the key's TTL can change).
 *
 * Only the bytes of those two values change (or are added at the end of the cookie): every
 * other byte stays as stored, so a user id beyond 2^53, a byte that is not UTF-8 or the
 * application's own formatting survive, which re-serializing the parsed value would not keep.
 */
export function withLifetime<T extends Buffer | string>(raw: T, ttlMs: number, now: number): T | undefined {
  const decoded = decodeSession(raw);
  if (typeof decoded === 'string') return undefined;
  const cookie = decoded.session['cookie'];
  if (cookie === null || typeof cookie !== 'object' || Array.isArray(cookie)) return undefined;
  const out = setMembers(
    decoded.bytes,
    ['cookie'],
    [
      ['originalMaxAge', String(ttlMs)],
      ['expires', `"${new Date(now + ttlMs).toISOString()}"`],
    ],
  );
  if (out === undefined) return undefined;
  return (typeof raw === 'string' ? out.toString('utf8') : out) as T;
}

/**
 * express-session's cookie.originalMaxAge in a stored value (null when the cookie lacks it),
 * read by the one session decoder; undefined when it is not a session with a cookie object.
 */
function cookieMaxAge(raw: Buffer | string): unknown {
  const decoded = decodeSession(raw);
  const cookie: unknown = typeof decoded === 'string' ? undefined : decoded.session['cookie'];
  return cookie !== null && typeof cookie === 'object' && !Array.isArray(cookie)
    ? ((cookie as Record<string, unknown>)['originalMaxAge'] ?? null)
    : undefined;
}

/**
 * Whether a session no longer has the lifetime that was set: its key lives longer than that
 * (a save or touch by a request that began before the change), or its cookie carries another
 * maxAge (the next request would roll it back). A request that began after the change writes
 * the new maxAge and a TTL within it, and is left alone.
 */
export function lifetimeUndone(raw: Buffer | string, pttl: number, ttlMs: number): boolean {
  if (pttl === -1 || pttl > ttlMs) return true;
  const maxAge = cookieMaxAge(raw);
  return maxAge !== undefined && maxAge !== ttlMs;
}
