/**
 * Parser and writer for argon2 PHC strings:
 *   $argon2id$v=19$m=19456,t=2,p=1$<salt, base64 without padding>$<hash, base64 without padding>
 *
 * Written by hand (not argon2's own) because we need three things it does not give:
 * parameters accepted in any order (node argon2 writes m,p,t), output in the canonical
 * m,t,p order that other languages' decoders require, and a precise error for each defect.
 */
import { HashFormatError } from './families/types.js';

export type Argon2Variant = 'argon2d' | 'argon2i' | 'argon2id';

export interface PhcHash {
  variant: Argon2Variant;
  /** 19 (0x13) for current argon2; 16 for the legacy 1.0 format, which omits v=. */
  version: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  salt: Buffer;
  hash: Buffer;
}

export class PhcFormatError extends HashFormatError {}

const VARIANTS: readonly Argon2Variant[] = ['argon2d', 'argon2i', 'argon2id'];
const B64_NO_PAD = /^[A-Za-z0-9+/]+$/;
const DECIMAL = /^(0|[1-9][0-9]{0,9})$/;
/** Longest PHC string we accept; real ones are under 150 characters. */
const MAX_LENGTH = 1024;
/**
 * Shortest digest we accept. argon2 allows 4 bytes, but every library we know writes 32
 * (a few 16 or 64), and a digest cut short would otherwise verify as "wrong password".
 */
export const MIN_HASH_BYTES = 16;

/** Base64 without padding, as the PHC format writes it. */
const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** By a field's length mod 4: the bits of its last character that encode no byte (length 1 mod 4 is never base64). */
const UNUSED_BITS = [0, 0, 0x0f, 0x03];

/** The number of bytes a field of unpadded base64 encodes, without decoding it. */
function b64Bytes(field: string, what: string): number {
  // Unpadded base64 never has length 1 mod 4.
  if (!B64_NO_PAD.test(field) || field.length % 4 === 1) {
    throw new PhcFormatError(`${what} is not unpadded base64`);
  }
  // The PHC format's B64 is canonical: the unused low bits of the last character are zero,
  // as every encoder writes them. Non-zero bits there mean the field was cut or altered.
  const last = B64_ALPHABET.indexOf(field[field.length - 1] as string);
  if ((last & (UNUSED_BITS[field.length % 4] as number)) !== 0) {
    throw new PhcFormatError(`${what} is not canonical base64 (cut short or altered?)`);
  }
  return Math.floor((field.length * 3) / 4);
}

/** m, t and p, each given once, in any order: `m=19456,t=2,p=1`. */
function parseParams(field: string): Record<'m' | 't' | 'p', number> {
  // A loop over the commas rather than split and a Map: import checks a hash per user.
  const seen: Record<'m' | 't' | 'p', number | undefined> = { m: undefined, t: undefined, p: undefined };
  for (let from = 0; ;) {
    const comma = field.indexOf(',', from);
    const pair = comma < 0 ? field.slice(from) : field.slice(from, comma);
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    if (eq < 1 || (name !== 'm' && name !== 't' && name !== 'p')) throw new PhcFormatError(`unknown parameter "${pair.slice(0, 20)}"`);
    if (seen[name] !== undefined) throw new PhcFormatError(`parameter ${name} given twice`);
    const value = pair.slice(eq + 1);
    if (!DECIMAL.test(value)) throw new PhcFormatError(`parameter ${name} is not a decimal number`);
    seen[name] = Number(value);
    if (comma < 0) break;
    from = comma + 1;
  }
  const { m, t, p } = seen;
  if (m === undefined || t === undefined || p === undefined) throw new PhcFormatError('parameters m, t and p are required');
  return { m, t, p };
}

/** What the caps and the policy look at: the parameters, and the salt's and digest's sizes in bytes. */
export interface PhcCosts extends Omit<PhcHash, 'salt' | 'hash'> {
  saltBytes: number;
  hashBytes: number;
}

/** A decoded hash's costs. */
export function costsOf(h: PhcHash): PhcCosts {
  const { variant, version, memoryCost, timeCost, parallelism } = h;
  return { variant, version, memoryCost, timeCost, parallelism, saltBytes: h.salt.length, hashBytes: h.hash.length };
}

/**
 * A PHC string that passed every rule of parsePhc, its salt and digest left in base64: what
 * checking a hash needs (its family, costs and sizes), without the Buffers only hashing needs.
 * `user import` checks every user's hash this way.
 */
export interface CheckedPhc extends PhcCosts {
  /** Canonical unpadded base64, as in the string. */
  salt64: string;
  hash64: string;
}

/** Every rule of the PHC format (see parsePhc), with its error, without decoding the salt and digest. */
export function checkPhc(encoded: string): CheckedPhc {
  if (encoded.length > MAX_LENGTH) throw new PhcFormatError('too long to be a PHC string');
  const parts = encoded.split('$');
  // ['', variant, (v=..), params, salt, hash]
  if (parts[0] !== '' || parts.length < 5 || parts.length > 6) throw new PhcFormatError('not a PHC string');
  const variant = parts[1] as Argon2Variant;
  if (!VARIANTS.includes(variant)) throw new PhcFormatError(`algorithm "${String(parts[1]).slice(0, 20)}" is not argon2`);
  // The legacy 1.0 format has no v= field; then the parameters are the third part, not the fourth.
  let version = 16;
  if (parts.length === 6) {
    if (parts[2] === 'v=19') version = 19;
    else if (parts[2] !== 'v=16') throw new PhcFormatError('unsupported version field');
  }
  const [params, salt64, hash64] = [parts[parts.length - 3], parts[parts.length - 2], parts[parts.length - 1]] as [string, string, string];
  const { m, t, p } = parseParams(params);
  const saltBytes = b64Bytes(salt64, 'salt');
  const hashBytes = b64Bytes(hash64, 'hash');
  if (saltBytes < 8) throw new PhcFormatError('salt is shorter than 8 bytes');
  if (hashBytes < MIN_HASH_BYTES) throw new PhcFormatError(`hash is shorter than ${MIN_HASH_BYTES} bytes (cut short?)`);
  // argon2 takes m and t as 32-bit and p as 24-bit unsigned integers.
  if (t < 1 || t > 0xffffffff || m > 0xffffffff || p < 1 || p > 0xffffff || m < 8 * p) throw new PhcFormatError('parameters out of range');
  return { variant, version, memoryCost: m, timeCost: t, parallelism: p, salt64, hash64, saltBytes, hashBytes };
}

/** The salt and digest of a checked PHC string, decoded. */
export function decodePhc(h: CheckedPhc): PhcHash {
  const { variant, version, memoryCost, timeCost, parallelism } = h;
  return {
    variant,
    version,
    memoryCost,
    timeCost,
    parallelism,
    salt: Buffer.from(h.salt64, 'base64'),
    hash: Buffer.from(h.hash64, 'base64'),
  };
}

/** A PHC string, checked (checkPhc) and decoded. */
export function parsePhc(encoded: string): PhcHash {
  return decodePhc(checkPhc(encoded));
}

/** Canonical form: `$argon2id$v=19$m=...,t=...,p=...$salt$hash`, base64 without padding. */
export function formatPhc(h: PhcHash): string {
  const version = h.version === 16 ? '' : `$v=${h.version}`;
  return `$${h.variant}${version}$m=${h.memoryCost},t=${h.timeCost},p=${h.parallelism}$${b64(h.salt)}$${b64(h.hash)}`;
}
