/**
 * PBKDF2-HMAC in the forms we read: Django's `pbkdf2_sha256$<iterations>$<salt>$<base64>` (and
 * `pbkdf2_sha1$`), passlib's `$pbkdf2-sha256$<rounds>$<ab64 salt>$<ab64 digest>` (and `-sha512`,
 * and `$pbkdf2$` for SHA-1), and Keycloak's credentials (./keycloak.ts). node:crypto computes it.
 */
import { pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { FOREIGN_CAPS } from '../../defaults.js';
import { checkDigest, checkSalt, decimal, decodeAb64, decodePadded, literalSalt } from './encoding.js';
import { foreignAlgorithm, HashFormatError, type FamilyName, type ParsedHash } from './types.js';

const pbkdf2Async = promisify(pbkdf2);

export type Digest = 'sha1' | 'sha256' | 'sha512';
const DIGEST_BYTES: Record<Digest, number> = { sha1: 20, sha256: 32, sha512: 64 };

export interface Pbkdf2Parts {
  digest: Digest;
  iterations: number;
  salt: Buffer;
  key: Buffer;
}

/** A PBKDF2 hash of any of the forms, once its parts are decoded. */
export function pbkdf2Hash(family: FamilyName, { digest, iterations, salt, key }: Pbkdf2Parts): ParsedHash {
  if (iterations < 1) throw new HashFormatError('iterations must be at least 1');
  checkSalt(salt);
  checkDigest(key);
  // PBKDF2 runs all its iterations once per digest-sized block of output.
  const blocks = Math.ceil(key.length / DIGEST_BYTES[digest]);
  const cap = FOREIGN_CAPS.pbkdf2Blocks[digest];
  return {
    family,
    params: { digest, iterations, keyBytes: key.length },
    readsBytes: undefined,
    outdated: () => [foreignAlgorithm(family)],
    capsKind: 'fixed',
    overCaps: () =>
      iterations * blocks > cap
        ? [`PBKDF2-${digest.toUpperCase()} iterations ${iterations}${blocks > 1 ? ` x ${blocks} blocks` : ''} > ${cap}`]
        : [],
    verify: async (password) => timingSafeEqual(await pbkdf2Async(password, salt, iterations, key.length, digest), key),
  };
}

/**
 * Django and passlib always derive a key of the digest's own size: another length is a digest
 * cut short (at a multiple of 4 characters base64 cannot tell) or another writer.
 */
function exactSize(key: Buffer, digest: Digest): void {
  if (key.length !== DIGEST_BYTES[digest])
    throw new HashFormatError(`hash is ${key.length} bytes, not ${DIGEST_BYTES[digest]} (cut short?)`);
}

/** Django's PBKDF2PasswordHasher and PBKDF2SHA1PasswordHasher: the salt is text, the digest padded base64. */
export function parseDjangoPbkdf2(stored: string, digest: 'sha1' | 'sha256'): ParsedHash {
  const parts = stored.split('$');
  if (parts.length !== 4) throw new HashFormatError(`not a Django pbkdf2_${digest} string (algorithm$iterations$salt$hash)`);
  const key = decodePadded(parts[3] ?? '', 'hash');
  exactSize(key, digest);
  return pbkdf2Hash(`django-pbkdf2-${digest}`, {
    digest,
    iterations: decimal(parts[1], 'iterations'),
    salt: literalSalt(parts[2] ?? ''),
    key,
  });
}

/** passlib's pbkdf2_sha1/sha256/sha512: `$<ident>$<rounds>$<ab64 salt>$<ab64 digest>`. */
export function parsePasslibPbkdf2(stored: string, digest: Digest): ParsedHash {
  const parts = stored.split('$');
  if (parts.length !== 5) throw new HashFormatError('not a passlib pbkdf2 string ($pbkdf2-<digest>$rounds$salt$hash)');
  const key = decodeAb64(parts[4] ?? '', 'hash');
  exactSize(key, digest);
  return pbkdf2Hash(`passlib-pbkdf2-${digest}`, {
    digest,
    iterations: decimal(parts[2], 'rounds'),
    salt: decodeAb64(parts[3] ?? '', 'salt'),
    key,
  });
}
