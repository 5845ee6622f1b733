/**
 * Everything about password hashes: the policy, hashing, verifying, and deciding whether a
 * stored hash is weaker than the policy. New hashes are argon2id; stored ones may be of any
 * family ./families/ reads (bcrypt, Django's, passlib's, Firebase's, Keycloak's). The native
 * hashing packages are imported lazily so that commands which never hash start fast.
 */
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { PASSWORD_MIN_CHARS } from '../defaults.js';
import { costsOf, formatPhc, type PhcHash } from './phc.js';
import { argon2OverCaps, argon2Raw, argon2Weaknesses, HASH_BYTES, SALT_BYTES } from './families/argon2.js';
import { describeHash, parseStoredHash, refuseOverCaps, type CostCaps, type HashPolicy, type VerifyOptions } from './families/index.js';

export { PASSWORD_MIN_CHARS, HASH_BYTES, SALT_BYTES };
export type { CostCaps, HashPolicy, VerifyOptions };

export const PASSWORD_MAX_BYTES = 1024;

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

/** Hash a prepared password at the policy, with a fresh random salt. Canonical PHC string. */
export async function hashPassword(password: Buffer, policy: HashPolicy): Promise<string> {
  const params = { variant: 'argon2id' as const, version: 19, ...policy, salt: randomBytes(SALT_BYTES) };
  const hash = await argon2Raw(password, params, HASH_BYTES);
  return formatPhc({ ...params, hash });
}

/** An argon2 hash above the caps is a BadDataError (exit 5). */
export function checkCaps(h: PhcHash, caps: CostCaps): void {
  refuseOverCaps(argon2OverCaps(costsOf(h), caps), 'argon2');
}

/**
 * Constant-time verification of a prepared password against a stored hash of any family we
 * read. An unreadable hash, or one above the caps, is refused (BadDataError) before any work.
 */
export async function verifyPassword(password: Buffer, stored: string, caps: CostCaps, options: VerifyOptions = {}): Promise<boolean> {
  return parseStoredHash(stored, caps).verify(password, options);
}

/**
 * Why a stored hash is weaker than the policy, or an empty list when it is not: every family
 * but argon2id is (with its reason), and an argon2id hash with lower parameters. Stronger
 * parameters are not flagged: rehashing them would lower security. With `caps`, a hash above
 * them is refused as unusable (exit 5), as verifying it would be.
 */
export function weaknesses(stored: string | PhcHash, policy: HashPolicy, caps?: CostCaps): string[] {
  if (typeof stored !== 'string') return argon2Weaknesses(costsOf(stored), policy);
  return (caps === undefined ? describeHash(stored) : parseStoredHash(stored, caps)).outdated(policy);
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
