/**
 * --pepper-file (README: Pepper) through the built CLI against a real redis-server: add, verify
 * (right, wrong, without the file: exit 5), rolling a new key out on the next verify, rehash
 * --check, passwd, foreign families, refused files; argon2-cffi verifies a stored hash given
 * base64(HMAC-SHA-256(key, password)) computed in Python, as an application would; and the key
 * never reaches the output, the audit trail or Redis.
 */
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { replaceHash } from '../../src/core/users/store.js';
import { argon2CffiVerifies, pythonBcrypt } from '../helpers/reference-hashes.js';
import { ndjson, runCli, type CliResult } from '../helpers/cli.js';
import { useTestRedis } from '../helpers/fixture.js';

/** Not ASCII and not NFC as typed (e + U+0301), so that the HMAC's input is the NFC UTF-8 in both languages. */
const PW = 'Grüße, cafe\u0301 correct horse battery staple';
const NEW_PW = 'a new passphrase of several words, ready';
const K1 = randomBytes(32);
const K2 = randomBytes(48);
const dir = mkdtempSync(join(tmpdir(), 'ra-pepper-'));

let redis: RedisClientType;
let env: Record<string, string>;
const outputs: CliResult[] = [];
const auditLog = join(dir, 'audit.ndjson');

/** A pepper file of these lines, mode 0600; its path. */
function pepperFile(name: string, lines: string[], mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`, { mode });
  chmodSync(path, mode);
  return path;
}
const line = (id: string, key: Buffer) => `${id}:${key.toString('base64')}`;

let ONLY_K1: string;
let K2_THEN_K1: string;
let ONLY_K2: string;

async function cli(args: string[], password?: string): Promise<CliResult> {
  const r = await runCli([...args, '--audit-log', auditLog], { env, ...(password === undefined ? {} : { input: `${password}\n` }) });
  outputs.push(r);
  return r;
}
const add = (name: string, extra: string[]) => cli(['user', 'add', name, '--password-stdin', ...extra], PW);
const verify = (name: string, password: string, extra: string[]) =>
  cli(['user', 'verify', name, '--password-stdin', '--json', ...extra], password);

function verdict(r: CliResult): Record<string, unknown> {
  const lines = ndjson(r.stdout);
  expect(lines).toHaveLength(1);
  return lines[0] ?? {};
}

/** What an application verifying hashes itself does (README: Pepper), in Python with argon2-cffi. */
function appVerifies(stored: string, key: Buffer, password: string): boolean {
  const py = [
    'import sys, hmac, hashlib, base64, unicodedata, argon2',
    'stored, key, pw = sys.stdin.buffer.read().decode("utf-8").split("\\n", 2)',
    'msg = unicodedata.normalize("NFC", pw).encode("utf-8")',
    'peppered = base64.b64encode(hmac.new(base64.b64decode(key), msg, hashlib.sha256).digest()).decode("ascii")',
    'try:',
    '    print(argon2.PasswordHasher().verify(stored, peppered))',
    'except argon2.exceptions.VerifyMismatchError:',
    '    print(False)',
  ].join('\n');
  // The key goes over stdin, never argv.
  const r = spawnSync('/usr/bin/python3', ['-c', py], { input: `${stored}\n${key.toString('base64')}\n${password}`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`argon2-cffi failed: ${r.stderr}`);
  return r.stdout.trim() === 'True';
}

useTestRedis((t) => {
  env = t.env;
  redis = t.redis;
});

beforeAll(() => {
  ONLY_K1 = pepperFile('k1', ['# the first key', line('k1', K1)]);
  K2_THEN_K1 = pepperFile('k2-k1', ['# rolled out: k2 first, k1 kept until no record names it', line('k2', K2), '', line('k1', K1)]);
  ONLY_K2 = pepperFile('k2', [line('k2', K2)]);
});

describe('a peppered user', () => {
  test('add stores pepper_id and a hash argon2-cffi verifies only given HMAC(key, password); verify: right 0, wrong 1', async () => {
    expect((await add('alice', ['--pepper-file', ONLY_K1])).code).toBe(0);
    const record = await redis.hGetAll('user:{alice}');
    expect(record['pepper_id']).toBe('k1');
    const stored = record['password_hash'] ?? '';
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // An application verifying the hash itself: with the pepper as README says, it matches;
    // without it (the bare password), or with another key, it does not.
    expect(appVerifies(stored, K1, PW)).toBe(true);
    expect(appVerifies(stored, K2, PW)).toBe(false);
    expect(argon2CffiVerifies(stored, PW.normalize('NFC'))).toBe(false);

    const right = await verify('alice', PW, ['--pepper-file', ONLY_K1]);
    expect(right.code).toBe(0);
    expect(verdict(right)).toStrictEqual({ user: 'alice', match: true, outdated: false, reasons: [], rehashed: false });
    const wrong = await verify('alice', `${PW}!`, ['--pepper-file', ONLY_K1]);
    expect(wrong.code).toBe(1);
    expect(verdict(wrong)).toMatchObject({ match: false, rehashed: false });
    // The same password in another normalization form is the same password (NFC before the HMAC).
    expect((await verify('alice', PW.normalize('NFD'), ['--pepper-file', ONLY_K1])).code).toBe(0);
  });

  test('without the pepper file, or with a file lacking its key: exit 5 with a message, never "wrong password"', async () => {
    await add('alice', ['--pepper-file', ONLY_K1]);
    const none = await verify('alice', PW, []);
    expect({ code: none.code, stdout: none.stdout }).toEqual({ code: 5, stdout: '' });
    expect(none.stderr).toMatch(
      /^redis-accounts: the hash of alice is peppered with key k1: give --pepper-file with that key to verify it/,
    );
    expect(none.stderr.trimEnd().split('\n')).toHaveLength(1);
    const other = await verify('alice', PW, ['--pepper-file', ONLY_K2]);
    expect(other.code).toBe(5);
    expect(other.stderr).toContain(`the hash of alice is peppered with key k1, which the pepper file ${ONLY_K2} does not hold`);
    // user rehash cannot check the password either.
    const rehash = await cli(['user', 'rehash', 'alice', '--password-stdin'], PW);
    expect(rehash.code).toBe(5);
    expect(await redis.hGet('user:{alice}', 'pepper_id')).toBe('k1');
  });

  test('a record without pepper_id verifies unpeppered, also when a pepper file is given; --rehash peppers it', async () => {
    await add('bob', []);
    expect(await redis.hExists('user:{bob}', 'pepper_id')).toBe(0);
    const before = await redis.hGet('user:{bob}', 'password_hash');
    const plain = await verify('bob', PW, ['--pepper-file', ONLY_K1]);
    expect(plain.code).toBe(0);
    // Outdated, but a plain verify does not write: bringing in a pepper is an upgrade, as for a weak hash.
    expect(verdict(plain)).toStrictEqual({
      user: 'bob',
      match: true,
      outdated: true,
      reasons: ['not peppered (current pepper key k1)'],
      rehashed: false,
    });
    expect(await redis.hGet('user:{bob}', 'password_hash')).toBe(before);
    const upgraded = await verify('bob', PW, ['--pepper-file', ONLY_K1, '--rehash']);
    expect(verdict(upgraded)).toMatchObject({ match: true, rehashed: true });
    expect(await redis.hGet('user:{bob}', 'pepper_id')).toBe('k1');
    expect(appVerifies((await redis.hGet('user:{bob}', 'password_hash')) ?? '', K1, PW)).toBe(true);
  });
});

describe('rolling out a new pepper key', () => {
  test('verify with k2 first re-peppers a k1 hash (CAS, audited); then k1 can leave the file and verify still exits 0', async () => {
    await add('carol', ['--pepper-file', ONLY_K1]);
    const old = await redis.hGet('user:{carol}', 'password_hash');
    const r = await verify('carol', PW, ['--pepper-file', K2_THEN_K1]);
    expect(r.code).toBe(0);
    expect(verdict(r)).toStrictEqual({
      user: 'carol',
      match: true,
      outdated: true,
      reasons: ['pepper key k1 (current k2)'],
      rehashed: true,
    });
    const record = await redis.hGetAll('user:{carol}');
    expect(record['pepper_id']).toBe('k2');
    expect(record['password_hash']).not.toBe(old);
    expect(appVerifies(record['password_hash'] ?? '', K2, PW)).toBe(true);
    // The audit entry names the change of key (the id, never the key).
    const entries = await redis.xRange('redis-accounts:audit', '-', '+');
    const last = entries?.at(-1)?.message ?? {};
    expect(last['command']).toBe('user verify');
    expect(JSON.parse(last['before'] ?? '{}')).toMatchObject({ pepper_id: 'k1' });
    expect(JSON.parse(last['after'] ?? '{}')).toMatchObject({ pepper_id: 'k2' });

    // k1 retired: the rolled user still verifies, and a wrong password is still a wrong password.
    expect(verdict(await verify('carol', PW, ['--pepper-file', ONLY_K2]))).toStrictEqual({
      user: 'carol',
      match: true,
      outdated: false,
      reasons: [],
      rehashed: false,
    });
    expect((await verify('carol', 'not the password at all', ['--pepper-file', ONLY_K2])).code).toBe(1);
  });

  test('a wrong password on an old key re-peppers nothing', async () => {
    await add('dave', ['--pepper-file', ONLY_K1]);
    const r = await verify('dave', `${PW}?`, ['--pepper-file', K2_THEN_K1]);
    expect(r.code).toBe(1);
    expect(await redis.hGet('user:{dave}', 'pepper_id')).toBe('k1');
  });

  test('the re-pepper is a compare-and-set: a hash changed meanwhile is left alone, its pepper_id too', async () => {
    await add('erin', ['--pepper-file', ONLY_K1]);
    const key = 'user:{erin}';
    const read = (await redis.hGet(key, 'password_hash')) ?? '';
    // A password change lands between the verify's read and its write.
    await cli(['user', 'passwd', 'erin', '--password-stdin', '--keep-sessions', '--pepper-file', ONLY_K1], NEW_PW);
    const changed = (await redis.hGet(key, 'password_hash')) ?? '';
    expect(changed).not.toBe(read);
    expect(await replaceHash(redis, key, read, '$argon2id$stale', new Date(), 'k2')).toEqual({ result: 'changed' });
    expect(await redis.hmGet(key, ['password_hash', 'pepper_id'])).toEqual([changed, 'k1']);
  });

  test('rehash --check --pepper-file lists hashes on an old key or none as outdated, a missing key as unusable', async () => {
    await add('on-k1', ['--pepper-file', ONLY_K1]);
    await add('on-k2', ['--pepper-file', ONLY_K2]);
    await add('unpeppered', []);
    const rolled = await cli(['user', 'rehash', '--check', '--json', '--pepper-file', K2_THEN_K1]);
    expect(rolled.code).toBe(1);
    expect(ndjson(rolled.stdout).sort((a, b) => String(a['user']).localeCompare(String(b['user'])))).toEqual([
      { user: 'on-k1', reasons: ['pepper key k1 (current k2)'] },
      { user: 'unpeppered', reasons: ['not peppered (current pepper key k2)'] },
    ]);
    const retired = await cli(['user', 'rehash', '--check', '--json', '--pepper-file', ONLY_K2]);
    expect(ndjson(retired.stdout)).toContainEqual({ user: 'on-k1', reasons: ['pepper key k1 is not in the pepper file'] });
    expect(retired.stderr).toContain('(1 unusable)');
    // Without --pepper-file the pepper is not checked: all three meet the policy.
    const plain = await cli(['user', 'rehash', '--check', '--json']);
    expect({ code: plain.code, stdout: plain.stdout }).toEqual({ code: 0, stdout: '' });
    // user list --outdated holds the hashes to the same rules, and lists pepper_id.
    // (runCli: user list changes nothing, so it takes no --audit-log.)
    const listed = await runCli(['user', 'list', '--outdated', '--json', '--pepper-file', K2_THEN_K1], { env });
    expect(listed.code).toBe(0);
    const rows = ndjson(listed.stdout).sort((a, b) => String(a['name']).localeCompare(String(b['name'])));
    expect(rows.map((r) => [r['name'], r['pepper_id'], r['outdated']])).toEqual([
      ['on-k1', 'k1', ['pepper key k1 (current k2)']],
      ['unpeppered', undefined, ['not peppered (current pepper key k2)']],
    ]);
    expect(ndjson((await runCli(['user', 'list', '--outdated', '--json'], { env })).stdout)).toEqual([]);
  });

  test('user rehash <name> with the new file re-peppers with the current key', async () => {
    await add('frank', ['--pepper-file', ONLY_K1]);
    const r = await cli(['user', 'rehash', 'frank', '--password-stdin', '--json', '--pepper-file', K2_THEN_K1], PW);
    expect(r.code).toBe(0);
    expect(verdict(r)).toStrictEqual({ user: 'frank', rehashed: true, reasons: ['pepper key k1 (current k2)'] });
    expect(await redis.hGet('user:{frank}', 'pepper_id')).toBe('k2');
  });
});

describe('passwd and foreign families', () => {
  test('passwd writes the current key; passwd without the file leaves pepper_id empty, which verifies unpeppered', async () => {
    await add('gina', ['--pepper-file', ONLY_K1]);
    expect((await cli(['user', 'passwd', 'gina', '--password-stdin', '--keep-sessions', '--pepper-file', K2_THEN_K1], NEW_PW)).code).toBe(
      0,
    );
    expect(await redis.hGet('user:{gina}', 'pepper_id')).toBe('k2');
    expect(appVerifies((await redis.hGet('user:{gina}', 'password_hash')) ?? '', K2, NEW_PW)).toBe(true);
    expect((await cli(['user', 'passwd', 'gina', '--password-stdin', '--keep-sessions'], NEW_PW)).code).toBe(0);
    // '' rather than HDEL, which the documented ACL does not grant.
    expect(await redis.hGet('user:{gina}', 'pepper_id')).toBe('');
    expect((await verify('gina', NEW_PW, [])).code).toBe(0);
    expect(argon2CffiVerifies((await redis.hGet('user:{gina}', 'password_hash')) ?? '', NEW_PW)).toBe(true);
  });

  test('a bcrypt hash made elsewhere verifies without the pepper; --rehash upgrades it to argon2id with the current key', async () => {
    await redis.hSet('user:{hank}', {
      password_hash: pythonBcrypt(Buffer.from(PW.normalize('NFC'))),
      created_at: '2020-01-01T00:00:00.000Z',
    });
    const r = await verify('hank', PW, ['--pepper-file', K2_THEN_K1]);
    expect(verdict(r)).toMatchObject({ match: true, rehashed: false });
    expect(verdict(r)['reasons']).toContain('not peppered (current pepper key k2)');
    const up = await verify('hank', PW, ['--pepper-file', K2_THEN_K1, '--rehash']);
    expect(verdict(up)).toMatchObject({ match: true, rehashed: true });
    const record = await redis.hGetAll('user:{hank}');
    expect(record['pepper_id']).toBe('k2');
    expect(appVerifies(record['password_hash'] ?? '', K2, PW)).toBe(true);
  });
});

describe('pepper files refused or warned about', () => {
  test.each([
    ['a key under 32 bytes', [line('short', randomBytes(31))], /line 1: the key of short is 31 bytes; a pepper must be at least 32/],
    ['a line without an id', [K1.toString('base64')], /line 1 is not <id>:<base64 key>/],
    ['a key that is not base64', ['k1:not base64 at all!'], /line 1: the key of k1 is not standard base64/],
    ['an id given twice', [line('k1', K1), line('k1', K2)], /line 2 gives the key id k1 a second time/],
    ['no key at all', ['# nothing yet'], /holds no key/],
  ])('%s: exit 2 before a password is read or anything written, the file not quoted', async (_what, lines, message) => {
    const path = pepperFile('bad', lines);
    const r = await add('ivy', ['--pepper-file', path]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    for (const l of lines) if (l.includes(':')) expect(r.stderr).not.toContain(l.slice(l.indexOf(':') + 1));
    expect(await redis.exists('user:{ivy}')).toBe(0);
  });

  test('a missing file is exit 2; a file group or others can read is used, with a warning', async () => {
    const missing = await add('ivy', ['--pepper-file', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --pepper-file .*nope: ENOENT/);
    const open = pepperFile('open', [line('k1', K1)], 0o644);
    const r = await add('ivy', ['--pepper-file', open]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Warning: ${open} is readable by group or others (mode 0644)`);
    expect(await redis.hGet('user:{ivy}', 'pepper_id')).toBe('k1');
  });

  test('REDIS_ACCOUNTS_PEPPER_FILE names the file as --pepper-file does', async () => {
    const r = await runCli(['user', 'add', 'jo', '--password-stdin'], {
      env: { ...env, REDIS_ACCOUNTS_PEPPER_FILE: ONLY_K1 },
      input: `${PW}\n`,
    });
    outputs.push(r);
    expect(r.code).toBe(0);
    expect(await redis.hGet('user:{jo}', 'pepper_id')).toBe('k1');
  });
});

describe('the pepper never leaves its file', () => {
  test('no key (base64, hex or raw) nor the peppered password in any output, the audit trail or a dump of Redis', async () => {
    // Every command once more on a server that keeps what they write.
    await add('kim', ['--pepper-file', ONLY_K1]);
    await verify('kim', PW, ['--pepper-file', K2_THEN_K1]);
    await cli(['user', 'rehash', 'kim', '--password-stdin', '--force', '--pepper-file', K2_THEN_K1], PW);
    await cli(['user', 'passwd', 'kim', '--password-stdin', '--keep-sessions', '--pepper-file', K2_THEN_K1], NEW_PW);
    await cli(['user', 'rehash', '--check', '--pepper-file', K2_THEN_K1]);
    await cli(['audit', 'list', '--json']);

    const secrets: string[] = [];
    for (const key of [K1, K2]) secrets.push(key.toString('base64'), key.toString('hex'), key.toString('base64').slice(4, 24));
    for (const pw of [PW, NEW_PW]) {
      secrets.push(pw.normalize('NFC'));
      for (const key of [K1, K2]) secrets.push(createHmac('sha256', key).update(pw.normalize('NFC')).digest('base64'));
    }
    // Every key's content as Redis holds it (not DUMP, which may compress a value past a grep).
    const dump: string[] = [];
    for await (const keys of redis.scanIterator({ MATCH: '*' })) {
      for (const key of Array.isArray(keys) ? keys : [keys]) {
        const type = String(await redis.type(key));
        if (type === 'hash') dump.push(JSON.stringify(await redis.hGetAll(key)));
        else if (type === 'stream') dump.push(JSON.stringify(await redis.xRange(key, '-', '+')));
        else throw new Error(`unexpected ${type} ${key}`);
      }
    }
    expect(dump.length).toBeGreaterThan(1); // the user records and the audit stream
    const dumped = dump.join('\n');
    const text = [...outputs.map((o) => o.stdout + o.stderr), readFileSync(auditLog, 'utf8')].join('\n');
    for (const s of secrets) {
      expect(text).not.toContain(s);
      expect(dumped).not.toContain(s);
    }
    // The raw key bytes, as Latin-1 text (any byte sequence is one).
    const raw = Buffer.from(dumped, 'utf8').toString('latin1');
    for (const key of [K1, K2]) expect(raw).not.toContain(key.toString('latin1'));
  });
});

afterAll(() => {
  // The file paths are in outputs (messages name the file); the keys are not.
  expect(outputs.length).toBeGreaterThan(10);
});
