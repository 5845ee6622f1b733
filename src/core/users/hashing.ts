/**
 * Everything about password hashes: the policy, hashing, verifying, and deciding
 * whether a stored hash is weaker than the policy. argon2's native binding is
 * imported lazily so that commands which never hash start fast.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { BadDataError, UsageError } from '../errors.js';
import { PASSWORD_MIN_CHARS } from '../defaults.js';
import { formatPhc, parsePhc, PhcFormatError, type Argon2Variant, type PhcHash } from './phc.js';

export { PASSWORD_MIN_CHARS };

export interface HashPolicy {
  /** KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** Upper bounds on the cost a stored hash may ask us to spend when verifying it. */
export interface CostCaps {
  /** KiB. */
  maxMemoryCost: number;
  maxTimeCost: number;
  maxParallelism: number;
}

export const SALT_BYTES = 16;
export const HASH_BYTES = 32;

export const PASSWORD_MAX_BYTES = 1024;

const VARIANT_CODE: Record<Argon2Variant, 0 | 1 | 2> = { argon2d: 0, argon2i: 1, argon2id: 2 };

async function loadArgon2() {
  return (await import('argon2')).default;
}

/**
 * The one normalization rule, applied by add and verify alike: Unicode NFC, then UTF-8.
 * Returns the bytes to hash, or throws a UsageError naming the broken rule
 * (never the password itself).
 */
export function preparePassword(password: string, minChars = PASSWORD_MIN_CHARS): Buffer {
  // Checked before normalizing so a megabyte of input is refused without more work.
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES * 4) {
    throw new UsageError(`password is longer than ${PASSWORD_MAX_BYTES} bytes`);
  }
  const normalized = password.normalize('NFC');
  const bytes = Buffer.from(normalized, 'utf8');
  if (bytes.length > PASSWORD_MAX_BYTES) throw new UsageError(`password is longer than ${PASSWORD_MAX_BYTES} bytes`);
  // C0 and DEL only, not all of text.ts CONTROL: C1 characters have always been accepted in
  // passwords, and refusing them now would make verify refuse (exit 2) a password that was set.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(normalized)) throw new UsageError('password contains a control character');
  if ([...normalized].length < minChars) throw new UsageError(`password is shorter than ${minChars} characters`);
  return bytes;
}

async function computeRaw(password: Buffer, params: Omit<PhcHash, 'hash'>, hashLength: number): Promise<Buffer> {
  const argon2 = await loadArgon2();
  return argon2.hash(password, {
    raw: true,
    type: VARIANT_CODE[params.variant],
    version: params.version,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    salt: params.salt,
    hashLength,
  });
}

/** Hash a prepared password at the policy, with a fresh random salt. Canonical PHC string. */
export async function hashPassword(password: Buffer, policy: HashPolicy): Promise<string> {
  const params = { variant: 'argon2id' as const, version: 19, ...policy, salt: randomBytes(SALT_BYTES) };
  const hash = await computeRaw(password, params, HASH_BYTES);
  return formatPhc({ ...params, hash });
}

/** Parse a stored hash, turning format errors into exit-5 errors. */
export function parseStoredHash(stored: string): PhcHash {
  try {
    return parsePhc(stored);
  } catch (err) {
    if (err instanceof PhcFormatError) throw new BadDataError(`stored password hash is unusable: ${err.message}`);
    throw err;
  }
}

export function checkCaps(h: PhcHash, caps: CostCaps): void {
  const over: string[] = [];
  if (h.memoryCost > caps.maxMemoryCost) over.push(`m=${h.memoryCost} > ${caps.maxMemoryCost}`);
  if (h.timeCost > caps.maxTimeCost) over.push(`t=${h.timeCost} > ${caps.maxTimeCost}`);
  if (h.parallelism > caps.maxParallelism) over.push(`p=${h.parallelism} > ${caps.maxParallelism}`);
  if (h.hash.length > 1024) over.push(`hash length ${h.hash.length} > 1024`);
  if (over.length > 0) {
    throw new BadDataError(`stored password hash asks for more than the configured caps allow (${over.join(', ')})`, {
      hint: 'raise REDIS_ACCOUNTS_ARGON2_MAX_* only if you trust this record',
    });
  }
}

/** Constant-time verification of a prepared password against a stored PHC string. */
export async function verifyPassword(password: Buffer, stored: string, caps: CostCaps): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  checkCaps(parsed, caps);
  const computed = await computeRaw(password, parsed, parsed.hash.length);
  return timingSafeEqual(computed, parsed.hash);
}

/**
 * Why a stored hash is weaker than the policy, or an empty list when it is not.
 * Stronger parameters are not flagged: rehashing them would lower security.
 */
export function weaknesses(stored: string | PhcHash, policy: HashPolicy): string[] {
  const h = typeof stored === 'string' ? parseStoredHash(stored) : stored;
  const reasons: string[] = [];
  if (h.variant !== 'argon2id') reasons.push(`algorithm ${h.variant} (policy argon2id)`);
  if (h.version < 19) reasons.push(`version ${h.version} (policy 19)`);
  if (h.memoryCost < policy.memoryCost) reasons.push(`m=${h.memoryCost} (policy ${policy.memoryCost})`);
  if (h.timeCost < policy.timeCost) reasons.push(`t=${h.timeCost} (policy ${policy.timeCost})`);
  if (h.parallelism < policy.parallelism) reasons.push(`p=${h.parallelism} (policy ${policy.parallelism})`);
  if (h.salt.length < SALT_BYTES) reasons.push(`salt of ${h.salt.length} bytes (policy ${SALT_BYTES})`);
  if (h.hash.length < HASH_BYTES) reasons.push(`hash of ${h.hash.length} bytes (policy ${HASH_BYTES})`);
  return reasons;
}

/**
 * A well-formed hash at the policy whose salt and digest are random bytes: verifying
 * against it costs exactly one hash at the policy and always fails. Used when the user
 * does not exist, so that "no such user" takes as long as "wrong password".
 */
export function decoyHash(policy: HashPolicy): string {
  return formatPhc({
    variant: 'argon2id',
    version: 19,
    ...policy,
    salt: randomBytes(SALT_BYTES),
    hash: randomBytes(HASH_BYTES),
  });
}
