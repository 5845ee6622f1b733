/**
 * What scripts read, in-process: the --json shape of session list and show, and the exit
 * codes and --json answer of user verify.
 */
import { describe, expect, test } from '@jest/globals';
import { sessionJson } from '../helpers/client.js';
import { useTestRedis } from '../helpers/fixture.js';
import { runMain } from '../helpers/inproc.js';

const t = useTestRedis();
const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
const PW = 'correct horse battery';

describe('session --json', () => {
  test('list: one object per line with exactly id, user, ttlSeconds, expiresAt, readable, extra, layout, key', async () => {
    await t.redis.set('sess:a', sessionJson({ passport: { user: 'alice' } }, 3600_000, { ip: '203.0.113.7' }), { EX: 3600 });
    await t.redis.set('sess:b', Buffer.from([0xff, 0x7b]));
    const r = await runMain(['session', 'list', '--json'], { env: t.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('2 sessions (1 unreadable).\n');
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    const byId = new Map(lines.map((l) => JSON.parse(l) as Record<string, unknown>).map((o) => [o['id'], o]));
    for (const o of byId.values())
      expect(Object.keys(o)).toEqual(['id', 'user', 'ttlSeconds', 'expiresAt', 'readable', 'extra', 'layout', 'key']);
    expect(byId.get('a')).toEqual({
      id: 'a',
      user: 'alice',
      ttlSeconds: expect.any(Number),
      expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      readable: true,
      extra: { ip: '203.0.113.7' },
      layout: 'connect-redis',
      key: 'sess:a',
    });
    expect(byId.get('b')).toEqual({
      id: 'b',
      user: null,
      ttlSeconds: -1,
      expiresAt: null,
      readable: false,
      extra: null,
      layout: 'connect-redis',
      key: 'sess:b',
    });
  });

  test('show: the record plus the whole stored session; an unreadable one has session null and its raw text', async () => {
    const stored = JSON.parse(sessionJson({ passport: { user: 'alice' } }, 3600_000, { cart: [1, 2] })) as Record<string, unknown>;
    await t.redis.set('sess:a', JSON.stringify(stored), { EX: 3600 });
    await t.redis.set('sess:b', 'not json');
    const a = await runMain(['session', 'show', 'a', '--json'], { env: t.env });
    expect(a.code).toBe(0);
    const shown = JSON.parse(a.stdout) as Record<string, unknown>;
    expect(Object.keys(shown)).toEqual(['id', 'user', 'ttlSeconds', 'expiresAt', 'readable', 'extra', 'layout', 'key', 'session']);
    expect(shown).toMatchObject({ id: 'a', user: 'alice', readable: true, extra: { cart: [1, 2] }, session: stored });
    const b = await runMain(['session', 'show', 'b', '--json'], { env: t.env });
    expect(b.code).toBe(0);
    expect(JSON.parse(b.stdout)).toEqual({
      id: 'b',
      user: null,
      ttlSeconds: -1,
      expiresAt: null,
      readable: false,
      extra: null,
      unreadable: 'not JSON',
      layout: 'connect-redis',
      key: 'sess:b',
      session: null,
      raw: 'not json',
    });
  });

  test('show of a missing session: exit 1, a hint naming the prefix, nothing on stdout', async () => {
    const r = await runMain(['session', 'show', 'nope', '--json'], { env: t.env });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'redis-accounts: session nope not found (no key sess:nope) (hint: check --layout, --session-prefix (REDIS_ACCOUNTS_SESSION_PREFIX) and --url)\n',
    });
  });
});

describe('user verify', () => {
  const verify = (name: string, password: string, extra: string[] = []) =>
    runMain(['user', 'verify', name, '--password-stdin', '--json', ...CHEAP, ...extra], { env: t.env, input: `${password}\n` });

  test('exit 0 and match true for the right password, 1 and match false for a wrong one or an unknown user', async () => {
    const add = await runMain(['user', 'add', 'alice', '--password-stdin', ...CHEAP], { env: t.env, input: `${PW}\n` });
    expect(add.code).toBe(0);
    const right = await verify('alice', PW);
    const wrong = await verify('alice', 'wrong horse battery');
    const unknown = await verify('bob', PW);
    expect([right.code, wrong.code, unknown.code]).toEqual([0, 1, 1]);
    expect(JSON.parse(right.stdout)).toEqual({ user: 'alice', match: true, outdated: false, reasons: [], rehashed: false });
    expect(JSON.parse(wrong.stdout)).toEqual({ user: 'alice', match: false, outdated: false, reasons: [], rehashed: false });
    expect(JSON.parse(unknown.stdout)).toEqual({ user: 'bob', match: false, outdated: false, reasons: [], rehashed: false });
  });

  test('a hash below the policy is reported outdated (still exit 0), and upgraded with --rehash', async () => {
    await runMain(['user', 'add', 'alice', '--password-stdin', ...CHEAP], { env: t.env, input: `${PW}\n` });
    const before = await t.redis.hGet('user:{alice}', 'password_hash');
    const outdated = await verify('alice', PW, ['--argon2-memory', '2048']);
    expect(outdated.code).toBe(0);
    expect(JSON.parse(outdated.stdout)).toEqual({
      user: 'alice',
      match: true,
      outdated: true,
      reasons: ['m=1024 (policy 2048)'],
      rehashed: false,
    });
    expect(await t.redis.hGet('user:{alice}', 'password_hash')).toBe(before);
    const rehashed = await verify('alice', PW, ['--argon2-memory', '2048', '--rehash']);
    expect(JSON.parse(rehashed.stdout)).toMatchObject({ match: true, rehashed: true });
    expect(await t.redis.hGet('user:{alice}', 'password_hash')).toMatch(/^\$argon2id\$v=19\$m=2048,t=1,p=1\$/);
  });

  test('no --password-stdin and stdin not a terminal: exit 2 with the hint, before reading anything', async () => {
    const r = await runMain(['user', 'verify', 'alice', ...CHEAP], { env: t.env, input: `${PW}\n` });
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'redis-accounts: reading a password needs a terminal, and stdin is not one (hint: pipe the password in with --password-stdin)\n',
    });
  });

  test('a policy above the caps is refused with exit 2, and bad numbers too', async () => {
    const over = await verify('alice', PW, ['--argon2-max-memory', '1024', '--argon2-memory', '2048']);
    expect(over.code).toBe(2);
    expect(over.stderr).toContain('--argon2-memory 2048 is above --argon2-max-memory 1024');
    const bad = await verify('alice', PW, ['--argon2-time', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--argon2-time must be between 1 and 100');
  });

  test('user add --min-length: a bad value is exit 2, and a shorter password than the minimum is refused', async () => {
    const bad = await runMain(['user', 'add', 'alice', '--password-stdin', '--min-length', 'x', ...CHEAP], {
      env: t.env,
      input: `${PW}\n`,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--min-length must be a whole number, got "x"');
    const short = await runMain(['user', 'add', 'alice', '--password-stdin', '--min-length', '40', ...CHEAP], {
      env: t.env,
      input: `${PW}\n`,
    });
    expect(short.code).toBe(2);
    expect(await t.redis.exists('user:{alice}')).toBe(0);
  });
});
