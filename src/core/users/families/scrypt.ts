/**
 * scrypt in the forms we read: Django's `scrypt$<N>$<salt>$<r>$<p>$<base64 digest>` (Django 4.0
 * and later; the salt is text) and passlib's (PHC) `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<ab64 salt>$<ab64
 * digest>`. Firebase's variant is in ./firebase.ts. node:crypto computes it.
 */
import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { FOREIGN_CAPS } from '../../defaults.js';
import { checkDigest, checkSalt, decimal, decodeAb64, decodePadded, literalSalt, namedParams } from './encoding.js';
import { foreignAlgorithm, HashFormatError, type FamilyName, type ParsedHash } from './types.js';

export interface ScryptCost {
  /** 2^ln. */
  N: number;
  r: number;
  p: number;
}

/** What OpenSSL allocates for one scrypt (its own check, `maxmem`, counts the same). */
export function scryptMemory({ N, r, p }: ScryptCost): number {
  return 128 * r * (N + p + 2);
}

/** Whether the parameters are ones scrypt accepts at all (RFC 7914), checked before any cap. */
export function checkScryptCost({ N, r, p }: ScryptCost): void {
  if (N < 2 || !Number.isSafeInteger(N) || !Number.isInteger(Math.log2(N)))
    throw new HashFormatError('scrypt N must be a power of 2, at least 2');
  if (r < 1 || p < 1) throw new HashFormatError('scrypt r and p must be at least 1');
}

export function scryptOverCaps(cost: ScryptCost): string[] {
  const over: string[] = [];
  const memory = scryptMemory(cost);
  if (memory > FOREIGN_CAPS.scryptMemoryBytes) {
    over.push(`scrypt memory ${Math.ceil(memory / 1048576)} MiB > ${FOREIGN_CAPS.scryptMemoryBytes / 1048576} MiB`);
  }
  const work = cost.N * cost.r * cost.p;
  if (work > FOREIGN_CAPS.scryptWork) over.push(`scrypt N*r*p ${work} > ${FOREIGN_CAPS.scryptWork}`);
  return over;
}

/** scrypt of `password` (only ever called within the caps, so maxmem is what the cost needs). */
export function scryptRaw(password: Buffer, salt: Buffer, length: number, cost: ScryptCost): Promise<Buffer> {
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: scryptMemory(cost) + 1048576 };
  return new Promise((resolve, reject) => scrypt(password, salt, length, options, (err, key) => (err ? reject(err) : resolve(key))));
}

function scryptHash(family: FamilyName, cost: ScryptCost, salt: Buffer, key: Buffer, shown: Record<string, number>): ParsedHash {
  checkScryptCost(cost);
  checkSalt(salt);
  checkDigest(key);
  return {
    family,
    params: { ...shown, keyBytes: key.length },
    readsBytes: undefined,
    outdated: () => [foreignAlgorithm(family)],
    capsKind: 'fixed',
    overCaps: () => scryptOverCaps(cost),
    verify: async (password) => timingSafeEqual(await scryptRaw(password, salt, key.length, cost), key),
  };
}

/** Django's ScryptPasswordHasher. */
export function parseDjangoScrypt(stored: string): ParsedHash {
  const parts = stored.split('$');
  if (parts.length !== 6) throw new HashFormatError('not a Django scrypt string (scrypt$N$salt$r$p$hash)');
  const cost = { N: decimal(parts[1], 'N'), r: decimal(parts[3], 'r'), p: decimal(parts[4], 'p') };
  const key = decodePadded(parts[5] ?? '', 'hash');
  // Django always derives 64 bytes.
  if (key.length !== 64) throw new HashFormatError(`hash is ${key.length} bytes, not 64 (cut short?)`);
  return scryptHash('django-scrypt', cost, literalSalt(parts[2] ?? ''), key, { ...cost });
}

/**
 * passlib's scrypt and other PHC scrypt strings. `ln` is log2 N here; Ory Kratos writes N itself
 * under the same name, which is refused (no N of a real hash is 2^32 or more) rather than read
 * as a wrong password.
 */
export function parsePasslibScrypt(stored: string): ParsedHash {
  const parts = stored.split('$');
  if (parts.length !== 5) throw new HashFormatError('not a PHC scrypt string ($scrypt$ln=,r=,p=$salt$hash)');
  const named = namedParams(parts[2] ?? '', ['ln', 'r', 'p'] as const);
  const ln = decimal(named.ln, 'ln');
  if (ln < 1 || ln > 31) {
    throw new HashFormatError(
      `scrypt ln=${ln} is not log2 N${ln > 31 ? ' (Ory Kratos writes N itself there: not a format this tool reads)' : ''}`,
    );
  }
  const cost = { N: 2 ** ln, r: decimal(named.r, 'r'), p: decimal(named.p, 'p') };
  return scryptHash('passlib-scrypt', cost, decodeAb64(parts[3] ?? '', 'salt'), decodeAb64(parts[4] ?? '', 'hash'), {
    ln,
    r: cost.r,
    p: cost.p,
  });
}
