/**
 * The values of a Spring Session hash. Spring Data Redis serializes each with the session
 * repository's value serializer: JDK serialization by default (every value starts with
 * `ac ed 00 05`), or JSON when the application declares a `springSessionDefaultRedisSerializer`
 * bean (GenericJackson2JsonRedisSerializer: objects carry their class in "@class"). Both are
 * turned into the same plain data, objects as `{"@class": name, ...fields}`, so that one reader
 * finds the principal in either. Nothing is loaded, instantiated or run (decode/jdk.ts).
 */
import { decodeJdk, jdkInteger, jdkLong, jdkString, jdkToPlain } from '../../decode/jdk.js';
import { MAX_NESTING, nestsDeeperThan } from '../../decode/json-depth.js';

/** JDK serialization; JSON as Spring Security's Jackson modules write it; JSON with every Long typed (the no-argument GenericJackson2JsonRedisSerializer). */
export type Serializer = 'jdk' | 'json' | 'json-typed';

const JDK_MAGIC = Buffer.from([0xac, 0xed, 0x00, 0x05]);

export type Decoded = { ok: true; value: unknown; serializer: Serializer } | { ok: false; reason: string };

/** One hash value as plain data, or why it cannot be read. */
export function decodeValue(bytes: Buffer): Decoded {
  if (bytes.subarray(0, 4).equals(JDK_MAGIC)) {
    const read = decodeJdk(bytes);
    if (!read.ok) return read;
    return { ok: true, value: jdkToPlain(read.value, MAX_NESTING), serializer: 'jdk' };
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
