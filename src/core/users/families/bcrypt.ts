/**
 * bcrypt, `$2a$`, `$2b$` and `$2y$<cost>$<22-character salt><31-character digest>`, and Django's
 * two hashers around it: `bcrypt$<bcrypt string>` and `bcrypt_sha256$<bcrypt string>` (bcrypt of
 * the hex SHA-256 of the password).
 *
 * Computed with the native `bcrypt` package (OpenBSD's C code), imported on first use. It
 * handles a `$2a$` salt as OpenBSD does, with the length of the password cut to 8 bits (a
 * 300-byte password is hashed as its first 45 bytes), and refuses `$2y$`. PHP, python-bcrypt,
 * Java's jBCrypt and bcryptjs, which wrote the hashes we read, treat all three prefixes alike:
 * the first 72 bytes of the password, the rest ignored. So every prefix is computed as `$2b$`,
 * which is exactly that, and only the digests are compared.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { FOREIGN_CAPS } from '../../defaults.js';
import { foreignAlgorithm, HashFormatError, type FamilyName, type ParsedHash } from './types.js';

/** bcrypt reads this many bytes of a password and ignores the rest. */
export const BCRYPT_BYTES = 72;

const BCRYPT = /^\$(2[aby])\$([0-9]{2})\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

async function loadBcrypt() {
  return (await import('bcrypt')).default;
}

type Prehash = 'none' | 'sha256-hex';

function parseBcryptString(text: string, family: FamilyName, prehash: Prehash): ParsedHash {
  const m = BCRYPT.exec(text);
  if (!m) {
    throw new HashFormatError(
      /^\$2[aby]\$/.test(text) ? 'not a bcrypt string ($2b$<cost>$ and 53 characters of bcrypt base64)' : 'not a bcrypt string',
    );
  }
  const [, variant, costText, salt, digest] = m as unknown as [string, string, string, string, string];
  const cost = Number(costText);
  if (cost < 4 || cost > 31) throw new HashFormatError(`bcrypt cost ${cost} is outside 4 to 31`);
  const readsBytes = prehash === 'none' ? BCRYPT_BYTES : undefined;
  return {
    family,
    params: { variant, cost },
    readsBytes,
    outdated: () => [
      foreignAlgorithm(family),
      ...(readsBytes === undefined ? [] : [`reads only the first ${readsBytes} bytes of a password`]),
    ],
    capsKind: 'fixed',
    overCaps: () => (cost > FOREIGN_CAPS.bcryptCost ? [`bcrypt cost ${cost} > ${FOREIGN_CAPS.bcryptCost}`] : []),
    verify: async (password) => {
      // Django's bcrypt_sha256 hashes the hex digest (64 bytes, under bcrypt's 72).
      const input = prehash === 'sha256-hex' ? Buffer.from(createHash('sha256').update(password).digest('hex'), 'ascii') : password;
      const computed = await (await loadBcrypt()).hash(input, `$2b$${costText}$${salt}`);
      return timingSafeEqual(Buffer.from(computed.slice(-31), 'ascii'), Buffer.from(digest, 'ascii'));
    },
  };
}

/** `$2a$`, `$2b$`, `$2y$`. */
export function parseBcrypt(stored: string): ParsedHash {
  return parseBcryptString(stored, 'bcrypt', 'none');
}

/** Django's BCryptPasswordHasher: `bcrypt$$2b$12$...`. */
export function parseDjangoBcrypt(stored: string): ParsedHash {
  return parseBcryptString(stored.slice('bcrypt$'.length), 'django-bcrypt', 'none');
}

/** Django's BCryptSHA256PasswordHasher: `bcrypt_sha256$$2b$12$...`. */
export function parseDjangoBcryptSha256(stored: string): ParsedHash {
  return parseBcryptString(stored.slice('bcrypt_sha256$'.length), 'django-bcrypt-sha256', 'sha256-hex');
}
