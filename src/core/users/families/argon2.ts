/**
 * argon2 (argon2id, argon2i, argon2d) as PHC strings (./../phc.ts), and Django's form of them,
 * `argon2$` followed by the PHC string without its leading `$`. Computed with the native
 * `argon2` package, imported on first use so that commands which never hash start fast.
 */
import { timingSafeEqual } from 'node:crypto';
import { checkPhc, decodePhc, type Argon2Variant, type CheckedPhc, type PhcCosts, type PhcHash } from '../phc.js';
import { foreignAlgorithm, type CostCaps, type HashPolicy, type ParsedHash } from './types.js';

export const SALT_BYTES = 16;
export const HASH_BYTES = 32;

const VARIANT_CODE: Record<Argon2Variant, 0 | 1 | 2> = { argon2d: 0, argon2i: 1, argon2id: 2 };

async function loadArgon2() {
  return (await import('argon2')).default;
}

/** argon2's raw digest of `password` at the given parameters. */
export async function argon2Raw(password: Buffer, params: Omit<PhcHash, 'hash'>, hashLength: number): Promise<Buffer> {
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

/** Each argon2 cap the hash exceeds (empty: within all of them). */
export function argon2OverCaps(h: PhcCosts, caps: CostCaps): string[] {
  const over: string[] = [];
  if (h.memoryCost > caps.maxMemoryCost) over.push(`m=${h.memoryCost} > ${caps.maxMemoryCost}`);
  if (h.timeCost > caps.maxTimeCost) over.push(`t=${h.timeCost} > ${caps.maxTimeCost}`);
  if (h.parallelism > caps.maxParallelism) over.push(`p=${h.parallelism} > ${caps.maxParallelism}`);
  if (h.hashBytes > 1024) over.push(`hash length ${h.hashBytes} > 1024`);
  return over;
}

/**
 * Why an argon2 hash is weaker than the policy, or an empty list when it is not.
 * Stronger parameters are not flagged: rehashing them would lower security.
 */
export function argon2Weaknesses(h: PhcCosts, policy: HashPolicy): string[] {
  const reasons: string[] = [];
  if (h.variant !== 'argon2id') reasons.push(`algorithm ${h.variant} (policy argon2id)`);
  if (h.version < 19) reasons.push(`version ${h.version} (policy 19)`);
  if (h.memoryCost < policy.memoryCost) reasons.push(`m=${h.memoryCost} (policy ${policy.memoryCost})`);
  if (h.timeCost < policy.timeCost) reasons.push(`t=${h.timeCost} (policy ${policy.timeCost})`);
  if (h.parallelism < policy.parallelism) reasons.push(`p=${h.parallelism} (policy ${policy.parallelism})`);
  if (h.saltBytes < SALT_BYTES) reasons.push(`salt of ${h.saltBytes} bytes (policy ${SALT_BYTES})`);
  if (h.hashBytes < HASH_BYTES) reasons.push(`hash of ${h.hashBytes} bytes (policy ${HASH_BYTES})`);
  return reasons;
}

/** The salt and digest are decoded only by `verify`: checking a hash (import) needs their sizes alone. */
function fromPhc(h: CheckedPhc, django: boolean): ParsedHash {
  const family = django ? 'django-argon2' : h.variant;
  return {
    family,
    params: { variant: h.variant, version: h.version, m: h.memoryCost, t: h.timeCost, p: h.parallelism, hashBytes: h.hashBytes },
    readsBytes: undefined,
    outdated: (policy) => [...(django ? [foreignAlgorithm(family)] : []), ...argon2Weaknesses(h, policy)],
    capsKind: 'argon2',
    overCaps: (caps) => argon2OverCaps(h, caps),
    verify: async (password) => {
      const decoded = decodePhc(h);
      return timingSafeEqual(await argon2Raw(password, decoded, decoded.hash.length), decoded.hash);
    },
  };
}

/** `$argon2id$v=19$m=...,t=...,p=...$salt$hash` (parameters in any order). */
export function parseArgon2(stored: string): ParsedHash {
  return fromPhc(checkPhc(stored), false);
}

/** Django's Argon2PasswordHasher: `argon2$argon2id$v=19$m=...`. */
export function parseDjangoArgon2(stored: string): ParsedHash {
  return fromPhc(checkPhc(stored.slice('argon2'.length)), true);
}
