/**
 * Reading one stored session as express-session + connect-redis write it:
 * JSON like {"cookie":{"originalMaxAge":86400000,"expires":"2026-...Z",...},"passport":{"user":"alice"},...}
 * Pure functions only; no Redis here.
 */

export { DEFAULT_USER_FIELDS } from '../defaults.js';

export interface SessionRecord {
  id: string;
  /** The user the session belongs to, or null when none of the user fields is present. */
  user: string | null;
  /** Seconds left; -1 when the key has no expiry. */
  ttlSeconds: number;
  /** When Redis will drop the key (ISO 8601), or null without expiry. */
  expiresAt: string | null;
  /** false when the value is not a JSON object; user and extra are then null. */
  readable: boolean;
  /** Top-level fields beyond cookie and the user field (e.g. ip, userAgent), when present. */
  extra: Record<string, unknown> | null;
}

export type JsonObject = Record<string, unknown>;

export function parseSessionJson(raw: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

function getPath(obj: JsonObject, path: readonly string[]): unknown {
  let current: unknown = obj;
  for (const part of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as JsonObject)[part];
  }
  return current;
}

/** Split once per field list, not once per session: listing parses millions of sessions. */
const splitCache = new WeakMap<readonly string[], string[][]>();
function splitFields(fields: readonly string[]): string[][] {
  let split = splitCache.get(fields);
  if (split === undefined) {
    split = fields.map((f) => f.split('.'));
    splitCache.set(fields, split);
  }
  return split;
}

/** The user of a session: the first of `fields` holding a string or a number. */
export function sessionUser(session: JsonObject, fields: readonly string[]): { user: string; field: string } | undefined {
  const paths = splitFields(fields);
  for (const [i, path] of paths.entries()) {
    const value = getPath(session, path);
    const field = fields[i] as string;
    if (typeof value === 'string' && value !== '') return { user: value, field };
    if (typeof value === 'number' && Number.isFinite(value)) return { user: String(value), field };
  }
  return undefined;
}

export function toSessionRecord(id: string, raw: string, pttlMs: number, fields: readonly string[], now: number): SessionRecord {
  const ttlSeconds = pttlMs < 0 ? -1 : Math.ceil(pttlMs / 1000);
  const expiresAt = pttlMs < 0 ? null : new Date(now + pttlMs).toISOString();
  const session = parseSessionJson(raw);
  if (session === undefined) return { id, user: null, ttlSeconds, expiresAt, readable: false, extra: null };
  const found = sessionUser(session, fields);
  const userRoot = found === undefined ? undefined : (splitFields(fields)[fields.indexOf(found.field)]?.[0] ?? found.field);
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
 * JSON string literal of `s`. Ids and user names are almost always plain ASCII with nothing
 * to escape, and then quoting them directly is several times cheaper than JSON.stringify;
 * anything JSON.stringify would escape (quote, backslash, control characters, lone
 * surrogates) still goes through it, so the output is identical.
 */
const NOTHING_TO_ESCAPE = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;
function quote(s: string): string {
  return NOTHING_TO_ESCAPE.test(s) ? `"${s}"` : JSON.stringify(s);
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

/** Set by sessionJsonLine for its caller's statistics (an out-parameter: no object per line). */
export interface LineInfo {
  readable: boolean;
}

/**
 * The NDJSON line of one stored session, exactly `recordJsonLine(toSessionRecord(...))`
 * (field for field, same escaping and key order), built without the intermediate record,
 * its `extra` object or a Date: `session list --json` does this a million times and the
 * allocations cost more than the JSON.parse. Returns undefined when `onlyUser` is given and
 * the session is not that user's. `info.readable` tells whether the value was a JSON object.
 */
export function sessionJsonLine(
  id: string,
  raw: string,
  pttlMs: number,
  fields: readonly string[],
  now: number,
  onlyUser: string | undefined,
  info: LineInfo,
): string | undefined {
  const head = `{"id":${quote(id)},"user":`;
  const times = pttlMs < 0 ? `"ttlSeconds":-1,"expiresAt":null` : `"ttlSeconds":${Math.ceil(pttlMs / 1000)},"expiresAt":"${isoTime(now + pttlMs)}"`;
  const session = parseSessionJson(raw);
  info.readable = session !== undefined;
  if (session === undefined) return onlyUser === undefined ? `${head}null,${times},"readable":false,"extra":null}` : undefined;
  const found = sessionUser(session, fields);
  if (onlyUser !== undefined && found?.user !== onlyUser) return undefined;
  const userRoot = found === undefined ? undefined : (splitFields(fields)[fields.indexOf(found.field)]?.[0] ?? found.field);
  // `extra` as JSON.stringify would write the object toSessionRecord builds: same keys in
  // the same (for-in) order. A "__proto__" key makes that object exist but, assigned with
  // `extra[k] =`, never becomes an own property, so it is not written.
  let extra = '';
  let hasExtra = false;
  for (const k in session) {
    if (k === 'cookie' || k === userRoot || !Object.hasOwn(session, k)) continue;
    hasExtra = true;
    if (k === '__proto__') continue;
    const v = session[k];
    extra += `${extra === '' ? '' : ','}${quote(k)}:${typeof v === 'string' ? quote(v) : JSON.stringify(v)}`;
  }
  return `${head}${found === undefined ? 'null' : quote(found.user)},${times},"readable":true,"extra":${hasExtra ? `{${extra}}` : 'null'}}`;
}

/**
 * The stored session with a new lifetime, as express-session itself would write it:
 * express-session resets cookie.expires from cookie.originalMaxAge on every request, and
 * connect-redis derives the key's TTL from cookie.expires, so both must change together
 * with the TTL or the user's next request undoes it. Returns undefined when the value is
 * not an express-session object (then only the key's TTL can change).
 */
export function withLifetime(raw: string, ttlMs: number, now: number): string | undefined {
  const session = parseSessionJson(raw);
  const cookie = session?.['cookie'];
  if (session === undefined || cookie === null || typeof cookie !== 'object' || Array.isArray(cookie)) return undefined;
  const updated = { ...session, cookie: { ...(cookie as JsonObject), originalMaxAge: ttlMs, expires: new Date(now + ttlMs).toISOString() } };
  return JSON.stringify(updated);
}
