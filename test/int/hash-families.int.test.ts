/**
 * `user verify` and `user rehash` on every hash family the tool reads, through the built CLI
 * against a real redis-server, with hashes made in this file by independent implementations
 * (test/helpers/reference-hashes.ts: passlib, python-bcrypt, Django's make_password, hashlib,
 * PHP's password_hash) and the Firebase scrypt test vector: the right password exits 0, a wrong
 * one 1; a hostile cost exits 5 without the work; `--rehash` leaves an argon2id hash of the whole
 * password that argon2-cffi verifies.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { firebaseKeyId } from '../../src/core/users/families/firebase.js';
import { argon2CffiVerifies, FIREBASE_VECTOR, pythonBcrypt, referenceHashes } from '../helpers/reference-hashes.js';
import { ndjson, runCli, type CliResult } from '../helpers/cli.js';
import { useTestRedis } from '../helpers/fixture.js';

/** Not ASCII, so that every implementation's UTF-8 is exercised; NFC already. */
const PW = 'Grüße, correct horse battery staple';
const WRONG = 'Grüße, correct horse battery stapler';
/** The firebase/scrypt README's test vector (shared/accounts.md §2.2). */
const FIREBASE = {
  config: FIREBASE_VECTOR.params,
  password: FIREBASE_VECTOR.password,
  salt: FIREBASE_VECTOR.salt,
  hash: FIREBASE_VECTOR.passwordHash,
};
/** What names the project's signer key and separator in a stored hash (the unit tests check the function). */
const FIREBASE_KEY_ID = firebaseKeyId(
  Buffer.from('jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==', 'base64'),
  Buffer.from('Bw==', 'base64'),
);
const CANONICAL_DEFAULT = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

/** Which family each maker's hash is read as. */
const FAMILY: Record<string, string> = {
  'passlib-pbkdf2-sha1': 'passlib-pbkdf2-sha1',
  'passlib-pbkdf2-sha256': 'passlib-pbkdf2-sha256',
  'passlib-pbkdf2-sha512': 'passlib-pbkdf2-sha512',
  'passlib-scrypt': 'passlib-scrypt',
  'python-bcrypt-2b': 'bcrypt',
  'python-bcrypt-2a': 'bcrypt',
  'php-bcrypt-2y': 'bcrypt',
  'django-pbkdf2_sha256': 'django-pbkdf2-sha256',
  'django-pbkdf2_sha1': 'django-pbkdf2-sha1',
  'django-bcrypt_sha256': 'django-bcrypt-sha256',
  'django-bcrypt': 'django-bcrypt',
  'django-argon2': 'django-argon2',
  'django-scrypt': 'django-scrypt',
  'keycloak-pbkdf2-sha256': 'keycloak-pbkdf2-sha256',
  'keycloak-pbkdf2-sha512': 'keycloak-pbkdf2-sha512',
  'php-argon2id': 'argon2id',
  'php-argon2i': 'argon2i',
};

let redis: RedisClientType;
let env: Record<string, string>;
let hashes: Record<string, string>;
let paramsFile: string;
const outputs: CliResult[] = [];
const secrets = new Set([PW, WRONG, FIREBASE.password, 'jxspr8Ki0RYycVU8']);

async function cli(args: string[], password?: string, extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const r = await runCli(args, { env: { ...env, ...extraEnv }, ...(password === undefined ? {} : { input: `${password}\n` }) });
  outputs.push(r);
  return r;
}

const verify = (name: string, password: string, extra: string[] = []) =>
  cli(['user', 'verify', name, '--password-stdin', '--json', ...extra], password);

function verdict(r: CliResult): Record<string, unknown> {
  const lines = ndjson(r.stdout);
  expect(lines).toHaveLength(1);
  return lines[0] ?? {};
}

async function seed(name: string, passwordHash: string): Promise<string> {
  const key = `user:{${name}}`;
  await redis.hSet(key, { password_hash: passwordHash, created_at: '2020-01-01T00:00:00.000Z', updated_at: '2020-01-01T00:00:00.000Z' });
  return key;
}

function firebaseHash(): string {
  return `$firebase-scrypt$ln=14,r=8,k=${FIREBASE_KEY_ID}$${FIREBASE.salt}$${FIREBASE.hash}`;
}

useTestRedis((t) => {
  env = t.env;
  redis = t.redis;
});

beforeAll(() => {
  hashes = referenceHashes(PW);
  const dir = mkdtempSync(join(tmpdir(), 'ra-firebase-'));
  paramsFile = join(dir, 'hash_config.txt');
  writeFileSync(paramsFile, FIREBASE.config, { mode: 0o600 });
}, 120000);

describe('every family made by an independent implementation: right password 0, wrong 1', () => {
  test('the makers wrote every family, each with its own prefix', () => {
    expect(Object.keys(hashes).sort()).toEqual(Object.keys(FAMILY).sort());
    expect(hashes['php-bcrypt-2y']).toMatch(/^\$2y\$10\$/);
    expect(hashes['python-bcrypt-2a']).toMatch(/^\$2a\$10\$/);
    expect(hashes['django-bcrypt_sha256']).toMatch(/^bcrypt_sha256\$\$2b\$12\$/);
    expect(hashes['keycloak-pbkdf2-sha256']).toMatch(/^\{.*"secretData": "\{/);
  });

  test.each(Object.entries(FAMILY))('%s (%s)', async (maker, family) => {
    const name = maker.replace(/_/g, '-');
    await seed(name, hashes[maker] ?? '');
    const right = await verify(name, PW);
    expect([right.code, right.stderr]).toEqual([0, '']);
    const outdated = family !== 'argon2id'; // PHP's argon2id (m=65536,t=4) is stronger than the policy
    expect(verdict(right)).toMatchObject({ user: name, match: true, outdated, rehashed: false });
    if (outdated) expect((verdict(right)['reasons'] as string[])[0]).toBe(`algorithm ${family} (policy argon2id)`);
    const wrong = await verify(name, WRONG);
    expect(wrong.code).toBe(1);
    expect(verdict(wrong)).toStrictEqual({ user: name, match: false, outdated: false, reasons: [], rehashed: false });
    // Nothing was written by a plain verify.
    expect(await redis.hGet(`user:{${name}}`, 'password_hash')).toBe(hashes[maker]);
  });

  test('Firebase scrypt (the firebase/scrypt test vector) with --firebase-params, or its variable', async () => {
    await seed('fb', firebaseHash());
    const right = await verify('fb', FIREBASE.password, ['--firebase-params', paramsFile]);
    expect([right.code, right.stderr]).toEqual([0, '']);
    expect(verdict(right)).toMatchObject({ match: true, outdated: true, reasons: ['algorithm firebase-scrypt (policy argon2id)'] });
    expect((await verify('fb', 'user2password', ['--firebase-params', paramsFile])).code).toBe(1);
    const viaEnv = await cli(['user', 'verify', 'fb', '--password-stdin'], FIREBASE.password, {
      REDIS_ACCOUNTS_FIREBASE_PARAMS: paramsFile,
    });
    expect(viaEnv.code).toBe(0);
  });

  test("Firebase scrypt without the parameters, or with another project's, is a usage error (exit 2)", async () => {
    await seed('fb', firebaseHash());
    const none = await verify('fb', FIREBASE.password);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/needs the project's hash parameters.*--firebase-params/);
    const other = join(mkdtempSync(join(tmpdir(), 'ra-firebase-')), 'other.json');
    writeFileSync(other, FIREBASE.config.replace('Bw==', 'CA=='));
    const wrongProject = await verify('fb', FIREBASE.password, ['--firebase-params', other]);
    expect(wrongProject.code).toBe(2);
    expect(wrongProject.stderr).toMatch(/another project's \(key id [0-9a-f]{16}; this hash needs [0-9a-f]{16}\)/);
    const missing = await verify('fb', FIREBASE.password, ['--firebase-params', '/nonexistent/hash_config']);
    expect([missing.code, missing.stderr]).toEqual([2, 'redis-accounts: cannot read --firebase-params /nonexistent/hash_config: ENOENT\n']);
    expect(await redis.hGet('user:{fb}', 'password_hash')).toBe(firebaseHash());
  });
});

describe("bcrypt's 72 bytes", () => {
  // 80 bytes: python-bcrypt hashes its first 72, as every bcrypt does.
  const LONG = `${'0123456789'.repeat(7)}ab-tail-89`;
  const SAME_72 = `${LONG.slice(0, 72)}XXXXXXXX`;
  const DIFFERENT = `${LONG.slice(0, 71)}Z-tail-8`;

  test('verify reads the first 72 bytes as the legacy system did; --rehash stores argon2id of the whole password', async () => {
    expect(Buffer.byteLength(LONG)).toBe(80);
    const key = await seed('long', pythonBcrypt(Buffer.from(LONG)));
    const same = await verify('long', SAME_72);
    expect(same.code).toBe(0);
    expect(verdict(same)['reasons']).toEqual(['algorithm bcrypt (policy argon2id)', 'reads only the first 72 bytes of a password']);
    expect((await verify('long', DIFFERENT)).code).toBe(1);
    const r = await verify('long', LONG, ['--rehash']);
    expect(verdict(r)).toMatchObject({ match: true, rehashed: true });
    const upgraded = (await redis.hGet(key, 'password_hash')) ?? '';
    expect(upgraded).toMatch(CANONICAL_DEFAULT);
    expect(argon2CffiVerifies(upgraded, LONG)).toBe(true);
    // The whole password now counts: what shared the first 72 bytes no longer matches.
    expect(argon2CffiVerifies(upgraded, SAME_72)).toBe(false);
    expect((await verify('long', SAME_72)).code).toBe(1);
    expect((await verify('long', LONG)).code).toBe(0);
  });
});

describe('upgrading a foreign hash after a successful verify', () => {
  test.each(['php-bcrypt-2y', 'django-pbkdf2_sha256', 'keycloak-pbkdf2-sha512', 'passlib-scrypt', 'django-argon2'])(
    'verify --rehash: %s becomes argon2id at the policy, which argon2-cffi verifies',
    async (maker) => {
      const key = await seed('mover', hashes[maker] ?? '');
      const wrong = await verify('mover', WRONG, ['--rehash']);
      expect(verdict(wrong)).toMatchObject({ match: false, rehashed: false });
      expect(await redis.hGet(key, 'password_hash')).toBe(hashes[maker]);
      const r = await verify('mover', PW, ['--rehash']);
      expect(r.code).toBe(0);
      expect(verdict(r)).toMatchObject({ match: true, outdated: true, rehashed: true });
      const rec = await redis.hGetAll(key);
      expect(rec['password_hash']).toMatch(CANONICAL_DEFAULT);
      expect(rec['created_at']).toBe('2020-01-01T00:00:00.000Z');
      expect(rec['updated_at']).not.toBe('2020-01-01T00:00:00.000Z');
      expect(argon2CffiVerifies(rec['password_hash'] ?? '', PW)).toBe(true);
      expect(verdict(await verify('mover', PW))).toMatchObject({ match: true, outdated: false });
    },
  );

  test('user rehash <name> upgrades a Firebase hash (with the parameters)', async () => {
    const key = await seed('fb', firebaseHash());
    const r = await cli(['user', 'rehash', 'fb', '--password-stdin', '--json', '--firebase-params', paramsFile], FIREBASE.password);
    expect(r.code).toBe(0);
    expect(ndjson(r.stdout)).toEqual([{ user: 'fb', rehashed: true, reasons: ['algorithm firebase-scrypt (policy argon2id)'] }]);
    const upgraded = (await redis.hGet(key, 'password_hash')) ?? '';
    expect(argon2CffiVerifies(upgraded, FIREBASE.password)).toBe(true);
  });
});

describe('user rehash --check', () => {
  test('reports every foreign family as outdated with its reason, without verifying anything', async () => {
    for (const maker of Object.keys(FAMILY)) await seed(maker.replace(/_/g, '-'), hashes[maker] ?? '');
    await seed('fb', firebaseHash());
    const r = await cli(['user', 'rehash', '--check', '--json']);
    expect(r.code).toBe(1);
    const rows = new Map(ndjson(r.stdout).map((o) => [o['user'] as string, o['reasons'] as string[]]));
    // PHP's argon2id is stronger than the policy: not listed. Every other one is.
    expect([...rows.keys()].sort()).toEqual(
      [...Object.keys(FAMILY).filter((m) => m !== 'php-argon2id'), 'fb'].map((m) => m.replace(/_/g, '-')).sort(),
    );
    for (const [maker, family] of Object.entries(FAMILY)) {
      if (family === 'argon2id' || family === 'argon2i') continue;
      expect(rows.get(maker.replace(/_/g, '-'))?.[0]).toBe(`algorithm ${family} (policy argon2id)`);
    }
    expect(rows.get('php-argon2i')).toEqual(['algorithm argon2i (policy argon2id)']);
    expect(rows.get('fb')).toEqual(['algorithm firebase-scrypt (policy argon2id)']);
    expect(r.stderr).toBe(
      `${Object.keys(FAMILY).length + 1} users checked, ${Object.keys(FAMILY).length} with outdated or unusable hashes.\n`,
    );
  });
});

describe('hostile costs: exit 5 before any work', () => {
  const b64 = (b: Buffer) => b.toString('base64');
  const ab64 = (b: Buffer) => b64(b).replace(/=+$/, '').replace(/\+/g, '.');
  const salt = Buffer.from('0123456789abcdef');
  // Each would take hours or days (or many GiB) if computed.
  const HOSTILE: Array<[string, string, RegExp]> = [
    ['bcrypt cost 31', '$2y$31$jPHrymMrfPXSyQ4F069yjOu/rGiWqM3OuKPIIF5/lefc7N3t5vLZi', /bcrypt cost 31 > 16/],
    [
      'Django PBKDF2, 4e9 iterations',
      `pbkdf2_sha256$4000000000$salt$${b64(Buffer.alloc(32, 1))}`,
      /PBKDF2-SHA256 iterations 4000000000 > 6000000/,
    ],
    ['passlib scrypt N=2^30', `$scrypt$ln=30,r=8,p=1$${ab64(salt)}$${ab64(Buffer.alloc(32, 1))}`, /scrypt memory \d+ MiB > 256 MiB/],
    ['Django scrypt p=1000', `scrypt$16384$salt$8$1000$${b64(Buffer.alloc(64, 1))}`, /scrypt N\*r\*p 131072000 > 4194304/],
    [
      'Keycloak 1e9 iterations',
      JSON.stringify({
        secretData: JSON.stringify({ value: b64(Buffer.alloc(64, 1)), salt: b64(salt) }),
        credentialData: JSON.stringify({ hashIterations: 1e9, algorithm: 'pbkdf2-sha512' }),
      }),
      /PBKDF2-SHA512 iterations 1000000000 > 2200000/,
    ],
    ['Firebase mem_cost 30', `$firebase-scrypt$ln=30,r=8,k=0123456789abcdef$${b64(salt)}$${b64(Buffer.alloc(64, 1))}`, /scrypt memory/],
  ];

  test.each(HOSTILE)('%s', async (_label, stored, why) => {
    await seed('hostile', stored);
    const started = Date.now();
    const r = await verify('hostile', PW, ['--firebase-params', paramsFile]);
    const elapsed = Date.now() - started;
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^redis-accounts: stored password hash asks for more than the caps allow \(.*\) \(hint: the caps on bcrypt, PBKDF2 and scrypt costs are fixed/,
    );
    expect(r.stderr).toMatch(why);
    // The work would take hours; this is the CLI's start-up and one Redis read.
    expect(elapsed).toBeLessThan(5000);
    expect(await redis.hGet('user:{hostile}', 'password_hash')).toBe(stored);
    // rehash <name> refuses it the same way; rehash --check lists it as unusable.
    expect((await cli(['user', 'rehash', 'hostile', '--password-stdin', '--firebase-params', paramsFile], PW)).code).toBe(5);
    const check = await cli(['user', 'rehash', '--check', '--json']);
    expect(check.code).toBe(1);
    expect(ndjson(check.stdout)).toEqual([{ user: 'hostile', reasons: [expect.stringMatching(why)] }]);
    expect(check.stderr).toContain('(1 unusable)');
  });
});

describe('secrecy', () => {
  // Declared last, so it runs after every other test of this file (jest keeps file order).
  test('no password, and no part of the Firebase signer key, ever appeared on stdout or stderr', () => {
    expect(outputs.length).toBeGreaterThan(40);
    for (const r of outputs) {
      for (const s of secrets) {
        expect(r.stdout).not.toContain(s);
        expect(r.stderr).not.toContain(s);
      }
    }
  });
});
