/**
 * PHP's session encodings (`session.serialize_handler`), as the session module and igbinary
 * write `$_SESSION`:
 * - `php` (the default): `name|<serialize() of the value>` for each variable, one after the other,
 *   every value sharing one numbering for `r:`/`R:` (php-src ext/session/session.c,
 *   PS_SERIALIZER_DECODE_FUNC(php): a name runs to the next `|`, then php_var_unserialize with the
 *   one var_hash of the whole decode);
 * - `php_serialize`: serialize() of the whole `$_SESSION` array (PS_SERIALIZER_DECODE_FUNC(php_serialize));
 * - `igbinary`: igbinary's header and the `$_SESSION` array (igbinary.c, PS_SERIALIZER_DECODE_FUNC(igbinary)).
 *
 * Which one wrote a value is read from the value itself, so one layout reads all three: an igbinary
 * header; else serialize() of an array that spans the whole value; else the `php` encoding. An
 * empty value is an empty session in all three (phpredis re-creates a deleted id with "").
 */
import { NO_PREFILTER, type Needle } from '../../walk/prefilter.js';
import { decodeIgbinary, isIgbinary } from './igbinary.js';
import { decodePhpSerialized } from './php-serialize.js';
import { isPhpObject, newMap, PHP_LIMITS, Tracker, type PhpLimits, type PhpMap } from './php-value.js';

export type PhpSerializer = 'php' | 'php_serialize' | 'igbinary';

export interface PhpSession {
  /** null for the empty value, which every serializer writes for an empty session. */
  serializer: PhpSerializer | null;
  /** `$_SESSION`: variable names to plain data (php-value.ts), in a record without a prototype. */
  vars: PhpMap;
}

const PIPE = 0x7c;

/** The `php` encoding: names and values until the end; a name without `|` after it, or a value PHP cannot read, fails. */
function decodePhpEncoding(raw: Buffer, limits: PhpLimits): PhpSession | string {
  const tracker = new Tracker(limits);
  const vars = newMap();
  let pos = 0;
  while (pos < raw.length) {
    const bar = raw.indexOf(PIPE, pos);
    if (bar < 0) return 'not a PHP session encoding (a name without a value)';
    const decoded = decodePhpSerialized(raw, tracker, bar + 1);
    if (!decoded.ok) return decoded.reason;
    vars[raw.toString('utf8', pos, bar)] = decoded.value;
    pos = decoded.end;
  }
  return { serializer: 'php', vars };
}

/** `$_SESSION` as the session module takes it from a decoded array: string keys only for igbinary (it skips the others). */
function sessionArray(value: unknown, serializer: PhpSerializer): PhpSession | string {
  if (value === null || typeof value !== 'object') return `a ${serializer} value that is not an array`;
  const vars = newMap();
  if (Array.isArray(value)) {
    // A list: integer keys, which igbinary's decode skips and $_SESSION cannot use.
    if (serializer !== 'igbinary') value.forEach((v, i) => (vars[String(i)] = v));
    return { serializer, vars };
  }
  if (isPhpObject(value)) return `a ${serializer} value that is an object, not an array`;
  for (const [k, v] of Object.entries(value as PhpMap)) vars[k] = v;
  return { serializer, vars };
}

/** A stored PHP session, or why it cannot be read. Never throws. */
export function decodePhpSession(raw: Buffer, limits: PhpLimits = PHP_LIMITS): PhpSession | string {
  if (raw.length === 0) return { serializer: null, vars: newMap() };
  if (raw.length > limits.maxBytes) return `larger than ${limits.maxBytes} bytes`;
  if (isIgbinary(raw)) {
    const decoded = decodeIgbinary(raw, new Tracker(limits));
    return decoded.ok ? sessionArray(decoded.value, 'igbinary') : decoded.reason;
  }
  if (raw[0] === 0x61 /* a */ && raw[1] === 0x3a) {
    const decoded = decodePhpSerialized(raw, new Tracker(limits));
    if (decoded.ok && decoded.end === raw.length) return sessionArray(decoded.value, 'php_serialize');
  }
  return decodePhpEncoding(raw, limits);
}

/**
 * The --user prefilter (walk/prefilter.ts) for PHP sessions: serialize() and igbinary both write
 * a string's bytes as they are, so a value without the user's bytes holds no string equal to it.
 * Numbers are not text in igbinary (and INF/NAN are how a float reads), so a user that could be
 * one gets no prefilter, nor one holding U+FFFD (what bytes that are not UTF-8 read as).
 */
export function phpUserNeedle(user: string | undefined): Needle {
  if (user === undefined || /^[-+.0-9]/.test(user) || user === 'INF' || user === 'NAN' || user.includes('\ufffd')) return NO_PREFILTER;
  return [Buffer.from(user, 'utf8')];
}
