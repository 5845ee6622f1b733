/**
 * Firebase Authentication's modified scrypt. Each user has a salt and a hash; the project has a
 * signer key, a salt separator, `rounds` and `mem_cost` (its console's "Password hash
 * parameters"). The hash is the signer key encrypted with AES-256-CTR (zero IV) under
 * scrypt(password, salt ‖ separator, N = 2^mem_cost, r = rounds, p = 1, 32 bytes).
 *
 * Stored here as
 *   $firebase-scrypt$ln=<mem_cost>,r=<rounds>,k=<key id>$<salt>$<hash>
 * with the salt and hash as Firebase exports them (padded base64). The cost is in the record, so
 * the caps are checked, and `user rehash --check` reports it, without the project's parameters.
 * The signer key is not: it is the project's secret and works as a pepper, so it stays away
 * from the hashes, in a parameters file given when verifying (--firebase-params).
 * `k` names the key and separator (the first 8 bytes of a SHA-256 over them) so that a file of
 * another project is refused by name instead of every password reading as wrong.
 */
import { createCipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { BadDataError, UsageError } from '../../errors.js';
import { decimal, decodePadded, namedParams } from './encoding.js';
import { checkScryptCost, scryptOverCaps, scryptRaw } from './scrypt.js';
import { foreignAlgorithm, HashFormatError, type FirebaseParams, type ParsedHash } from './types.js';

export const FIREBASE_PREFIX = '$firebase-scrypt$';

/** 16 hex digits naming a signer key and salt separator. */
export function firebaseKeyId(signerKey: Buffer, saltSeparator: Buffer): string {
  const inner = createHash('sha256').update(signerKey).digest();
  return createHash('sha256').update(inner).update(saltSeparator).digest('hex').slice(0, 16);
}

/** The stored form of one user's Firebase hash (for `user import`, and tests). */
export function formatFirebaseHash(params: Pick<FirebaseParams, 'memCost' | 'rounds' | 'keyId'>, salt: Buffer, hash: Buffer): string {
  return `${FIREBASE_PREFIX}ln=${params.memCost},r=${params.rounds},k=${params.keyId}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

const PARAM_NAMES = ['base64_signer_key', 'base64_salt_separator', 'rounds', 'mem_cost'] as const;

/**
 * The project's parameters, from the text its console shows (`hash_config { algorithm: SCRYPT,
 * base64_signer_key: ..., ... }`) or a JSON object with the same names. Errors never quote the
 * file, which holds a secret.
 */
export function parseFirebaseParams(text: string): FirebaseParams {
  const found: Partial<Record<(typeof PARAM_NAMES)[number] | 'algorithm', string>> = {};
  for (const name of [...PARAM_NAMES, 'algorithm'] as const) {
    const matches = [...text.matchAll(new RegExp(`["']?\\b${name}\\b["']?\\s*[:=]\\s*["']?([A-Za-z0-9+/=_-]*)["']?`, 'g'))];
    if (matches.length > 1) throw new UsageError(`the Firebase hash parameters give ${name} twice`);
    if (matches[0] !== undefined) found[name] = matches[0][1] ?? '';
  }
  const missing = PARAM_NAMES.filter((n) => found[n] === undefined);
  if (missing.length > 0) {
    throw new UsageError(`the Firebase hash parameters lack ${missing.join(', ')}`, {
      hint: "copy the project's Password hash parameters from the Firebase console (Authentication, Users, ⋮)",
    });
  }
  if (found.algorithm !== undefined && found.algorithm !== 'SCRYPT')
    throw new UsageError('the Firebase hash parameters are not for SCRYPT');
  try {
    const signerKey = decodePadded(found.base64_signer_key ?? '', 'base64_signer_key');
    const saltSeparator =
      found.base64_salt_separator === '' ? Buffer.alloc(0) : decodePadded(found.base64_salt_separator ?? '', 'base64_salt_separator');
    const rounds = decimal(found.rounds, 'rounds');
    const memCost = decimal(found.mem_cost, 'mem_cost');
    if (rounds < 1 || rounds > 64 || memCost < 1 || memCost > 31) throw new HashFormatError('rounds or mem_cost out of range');
    return { signerKey, saltSeparator, rounds, memCost, keyId: firebaseKeyId(signerKey, saltSeparator) };
  } catch (err) {
    if (err instanceof HashFormatError) throw new UsageError(`the Firebase hash parameters are unusable: ${err.message}`);
    throw err;
  }
}

export function parseFirebase(stored: string): ParsedHash {
  const parts = stored.split('$');
  if (parts.length !== 5) throw new HashFormatError('not a firebase-scrypt string ($firebase-scrypt$ln=,r=,k=$salt$hash)');
  const named = namedParams(parts[2] ?? '', ['ln', 'r', 'k'] as const);
  const memCost = decimal(named.ln, 'ln');
  const rounds = decimal(named.r, 'r');
  if (memCost < 1 || memCost > 31) throw new HashFormatError(`ln=${memCost} is not a Firebase mem_cost`);
  if (!/^[0-9a-f]{16}$/.test(named.k)) throw new HashFormatError('k is not a key id (16 hex digits)');
  const keyId = named.k;
  const salt = decodePadded(parts[3] ?? '', 'salt');
  const hash = decodePadded(parts[4] ?? '', 'hash');
  if (hash.length < 16 || hash.length > 1024) throw new HashFormatError('hash length is not that of a signer key');
  const cost = { N: 2 ** memCost, r: rounds, p: 1 };
  checkScryptCost(cost);
  const family = 'firebase-scrypt';
  return {
    family,
    params: { memCost, rounds, keyId },
    readsBytes: undefined,
    outdated: () => [foreignAlgorithm(family)],
    capsKind: 'fixed',
    overCaps: () => scryptOverCaps(cost),
    verify: async (password, { firebase }) => {
      if (firebase === undefined) {
        throw new UsageError("the stored hash is Firebase's scrypt: verifying it needs the project's hash parameters", {
          hint: 'give them with --firebase-params <file> (REDIS_ACCOUNTS_FIREBASE_PARAMS)',
        });
      }
      if (firebase.keyId !== keyId) {
        throw new UsageError(
          `the Firebase hash parameters given are another project's (key id ${firebase.keyId}; this hash needs ${keyId})`,
        );
      }
      if (firebase.signerKey.length !== hash.length)
        throw new BadDataError("the stored Firebase hash is not as long as the project's signer key");
      const key = await scryptRaw(password, Buffer.concat([salt, firebase.saltSeparator]), 32, cost);
      const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
      const computed = Buffer.concat([cipher.update(firebase.signerKey), cipher.final()]);
      return timingSafeEqual(computed, hash);
    },
  };
}
