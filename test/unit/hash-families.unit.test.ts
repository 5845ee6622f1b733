/**
 * The hash families (src/core/users/families/): detection, parameters, caps, strict formats,
 * and verification against the recorded reference vectors of shared/accounts.md §2.2 (made by
 * PHP, passlib, python-bcrypt, Django 3.2 and firebase/scrypt). test/int/hash-families.int.test.ts
 * makes fresh hashes with those implementations at test time and checks them through the CLI.
 */
import { createHash, pbkdf2Sync } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, test } from '@jest/globals';
import { DEFAULT_CAPS, DEFAULT_POLICY, FOREIGN_CAPS } from '../../src/core/defaults.js';
import { BadDataError, ExitCode, UsageError } from '../../src/core/errors.js';
import { firebaseKeyId, formatFirebaseHash, parseFirebaseParams } from '../../src/core/users/families/firebase.js';
import { describeHash, parseStoredHash, type FirebaseParams } from '../../src/core/users/families/index.js';
import { verifyPassword, weaknesses } from '../../src/core/users/hashing.js';

const PW = Buffer.from('correct horse battery staple');
const WRONG = Buffer.from('Correct horse battery staple');

/** shared/accounts.md §2.2: each verifies PW and not WRONG. */
const VECTORS: Array<[family: string, stored: string]> = [
  ['argon2id', '$argon2id$v=19$m=65536,t=4,p=1$Y1U1b2wvRkpacE9VQ2JUNA$lmKARWWUIRF0MA3NPgx+ZvVyQPxeAJJ6makAqAVdzfk'],
  ['argon2id', '$argon2id$v=19$m=102400,t=2,p=8$b611DgEg5BxD6N07Z6yVkg$a245QzvbEIntbZE+D8h3Hw'],
  ['argon2i', '$argon2i$v=19$m=102400,t=2,p=8$xzhHaC2F8J5TqjXmnPMeww$SFGO7RFKyDObPKMYNABylg'],
  ['argon2d', '$argon2d$v=19$m=102400,t=2,p=8$9d773zvHeI/xnrPWWoux1g$5vGMMr5mL31pbU6e5FktGQ'],
  ['bcrypt', '$2y$10$jPHrymMrfPXSyQ4F069yjOu/rGiWqM3OuKPIIF5/lefc7N3t5vLZi'],
  ['bcrypt', '$2b$12$Z648vJjyAf7KmQwnH1SI0OQOpNJlCOQYquUa1k74jWoLPkKFf5hMC'],
  ['bcrypt', '$2a$10$bI.TphIQYV7SV.DCgVltjuf86BpnX/cNRfjnc8djXj4ISveP3Mf1y'],
  ['django-pbkdf2-sha256', 'pbkdf2_sha256$260000$A86rYuU6lrXlWdzIJ2ukNA$TfAzti4Jpf33aGqxjoKdm/zTJ7rOcKMzLM4tGQDd4mg='],
  ['django-bcrypt-sha256', 'bcrypt_sha256$$2b$12$pTKx88mzQWQhFQWuw8z/Uu/icqQuTHX3YtwKv8V0WY4DowJiQsmhK'],
  ['django-argon2', 'argon2$argon2id$v=19$m=102400,t=2,p=8$bktDNWQ1TnVLdVpscjZtWjRjdzBEZQ$btMJ5VXnSKx/+M/5qU0UDw'],
  ['passlib-pbkdf2-sha256', '$pbkdf2-sha256$29000$4Lw3xniv1XqPkfLee2.tlQ$Ui4vFTKCZHXG/d2Bmcp8H5vHh9IKDcbXgMFmEXnp7e4'],
  [
    'passlib-pbkdf2-sha512',
    '$pbkdf2-sha512$25000$c45R6r2X8r733vvfO2cMgQ$LBVNQdO6cEYkHxdOYudkBR11m8.T5JmvoKbGjkiHjawvY3kidaPuCSvax/G/ZZXej3mxSNOqC3tMftx42SaPWA',
  ],
  ['passlib-scrypt', '$scrypt$ln=16,r=8,p=1$6R0jxJjz3jvHOCcE4NzbOw$Jy8mNQf5MyPMBdSHOra25k5A3WcOeDkoeu3eLL+4wF4'],
];

/** The firebase/scrypt README's test vector (shared/accounts.md §2.2). */
const FIREBASE_CONFIG = `hash_config {
  algorithm: SCRYPT,
  base64_signer_key: jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==,
  base64_salt_separator: Bw==,
  rounds: 8,
  mem_cost: 14,
}`;
const FIREBASE_SALT = Buffer.from('42xEC+ixf3L2lw==', 'base64');
const FIREBASE_HASH = Buffer.from('lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==', 'base64');

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, none was thrown');
}

/** A Keycloak realm export's credential, secretData and credentialData as JSON strings. */
function keycloak(algorithm: string, iterations: number, salt: Buffer, value: Buffer): string {
  return JSON.stringify({
    id: 'b1c2',
    type: 'password',
    createdDate: 1700000000000,
    secretData: JSON.stringify({ value: value.toString('base64'), salt: salt.toString('base64'), additionalParameters: {} }),
    credentialData: JSON.stringify({ hashIterations: iterations, algorithm, additionalParameters: {} }),
  });
}

describe('reference vectors: right password true, wrong false', () => {
  test.each(VECTORS)('%s %s', async (family, stored) => {
    const h = parseStoredHash(stored, DEFAULT_CAPS);
    expect(h.family).toBe(family);
    expect(await h.verify(PW)).toBe(true);
    expect(await h.verify(WRONG)).toBe(false);
  });

  test('Firebase scrypt with the project parameters', async () => {
    const params = parseFirebaseParams(FIREBASE_CONFIG);
    const stored = formatFirebaseHash(params, FIREBASE_SALT, FIREBASE_HASH);
    expect(stored).toBe(`$firebase-scrypt$ln=14,r=8,k=${params.keyId}$42xEC+ixf3L2lw==$${FIREBASE_HASH.toString('base64')}`);
    const h = parseStoredHash(stored, DEFAULT_CAPS);
    expect(h.family).toBe('firebase-scrypt');
    expect(await h.verify(Buffer.from('user1password'), { firebase: params })).toBe(true);
    expect(await h.verify(Buffer.from('user2password'), { firebase: params })).toBe(false);
  });

  test('Keycloak credentials (pbkdf2, pbkdf2-sha256, pbkdf2-sha512), as strings or objects', async () => {
    const salt = Buffer.from('0123456789abcdef');
    for (const [algorithm, digest, family] of [
      ['pbkdf2-sha256', 'sha256', 'keycloak-pbkdf2-sha256'],
      ['pbkdf2-sha512', 'sha512', 'keycloak-pbkdf2-sha512'],
      ['pbkdf2', 'sha1', 'keycloak-pbkdf2-sha1'],
    ] as const) {
      // Keycloak's default 64-byte key, computed as Java's PBKDF2WithHmacSHA* does: UTF-8 of the password.
      const value = pbkdf2Sync(PW, salt, 1000, 64, digest);
      const stored = keycloak(algorithm, 1000, salt, value);
      const h = parseStoredHash(stored, DEFAULT_CAPS);
      expect([h.family, h.params]).toEqual([family, { digest, iterations: 1000, keyBytes: 64 }]);
      expect(await h.verify(PW)).toBe(true);
      expect(await h.verify(WRONG)).toBe(false);
    }
    const objects = JSON.stringify({
      secretData: { value: pbkdf2Sync(PW, salt, 1000, 32, 'sha256').toString('base64'), salt: salt.toString('base64') },
      credentialData: { hashIterations: 1000, algorithm: 'pbkdf2-sha256' },
    });
    expect(await parseStoredHash(objects, DEFAULT_CAPS).verify(PW)).toBe(true);
  });

  test('Keycloak pads passwords shorter than 14 characters with NULs (FIPS): the same PBKDF2', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const padded = pbkdf2Sync(Buffer.concat([Buffer.from('short'), Buffer.alloc(9)]), salt, 1000, 64, 'sha256');
    expect(await parseStoredHash(keycloak('pbkdf2-sha256', 1000, salt, padded), DEFAULT_CAPS).verify(Buffer.from('short'))).toBe(true);
  });

  test('verifyPassword takes every family', async () => {
    for (const [, stored] of VECTORS.slice(4, 9)) expect(await verifyPassword(PW, stored, DEFAULT_CAPS)).toBe(true);
  });
});

describe('bcrypt: 72 bytes, as the legacy systems verify', () => {
  /** python3-bcrypt's hash of "a" x 72 (shared/accounts.md §2.2). */
  const A72 = '$2b$10$VN4cDhAEDHaY7JeZaE2Are8jl5J0PpV7DLxN90QpfvNCiN/R5wasy';

  test('a 73-byte password sharing the first 72 bytes verifies (truncation), one differing within them does not', async () => {
    const h = parseStoredHash(A72, DEFAULT_CAPS);
    expect(h.readsBytes).toBe(72);
    expect(await h.verify(Buffer.from('a'.repeat(72)))).toBe(true);
    expect(await h.verify(Buffer.from(`${'a'.repeat(72)}b`))).toBe(true);
    expect(await h.verify(Buffer.from(`${'a'.repeat(71)}b`))).toBe(false);
  });

  test('the same under $2a$ and $2y$', async () => {
    for (const prefix of ['$2a$', '$2y$']) {
      const h = parseStoredHash(A72.replace('$2b$', prefix), DEFAULT_CAPS);
      expect(await h.verify(Buffer.from(`${'a'.repeat(72)}b`))).toBe(true);
      expect(await h.verify(Buffer.from(`${'a'.repeat(71)}b`))).toBe(false);
    }
  });

  test('$2a$ of a 300-byte password: its first 72 bytes, not the 8-bit length wrap of OpenBSD (native bcrypt)', async () => {
    // python3-bcrypt 3.2.2: hashpw(pw, gensalt(4, b"2a")); PHP's password_verify agrees.
    const pw = Buffer.from(Array.from({ length: 300 }, (_, i) => (Math.floor(i / 26) % 2 === 0 ? 97 : 65) + (i % 26)));
    const h = parseStoredHash('$2a$04$2dNtjc.1aF3IKf10U3I.0.dIGW8lgp37.yhhNtK99yPU7cv0NAmJC', DEFAULT_CAPS);
    expect(await h.verify(pw)).toBe(true);
    expect(await h.verify(pw.subarray(0, 72))).toBe(true);
    // (300 + 1) mod 256 = 45: what the wrap would have read.
    expect(await h.verify(pw.subarray(0, 45))).toBe(false);
  });

  test('it is said among the reasons, and Django bcrypt_sha256 (pre-hashed) reads the whole password', () => {
    expect(describeHash(A72).outdated(DEFAULT_POLICY)).toEqual([
      'algorithm bcrypt (policy argon2id)',
      'reads only the first 72 bytes of a password',
    ]);
    const sha = describeHash('bcrypt_sha256$$2b$12$pTKx88mzQWQhFQWuw8z/Uu/icqQuTHX3YtwKv8V0WY4DowJiQsmhK');
    expect(sha.readsBytes).toBeUndefined();
    expect(sha.outdated(DEFAULT_POLICY)).toEqual(['algorithm django-bcrypt-sha256 (policy argon2id)']);
  });
});

describe('detection and parameters', () => {
  test.each([
    ['$2y$10$jPHrymMrfPXSyQ4F069yjOu/rGiWqM3OuKPIIF5/lefc7N3t5vLZi', 'bcrypt', { variant: '2y', cost: 10 }],
    ['bcrypt$$2b$12$Z648vJjyAf7KmQwnH1SI0OQOpNJlCOQYquUa1k74jWoLPkKFf5hMC', 'django-bcrypt', { variant: '2b', cost: 12 }],
    [
      'pbkdf2_sha256$260000$A86rYuU6lrXlWdzIJ2ukNA$TfAzti4Jpf33aGqxjoKdm/zTJ7rOcKMzLM4tGQDd4mg=',
      'django-pbkdf2-sha256',
      { digest: 'sha256', iterations: 260000, keyBytes: 32 },
    ],
    [
      '$scrypt$r=8,p=1,ln=16$6R0jxJjz3jvHOCcE4NzbOw$Jy8mNQf5MyPMBdSHOra25k5A3WcOeDkoeu3eLL+4wF4',
      'passlib-scrypt',
      { ln: 16, r: 8, p: 1, keyBytes: 32 },
    ],
    [
      '$argon2id$v=19$m=65536,p=1,t=4$Y1U1b2wvRkpacE9VQ2JUNA$lmKARWWUIRF0MA3NPgx+ZvVyQPxeAJJ6makAqAVdzfk',
      'argon2id',
      { variant: 'argon2id', version: 19, m: 65536, t: 4, p: 1, hashBytes: 32 },
    ],
  ])('%s is %s', (stored, family, params) => {
    const info = describeHash(stored);
    expect(info.family).toBe(family);
    expect(info.params).toEqual(params);
  });

  test('nothing printable holds the salt or the digest: JSON, inspect, params', () => {
    const salt = Buffer.from('0123456789abcdef');
    const value = pbkdf2Sync(PW, salt, 1000, 64, 'sha256');
    const stored = [
      ...VECTORS.map(([, s]) => s),
      keycloak('pbkdf2-sha256', 1000, salt, value),
      formatFirebaseHash(parseFirebaseParams(FIREBASE_CONFIG), FIREBASE_SALT, FIREBASE_HASH),
    ];
    for (const s of stored) {
      const h = parseStoredHash(s, DEFAULT_CAPS);
      const shown = `${JSON.stringify(h)} ${inspect(h, { depth: 5, showHidden: true })} ${JSON.stringify(describeHash(s))}`;
      // Every run of 8 or more characters of the secret fields: none appears.
      const secrets = s.startsWith('{') ? [value.toString('base64'), salt.toString('base64')] : s.split('$').slice(-2);
      for (const secret of secrets) {
        for (let i = 0; i + 8 <= secret.length; i += 4) expect(shown).not.toContain(secret.slice(i, i + 8));
      }
    }
  });

  test('every foreign family is outdated against the policy; argon2id at or above it is not', () => {
    expect(weaknesses(VECTORS[0]?.[1] ?? '', DEFAULT_POLICY)).toEqual([]); // PHP's m=65536,t=4: stronger
    for (const [family, stored] of VECTORS.slice(4)) {
      expect(weaknesses(stored, DEFAULT_POLICY)[0]).toBe(`algorithm ${family} (policy argon2id)`);
    }
    // passlib's argon2id is at a higher cost, but its digest is 16 bytes.
    expect(weaknesses(VECTORS[1]?.[1] ?? '', DEFAULT_POLICY)).toEqual(['hash of 16 bytes (policy 32)']);
    // Django's argon2 wrapper is outdated by its form, plus what its argon2 lacks.
    expect(weaknesses(VECTORS[9]?.[1] ?? '', DEFAULT_POLICY)).toEqual([
      'algorithm django-argon2 (policy argon2id)',
      'hash of 16 bytes (policy 32)',
    ]);
  });
});

describe('caps: a hostile record is refused (exit 5) at parse, before any work', () => {
  const salt = Buffer.from('0123456789abcdef');
  const b64 = (b: Buffer) => b.toString('base64');
  const ab64 = (b: Buffer) => b64(b).replace(/=+$/, '').replace(/\+/g, '.');
  const d32 = Buffer.alloc(32, 1);

  test.each([
    ['bcrypt cost 31', '$2b$31$Z648vJjyAf7KmQwnH1SI0OQOpNJlCOQYquUa1k74jWoLPkKFf5hMC', /bcrypt cost 31 > 16/],
    ['bcrypt cost 17 (Django)', 'bcrypt_sha256$$2b$17$pTKx88mzQWQhFQWuw8z/Uu/icqQuTHX3YtwKv8V0WY4DowJiQsmhK', /bcrypt cost 17 > 16/],
    ['Django PBKDF2 1e9 iterations', `pbkdf2_sha256$1000000000$salt$${b64(d32)}`, /PBKDF2-SHA256 iterations 1000000000 > 6000000/],
    [
      'passlib PBKDF2-SHA512 3M',
      `$pbkdf2-sha512$3000000$${ab64(salt)}$${ab64(Buffer.alloc(64, 1))}`,
      /PBKDF2-SHA512 iterations 3000000 > 2200000/,
    ],
    [
      'Keycloak 64-byte SHA-256 key at 4M: two blocks',
      keycloak('pbkdf2-sha256', 4000000, salt, Buffer.alloc(64, 1)),
      /4000000 x 2 blocks > 6000000/,
    ],
    ['passlib scrypt ln=30', `$scrypt$ln=30,r=8,p=1$${ab64(salt)}$${ab64(d32)}`, /scrypt memory 104857[67] MiB > 256 MiB/],
    ['passlib scrypt p=64', `$scrypt$ln=14,r=8,p=64$${ab64(salt)}$${ab64(d32)}`, /scrypt N\*r\*p 8388608 > 4194304/],
    ['Django scrypt r=1024', `scrypt$16384$salt$1024$1$${b64(Buffer.alloc(64, 1))}`, /scrypt memory 204[89] MiB > 256 MiB/],
    ['Firebase mem_cost 31', `$firebase-scrypt$ln=31,r=8,k=0123456789abcdef$${b64(salt)}$${b64(Buffer.alloc(64))}`, /scrypt memory/],
    [
      'argon2 m=4194304',
      '$argon2id$v=19$m=4194304,t=1,p=1$Y1U1b2wvRkpacE9VQ2JUNA$lmKARWWUIRF0MA3NPgx+ZvVyQPxeAJJ6makAqAVdzfk',
      /m=4194304 > 262144/,
    ],
  ])('%s', (_label, stored, why) => {
    // parseStoredHash is synchronous: a refusal here comes before any hashing could start.
    const err = thrown(() => parseStoredHash(stored, DEFAULT_CAPS));
    expect(err).toBeInstanceOf(BadDataError);
    expect((err as BadDataError).exitCode).toBe(ExitCode.badData);
    expect(err.message).toMatch(/asks for more than the caps allow/);
    expect(err.message).toMatch(why);
    // Described (for listing), it is not refused: nothing is computed.
    expect(() => describeHash(stored)).not.toThrow();
  });

  test('the caps admit the costs real writers use', () => {
    const ok = [
      `$2b$${FOREIGN_CAPS.bcryptCost}$Z648vJjyAf7KmQwnH1SI0OQOpNJlCOQYquUa1k74jWoLPkKFf5hMC`,
      `pbkdf2_sha256$1200000$salt$${b64(d32)}`, // Django raises its default each release: 1M in 5.2
      `$pbkdf2-sha512$220000$${ab64(salt)}$${ab64(Buffer.alloc(64, 1))}`,
      keycloak('pbkdf2-sha512', 210000, salt, Buffer.alloc(64, 1)), // Keycloak 24's default
      `$scrypt$ln=17,r=8,p=1$${ab64(salt)}$${ab64(d32)}`, // OWASP
      `scrypt$16384$salt$8$5$${b64(Buffer.alloc(64, 1))}`, // Django's default
    ];
    for (const stored of ok) expect(() => parseStoredHash(stored, DEFAULT_CAPS)).not.toThrow();
  });
});

describe('strict formats: unusable is exit 5, never a wrong password', () => {
  const django = 'pbkdf2_sha256$260000$A86rYuU6lrXlWdzIJ2ukNA$TfAzti4Jpf33aGqxjoKdm/zTJ7rOcKMzLM4tGQDd4mg=';
  test.each([
    ['bcrypt cut short', '$2b$12$Z648vJjyAf7KmQwnH1SI0OQOpNJlCOQYquUa1k74jWoLPkKFf5hM', /not a bcrypt string/],
    ['bcrypt $2x$ (PHP crypt_blowfish bug)', '$2x$10$jPHrymMrfPXSyQ4F069yjOu/rGiWqM3OuKPIIF5/lefc7N3t5vLZi', /algorithm "2x"/],
    ['bcrypt cost 03', '$2b$03$Z648vJjyAf7KmQwnH1SI0OQOpNJlCOQYquUa1k74jWoLPkKFf5hMC', /cost 3 is outside/],
    ['Django digest cut at 4 characters', django.slice(0, -4), /not 32|not base64/],
    ['Django digest without padding', django.slice(0, -1), /not base64/],
    [
      'Django with a part missing',
      'pbkdf2_sha256$260000$TfAzti4Jpf33aGqxjoKdm/zTJ7rOcKMzLM4tGQDd4mg=',
      /not a Django pbkdf2_sha256 string/,
    ],
    ['Django iterations 0', django.replace('260000', '0'), /iterations must be at least 1/],
    ['Django iterations with a sign', django.replace('260000', '+260000'), /not a decimal/],
    [
      'passlib digest cut',
      '$pbkdf2-sha256$29000$4Lw3xniv1XqPkfLee2.tlQ$Ui4vFTKCZHXG/d2Bmcp8H5vHh9IKDcbXgMFmEXnp7e',
      /not canonical|not 32/,
    ],
    [
      'Kratos scrypt (ln is N)',
      '$scrypt$ln=16384,r=8,p=1$6R0jxJjz3jvHOCcE4NzbOw$Jy8mNQf5MyPMBdSHOra25k5A3WcOeDkoeu3eLL+4wF4',
      /Ory Kratos/,
    ],
    [
      'scrypt parameter twice',
      '$scrypt$ln=16,r=8,r=8,p=1$6R0jxJjz3jvHOCcE4NzbOw$Jy8mNQf5MyPMBdSHOra25k5A3WcOeDkoeu3eLL+4wF4',
      /given twice/,
    ],
    ['Django scrypt N not a power of 2', `scrypt$10000$salt$8$1$${Buffer.alloc(64, 1).toString('base64')}`, /power of 2/],
    ['Keycloak not JSON', '{"secretData": ', /not JSON/],
    [
      'Keycloak argon2',
      JSON.stringify({ secretData: '{"value":"AAAA","salt":"AAAA"}', credentialData: '{"algorithm":"argon2"}' }),
      /"argon2" is not one of/,
    ],
    ['Keycloak OTP', JSON.stringify({ type: 'otp', secretData: '{}', credentialData: '{}' }), /not of type "password"/],
    ['Firebase without key id', '$firebase-scrypt$ln=14,r=8$42xEC+ixf3L2lw==$AAAAAAAAAAAAAAAAAAAAAA==', /parameters ln, r, k are required/],
    ['Django MD5', 'md5$salt$0123456789abcdef0123456789abcdef', /algorithm "md5" is not one this tool reads/],
    ['plaintext', 'hunter2$hunter2$x', /not a password hash this tool reads/],
    ['empty', '', /not a password hash this tool reads/],
    ['5000 characters', `{${' '.repeat(5000)}}`, /too long/],
  ])('%s', (_label, stored, why) => {
    const err = thrown(() => parseStoredHash(stored, DEFAULT_CAPS));
    expect(err).toBeInstanceOf(BadDataError);
    expect(err.message).toMatch(/^stored password hash is unusable: /);
    expect(err.message).toMatch(why);
  });

  test('a plaintext password stored by mistake is never quoted', () => {
    for (const plain of ['hunter2$hunter2$x', 'correct horse battery staple', 'admin$secret$1']) {
      expect(thrown(() => parseStoredHash(plain, DEFAULT_CAPS)).message).not.toContain(plain.slice(0, 5));
    }
  });
});

describe('Firebase project parameters', () => {
  const key = 'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==';

  test('the console text and JSON give the same parameters and key id', () => {
    const fromText = parseFirebaseParams(FIREBASE_CONFIG);
    const fromJson = parseFirebaseParams(
      JSON.stringify({ algorithm: 'SCRYPT', base64_signer_key: key, base64_salt_separator: 'Bw==', rounds: 8, mem_cost: 14 }),
    );
    expect(fromJson).toEqual(fromText);
    expect([fromText.rounds, fromText.memCost, fromText.saltSeparator.toString('hex')]).toEqual([8, 14, '07']);
    expect(fromText.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(fromText.keyId).toBe(firebaseKeyId(Buffer.from(key, 'base64'), Buffer.from([7])));
    // The key id is not a digest of the key alone, and it changes with the separator.
    expect(fromText.keyId).not.toBe(createHash('sha256').update(Buffer.from(key, 'base64')).digest('hex').slice(0, 16));
    expect(firebaseKeyId(Buffer.from(key, 'base64'), Buffer.from([8]))).not.toBe(fromText.keyId);
  });

  test.each([
    ['a missing field', FIREBASE_CONFIG.replace(/\s*rounds: 8,/, ''), /lack rounds/],
    ['another algorithm', FIREBASE_CONFIG.replace('SCRYPT', 'BCRYPT'), /not for SCRYPT/],
    ['a key that is not base64', FIREBASE_CONFIG.replace(key, 'not-base64'), /unusable: base64_signer_key/],
    ['a field twice', `${FIREBASE_CONFIG}\nrounds: 8`, /rounds twice/],
  ])('%s is a usage error (exit 2) that never quotes the key', (_label, text, why) => {
    const err = thrown(() => parseFirebaseParams(text));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(why);
    expect(err.message).not.toContain(key.slice(0, 8));
  });

  test("verifying needs the parameters, and another project's are refused by key id", async () => {
    const params = parseFirebaseParams(FIREBASE_CONFIG);
    const h = parseStoredHash(formatFirebaseHash(params, FIREBASE_SALT, FIREBASE_HASH), DEFAULT_CAPS);
    await expect(h.verify(Buffer.from('user1password'))).rejects.toThrow(/needs the project's hash parameters/);
    const other: FirebaseParams = parseFirebaseParams(FIREBASE_CONFIG.replace('Bw==', 'CA=='));
    await expect(h.verify(Buffer.from('user1password'), { firebase: other })).rejects.toThrow(/another project's/);
  });
});
