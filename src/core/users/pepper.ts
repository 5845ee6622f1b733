/**
 * The optional pepper (--pepper-file): a secret key kept out of Redis, without which a stolen
 * hash cannot be attacked (OWASP Password Storage Cheat Sheet, "Peppering"; NIST SP 800-63B-4
 * §3.1.1.2, "an additional iteration of a keyed hashing ... operation").
 *
 * The pepper is applied before argon2id, OWASP's "pre-hashing" strategy: the password argon2id
 * hashes is base64(HMAC-SHA-256(key, NFC UTF-8 password)), 44 ASCII characters. Not argon2's own
 * `secret` input: argon2-cffi's PasswordHasher, PHP's password_verify, Go's x/crypto/argon2,
 * libsodium and Spring's Argon2PasswordEncoder have no way to pass it, so an application that
 * verifies hashes itself could not. An HMAC it can compute in every language, and base64 makes
 * the result text without NUL bytes, which verifiers that take a string (Java's CharSequence,
 * C strings) need. The HMAC keeps the password's whole strength (256 bits out) and argon2id's
 * cost still applies to every guess.
 *
 * A record says which key its hash was made with in `pepper_id` (docs/schema.md); no field or
 * an empty one: no pepper. New hashes use the file's first key, so a new pepper is rolled out
 * by putting its key first and keeping the old ones below until no record names them.
 */
import { createHmac } from 'node:crypto';
import { BadDataError, UsageError } from '../errors.js';
import { readPrivateFile } from '../redis/connection.js';
import { decodePadded } from './families/encoding.js';
import { hashPassword, type HashPolicy } from './hashing.js';
import { prepareNewPassword, type PasswordRules } from './policy.js';

/** OWASP and NIST ask for a key of at least 256 bits (a random one: `openssl rand -base64 32`). */
export const PEPPER_MIN_BYTES = 32;
/** Longest key: far beyond what an HMAC key needs, short enough to refuse a wrong file. */
const PEPPER_MAX_BYTES = 1024;
/** Longest pepper file read: a few keys, with comments. */
const PEPPER_FILE_MAX_BYTES = 65536;
/** A key id is shown and stored in each record: short, printable, without a colon. */
const ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface PepperKey {
  id: string;
  secret: Buffer;
}

/** The keys of a pepper file: `current` makes new hashes, each of them verifies the hashes it made. */
export interface PepperKeys {
  current: PepperKey;
  byId: ReadonlyMap<string, PepperKey>;
  /** The file they came from, for messages (never the keys themselves). */
  source: string;
}

/**
 * The keys of a pepper file: one `<id>:<standard base64 key>` per line, the first the current
 * one; blank lines and lines starting with `#` are skipped. Errors name the line, never its text.
 */
export function parsePepperKeys(text: string, source: string): PepperKeys {
  const keys = new Map<string, PepperKey>();
  let current: PepperKey | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `the pepper file ${source}, line ${i + 1}`;
    const colon = line.indexOf(':');
    const id = line.slice(0, colon);
    if (colon < 1 || !ID.test(id))
      throw new UsageError(`${where} is not <id>:<base64 key>`, { hint: 'an id is 1 to 64 letters, digits, dots, dashes or underscores' });
    if (keys.has(id)) throw new UsageError(`${where} gives the key id ${id} a second time`);
    const encoded = line.slice(colon + 1).trim();
    // `openssl rand -hex 32` is valid base64 too, of other bytes than an application decoding it
    // as hex would use. A random base64 key of 32 bytes or more is never all hex digits.
    if (/^[0-9a-fA-F]+$/.test(encoded))
      throw new UsageError(`${where}: the key of ${id} looks like hex; give it in base64`, { hint: 'xxd -r -p | base64 converts it' });
    let secret: Buffer;
    try {
      secret = decodePadded(encoded, 'key');
    } catch {
      throw new UsageError(`${where}: the key of ${id} is not standard base64`, { hint: 'make one with: openssl rand -base64 32' });
    }
    if (secret.length < PEPPER_MIN_BYTES)
      throw new UsageError(`${where}: the key of ${id} is ${secret.length} bytes; a pepper must be at least ${PEPPER_MIN_BYTES}`, {
        hint: 'make one with: openssl rand -base64 32',
      });
    if (secret.length > PEPPER_MAX_BYTES) throw new UsageError(`${where}: the key of ${id} is longer than ${PEPPER_MAX_BYTES} bytes`);
    const key = { id, secret };
    keys.set(id, key);
    current ??= key;
  }
  if (current === undefined) throw new UsageError(`the pepper file ${source} holds no key`, { hint: 'lines of <id>:<base64 key>' });
  return { current, byId: keys, source };
}

/**
 * Read --pepper-file: a secret, so like --redis-password-file a file group or others can read is
 * warned about (not refused: a Kubernetes secret volume is 0644 unless told otherwise).
 */
export async function readPepperFile(path: string, warnings: string[]): Promise<PepperKeys> {
  const data = await readPrivateFile(path, '--pepper-file', warnings);
  if (data.length > PEPPER_FILE_MAX_BYTES) throw new UsageError(`the pepper file ${path} is larger than ${PEPPER_FILE_MAX_BYTES} bytes`);
  return parsePepperKeys(data.toString('utf8'), path);
}

/** What argon2id hashes for a peppered password: base64(HMAC-SHA-256(key, password bytes)) as ASCII. */
export function pepperPassword(password: Buffer, key: PepperKey): Buffer {
  const mac = createHmac('sha256', key.secret).update(password).digest();
  const text = Buffer.from(mac.toString('base64'), 'ascii');
  mac.fill(0);
  return text;
}

/** A record's `pepper_id`: undefined when it has none (no field, or empty). */
function named(pepperId: string | undefined): string | undefined {
  return pepperId === undefined || pepperId === '' ? undefined : pepperId;
}

/**
 * The bytes a stored hash was made from: the password peppered with the key the record names,
 * or the password itself when it names none (foreign hashes, hashes made without a pepper).
 * A record naming a key that was not given is unusable here (exit 5), never a wrong password.
 */
export function storedHashInput(password: Buffer, pepperId: string | undefined, keys: PepperKeys | undefined, user: string): Buffer {
  const id = named(pepperId);
  if (id === undefined) return password;
  const key = keys?.byId.get(id);
  if (key === undefined) {
    if (keys === undefined) {
      throw new BadDataError(`the hash of ${user} is peppered with key ${id}: give --pepper-file with that key to verify it`, {
        hint: 'give --pepper-file (or REDIS_ACCOUNTS_PEPPER_FILE) to every user command once records are peppered',
      });
    }
    throw new BadDataError(`the hash of ${user} is peppered with key ${id}, which the pepper file ${keys.source} does not hold`, {
      hint: 'keep each key that records still name in the file (user rehash --check --pepper-file lists them)',
    });
  }
  return pepperPassword(password, key);
}

/**
 * A new hash of a prepared password at the policy, peppered with the current key when keys are
 * given: its PHC string, and the pepper_id to store with it (undefined: none).
 */
export async function hashWithPepper(
  password: Buffer,
  policy: HashPolicy,
  keys: PepperKeys | undefined,
): Promise<{ phc: string; pepperId: string | undefined }> {
  if (keys === undefined) return { phc: await hashPassword(password, policy), pepperId: undefined };
  const input = pepperPassword(password, keys.current);
  try {
    return { phc: await hashPassword(input, policy), pepperId: keys.current.id };
  } finally {
    input.fill(0);
  }
}

/**
 * Why a record's pepper falls short when a pepper file is given (none without one): no pepper,
 * or a key other than the current one. `usable` is false when the file lacks the record's key.
 */
export function pepperShortfalls(pepperId: string | undefined, keys: PepperKeys | undefined): { reasons: string[]; usable: boolean } {
  const id = named(pepperId);
  if (keys === undefined || id === keys.current.id) return { reasons: [], usable: true };
  if (id === undefined) return { reasons: [`not peppered (current pepper key ${keys.current.id})`], usable: true };
  if (!keys.byId.has(id)) return { reasons: [`pepper key ${id} is not in the pepper file`], usable: false };
  return { reasons: [`pepper key ${id} (current ${keys.current.id})`], usable: true };
}

/**
 * Whether a record is peppered with a key that is not the current one: `user verify` re-peppers
 * such a record after a match even without --rehash, so that a new pepper rolls out on each
 * user's next login and the old key can then be dropped.
 */
export function onOldPepper(pepperId: string | undefined, keys: PepperKeys | undefined): boolean {
  const id = named(pepperId);
  return keys !== undefined && id !== undefined && id !== keys.current.id;
}

/**
 * A new password (user add, user passwd) held to the password rules, then hashed at the policy
 * with the current pepper key when keys are given; its prepared bytes are zeroed after.
 */
export async function hashNewPassword(
  password: string,
  rules: PasswordRules,
  policy: HashPolicy,
  keys: PepperKeys | undefined,
): Promise<{ phc: string; pepperId: string | undefined }> {
  const bytes = await prepareNewPassword(password, rules);
  try {
    return await hashWithPepper(bytes, policy, keys);
  } finally {
    bytes.fill(0);
  }
}
