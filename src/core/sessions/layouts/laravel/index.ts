/**
 * Laravel's redis session driver (SESSION_DRIVER=redis), as Laravel 8 stores it: the session
 * handler is CacheBasedSessionHandler over the cache's RedisStore, so a session is a cache entry:
 * `<REDIS_PREFIX><CACHE_PREFIX>:<id>` (illuminate/cache RedisStore: `setPrefix` adds the `:`;
 * the 8.x defaults give `laravel_database_laravel_cache:`; newer skeletons use hyphens and drop the
 * colon: --session-prefix). Ids are 40 letters and digits (Store::isValidId). Other cache entries
 * share the prefix, so a value must read as a Laravel session (a `_token`, or an encrypted
 * payload) to be one: others are skipped, by `revoke --all` too.
 *
 * The value is serialize()d twice: Store::save writes `serialize($attributes)` through the
 * handler, and RedisStore::put serializes that string again (`s:<n>:"a:...";`). With
 * SESSION_ENCRYPT the inner string is Laravel's Encrypter payload (crypt.ts): readable with the
 * APP_KEY from --cookie-secret-file, else listed as unreadable.
 *
 * The user is the id SessionGuard keeps under `login_<guard>_<sha1 of the guard class>`
 * (SessionGuard::getName); the guard's name beside it. Lifetime: the handler puts the entry with
 * `SETEX lifetime*60` on every request (CacheBasedSessionHandler::write, RedisStore::put), so a
 * new TTL lasts until the next request. Revoke: DEL; the next request with the cookie gets a new
 * anonymous session under the same id (`_token` and `_flash` only): the user is logged out.
 */
import { escapeGlob, showId } from '../../../redis/keys.js';
import { NegativeAnswer, UsageError } from '../../../errors.js';
import { NO_PREFILTER } from '../../../walk/prefilter.js';
import { isUtf8 } from 'node:buffer';
import { decodedCookieValue } from '../../cookie.js';
import { decodePhpSerialized } from '../../decode/php-serialize.js';
import { isPhpObject, newMap, PHP_LIMITS, Tracker, type PhpMap, type PhpPlain } from '../../decode/php-value.js';
import { idAfter, sessionKey, validateSessionId } from '../../ids.js';
import { ttlRecord, lineOfRecord, noteReadable, unreadableRecord } from '../../records.js';
import { readHandoff } from '../../read-handoff.js';
import type { LineInfo, SessionLayout, SessionRecord } from '../../layout.js';
import { appKeys, cookiePrefix, decrypt, isPayload, PAYLOAD_START } from './crypt.js';

const PREFIX = 'laravel_database_laravel_cache:';
const ID = /^[A-Za-z0-9]{40}$/;
const LOGIN = /^login_(.+)_[0-9a-f]{40}$/;
/** Never printed: the CSRF token and the password hash AuthenticateSession keeps. */
const SECRET = /^(?:_token|password_hash_.+)$/;

interface LaravelSession {
  attributes: PhpMap;
  encrypted: boolean;
  serialization: 'php' | 'json';
}

const isMap = (v: unknown): v is PhpMap => v !== null && typeof v === 'object' && !Array.isArray(v) && !isPhpObject(v);

/** One serialize()d value spanning all of `bytes`. */
function unserialize(bytes: Buffer): PhpPlain | undefined {
  const decoded = decodePhpSerialized(bytes, new Tracker(PHP_LIMITS));
  return decoded.ok && decoded.end === bytes.length ? decoded.value : undefined;
}

/** A session's attributes as read; `encrypted` when they came out of an APP_KEY payload. */
type Attributes = { attributes: PhpMap; serialization: 'php' | 'json'; encrypted?: boolean };

/** The attributes in serialize()d bytes. */
function phpAttributes(bytes: Buffer): Attributes | undefined {
  const value = unserialize(bytes);
  if (Array.isArray(value) && value.length === 0) return { attributes: newMap(), serialization: 'php' };
  return isMap(value) ? { attributes: value, serialization: 'php' } : undefined;
}

/** The attributes in the handler's string: serialize()d, or JSON (the `json` session serialization of later versions). */
function attributesOf(data: string): Attributes | undefined {
  if (data.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(data, (k, v: unknown) => (k === '__proto__' ? undefined : v));
      return isMap(parsed) ? { attributes: Object.assign(newMap(), parsed) as PhpMap, serialization: 'json' } : undefined;
    } catch {
      return undefined;
    }
  }
  return phpAttributes(Buffer.from(data, 'utf8'));
}

const PAYLOAD_BYTES = Buffer.from(PAYLOAD_START);
/** The most digits the serialize() reader takes as a length (php-serialize.ts). */
const MAX_LENGTH_DIGITS = 12;

/**
 * The bytes of the cache entry's string (`s:<n>:"<n bytes>";`, all of `raw`) when the handler's
 * string in it is serialize()d and can be read from those bytes as they are: valid UTF-8, so
 * they are what decoding them to text and back gives, and neither JSON nor encrypted. Else
 * undefined, and the entry is read through its text (readEntry). Most sessions are this one,
 * and the text and the Buffer made back of it were about a tenth of a listing's CPU.
 */
function plainInner(raw: Buffer): Buffer | undefined {
  if (raw.length > PHP_LIMITS.maxBytes || raw[0] !== 0x73 /* s */ || raw[1] !== 0x3a /* : */) return undefined;
  let at = 2;
  let n = 0;
  for (let c = raw[at]; c !== undefined && c >= 0x30 && c <= 0x39 && at - 2 < MAX_LENGTH_DIGITS; c = raw[++at]) n = n * 10 + c - 0x30;
  if (at === 2 || raw[at] !== 0x3a /* : */ || raw[at + 1] !== 0x22 /* " */) return undefined;
  const start = at + 2;
  if (start + n + 2 !== raw.length || raw[start + n] !== 0x22 || raw[start + n + 1] !== 0x3b /* ; */) return undefined;
  const inner = raw.subarray(start, start + n);
  if (inner[0] === 0x7b /* { */ || inner.subarray(0, PAYLOAD_BYTES.length).equals(PAYLOAD_BYTES)) return undefined;
  return isUtf8(inner) ? inner : undefined;
}

/** Any cache entry's attributes: its string decoded, and decrypted with `keys` when it is a payload; or why not (undefined: no attributes). */
function readEntry(raw: Buffer, keys: readonly Buffer[]): Attributes | string | undefined {
  const outer = unserialize(raw);
  if (typeof outer !== 'string') return 'not a serialize()d string (a Laravel cache entry holding a session)';
  let data = outer;
  let encrypted = false;
  if (outer.startsWith(PAYLOAD_START) && isPayload(outer)) {
    if (keys.length === 0) return 'encrypted with APP_KEY (SESSION_ENCRYPT): give --cookie-secret-file with the key';
    const plain = decrypt(outer, keys);
    if (plain === undefined) return 'encrypted, and no key in --cookie-secret-file decrypts it';
    // EncryptedStore encrypts with serialize on: the plaintext is serialize() of the handler's string.
    const inner = unserialize(plain);
    if (typeof inner !== 'string') return 'encrypted, but not a serialize()d string inside';
    data = inner;
    encrypted = true;
  }
  const read = attributesOf(data);
  return read === undefined || !encrypted ? read : { ...read, encrypted };
}

function readLaravel(raw: Buffer, keys: readonly Buffer[]): LaravelSession | string {
  const inner = plainInner(raw);
  const read = inner === undefined ? readEntry(raw, keys) : phpAttributes(inner);
  if (read === undefined) return 'not Laravel session attributes';
  if (typeof read === 'string') return read;
  if (!Object.hasOwn(read.attributes, '_token')) return 'no _token (not a Laravel session)';
  return { ...read, encrypted: read.encrypted === true };
}

/** The guard of a `login_<guard>_<sha1>` attribute name; undefined for any other name. */
function guardOf(name: string): string | undefined {
  // The prefix first: most attributes are not logins, and the test costs less than the match.
  return name.startsWith('login_') ? LOGIN.exec(name)?.[1] : undefined;
}

/** The first guard's logged-in user id: `login_<guard>_<sha1>`. */
function loginOf(attributes: PhpMap): { user: string; guard: string } | undefined {
  for (const name in attributes) {
    const guard = guardOf(name);
    if (guard === undefined) continue;
    const value = attributes[name];
    if (typeof value === 'string' && value !== '') return { user: value, guard };
    if (typeof value === 'number' && Number.isFinite(value)) return { user: String(value), guard };
  }
  return undefined;
}

function makeRecord(read: (raw: Buffer) => LaravelSession | string) {
  return (id: string, raw: Buffer, pttlMs: number, _fields: readonly string[], now: number, info?: LineInfo): SessionRecord => {
    const s = read(raw);
    if (typeof s === 'string') return unreadableRecord(id, pttlMs, now, s, info);
    noteReadable(info);
    const login = loginOf(s.attributes);
    let extra: Record<string, unknown> | null = login === undefined ? null : { guard: login.guard };
    // Attribute maps have no prototype: for...in sees their own keys only.
    for (const name in s.attributes) {
      if (guardOf(name) !== undefined || SECRET.test(name)) continue;
      extra ??= Object.create(null) as Record<string, unknown>;
      extra[name] = s.attributes[name];
    }
    return ttlRecord(id, login?.user ?? null, pttlMs, now, extra);
  };
}

/** A Laravel layout; with the application's keys it also reads sessions stored encrypted. */
export function laravelLayout(keys: readonly Buffer[] = []): SessionLayout {
  // The listing checks each value with isSessionValue before building from it: one decode for both.
  const checked = readHandoff((raw: Buffer) => readLaravel(raw, keys));
  const record = makeRecord(checked.take);
  return {
    name: 'laravel',
    idLength: 40, // Str::random(40)
    defaultPrefix: PREFIX,
    keyType: 'string',
    key: sessionKey,
    match: (prefix) => `${escapeGlob(prefix)}${'?'.repeat(40)}`,
    idOf: idAfter,
    isSessionValue: (raw) => {
      const s = checked.check(raw);
      // Encrypted without a key: still a session (an encrypted payload under the prefix, with a session id's shape).
      return typeof s !== 'string' || s.startsWith('encrypted');
    },
    withSecrets: (secrets) => laravelLayout(appKeys(secrets)),
    cookie: {
      defaultName: 'laravel_session',
      isBareValue: (text) => ID.test(text.replace(/^"|"$/g, '')) || decodedCookieValue(text).startsWith(PAYLOAD_START),
      read(value) {
        const id = decodedCookieValue(value);
        if (!ID.test(id))
          throw new UsageError('--cookie is not a Laravel session cookie (the session id, or the payload EncryptCookies makes of it)');
        validateSessionId(id);
        return {
          id,
          verify() {
            throw new UsageError('this Laravel session cookie is the bare id, not encrypted: --cookie-secret-file does not apply to it');
          },
        };
      },
      // EncryptCookies: the id is readable only with APP_KEY.
      readSealed(value, name) {
        const text = decodedCookieValue(value);
        if (!isPayload(text)) return undefined;
        return { id: undefined, open: (secrets) => openCookie(text, name, secrets) };
      },
    },
    record,
    jsonLine: lineOfRecord(record),
    content(raw) {
      const s = readLaravel(raw, keys);
      if (typeof s === 'string') return undefined;
      const attributes = newMap();
      for (const [name, value] of Object.entries(s.attributes)) attributes[name] = SECRET.test(name) ? '(redacted)' : value;
      return { serialization: s.serialization, encrypted: s.encrypted, attributes };
    },
    // The id is in the value as text (`i:42;`, or a string's bytes) unless the value is encrypted.
    userPrefilter: (user) =>
      user === undefined || user.includes('\ufffd') ? NO_PREFILTER : [Buffer.from(user, 'utf8'), Buffer.from(`"${PAYLOAD_START}`)],
    withLifetime(raw, ttlMs) {
      if (typeof readLaravel(raw, keys) === 'string') return undefined;
      return {
        ttlMs,
        side: [],
        note: "Laravel puts the session with SETEX of its session lifetime on every request (CacheBasedSessionHandler::write), so this lifetime lasts until the user's next request: --hold keeps setting it for a while; session revoke ends a session for good.",
      };
    },
    lifetimeUndone: (_raw, pttlMs, ttlMs) => pttlMs < 0 || pttlMs > ttlMs + 1000,
    detect(key, raw) {
      if (key.length < 41 || !ID.test(key.subarray(key.length - 40).toString('latin1'))) return undefined;
      const prefix = key.subarray(0, key.length - 40).toString('utf8');
      const s = readLaravel(raw, keys);
      // Encrypted without the key: a session only under a cache prefix (nothing else in it says so).
      if (typeof s === 'string' && (!s.startsWith('encrypted') || !/cache[:_-]?$/.test(prefix))) return undefined;
      return { prefix, id: showId(key.subarray(key.length - 40)) };
    },
    writeEvents: ['set'],
    writeEventClasses: '$',
    touchEvents: [],
    touchEventClasses: '',
  };
}

export const laravel: SessionLayout = laravelLayout();

/** The session id in an EncryptCookies payload, decrypted with one of the app's keys and checked to be made for cookie `name`. */
function openCookie(text: string, name: string, secrets: string[]): string {
  for (const key of appKeys(secrets)) {
    const plain = decrypt(text, [key])?.toString('utf8');
    if (plain === undefined) continue;
    // EncryptCookies (8.x) encrypts CookieValuePrefix::create(name, key).value, without serialize.
    const prefix = cookiePrefix(name, key);
    if (!plain.startsWith(prefix))
      throw new NegativeAnswer(`the cookie decrypts, but was not made for a cookie named ${name} (--cookie-name)`);
    const id = plain.slice(prefix.length);
    if (!ID.test(id)) throw new UsageError('the cookie decrypts to something that is not a Laravel session id');
    return id;
  }
  throw new NegativeAnswer("no key in --cookie-secret-file decrypts the cookie: not this app's APP_KEY");
}
