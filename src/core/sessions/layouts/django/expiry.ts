/**
 * A Django session's lifetime. Django sets the key's TTL when it saves a session, and saves it
 * only when a request changed it or with SESSION_SAVE_EVERY_REQUEST (sessions/middleware.py:
 * `if (modified or settings.SESSION_SAVE_EVERY_REQUEST) and not empty`); a read-only request
 * leaves the TTL alone. The TTL it sets is get_expiry_age() (sessions/backends/base.py): the
 * session's `_session_expiry` when set (set_expiry: an int, "seconds of inactivity", or a
 * datetime), else SESSION_COOKIE_AGE (two weeks). So where a session carries `_session_expiry`,
 * a new lifetime rewrites it with the TTL, in one compare-and-set, changing only its bytes (and
 * the length of the pickle frame around them, when an int's width changes): the next save then
 * keeps the new lifetime. Without one, the TTL holds until the next save.
 *
 * With the cached_db backend the SQL row's expire_date decides (cached_db.py load:
 * `_get_session_from_db` filters on expire_date, then caches with `get_expiry_age(expiry=
 * s.expire_date)`): the Redis TTL only bounds the cached copy.
 */
import type { LifetimePlan, StoredAt } from '../../layout.js';
import { datetimeState, readPyDatetime } from '../../decode/py-datetime.js';
import type { Frame } from '../../decode/pickle.js';
import { PyObject, PyTuple } from '../../decode/py-value.js';
import { readDjango } from './read.js';

export const EXPIRY_FIELD = '_session_expiry';
/** cached_db's KEY_PREFIX (contrib/sessions/backends/cached_db.py), the end of its keys' prefix. */
export const CACHED_DB = 'django.contrib.sessions.cached_db';

const UNTIL_SAVE =
  "Django sets a session's TTL when it saves the session (after a request that changed it, or every request with SESSION_SAVE_EVERY_REQUEST): to its _session_expiry when it has one, else to SESSION_COOKIE_AGE (2 weeks by default).";
const CACHED_DB_NOTE =
  " With the cached_db backend the session's row in the SQL table django_session (expire_date) decides its lifetime: the Redis TTL only bounds the cached copy, which Django reloads from SQL when it is gone.";

/** An int as pickle writes it (pickle.py save_long): binary from protocol 1 on, `I<digits>\n` in protocol 0. */
function encodeInt(n: number, text: boolean): Buffer {
  if (text) return Buffer.from(`I${n}\n`, 'latin1');
  if (n <= 0xff) return Buffer.from([0x4b, n]);
  if (n <= 0xffff) return Buffer.from([0x4d, n & 0xff, n >> 8]);
  const out = Buffer.alloc(5);
  out[0] = 0x4a;
  out.writeInt32LE(n, 1);
  return out;
}

/** Opcodes that push an int (BININT1, BININT2, BININT, INT; LONG, LONG1, LONG4). */
const INT_OPCODES = new Set([0x4b, 0x4d, 0x4a, 0x49, 0x4c, 0x8a, 0x8b]);

/** The pickle with the bytes [start, end) replaced, and the length of the frame around them adjusted. */
function splice(raw: Buffer, start: number, end: number, bytes: Buffer, frames: readonly Frame[]): Buffer {
  const out = Buffer.concat([raw.subarray(0, start), bytes, raw.subarray(end)]);
  const frame = frames.find((f) => f.start <= start && start < f.start + f.length);
  if (frame !== undefined) out.writeBigUInt64LE(BigInt(frame.length + bytes.length - (end - start)), frame.lengthAt);
  return out;
}

export function djangoWithLifetime(raw: Buffer, ttlMs: number, now: number, at: StoredAt): LifetimePlan | undefined {
  const read = readDjango(raw, true);
  if (typeof read === 'string') return undefined;
  const cachedDb = at.prefix.endsWith(CACHED_DB) ? CACHED_DB_NOTE : '';
  const seconds = Math.ceil(ttlMs / 1000);
  const expiry = read.dict.get(EXPIRY_FIELD);
  const kept = (why: string): LifetimePlan => ({
    ttlMs,
    side: [],
    note: `${UNTIL_SAVE} ${why} this TTL lasts until the session is next saved; --hold sets it again while a request in flight writes the old one back.${cachedDb}`,
  });
  if (expiry === undefined || expiry === null || expiry === 0 || expiry === false) return kept('It has no _session_expiry:');

  if (typeof expiry === 'number' && Number.isInteger(expiry) && expiry > 0) {
    const span = read.dict.spanOf(EXPIRY_FIELD);
    const op = span === undefined ? undefined : raw[span.start];
    if (span === undefined || op === undefined || !INT_OPCODES.has(op) || seconds > 0x7fffffff)
      return kept('Its _session_expiry cannot be rewritten in place (only an int, or a datetime in UTC or at a fixed offset, can):');
    return {
      value: splice(raw, span.start, span.end, encodeInt(seconds, op === 0x49 || op === 0x4c), read.frames),
      ttlMs,
      side: [],
      note: `_session_expiry is now ${seconds} (seconds of inactivity): Django sets the TTL from it whenever it saves the session.${cachedDb}`,
    };
  }

  const dt = readPyDatetime(expiry);
  // A datetime in a zone whose offset is known, with its state bytes in the pickle as is, named
  // nowhere else in the session (the memo can make two keys share one datetime).
  const own = expiry instanceof PyObject && !expiry.shared && expiry.args instanceof PyTuple && !expiry.args.shared;
  if (dt === undefined || dt.offsetMinutes === undefined || dt.state.offset < 0 || dt.state.shared || !own)
    return kept('Its _session_expiry cannot be rewritten in place (only an int, or a datetime in UTC or at a fixed offset, can):');
  const state = datetimeState(now + ttlMs, dt.offsetMinutes);
  return {
    value: splice(raw, dt.state.offset, dt.state.offset + state.length, state, read.frames),
    ttlMs,
    side: [],
    note: `_session_expiry is now ${new Date(now + ttlMs).toISOString()}: Django sets the TTL from it whenever it saves the session.${cachedDb}`,
  };
}

/** Whether a save wrote back another lifetime than `ttlMs` (`session ttl --hold`). */
export function djangoLifetimeUndone(raw: Buffer, pttlMs: number, ttlMs: number): boolean {
  const read = readDjango(raw);
  if (typeof read === 'string') return false;
  if (pttlMs < 0 || pttlMs > ttlMs + 1000) return true;
  const expiry = read.dict.get(EXPIRY_FIELD);
  if (typeof expiry === 'number' && Number.isInteger(expiry) && expiry > 0) return expiry !== Math.ceil(ttlMs / 1000);
  const dt = expiry === undefined ? undefined : readPyDatetime(expiry);
  return dt?.ms !== undefined && dt.ms > Date.now() + ttlMs + 1000;
}
