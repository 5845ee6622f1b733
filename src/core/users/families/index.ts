/**
 * Which family a stored hash is, told by its prefix, and the caps every verification passes
 * first. Each format starts with a prefix no other has (`$argon2id$`, `$2b$`, `pbkdf2_sha256$`,
 * `{` for Keycloak's JSON, ...), so detection never guesses; the family's parser then checks
 * the rest strictly.
 */
import { BadDataError } from '../../errors.js';
import { parseArgon2, parseDjangoArgon2 } from './argon2.js';
import { parseBcrypt, parseDjangoBcrypt, parseDjangoBcryptSha256 } from './bcrypt.js';
import { FIREBASE_PREFIX, parseFirebase } from './firebase.js';
import { parseKeycloak } from './keycloak.js';
import { parseDjangoPbkdf2, parsePasslibPbkdf2 } from './pbkdf2.js';
import { parseDjangoScrypt, parsePasslibScrypt } from './scrypt.js';
import { HashFormatError, type CostCaps, type FamilyName, type HashInfo, type ParsedHash, type VerifyOptions } from './types.js';

export type { CostCaps, FamilyName, FirebaseParams, HashInfo, HashPolicy, VerifyOptions } from './types.js';

/** Longest stored hash we look at; a Keycloak credential with its JSON is a few hundred characters. */
const MAX_STORED_LENGTH = 4096;

const PARSERS: ReadonlyArray<readonly [prefix: string, parse: (stored: string) => ParsedHash]> = [
  ['$argon2', parseArgon2],
  ['$2a$', parseBcrypt],
  ['$2b$', parseBcrypt],
  ['$2y$', parseBcrypt],
  ['$pbkdf2-sha256$', (s) => parsePasslibPbkdf2(s, 'sha256')],
  ['$pbkdf2-sha512$', (s) => parsePasslibPbkdf2(s, 'sha512')],
  ['$pbkdf2$', (s) => parsePasslibPbkdf2(s, 'sha1')],
  ['$scrypt$', parsePasslibScrypt],
  [FIREBASE_PREFIX, parseFirebase],
  ['pbkdf2_sha256$', (s) => parseDjangoPbkdf2(s, 'sha256')],
  ['pbkdf2_sha1$', (s) => parseDjangoPbkdf2(s, 'sha1')],
  ['bcrypt_sha256$', parseDjangoBcryptSha256],
  ['bcrypt$', parseDjangoBcrypt],
  ['argon2$', parseDjangoArgon2],
  ['scrypt$', parseDjangoScrypt],
  ['{', parseKeycloak],
];

/** The prefixes' own words, for the message about a hash of none of them. */
const READ = 'argon2 PHC, bcrypt, Django, passlib pbkdf2 and scrypt, Firebase scrypt, Keycloak pbkdf2';

/** Django's hashers this tool does not read (unsalted or fast digests, crypt(3)). */
const DJANGO_OTHERS = ['md5', 'sha1', 'unsalted_md5', 'unsalted_sha1', 'crypt'];

function parse(stored: string): ParsedHash {
  if (stored.length > MAX_STORED_LENGTH) throw new HashFormatError('too long to be a password hash');
  const entry = PARSERS.find(([prefix]) => stored.startsWith(prefix));
  if (entry !== undefined) return entry[1](stored);
  // Quote an algorithm name, never text that might be a plaintext password stored by mistake:
  // only what sits between `$` signs at the start, or the name of one of Django's other hashers.
  const id = stored.startsWith('$') ? stored.split('$')[1] : DJANGO_OTHERS.find((name) => stored.startsWith(`${name}$`));
  throw new HashFormatError(
    id !== undefined && stored.split('$').length > 2
      ? `algorithm "${id.slice(0, 20)}" is not one this tool reads (${READ})`
      : `not a password hash this tool reads (${READ})`,
  );
}

function unusable(err: unknown): unknown {
  return err instanceof HashFormatError ? new BadDataError(`stored password hash is unusable: ${err.message}`) : err;
}

/**
 * What a stored hash is (family, parameters, why it is outdated), for listing and checking;
 * no caps apply, as nothing is computed. An unreadable hash is a BadDataError (exit 5).
 */
export function describeHash(stored: string): HashInfo {
  try {
    const { family, params, readsBytes, outdated } = parse(stored);
    return { family, params, readsBytes, outdated };
  } catch (err) {
    throw unusable(err);
  }
}

/** A stored hash ready to verify: `verify` runs only on a hash within the caps. */
export interface StoredHash extends HashInfo {
  verify(password: Buffer, options?: VerifyOptions): Promise<boolean>;
}

/** The exit-5 refusal of a hash above the caps (`over`: what exceeds which cap), if any. */
export function refuseOverCaps(over: string[], kind: ParsedHash['capsKind']): void {
  if (over.length === 0) return;
  throw new BadDataError(`stored password hash asks for more than the caps allow (${over.join(', ')})`, {
    hint:
      kind === 'argon2'
        ? 'raise REDIS_ACCOUNTS_ARGON2_MAX_* only if you trust this record'
        : 'the caps on bcrypt, PBKDF2 and scrypt costs are fixed (README: Hash families)',
  });
}

/** A stored hash parsed and within the caps: an unreadable hash, or one above them, is a BadDataError (exit 5). */
function parseWithinCaps(stored: string, caps: CostCaps): ParsedHash {
  let parsed: ParsedHash;
  try {
    parsed = parse(stored);
  } catch (err) {
    throw unusable(err);
  }
  refuseOverCaps(parsed.overCaps(caps), parsed.capsKind);
  return parsed;
}

/**
 * The family of a stored hash that parseStoredHash would accept (refused as it would refuse
 * it), for a caller that only checks hashes: `user import`, a hash per user.
 */
export function checkStoredHash(stored: string, caps: CostCaps): FamilyName {
  return parseWithinCaps(stored, caps).family;
}

/**
 * Parse a stored hash and check it against the caps, before any work: an unreadable hash, or
 * one asking for more than the caps allow, is a BadDataError (exit 5).
 */
export function parseStoredHash(stored: string, caps: CostCaps): StoredHash {
  const { family, params, readsBytes, outdated, verify } = parseWithinCaps(stored, caps);
  return { family, params, readsBytes, outdated, verify: (password, options = {}) => verify(password, options) };
}
