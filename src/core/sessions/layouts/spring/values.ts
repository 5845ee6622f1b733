/**
 * The values of a Spring Session hash. Spring Data Redis serializes each with the session
 * repository's value serializer: JDK serialization by default (every value starts with
 * `ac ed 00 05`), or JSON when the application declares a `springSessionDefaultRedisSerializer`
 * bean (GenericJackson2JsonRedisSerializer: objects carry their class in "@class"). Both are
 * turned into the same plain data, objects as `{"@class": name, ...fields}`, so that one reader
 * finds the principal in either. Nothing is loaded, instantiated or run (decode/jdk.ts).
 */
import { decodeJdk, jdkInteger, jdkLong, jdkString, jdkToPlain, type JdkValue } from '../../decode/jdk.js';
import { MAX_NESTING, nestsDeeperThan } from '../../decode/json-depth.js';

/** JDK serialization; JSON as Spring Security's Jackson modules write it; JSON with every Long typed (the no-argument GenericJackson2JsonRedisSerializer). */
export type Serializer = 'jdk' | 'json' | 'json-typed';

const JDK_MAGIC = Buffer.from([0xac, 0xed, 0x00, 0x05]);

export type Decoded = { ok: true; value: unknown; serializer: Serializer } | { ok: false; reason: string };

/**
 * A fresh stream's java.lang.Long and java.lang.Integer are fixed bytes and then the value:
 * every session has three of them, which this reads without the general decoder (a tenth of
 * the listing's time, measured). Anything else takes the general path.
 */
const LONG_HEAD = jdkLong(0).subarray(0, -8);
const INTEGER_HEAD = jdkInteger(0).subarray(0, -4);

function boxedNumber(bytes: Buffer): number | bigint | undefined {
  if (bytes.length === LONG_HEAD.length + 8 && bytes.compare(LONG_HEAD, 0, LONG_HEAD.length, 0, LONG_HEAD.length) === 0) {
    const n = bytes.readBigInt64BE(LONG_HEAD.length);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  if (bytes.length === INTEGER_HEAD.length + 4 && bytes.compare(INTEGER_HEAD, 0, INTEGER_HEAD.length, 0, INTEGER_HEAD.length) === 0)
    return bytes.readInt32BE(INTEGER_HEAD.length);
  return undefined;
}

/** A JDK value as read, before it is turned into plain data (what the principal is read from, cheaply). */
export function decodeJdkValue(bytes: Buffer): { ok: true; value: JdkValue } | { ok: false; reason: string } {
  const boxed = boxedNumber(bytes);
  return boxed === undefined ? decodeJdk(bytes) : { ok: true, value: boxed };
}

export const isJdk = (bytes: Buffer): boolean => bytes.subarray(0, 4).equals(JDK_MAGIC);

/** One hash value as plain data, or why it cannot be read. */
export function decodeValue(bytes: Buffer): Decoded {
  if (isJdk(bytes)) {
    const read = decodeJdkValue(bytes);
    if (!read.ok) return read;
    return { ok: true, value: typeof read.value === 'object' ? jdkToPlain(read.value, MAX_NESTING) : read.value, serializer: 'jdk' };
  }
  if (nestsDeeperThan(bytes)) return { ok: false, reason: `nested deeper than ${MAX_NESTING} levels` };
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    const typed = isTyped(value);
    return { ok: true, value: typed ? value[1] : value, serializer: typed ? 'json-typed' : 'json' };
  } catch {
    return { ok: false, reason: 'neither JDK serialization nor JSON' };
  }
}

/**
 * Jackson's default typing writes a non-final class's value as `["java.util.ArrayList", [...]]`
 * and, for a Long where the type is not known, `["java.lang.Long", 1733...]`: the value is the
 * second element.
 */
function isTyped(value: unknown): value is [string, unknown] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && /^java\.lang\.[A-Z]/.test(value[0]);
}

/** A whole number from a decoded value (Long and Integer come out as numbers, large ones as bigint or text). */
export function wholeNumber(value: unknown): number | undefined {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'string' && /^-?\d{1,19}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

/** Values written back: in the serializer the session's own values use, as Spring Data Redis writes them. */
export function encodeLong(n: number, serializer: Serializer): Buffer {
  if (serializer === 'json-typed') return Buffer.from(JSON.stringify(['java.lang.Long', n]));
  return serializer === 'jdk' ? jdkLong(n) : Buffer.from(String(n));
}

export function encodeInteger(n: number, serializer: Serializer): Buffer {
  return serializer === 'jdk' ? jdkInteger(n) : Buffer.from(String(n));
}

export function encodeString(s: string, serializer: Serializer): Buffer {
  return serializer === 'jdk' ? jdkString(s) : Buffer.from(JSON.stringify(s));
}

/** A set member or attribute that holds a string, decoded; undefined when it does not. */
export function decodeString(bytes: Buffer): string | undefined {
  const read = decodeValue(bytes);
  return read.ok && typeof read.value === 'string' ? read.value : undefined;
}
