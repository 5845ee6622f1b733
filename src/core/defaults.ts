/**
 * Default settings, in a module with no imports: the option definitions (and so `--help`)
 * need these values without loading the modules that use them (node:crypto, argon2, ...).
 */

export const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** OWASP's first recommended argon2id configuration (m=19 MiB, t=2, p=1). */
export const DEFAULT_POLICY = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
/** Upper bounds on the cost a stored hash may ask us to spend when verifying it. */
export const DEFAULT_CAPS = Object.freeze({ maxMemoryCost: 262144, maxTimeCost: 16, maxParallelism: 16 });
/**
 * Caps on the cost a stored hash of another family (bcrypt, PBKDF2, scrypt) may ask for, fixed
 * for now. Each admits the defaults of every writer we read with room to grow (Django 5.2
 * writes PBKDF2-SHA256 at 1M iterations and raises it each release; bcrypt deployments use 10
 * to 14), and bounds a hostile record to a few seconds of one CPU, as the argon2 caps do:
 * - bcrypt cost 16: 64 times OWASP's minimum of 10 (the cost is a power of two);
 * - PBKDF2: ten times OWASP's current iterations for each digest (SHA-1 1.4M, SHA-256 600k,
 *   SHA-512 220k, which it sizes to about equal work), counted in output blocks: a derived key
 *   longer than the digest costs one more full run per block (Keycloak's 64-byte SHA-256 keys
 *   cost two);
 * - scrypt: memory (128·r·(N + p + 2) bytes, what OpenSSL allocates) at most 256 MiB, the
 *   argon2 memory cap; work N·r·p at most 2^22, four times OWASP's N=2^17, r=8, p=1.
 */
export const FOREIGN_CAPS = Object.freeze({
  bcryptCost: 16,
  pbkdf2Blocks: Object.freeze({ sha1: 14_000_000, sha256: 6_000_000, sha512: 2_200_000 }),
  scryptMemoryBytes: 256 * 1024 * 1024,
  scryptWork: 2 ** 22,
});
export const PASSWORD_MIN_CHARS = 8;

/** `user import --format`: the inputs it reads (core/users/import/formats.ts). */
export const IMPORT_FORMATS = Object.freeze(['jsonl', 'htpasswd', 'django', 'firebase', 'keycloak'] as const);
/** `user import --on-conflict`: what to do with a name that exists. */
export const CONFLICT_MODES = Object.freeze(['skip', 'fail', 'overwrite'] as const);

export const DEFAULT_USER_PREFIX = 'user:';
export const DEFAULT_SESSION_PREFIX = 'sess:';
/** express-session's default cookie name (its `name` option). */
export const DEFAULT_COOKIE_NAME = 'connect.sid';

/** Tried in order when --user-field is not given. */
export const DEFAULT_USER_FIELDS: readonly string[] = Object.freeze(['passport.user', 'userId', 'user.id', 'username']);

/** The Redis stream of the audit trail (--audit-key). */
export const DEFAULT_AUDIT_KEY = 'redis-accounts:audit';

/** The session layouts `--layout` names (core/sessions/registry.ts loads each). */
export const SESSION_LAYOUTS: readonly string[] = Object.freeze([
  'connect-redis',
  'spring',
  'koa',
  'better-auth',
  'authjs',
  'gorilla',
  'rails',
  'rails-cache',
  'php',
  'symfony',
  'laravel',
  'django',
  'flask',
]);
export const DEFAULT_LAYOUT = 'connect-redis';
/** `--layout auto`: every layout, each under its default prefix. */
export const AUTO_LAYOUT = 'auto';

/**
 * New passwords (NIST SP 800-63B-4 §3.1.1.2, ASVS 5.0 6.2.1): at least 15 characters by default.
 * `--min-length` may lower it to PASSWORD_MIN_CHARS (8), for passwords used only with a second
 * factor, never below. The maximum stays PASSWORD_MAX_BYTES (1024 bytes of UTF-8), far above
 * the 64 characters both ask to allow.
 */
export const PASSWORD_MIN_DEFAULT = 15;
