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

function decodeB64(field: string, what: string): Buffer {
  // Unpadded base64 never has length 1 mod 4.
  if (!B64_NO_PAD.test(field) || field.length % 4 === 1) {
    throw new PhcFormatError(`${what} is not unpadded base64`);
  }
  const bytes = Buffer.from(field, 'base64');
  // The PHC format's B64 is canonical: the unused low bits of the last character are zero,
  // as every encoder writes them. Non-zero bits there mean the field was cut or altered.
  if (b64(bytes) !== field) throw new PhcFormatError(`${what} is not canonical base64 (cut short or altered?)`);
  return bytes;
}

function parseParams(field: string): Record<'m' | 't' | 'p', number> {
  const seen = new Map<string, number>();
  for (const pair of field.split(',')) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (eq < 1 || !['m', 't', 'p'].includes(name)) throw new PhcFormatError(`unknown parameter "${pair.slice(0, 20)}"`);
    if (seen.has(name)) throw new PhcFormatError(`parameter ${name} given twice`);
    if (!DECIMAL.test(value)) throw new PhcFormatError(`parameter ${name} is not a decimal number`);
    seen.set(name, Number(value));
  }
  const m = seen.get('m');
  const t = seen.get('t');
  const p = seen.get('p');
  if (m === undefined || t === undefined || p === undefined) throw new PhcFormatError('parameters m, t and p are required');
  return { m, t, p };
}

export function parsePhc(encoded: string): PhcHash {
  if (encoded.length > MAX_LENGTH) throw new PhcFormatError('too long to be a PHC string');
  const parts = encoded.split('$');
  // ['', variant, (v=..), params, salt, hash]
  if (parts[0] !== '' || parts.length < 5 || parts.length > 6) throw new PhcFormatError('not a PHC string');
  const variant = parts[1] as Argon2Variant;
  if (!VARIANTS.includes(variant)) throw new PhcFormatError(`algorithm "${String(parts[1]).slice(0, 20)}" is not argon2`);
  let version = 16;
  let rest = parts.slice(2);
  if (parts.length === 6) {
    const v = /^v=(16|19)$/.exec(parts[2] ?? '');
    if (!v) throw new PhcFormatError('unsupported version field');
    version = Number(v[1]);
    rest = parts.slice(3);
  }
  const [params, salt, hash] = rest as [string, string, string];
  const { m, t, p } = parseParams(params);
  const saltBytes = decodeB64(salt, 'salt');
  const hashBytes = decodeB64(hash, 'hash');
  if (saltBytes.length < 8) throw new PhcFormatError('salt is shorter than 8 bytes');
  if (hashBytes.length < MIN_HASH_BYTES) throw new PhcFormatError(`hash is shorter than ${MIN_HASH_BYTES} bytes (cut short?)`);
  // argon2 takes m and t as 32-bit and p as 24-bit unsigned integers.
  if (t < 1 || t > 0xffffffff || m > 0xffffffff || p < 1 || p > 0xffffff || m < 8 * p) throw new PhcFormatError('parameters out of range');
  return { variant, version, memoryCost: m, timeCost: t, parallelism: p, salt: saltBytes, hash: hashBytes };
}

/** Canonical form: `$argon2id$v=19$m=...,t=...,p=...$salt$hash`, base64 without padding. */
export function formatPhc(h: PhcHash): string {
  const version = h.version === 16 ? '' : `$v=${h.version}`;
  return `$${h.variant}${version}$m=${h.memoryCost},t=${h.timeCost},p=${h.parallelism}$${b64(h.salt)}$${b64(h.hash)}`;
}
