import { DEFAULT_CAPS, DEFAULT_POLICY } from '../../src/core/defaults.js';
import { describe, test, expect } from '@jest/globals';
import argon2 from 'argon2';
import { BadDataError, ExitCode, UsageError } from '../../src/core/errors.js';
import {
  checkCaps,
  decoyHash,
  hashPassword,
  preparePassword,
  verifyPassword,
  weaknesses,
  type CostCaps,
  type HashPolicy,
} from '../../src/core/users/hashing.js';
import { formatPhc, parsePhc, type PhcHash } from '../../src/core/users/phc.js';

/** Cheap enough that a test hashes in milliseconds. */
const CHEAP: HashPolicy = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const SALT_B64 = 'MDEyMzQ1Njc4OWFiY2RlZg';
const HASH_B64 = 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc';

function stored(params: string, variant = 'argon2id', version = 'v=19'): string {
  return `$${variant}$${version}$${params}$${SALT_B64}$${HASH_B64}`;
}

/** Run fn, expect it to throw, and hand back the error. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, none was thrown');
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection, the promise resolved');
}

function b64(field: string | undefined): Buffer {
  return Buffer.from(field ?? '', 'base64');
}

describe('preparePassword', () => {
  test('returns the UTF-8 bytes of the password', () => {
    expect(preparePassword('correct horse').equals(Buffer.from('correct horse', 'utf8'))).toBe(true);
    expect(preparePassword('pässwörd€').equals(Buffer.from('pässwörd€', 'utf8'))).toBe(true);
  });

  test('normalizes to NFC: decomposed and precomposed forms give identical bytes', () => {
    const decomposed = 'caf' + 'e\u0301' + '-secret';
    const precomposed = 'caf' + '\u00e9' + '-secret';
    expect(decomposed).not.toBe(precomposed);
    const a = preparePassword(decomposed);
    const b = preparePassword(precomposed);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(Buffer.from(precomposed, 'utf8'))).toBe(true);
  });

  test('NFC applies to Hangul and other composed scripts too', () => {
    const nfd = '\u1112\u1161\u11ab\u1100\u1173\u11af-password';
    expect(preparePassword(nfd).equals(Buffer.from(nfd.normalize('NFC'), 'utf8'))).toBe(true);
  });

  test('minimum length is 8 characters by default', () => {
    expect(() => preparePassword('abcdefgh')).not.toThrow();
    const err = thrown(() => preparePassword('abcdefg'));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    expect(err.message).toMatch(/8 characters/);
  });

  test('length counts characters, not UTF-16 units: an emoji is one character', () => {
    const emoji = '\u{1F600}'; // two UTF-16 code units
    expect(emoji.length).toBe(2);
    expect(() => preparePassword(emoji.repeat(8))).not.toThrow();
    expect(() => preparePassword(emoji.repeat(7))).toThrow(UsageError);
    expect(() => preparePassword(emoji.repeat(4))).toThrow(UsageError);
  });

  test('length counts characters, not bytes: multi-byte letters count once', () => {
    expect(() => preparePassword('ééééééé')).toThrow(UsageError); // 7 chars, 14 bytes
    expect(() => preparePassword('éééééééé')).not.toThrow();
  });

  test('length is counted after NFC: 4 decomposed letters are 4 characters', () => {
    expect(() => preparePassword('e\u0301'.repeat(4))).toThrow(UsageError);
    expect(() => preparePassword('e\u0301'.repeat(8))).not.toThrow();
  });

  test('a custom minimum applies, and 0 accepts short and empty passwords', () => {
    expect(() => preparePassword('abcdefghijk', 12)).toThrow(UsageError);
    expect(() => preparePassword('abcdefghijkl', 12)).not.toThrow();
    expect(preparePassword('', 0)).toHaveLength(0);
    expect(preparePassword('x', 0).equals(Buffer.from('x'))).toBe(true);
  });

  test('at most 1024 UTF-8 bytes', () => {
    expect(preparePassword('a'.repeat(1024))).toHaveLength(1024);
    expect(() => preparePassword('a'.repeat(1025))).toThrow(UsageError);
    // 342 three-byte characters = 1026 bytes although only 342 characters.
    expect(() => preparePassword('€'.repeat(342))).toThrow(UsageError);
    expect(preparePassword('€'.repeat(341))).toHaveLength(1023);
  });

  test('the byte limit is checked after NFC', () => {
    // 'e\u0301' is 3 bytes, NFC 'é' is 2: 500 of them are 1500 bytes before and 1000 after.
    expect(preparePassword('e\u0301'.repeat(500))).toHaveLength(1000);
  });

  test('a too-long password is a UsageError whose message does not contain the password', () => {
    const password = 'Zq7!'.repeat(300);
    const err = thrown(() => preparePassword(password));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/1024 bytes/);
    expect(err.message).not.toContain('Zq7!');
    expect((err as UsageError).hint ?? '').not.toContain('Zq7!');
  });

  test('a 1 MB password is refused quickly', () => {
    const huge = 'Xk9$'.repeat(256 * 1024);
    expect(huge.length).toBe(1024 * 1024);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 20; i += 1) expect(() => preparePassword(huge)).toThrow(UsageError);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(ms).toBeLessThan(500);
  });

  test('a 1 MB password of decomposed characters is refused quickly (no NFC of the whole input)', () => {
    const huge = 'e\u0301'.repeat(512 * 1024);
    const started = process.hrtime.bigint();
    expect(() => preparePassword(huge)).toThrow(UsageError);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(200);
  });

  test.each([
    ['NUL', '\u0000'],
    ['tab', '\t'],
    ['line feed', '\n'],
    ['carriage return', '\r'],
    ['escape', '\u001b'],
    ['unit separator', '\u001f'],
    ['DEL', '\u007f'],
  ])('rejects a control character: %s', (_, c) => {
    for (const password of [`Secret${c}Word`, `${c}SecretWord`, `SecretWord${c}`]) {
      const err = thrown(() => preparePassword(password));
      expect(err).toBeInstanceOf(UsageError);
      expect(err.message).toMatch(/control character/);
      expect(err.message).not.toContain('SecretWord');
      expect(err.message).not.toContain(c);
    }
  });

  test('allows spaces and printable punctuation', () => {
    expect(() => preparePassword(' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~ ')).not.toThrow();
  });

  test('no error message ever contains the password', () => {
    const cases: Array<[string, number?]> = [
      ['Qv3#x', undefined],
      ['Qv3#xQv3#x', 20],
      ['Qv3#x\u0000Qv3#x', undefined],
      ['Qv3#x\nQv3#x', undefined],
      ['Qv3#x'.repeat(250), undefined],
      ['Qv3#x'.repeat(1000), undefined],
    ];
    for (const [password, min] of cases) {
      const err = thrown(() => preparePassword(password, min));
      expect(err).toBeInstanceOf(UsageError);
      expect(`${err.message} ${(err as UsageError).hint ?? ''}`).not.toContain('Qv3#x');
    }
  });
});

describe('weaknesses', () => {
  const policy = DEFAULT_POLICY; // m=19456, t=2, p=1

  test('a hash at the policy has no weaknesses', () => {
    expect(weaknesses(stored('m=19456,t=2,p=1'), policy)).toEqual([]);
  });

  test('accepts an already-parsed hash', () => {
    expect(weaknesses(parsePhc(stored('m=19456,t=2,p=1')), policy)).toEqual([]);
    expect(weaknesses(parsePhc(stored('m=4096,t=2,p=1')), policy)).toHaveLength(1);
  });

  test('argon2i is flagged', () => {
    const reasons = weaknesses(stored('m=19456,t=2,p=1', 'argon2i'), policy);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/argon2i/);
  });

  test('argon2d is flagged', () => {
    const reasons = weaknesses(stored('m=19456,t=2,p=1', 'argon2d'), policy);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/argon2d/);
  });

  test('a legacy version 16 hash is flagged', () => {
    expect(weaknesses(stored('m=19456,t=2,p=1', 'argon2id', 'v=16'), policy).join(' ')).toMatch(/version 16/);
    const legacy = `$argon2id$m=19456,t=2,p=1$${SALT_B64}$${HASH_B64}`;
    expect(weaknesses(legacy, policy).join(' ')).toMatch(/version 16/);
  });

  test('lower m is flagged', () => {
    expect(weaknesses(stored('m=19455,t=2,p=1'), policy)).toEqual(['m=19455 (policy 19456)']);
  });

  test('lower t is flagged', () => {
    expect(weaknesses(stored('m=19456,t=1,p=1'), policy)).toEqual(['t=1 (policy 2)']);
  });

  test('lower p is flagged', () => {
    expect(weaknesses(stored('m=19456,t=2,p=1'), { ...policy, parallelism: 2 })).toEqual(['p=1 (policy 2)']);
  });

  test('every weakness is listed', () => {
    const reasons = weaknesses(stored('m=4096,t=1,p=1', 'argon2i'), { memoryCost: 19456, timeCost: 2, parallelism: 2 });
    expect(reasons).toHaveLength(4);
  });

  test('stronger parameters (higher m or t, or p) are NOT flagged', () => {
    expect(weaknesses(stored('m=65536,t=2,p=1'), policy)).toEqual([]);
    expect(weaknesses(stored('m=19456,t=10,p=1'), policy)).toEqual([]);
    expect(weaknesses(stored('m=19456,t=2,p=4'), policy)).toEqual([]);
    expect(weaknesses(stored('m=262144,t=16,p=16'), policy)).toEqual([]);
  });

  test('parameters in node-argon2 order m,p,t are read correctly', () => {
    // If m,p,t were read positionally, p=4 would be taken for t and t=1 for p.
    expect(weaknesses(stored('m=19456,p=4,t=1'), policy)).toEqual(['t=1 (policy 2)']);
    expect(weaknesses(stored('m=19456,p=1,t=4'), { ...policy, timeCost: 3 })).toEqual([]);
    expect(weaknesses(stored('m=65536,p=4,t=3'), policy)).toEqual([]);
  });

  test('a short salt or hash is flagged', () => {
    const shortSalt = `$argon2id$v=19$m=19456,t=2,p=1$AQEBAQEBAQE$${HASH_B64}`; // 8-byte salt
    expect(weaknesses(shortSalt, policy).join(' ')).toMatch(/salt of 8 bytes/);
    const shortHash = `$argon2id$v=19$m=19456,t=2,p=1$${SALT_B64}$AQEBAQEBAQEBAQEBAQEBAQEBAQEB`; // 21-byte hash
    expect(weaknesses(shortHash, policy).join(' ')).toMatch(/hash of 21 bytes/);
  });

  test('an unusable stored hash is a BadDataError (exit 5)', () => {
    // A bcrypt string cut short: since issue 17 bcrypt is read (test/unit/hash-families.unit.test.ts).
    for (const bad of ['', 'plaintext-password', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lh', stored('m=19456,t=2')]) {
      const err = thrown(() => weaknesses(bad, policy));
      expect(err).toBeInstanceOf(BadDataError);
      expect((err as BadDataError).exitCode).toBe(5);
    }
  });
});

describe('checkCaps', () => {
  const caps: CostCaps = { maxMemoryCost: 65536, maxTimeCost: 4, maxParallelism: 2 };
  const at = (m: number, t: number, p: number, hashLen = 32): PhcHash => ({
    variant: 'argon2id',
    version: 19,
    memoryCost: m,
    timeCost: t,
    parallelism: p,
    salt: Buffer.alloc(16),
    hash: Buffer.alloc(hashLen),
  });

  test('at or below every cap passes', () => {
    expect(() => checkCaps(at(65536, 4, 2), caps)).not.toThrow();
    expect(() => checkCaps(at(1024, 1, 1), caps)).not.toThrow();
  });

  test.each([
    ['memory', at(65537, 4, 2), /m=65537/],
    ['time', at(65536, 5, 2), /t=5/],
    ['parallelism', at(65536, 4, 3), /p=3/],
    ['hash length', at(65536, 4, 2, 1025), /hash length/],
  ])('above the %s cap throws BadDataError with exit code 5', (_, h, pattern) => {
    const err = thrown(() => checkCaps(h, caps));
    expect(err).toBeInstanceOf(BadDataError);
    expect((err as BadDataError).exitCode).toBe(5);
    expect(err.message).toMatch(pattern);
    expect((err as BadDataError).hint).toMatch(/REDIS_ACCOUNTS_ARGON2_MAX_/);
  });

  test('names every exceeded cap', () => {
    const err = thrown(() => checkCaps(at(70000, 9, 9), caps));
    expect(err.message).toMatch(/m=70000/);
    expect(err.message).toMatch(/t=9/);
    expect(err.message).toMatch(/p=9/);
  });

  test('the default caps accept the default policy and refuse 4 GiB', () => {
    expect(() => checkCaps(at(DEFAULT_POLICY.memoryCost, DEFAULT_POLICY.timeCost, DEFAULT_POLICY.parallelism), DEFAULT_CAPS)).not.toThrow();
    expect(() => checkCaps(at(4194304, 1, 1), DEFAULT_CAPS)).toThrow(BadDataError);
  });
});

describe('hashPassword and verifyPassword', () => {
  const password = preparePassword('correct horse battery staple');

  test('produces a canonical-order argon2id v=19 PHC string with a 16-byte salt and 32-byte hash', async () => {
    const encoded = await hashPassword(password, CHEAP);
    expect(encoded).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const parts = encoded.split('$');
    expect(b64(parts[4])).toHaveLength(16);
    expect(b64(parts[5])).toHaveLength(32);
    const h = parsePhc(encoded);
    expect([h.variant, h.version, h.memoryCost, h.timeCost, h.parallelism]).toEqual(['argon2id', 19, 1024, 1, 1]);
  });

  test('writes the policy parameters in m,t,p order', async () => {
    const encoded = await hashPassword(password, { memoryCost: 2048, timeCost: 2, parallelism: 2 });
    expect(encoded.split('$')[3]).toBe('m=2048,t=2,p=2');
  });

  test('the hash verifies with the same password and not with another', async () => {
    const encoded = await hashPassword(password, CHEAP);
    await expect(verifyPassword(preparePassword('correct horse battery staple'), encoded, DEFAULT_CAPS)).resolves.toBe(true);
    await expect(verifyPassword(preparePassword('correct horse battery stapl3'), encoded, DEFAULT_CAPS)).resolves.toBe(false);
    await expect(verifyPassword(preparePassword('Correct horse battery staple'), encoded, DEFAULT_CAPS)).resolves.toBe(false);
  });

  test('a password hashed decomposed verifies when typed precomposed (NFC)', async () => {
    const encoded = await hashPassword(preparePassword('cafe\u0301-au-lait'), CHEAP);
    await expect(verifyPassword(preparePassword('caf\u00e9-au-lait'), encoded, DEFAULT_CAPS)).resolves.toBe(true);
  });

  test('is a real argon2id hash: node argon2 verifies it', async () => {
    const encoded = await hashPassword(password, CHEAP);
    await expect(argon2.verify(encoded, 'correct horse battery staple')).resolves.toBe(true);
    await expect(argon2.verify(encoded, 'wrong horse battery staple')).resolves.toBe(false);
  });

  test('two hashes of one password differ (random salt) and both verify', async () => {
    const a = await hashPassword(password, CHEAP);
    const b = await hashPassword(password, CHEAP);
    expect(a).not.toBe(b);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
    await expect(verifyPassword(password, a, DEFAULT_CAPS)).resolves.toBe(true);
    await expect(verifyPassword(password, b, DEFAULT_CAPS)).resolves.toBe(true);
  });

  test("accepts a hash written by node argon2's own hash() (m,p,t order)", async () => {
    const encoded = await argon2.hash('hunter2-hunter2', { type: argon2.argon2id, memoryCost: 2048, timeCost: 2, parallelism: 2 });
    expect(encoded).toMatch(/\$m=2048,p=2,t=2\$/);
    await expect(verifyPassword(preparePassword('hunter2-hunter2'), encoded, DEFAULT_CAPS)).resolves.toBe(true);
    await expect(verifyPassword(preparePassword('hunter3-hunter3'), encoded, DEFAULT_CAPS)).resolves.toBe(false);
  });

  test.each([
    ['argon2i', argon2.argon2i],
    ['argon2d', argon2.argon2d],
  ] as const)('verifies a node argon2 %s hash with the right variant', async (_, type) => {
    const encoded = await argon2.hash('old-variant-password', { type, memoryCost: 1024, timeCost: 1, parallelism: 1 });
    await expect(verifyPassword(preparePassword('old-variant-password'), encoded, DEFAULT_CAPS)).resolves.toBe(true);
    await expect(verifyPassword(preparePassword('old-variant-passw0rd'), encoded, DEFAULT_CAPS)).resolves.toBe(false);
  });

  test('verifies a legacy version 16 hash, with and without v=16', async () => {
    const encoded = await argon2.hash('legacy-password', { version: 0x10, memoryCost: 1024, timeCost: 1, parallelism: 1 });
    expect(encoded).toMatch(/\$v=16\$/);
    await expect(verifyPassword(preparePassword('legacy-password'), encoded, DEFAULT_CAPS)).resolves.toBe(true);
    const withoutV = encoded.replace('$v=16', '');
    await expect(verifyPassword(preparePassword('legacy-password'), withoutV, DEFAULT_CAPS)).resolves.toBe(true);
    // The same parameters at version 19 give a different digest.
    await expect(verifyPassword(preparePassword('legacy-password'), encoded.replace('$v=16', '$v=19'), DEFAULT_CAPS)).resolves.toBe(false);
  });

  test('verifies a hash with a non-default output length', async () => {
    const encoded = await argon2.hash('length-password', { memoryCost: 1024, timeCost: 1, parallelism: 1, hashLength: 16 });
    await expect(verifyPassword(preparePassword('length-password'), encoded, DEFAULT_CAPS)).resolves.toBe(true);
    const parsed = parsePhc(encoded);
    // A digest cut to a shorter well-formed one (here 16 of 24 bytes) is a different digest.
    const long = await argon2.hash('length-password', { memoryCost: 1024, timeCost: 1, parallelism: 1, hashLength: 24 });
    await expect(verifyPassword(preparePassword('length-password'), long, DEFAULT_CAPS)).resolves.toBe(true);
    const cut = parsePhc(long);
    const truncated = formatPhc({ ...cut, hash: cut.hash.subarray(0, 16) });
    await expect(verifyPassword(preparePassword('length-password'), truncated, DEFAULT_CAPS)).resolves.toBe(false);
    // Cut below 16 bytes, it is unusable (exit 5), not a wrong password.
    const tooShort = formatPhc({ ...parsed, hash: parsed.hash.subarray(0, 8) });
    await expect(verifyPassword(preparePassword('length-password'), tooShort, DEFAULT_CAPS)).rejects.toBeInstanceOf(BadDataError);
  });

  test('a tampered parameter makes the password not verify', async () => {
    const encoded = await hashPassword(password, CHEAP);
    const tampered = encoded.replace('t=1', 't=2');
    await expect(verifyPassword(password, tampered, DEFAULT_CAPS)).resolves.toBe(false);
  });

  test('verifyPassword on a string of no family it reads throws BadDataError (exit 5)', async () => {
    for (const bad of [
      '',
      'hunter2',
      // Cut short: a bcrypt or scrypt string that is whole is read since issue 17.
      '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lh',
      `$scrypt$ln=16,r=8$${SALT_B64}$${HASH_B64}`,
      `$md5$${SALT_B64}$${HASH_B64}`,
    ]) {
      const err = await rejection(verifyPassword(password, bad, DEFAULT_CAPS));
      expect(err).toBeInstanceOf(BadDataError);
      expect((err as BadDataError).exitCode).toBe(ExitCode.badData);
      expect(err.message).toMatch(/stored password hash is unusable/);
    }
  });

  test('a stored hash with m=4194304 is refused by the caps before any hashing', async () => {
    const huge = stored('m=4194304,t=1,p=1');
    const started = process.hrtime.bigint();
    const err = await rejection(verifyPassword(password, huge, DEFAULT_CAPS));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(err).toBeInstanceOf(BadDataError);
    expect((err as BadDataError).exitCode).toBe(5);
    expect(err.message).toMatch(/m=4194304 > 262144/);
    // Hashing at 4 GiB would take seconds (or fail to allocate); a refusal takes microseconds.
    expect(ms).toBeLessThan(100);
  });

  test('caps on t and p are enforced before hashing too', async () => {
    const caps: CostCaps = { maxMemoryCost: 262144, maxTimeCost: 2, maxParallelism: 1 };
    await expect(verifyPassword(password, stored('m=1024,t=3,p=1'), caps)).rejects.toBeInstanceOf(BadDataError);
    await expect(verifyPassword(password, stored('m=1024,t=1,p=2'), caps)).rejects.toBeInstanceOf(BadDataError);
  });
});

describe('decoyHash', () => {
  test('is a well-formed canonical argon2id PHC string at the policy', () => {
    const decoy = decoyHash(DEFAULT_POLICY);
    expect(decoy).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const h = parsePhc(decoy);
    expect(h.salt).toHaveLength(16);
    expect(h.hash).toHaveLength(32);
    expect(weaknesses(decoy, DEFAULT_POLICY)).toEqual([]);
    expect(() => checkCaps(h, DEFAULT_CAPS)).not.toThrow();
  });

  test('is different every time', () => {
    const decoys = new Set(Array.from({ length: 50 }, () => decoyHash(CHEAP)));
    expect(decoys.size).toBe(50);
  });

  test('never verifies, not even for the empty password', async () => {
    for (const pw of ['', 'password', 'correct horse battery staple']) {
      const decoy = decoyHash(CHEAP);
      await expect(verifyPassword(Buffer.from(pw, 'utf8'), decoy, DEFAULT_CAPS)).resolves.toBe(false);
    }
  });

  test('verifying against it costs a hash at the policy (it is not refused early)', async () => {
    const decoy = decoyHash(CHEAP);
    await expect(verifyPassword(preparePassword('some password'), decoy, DEFAULT_CAPS)).resolves.toBe(false);
  });
});
