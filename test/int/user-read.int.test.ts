/**
 * `user list`, `user show` and `user export` against a real throwaway redis-server, through the
 * built CLI. Records are seeded as other systems and applications leave them: foreign hashes, an
 * application's own fields (a TOTP seed the tool must never print), and keys that are not records.
 */
import { describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { ndjson, runCli, type CliResult } from '../helpers/cli.js';
import { sessionJson } from '../helpers/client.js';
import { useTestRedis } from '../helpers/fixture.js';

let redis: RedisClientType;
let env: Record<string, string>;

useTestRedis((t) => {
  env = t.env;
  redis = t.redis;
});

const cli = (args: string[]): Promise<CliResult> => runCli(args, { env });

// Reference hashes of accounts.md (PHP's argon2id, python-bcrypt), and one at a weak cost.
const ARGON2ID = '$argon2id$v=19$m=65536,t=4,p=1$Y1U1b2wvRkpacE9VQ2JUNA$lmKARWWUIRF0MA3NPgx+ZvVyQPxeAJJ6makAqAVdzfk';
const BCRYPT = '$2b$12$Z648vJjyAf7KmQwnH1SI0OQOpNJlCOQYquUa1k74jWoLPkKFf5hMC';
const WEAK = '$argon2id$v=19$m=4096,t=2,p=1$Y1U1b2wvRkpacE9VQ2JUNA$lmKARWWUIRF0MA3NPgx+ZvVyQPxeAJJ6makAqAVdzfk';
const TOTP = 'JBSWY3DPEHPK3PXP-totp-seed';
const T1 = '2026-01-01T00:00:00.000Z';
const T2 = '2026-02-01T00:00:00.000Z';

/** alice (argon2id, an app's TOTP field), bob (bcrypt, disabled, principal 7, must change), carol (weak argon2id). */
async function seedUsers(prefix = 'user:'): Promise<void> {
  await redis.hSet(`${prefix}{alice}`, {
    password_hash: ARGON2ID,
    status: 'active',
    created_at: T1,
    updated_at: T2,
    password_changed_at: T1,
    totp_secret: TOTP,
  });
  await redis.hSet(`${prefix}{bob}`, {
    password_hash: BCRYPT,
    status: 'disabled',
    status_reason: 'INC-4711',
    status_changed_at: T2,
    created_at: T1,
    updated_at: T1,
    password_changed_at: T1,
    sessions_valid_after: T2,
    must_change_password: '1',
    principal: '7',
  });
  await redis.hSet(`${prefix}{carol}`, { password_hash: WEAK, created_at: T1, updated_at: T1 });
}

/** Keys under the prefix that cannot be read as records, and one that is not a record at all. */
async function seedOddKeys(): Promise<void> {
  await redis.set('user:{dave}', 'a string, not a hash');
  await redis.hSet('user:{erin}', { password_hash: 'plaintext-by-mistake', created_at: T1 });
  await redis.sendCommand(['HSET', 'user:{frank}', 'password_hash', ARGON2ID, 'status', Buffer.from([0xff])]);
  await redis.sendCommand(['HSET', Buffer.from([...Buffer.from('user:{'), 0xff, 0xfe, ...Buffer.from('}')]), 'password_hash', ARGON2ID]);
  await redis.hSet('user:{alice}:sessions', { x: '1' }); // beside a record: not matched by `user:{*}` at all
  await redis.hSet('user:{a}{b}', { password_hash: ARGON2ID }); // matches `user:{*}`, is not `{<name>}`
}

/** alice's line in user export (without the hash), and the start of hers in user list. */
const ALICE_EXPORTED = { name: 'alice', status: 'active', created_at: T1, updated_at: T2, password_changed_at: T1 };

/** bob's line in user export, and the start of his lines in user list and user show. */
const BOB_EXPORTED = {
  name: 'bob',
  status: 'disabled',
  status_reason: 'INC-4711',
  created_at: T1,
  updated_at: T1,
  password_changed_at: T1,
  must_change_password: true,
  principal: '7',
};

const byName = (lines: Array<Record<string, unknown>>) => new Map(lines.map((l) => [String(l['name'] ?? l['key']), l]));

describe('user list', () => {
  test('--json: the fields of each record, exactly; never a hash, never an application field', async () => {
    await seedUsers();
    const r = await cli(['user', 'list', '--json']);
    expect(r.code).toBe(0);
    const lines = byName(ndjson(r.stdout));
    expect(lines.size).toBe(3);
    expect(lines.get('alice')).toStrictEqual({
      ...ALICE_EXPORTED,
      family: 'argon2id',
      params: { variant: 'argon2id', version: 19, m: 65536, t: 4, p: 1, hashBytes: 32 },
    });
    expect(lines.get('bob')).toStrictEqual({ ...BOB_EXPORTED, family: 'bcrypt', params: { variant: '2b', cost: 12 } });
    // No status field is an active account.
    expect(lines.get('carol')).toMatchObject({ name: 'carol', status: 'active', family: 'argon2id', params: { m: 4096 } });
    for (const secret of [ARGON2ID, BCRYPT, WEAK, TOTP, 'lmKARWWUIRF0', 'Z648vJjy', 'totp']) {
      expect(r.stdout).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
    }
    expect(r.stderr).toBe('3 users listed.\n');
  });

  test('in a pipe: tab-separated rows with a header, times to the second', async () => {
    await seedUsers();
    const r = await cli(['user', 'list']);
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.split('\n').filter((line) => line !== '');
    expect(header).toBe('user\tstatus\thash\tcreated\tupdated\tpassword changed\tnotes');
    expect(rows.sort()).toEqual([
      'alice\tactive\targon2id m=65536,t=4,p=1,version=19\t2026-01-01T00:00:00Z\t2026-02-01T00:00:00Z\t2026-01-01T00:00:00Z\t',
      'bob\tdisabled\tbcrypt cost=12\t2026-01-01T00:00:00Z\t2026-01-01T00:00:00Z\t2026-01-01T00:00:00Z\tmust change password; principal 7; reason: INC-4711',
      'carol\tactive\targon2id m=4096,t=2,p=1,version=19\t2026-01-01T00:00:00Z\t2026-01-01T00:00:00Z\t-\t',
    ]);
    expect(r.stdout).not.toContain(TOTP);
  });

  test('an unreadable record is listed as such and counted, the scan goes on; keys that are not records are counted apart', async () => {
    await seedUsers();
    await seedOddKeys();
    const r = await cli(['user', 'list', '--json']);
    expect(r.code).toBe(0);
    const lines = byName(ndjson(r.stdout));
    expect([...lines.keys()].sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'user:{\\xff\\xfe}']);
    expect(lines.get('dave')).toStrictEqual({ name: 'dave', key: 'user:{dave}', unreadable: 'holds a string, not a user record (hash)' });
    expect(lines.get('frank')).toStrictEqual({ name: 'frank', key: 'user:{frank}', unreadable: 'its status is not UTF-8' });
    expect(lines.get('user:{\\xff\\xfe}')).toStrictEqual({ key: 'user:{\\xff\\xfe}', unreadable: 'its name is not UTF-8' });
    // A hash no family reads: the record is listed, the hash's text is not.
    expect(lines.get('erin')).toStrictEqual({
      name: 'erin',
      status: 'active',
      created_at: T1,
      unreadable: expect.stringMatching(/^stored password hash is unusable: not a password hash this tool reads/),
    });
    expect(r.stdout).not.toContain('plaintext-by-mistake');
    expect(r.stderr).toBe('7 users listed (4 unreadable). 1 key skipped (not a user record).\n');
  });

  test('--status and --outdated filter; --outdated gives the reasons of rehash --check', async () => {
    await seedUsers();
    const disabled = await cli(['user', 'list', '--status', 'disabled', '--json']);
    expect(ndjson(disabled.stdout).map((l) => l['name'])).toEqual(['bob']);
    expect(disabled.stderr).toBe('1 user listed (of 3 records scanned).\n');
    // Any status but "active" is not active, as user verify reads it.
    await redis.hSet('user:{carol}', 'status', 'locked');
    const active = await cli(['user', 'list', '--status', 'active', '--json']);
    expect(ndjson(active.stdout).map((l) => l['name'])).toEqual(['alice']);
    const outdated = await cli(['user', 'list', '--outdated', '--json']);
    expect(outdated.code).toBe(0);
    const lines = byName(ndjson(outdated.stdout));
    expect([...lines.keys()].sort()).toEqual(['bob', 'carol']);
    expect(lines.get('carol')?.['outdated']).toEqual(['m=4096 (policy 19456)']);
    expect(lines.get('bob')?.['outdated']).toEqual(['algorithm bcrypt (policy argon2id)', 'reads only the first 72 bytes of a password']);
    // The same policy options as rehash: at m=4096 carol's hash meets it.
    const lower = await cli(['user', 'list', '--outdated', '--argon2-memory', '4096', '--json']);
    expect(ndjson(lower.stdout).map((l) => l['name'])).toEqual(['bob']);
    const bad = await cli(['user', 'list', '--status', 'locked']);
    expect(bad.code).toBe(2);
  });

  test('--match is a glob on the username: the prefix is escaped, braces refused', async () => {
    // A prefix full of glob characters: only its own keys match, never `uXx]:` or `u?[x]:`'s neighbours.
    const prefix = 'u*[x]:';
    await seedUsers(prefix);
    await redis.hSet('uAx:{alice}', { password_hash: ARGON2ID });
    await redis.hSet('u*[x]:{alicia}', { password_hash: ARGON2ID });
    await redis.hSet('u*[x]:{xalice}', { password_hash: ARGON2ID });
    const r = await cli(['user', 'list', '--user-prefix', prefix, '--match', 'ali*', '--json']);
    expect(r.code).toBe(0);
    expect(
      ndjson(r.stdout)
        .map((l) => l['name'])
        .sort(),
    ).toEqual(['alice', 'alicia']);
    expect(r.stderr).toBe('2 users listed (of 2 records scanned).\n');
    const classes = await cli(['user', 'list', '--user-prefix', prefix, '--match', '[bc]*', '--json']);
    expect(
      ndjson(classes.stdout)
        .map((l) => l['name'])
        .sort(),
    ).toEqual(['bob', 'carol']);
    for (const glob of ['*}{*', 'a{b', '*\\', '']) {
      const refused = await cli(['user', 'list', '--match', glob]);
      expect({ glob, code: refused.code, stdout: refused.stdout }).toEqual({ glob, code: 2, stdout: '' });
      expect(refused.stderr).toMatch(/^redis-accounts: --match /);
    }
  });

  test('an ACL user without HMGET (the README rules before user list) reads the same, an HGET per field', async () => {
    await seedUsers();
    await seedOddKeys();
    await redis.sendCommand(['ACL', 'SETUSER', 'old-reader', 'on', '>old-reader-pw-1', '~*', '&*', '+@all', '-hmget']);
    const asOld = { ...env, REDIS_USERNAME: 'old-reader', REDIS_PASSWORD: 'old-reader-pw-1' };
    for (const args of [
      ['user', 'list', '--json'],
      ['user', 'export', '--include-hashes'],
      ['user', 'show', 'bob', '--json'],
    ]) {
      const [usual, old] = [await cli(args), await runCli(args, { env: asOld })];
      expect(old).toEqual(usual);
      expect(old.stdout).not.toBe('');
    }
  });

  test('a reader that goes away (| head) stops the listing quietly', async () => {
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 3000; i += 1) writes.push(redis.hSet(`user:{u${i}}`, { password_hash: ARGON2ID, created_at: T1 }));
    await Promise.all(writes);
    const { spawnSync } = await import('node:child_process');
    const { BIN } = await import('../helpers/cli.js');
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" user list --json | head -n 2`], {
      env: { PATH: process.env['PATH'] ?? '', REDIS_URL: env['REDIS_URL'] },
      encoding: 'utf8',
    });
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(r.stderr).toBe('');
  });
});

describe('user show', () => {
  test("everything but the hash, and the user's sessions found through the layout", async () => {
    await seedUsers();
    // bob's sessions carry his principal (7); a session naming "bob" is another account's.
    for (let i = 0; i < 3; i += 1) await redis.set(`sess:bob${i}`, sessionJson({ passport: { user: 7 } }));
    await redis.set('sess:other', sessionJson({ passport: { user: 'bob' } }));
    await redis.set('sess:alice1', sessionJson({ passport: { user: 'alice' } }));
    const r = await cli(['user', 'show', 'bob', '--json']);
    expect(r.code).toBe(0);
    expect(ndjson(r.stdout)).toStrictEqual([
      {
        ...BOB_EXPORTED,
        key: 'user:{bob}',
        status_changed_at: T2,
        sessions_valid_after: T2,
        family: 'bcrypt',
        params: { variant: '2b', cost: 12 },
        outdated: ['algorithm bcrypt (policy argon2id)', 'reads only the first 72 bytes of a password'],
        sessions: 3,
      },
    ]);
    const text = await cli(['user', 'show', 'alice']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('status:               active\n');
    expect(text.stdout).toContain('hash:                 argon2id m=65536,t=4,p=1,version=19\n');
    expect(text.stdout).toContain('outdated:             no\n');
    expect(text.stdout).toContain('sessions:             1\n');
    expect(text.stdout).toContain('pepper key:           - (not peppered)\n');
    await redis.hSet('user:{alice}', { pepper_id: 'k2' });
    const peppered = await cli(['user', 'show', 'alice']);
    expect(peppered.stdout).toContain('pepper key:           k2\n');
    expect(JSON.parse((await cli(['user', 'show', 'alice', '--json'])).stdout)).toMatchObject({ pepper_id: 'k2' });
    for (const secret of [ARGON2ID, BCRYPT, TOTP, 'totp']) expect(r.stdout + text.stdout + text.stderr).not.toContain(secret);
    // Nothing was revoked by counting.
    expect(await redis.exists(['sess:bob0', 'sess:bob1', 'sess:bob2', 'sess:other', 'sess:alice1'])).toBe(5);
  });

  test('the session options of passwd and disable: another layout, --layout auto', async () => {
    await seedUsers();
    await redis.set('sess:a1', sessionJson({ passport: { user: 'alice' } }));
    await redis.set('myapp:a2', sessionJson({ passport: { user: 'alice' } }));
    const prefixed = await cli(['user', 'show', 'alice', '--session-prefix', 'myapp:', '--json']);
    expect(ndjson(prefixed.stdout)[0]?.['sessions']).toBe(1);
    const auto = await cli(['user', 'show', 'alice', '--layout', 'auto', '--json']);
    expect(auto.code).toBe(0);
    expect(ndjson(auto.stdout)[0]?.['sessions']).toBe(1);
  });

  test('unknown user: exit 1; a key that is not a record: exit 5; a bad name: exit 2', async () => {
    await seedOddKeys();
    const unknown = await cli(['user', 'show', 'zed']);
    expect({ code: unknown.code, stdout: unknown.stdout, stderr: unknown.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: 'redis-accounts: no user zed\n',
    });
    const dave = await cli(['user', 'show', 'dave']);
    expect(dave.code).toBe(5);
    expect(dave.stderr).toBe('redis-accounts: user:{dave} cannot be read as a user record: holds a string, not a user record (hash)\n');
    expect((await cli(['user', 'show', 'a*'])).code).toBe(2);
  });
});

describe('user export', () => {
  const KEYS = [
    'name',
    'status',
    'status_reason',
    'created_at',
    'updated_at',
    'password_changed_at',
    'must_change_password',
    'principal',
    'password_hash',
  ];

  test('JSONL of every user with the keys user import reads; no hash and no warning without --include-hashes', async () => {
    await seedUsers();
    const r = await cli(['user', 'export']);
    expect(r.code).toBe(0);
    const lines = byName(ndjson(r.stdout));
    expect(lines.get('bob')).toStrictEqual(BOB_EXPORTED);
    for (const line of lines.values()) for (const key of Object.keys(line)) expect(KEYS).toContain(key);
    for (const secret of [ARGON2ID, BCRYPT, WEAK, TOTP]) expect(r.stdout).not.toContain(secret);
    expect(r.stderr).toBe('3 users exported.\n');
  });

  test('--include-hashes: each hash verbatim, and a warning on stderr', async () => {
    await seedUsers();
    const r = await cli(['user', 'export', '--include-hashes']);
    expect(r.code).toBe(0);
    const lines = byName(ndjson(r.stdout));
    expect(lines.get('alice')).toStrictEqual({
      ...ALICE_EXPORTED,
      password_hash: ARGON2ID,
    });
    expect(lines.get('bob')?.['password_hash']).toBe(BCRYPT);
    expect(lines.get('carol')?.['password_hash']).toBe(WEAK);
    expect(r.stdout).not.toContain(TOTP);
    expect(r.stderr).toMatch(/^warning: the export holds password hashes/);
    expect(r.stderr).toMatch(/3 users exported with their password hashes\.\n$/);
  });

  test('an unreadable record is named on stderr and left out, the others exported: exit 5', async () => {
    await seedUsers();
    await seedOddKeys();
    const r = await cli(['user', 'export']);
    expect(r.code).toBe(5);
    expect(
      ndjson(r.stdout)
        .map((l) => l['name'])
        .sort(),
    ).toEqual(['alice', 'bob', 'carol', 'erin']);
    expect(r.stderr.split('\n').sort()).toEqual(
      [
        '',
        'user:{dave} left out: holds a string, not a user record (hash)',
        'user:{frank} left out: its status is not UTF-8',
        'user:{\\xff\\xfe} left out: its name is not UTF-8',
        '4 users exported. 3 unreadable records left out (named above). 1 key skipped (not a user record).',
      ].sort(),
    );
  });
});
