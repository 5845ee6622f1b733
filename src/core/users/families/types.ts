/**
 * What every hash family module returns. A family is one stored format (argon2's PHC string,
 * bcrypt's modular crypt string, Django's and passlib's formats, our form of Firebase's scrypt,
 * Keycloak's JSON credential); its module parses the stored text into a `ParsedHash` and
 * nothing else: detection by prefix and the caps check live in ./index.ts.
 */

/** The argon2id parameters new hashes are made with. */
export interface HashPolicy {
  /** KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** Upper bounds on the argon2 cost a stored hash may ask us to spend when verifying it. */
export interface CostCaps {
  /** KiB. */
  maxMemoryCost: number;
  maxTimeCost: number;
  maxParallelism: number;
}

export type FamilyName =
  | 'argon2id'
  | 'argon2i'
  | 'argon2d'
  | 'bcrypt'
  | 'django-argon2'
  | 'django-bcrypt'
  | 'django-bcrypt-sha256'
  | 'django-pbkdf2-sha1'
  | 'django-pbkdf2-sha256'
  | 'django-scrypt'
  | 'passlib-pbkdf2-sha1'
  | 'passlib-pbkdf2-sha256'
  | 'passlib-pbkdf2-sha512'
  | 'passlib-scrypt'
  | 'firebase-scrypt'
  | 'keycloak-pbkdf2-sha1'
  | 'keycloak-pbkdf2-sha256'
  | 'keycloak-pbkdf2-sha512';

/** A Firebase project's password hash parameters (its console's "hash_config"). */
export interface FirebaseParams {
  signerKey: Buffer;
  saltSeparator: Buffer;
  rounds: number;
  memCost: number;
  /** Names the signer key and separator without revealing them (see firebase.ts). */
  keyId: string;
}

/** What verifying some families needs beyond the password and the stored hash. */
export interface VerifyOptions {
  /** firebase-scrypt hashes only: the project's parameters. */
  firebase?: FirebaseParams | undefined;
}

/** What can be shown about a stored hash: never its salt, digest or any other secret part. */
export interface HashInfo {
  readonly family: FamilyName;
  /** Cost parameters and sizes, in the family's own terms (bcrypt `cost`, scrypt `N`, `r`, `p`, ...). */
  readonly params: Readonly<Record<string, string | number>>;
  /**
   * How many bytes of the password the family reads: 72 for bcrypt, which ignores the rest.
   * undefined: all of them. A caller replacing such a hash hashes the whole password.
   */
  readonly readsBytes: number | undefined;
  /** Why the hash falls short of the policy; empty when it meets it. */
  outdated(policy: HashPolicy): string[];
}

/**
 * A family module's parse result. The salt and digest live only in the closures of
 * `verify`, so printing or serializing the object can never show them.
 */
export interface ParsedHash extends HashInfo {
  /** Each cap the hash exceeds, as `what value > cap` (empty: within every cap). */
  overCaps(caps: CostCaps): string[];
  /** Whether the caps that apply are the configurable argon2 ones or the fixed others. */
  readonly capsKind: 'argon2' | 'fixed';
  /** Constant-time check of a prepared password (core/users/hashing.ts preparePassword). */
  verify(password: Buffer, options: VerifyOptions): Promise<boolean>;
}

/** A stored hash that is not well-formed. The message never quotes a secret part. */
export class HashFormatError extends Error {}

/** The reason every family but argon2id PHC shares: the policy's algorithm is another. */
export function foreignAlgorithm(family: FamilyName): string {
  return `algorithm ${family} (policy argon2id)`;
}
