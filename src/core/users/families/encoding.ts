/**
 * The text encodings the families store bytes in, each decoded strictly: a field must be the
 * canonical encoding of its bytes (what every encoder writes), so a digest cut short or
 * altered is reported unusable (exit 5) rather than verified as "wrong password".
 */
import { HashFormatError } from './types.js';

const PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UNPADDED = /^[A-Za-z0-9+/]+$/;

/** Standard base64 with padding, as Python's b64encode, Java's and Firebase's exports write it. */
export function decodePadded(field: string, what: string): Buffer {
  if (field === '' || !PADDED.test(field)) throw new HashFormatError(`${what} is not base64`);
  const bytes = Buffer.from(field, 'base64');
  if (bytes.toString('base64') !== field) throw new HashFormatError(`${what} is not canonical base64 (cut short or altered?)`);
  return bytes;
}

/**
 * passlib's "ab64": base64 without padding, `.` in place of `+`. The PHC strings other
 * libraries write for scrypt use `+`; both are read.
 */
export function decodeAb64(field: string, what: string): Buffer {
  const plain = field.replace(/\./g, '+');
  // Unpadded base64 never has length 1 mod 4.
  if (!UNPADDED.test(plain) || plain.length % 4 === 1) throw new HashFormatError(`${what} is not base64`);
  const bytes = Buffer.from(plain, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== plain) {
    throw new HashFormatError(`${what} is not canonical base64 (cut short or altered?)`);
  }
  return bytes;
}

const DECIMAL = /^(0|[1-9][0-9]{0,14})$/;

/** A decimal parameter without sign, leading zeros or exponent. */
export function decimal(field: string | undefined, what: string): number {
  if (field === undefined || !DECIMAL.test(field)) throw new HashFormatError(`${what} is not a decimal number`);
  return Number(field);
}

/**
 * `name=value` pairs separated by commas, in any order, each name once and all of `names`
 * present. Unknown names are refused and quoted (cut to 20 characters: they are parameters,
 * not secrets).
 */
export function namedParams<N extends string>(field: string, names: readonly N[]): Record<N, string> {
  const seen = new Map<string, string>();
  for (const pair of field.split(',')) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    if (eq < 1 || !(names as readonly string[]).includes(name)) throw new HashFormatError(`unknown parameter "${pair.slice(0, 20)}"`);
    if (seen.has(name)) throw new HashFormatError(`parameter ${name} given twice`);
    seen.set(name, pair.slice(eq + 1));
  }
  const missing = names.filter((n) => !seen.has(n));
  if (missing.length > 0) throw new HashFormatError(`parameters ${names.join(', ')} are required`);
  return Object.fromEntries(seen) as Record<N, string>;
}

/** Fewer bytes than this in a digest means it was cut short (the shortest any writer we read uses is 20). */
export const MIN_DIGEST_BYTES = 16;
/** More than this in a salt or digest is no hash any writer makes; it only adds work. */
export const MAX_FIELD_BYTES = 1024;

export function checkDigest(digest: Buffer): void {
  if (digest.length < MIN_DIGEST_BYTES) throw new HashFormatError(`hash is shorter than ${MIN_DIGEST_BYTES} bytes (cut short?)`);
  if (digest.length > MAX_FIELD_BYTES) throw new HashFormatError(`hash is longer than ${MAX_FIELD_BYTES} bytes`);
}

export function checkSalt(salt: Buffer): void {
  if (salt.length === 0) throw new HashFormatError('salt is empty');
  if (salt.length > MAX_FIELD_BYTES) throw new HashFormatError(`salt is longer than ${MAX_FIELD_BYTES} bytes`);
}

/** Django's salts are text, used as their UTF-8 bytes; they never hold `$` (the separator). */
export function literalSalt(field: string): Buffer {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(field)) throw new HashFormatError('salt contains a control character');
  const salt = Buffer.from(field, 'utf8');
  checkSalt(salt);
  return salt;
}
