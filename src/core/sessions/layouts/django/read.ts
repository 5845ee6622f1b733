/**
 * One Django session as django-redis stores it: the session dict pickled
 * (django_redis/serializers/pickle.py: `pickle.dumps(value, pickle.DEFAULT_PROTOCOL)`), except
 * that django-redis stores an int as its digits (client/default.py encode: `if isinstance(value,
 * bool) or not isinstance(value, int): value = self._serializer.dumps(value)`), which no session
 * is. The cache backends put the dict itself in the cache (contrib/sessions/backends/cache.py
 * save: `func(self.cache_key, self._get_session(no_load=must_create), self.get_expiry_age())`),
 * not SESSION_SERIALIZER's encoding, so a datetime `_session_expiry` is a pickled datetime.
 */
import type { LineInfo, SessionRecord } from '../../layout.js';
import { decodePickle, type Frame } from '../../decode/pickle.js';
import { fieldsFor, pyContent, pyExtra, pyUser } from '../../decode/py-session.js';
import { PyDict } from '../../decode/py-value.js';
import type { Plain } from '../../decode/py-plain.js';
import { ttlRecord, noteReadable, unreadableRecord } from '../../records.js';

/** django.contrib.auth's session keys (contrib/auth/__init__.py: SESSION_KEY and HASH_SESSION_KEY). */
export const USER_FIELD = '_auth_user_id';
/** An HMAC of the user's password hash (AbstractBaseUser.get_session_auth_hash): never printed. */
const HASH_FIELD = '_auth_user_hash';
const OWN_FIELDS = Object.freeze([USER_FIELD]);

export interface DjangoSession {
  dict: PyDict;
  frames: Frame[];
}

/** A stored value as a Django session dict, or why it is not one. `spans`: note where each value's opcode sits (for rewriting). */
export function readDjango(raw: Buffer, spans = false): DjangoSession | string {
  // A pickle starts with an opcode (PROTO, MARK, EMPTY_DICT ...), never a digit or '-'.
  const first = raw[0];
  if (
    raw.length <= 24 &&
    first !== undefined &&
    (first === 0x2d || (first >= 0x30 && first <= 0x39)) &&
    /^-?\d+$/.test(raw.toString('latin1'))
  )
    return 'an integer (django-redis stores ints unpickled), not a session';
  const read = decodePickle(raw, { spans });
  if (!read.ok) return `not a pickle Python can load: ${read.reason}`;
  if (!(read.value instanceof PyDict)) return 'a pickle of something other than a dict';
  return { dict: read.value, frames: read.frames };
}

export function toDjangoRecord(
  id: string,
  raw: Buffer,
  pttlMs: number,
  fields: readonly string[],
  now: number,
  info?: LineInfo,
): SessionRecord {
  const read = readDjango(raw);
  if (typeof read === 'string') return unreadableRecord(id, pttlMs, now, read, info);
  const userFields = fieldsFor(fields, OWN_FIELDS);
  const found = pyUser(read.dict, userFields);
  noteReadable(info, found?.user === null ? found : undefined);
  // The user's backend stays beside the user (which backend logged them in); the hash never shows.
  const skip = new Set([HASH_FIELD]);
  if (found?.user !== null && found !== undefined) skip.add(found.field.split('.')[0] as string);
  // The cache's TTL is the session's lifetime (the cache backend checks no stored expiry on load).
  return ttlRecord(id, found?.user ?? null, pttlMs, now, pyExtra(read.dict, skip));
}

/** The session as `session show` prints it: every key, the password-derived hash redacted. */
export function djangoContent(raw: Buffer): Record<string, Plain> | undefined {
  const read = readDjango(raw);
  return typeof read === 'string' ? undefined : pyContent(read.dict, new Set([HASH_FIELD]));
}
