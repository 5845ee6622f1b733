/**
 * PHP's own sessions with phpredis's save handler (`session.save_handler=redis`): one string per
 * session under `PHPREDIS_SESSION:<sid>` (phpredis redis_session.c: REDIS_SESSION_PREFIX; another
 * prefix with `save_path=...?prefix=`), holding `$_SESSION` in the encoding of
 * `session.serialize_handler`: `php`, `php_serialize` or `igbinary`, read from each value
 * (decode/php-session.ts), so sessions of all three can sit side by side.
 *
 * Lifetime: phpredis writes a changed session with `SETEX <key> gc_maxlifetime` (PS_WRITE_FUNC)
 * and renews an unchanged one with `EXPIRE <key> gc_maxlifetime` (PS_UPDATE_TIMESTAMP_FUNC), on
 * every request: the application's ini setting, not anything stored, decides. A new lifetime is
 * therefore only the key's TTL, and lasts until the user's next request (`--hold` keeps setting it).
 *
 * Revoke: DEL, which is what `session_destroy()` does (PS_DESTROY_FUNC). In PHP's default
 * non-strict mode the next request with the old cookie re-creates the key under the same id, as
 * an empty session (value ""): the user is logged out; with `session.use_strict_mode=1` PHP issues
 * a new id instead. The user is found by the --user-field paths on `$_SESSION`, as for JSON stores.
 */
import { escapeGlob, showId } from '../../../redis/keys.js';
import { UsageError } from '../../../errors.js';
import { decodedCookieValue } from '../../cookie.js';
import { sessionUser, splitFields } from '../../decode/json-session.js';
import { decodePhpSession, phpUserNeedle } from '../../decode/php-session.js';
import { idAfter, sessionKey, validateSessionId } from '../../ids.js';
import { ttlRecord, noteReadable, lineOfRecord, unreadableRecord } from '../../records.js';
import type { LineInfo, SessionLayout, SessionRecord } from '../../layout.js';

const PREFIX = 'PHPREDIS_SESSION:';
/** phpredis's lock key beside a session when `redis.session.locking_enabled` is on (lock_acquire: the key + "_LOCK"). */
const LOCK_SUFFIX = Buffer.from('_LOCK');
/** The characters of a PHP session id (session.sid_bits_per_character 4, 5 or 6: [0-9a-zA-Z,-]). */
const SID = /^[0-9A-Za-z,-]{1,256}$/;

function toRecord(id: string, raw: Buffer, pttlMs: number, fields: readonly string[], now: number, info?: LineInfo): SessionRecord {
  const session = decodePhpSession(raw);
  if (typeof session === 'string') return unreadableRecord(id, pttlMs, now, session, info);
  const found = sessionUser(session.vars, fields);
  noteReadable(info, found?.user === null ? found : undefined);
  const userRoot = found?.user === null || found === undefined ? undefined : splitFields(fields)[fields.indexOf(found.field)]?.[0];
  let extra: Record<string, unknown> | null = null;
  for (const k of Object.keys(session.vars)) {
    if (k === userRoot) continue;
    extra ??= Object.create(null) as Record<string, unknown>;
    extra[k] = session.vars[k];
  }
  return ttlRecord(id, found?.user ?? null, pttlMs, now, extra);
}

export const php: SessionLayout = {
  name: 'php',
  idLength: 32, // session.sid_length's compiled default
  defaultPrefix: PREFIX,
  keyType: 'string',
  key: sessionKey,
  match: (prefix) => `${escapeGlob(prefix)}*`,
  isSession: () => (key) => !key.subarray(key.length - LOCK_SUFFIX.length).equals(LOCK_SUFFIX),
  idOf: idAfter,
  cookie: {
    defaultName: 'PHPSESSID',
    isBareValue: (text) => SID.test(text.replace(/^"|"$/g, '')),
    read(value) {
      const id = decodedCookieValue(value);
      if (!SID.test(id))
        throw new UsageError('--cookie is not a PHP session cookie (PHPSESSID: the session id, letters, digits, "," and "-")');
      validateSessionId(id);
      return {
        id,
        verify() {
          throw new UsageError("PHP's session cookie is the bare id, not signed: --cookie-secret-file does not apply to --layout php");
        },
      };
    },
  },
  record: toRecord,
  jsonLine: lineOfRecord(toRecord),
  content(raw) {
    const session = decodePhpSession(raw);
    return typeof session === 'string' ? undefined : { serializer: session.serializer, variables: session.vars };
  },
  userPrefilter: phpUserNeedle,
  withLifetime(raw, ttlMs) {
    if (typeof decodePhpSession(raw) === 'string') return undefined;
    return {
      ttlMs,
      side: [],
      note: "phpredis sets the key's TTL to the app's session.gc_maxlifetime on every request (SETEX when the session changed, EXPIRE when not), so this lifetime lasts until the user's next request: --hold keeps setting it for a while; session revoke ends a session for good.",
    };
  },
  // Whatever request comes next puts gc_maxlifetime back; one longer than the lifetime set shows it.
  lifetimeUndone: (_raw, pttlMs, ttlMs) => pttlMs < 0 || pttlMs > ttlMs + 1000,
  detect(key, raw) {
    const at = key.indexOf(PREFIX);
    const start = at + PREFIX.length;
    if (at < 0 || key.length === start || key.subarray(key.length - LOCK_SUFFIX.length).equals(LOCK_SUFFIX)) return undefined;
    if (typeof decodePhpSession(raw) === 'string') return undefined;
    return { prefix: key.subarray(0, start).toString('utf8'), id: showId(key.subarray(start)) };
  },
  // PS_WRITE_FUNC: SETEX (a set event, then expire); PS_UPDATE_TIMESTAMP_FUNC: EXPIRE.
  writeEvents: ['set'],
  writeEventClasses: '$',
  touchEvents: ['expire'],
  touchEventClasses: 'g',
};
