/**
 * Environment variables against flags, in-process: a flag wins over its variable, the
 * variable over the default, and a bad value in a variable is reported like a bad flag.
 */
import { describe, expect, test } from '@jest/globals';
import { sessionJson } from '../helpers/client.js';
import { useTestRedis } from '../helpers/fixture.js';
import { runMain } from '../helpers/inproc.js';
import { freePort } from '../helpers/redis-server.js';

const t = useTestRedis();

async function seedUnder(prefix: string, id: string): Promise<void> {
  await t.redis.set(`${prefix}${id}`, sessionJson({ passport: { user: 'alice' } }), { EX: 3600 });
}

const listed = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { id: string }).id)
    .sort();

describe('connection', () => {
  test('--url wins over REDIS_URL (which names a closed port)', async () => {
    await seedUnder('sess:', 's1');
    const closed = `redis://127.0.0.1:${await freePort()}`;
    const r = await runMain(['session', 'list', '--json', '--url', t.env.REDIS_URL], { env: { REDIS_URL: closed } });
    expect(r.code).toBe(0);
    expect(listed(r.stdout)).toEqual(['s1']);
  });

  test('REDIS_URL is used when --url is not given, and a closed port there fails with exit 3', async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    const r = await runMain(['session', 'list', '--json', '--timeout', '1s'], { env: { REDIS_URL: closed } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(closed.replace('redis://', ''));
    expect(r.stdout).toBe('');
  });

  test('--timeout wins over a bad REDIS_ACCOUNTS_TIMEOUT; without the flag the variable is refused like a bad flag', async () => {
    await seedUnder('sess:', 's1');
    const env = { ...t.env, REDIS_ACCOUNTS_TIMEOUT: 'soon' };
    const flagged = await runMain(['session', 'list', '--json', '--timeout', '2s'], { env });
    expect(flagged.code).toBe(0);
    expect(listed(flagged.stdout)).toEqual(['s1']);
    const unflagged = await runMain(['session', 'list', '--json'], { env });
    expect(unflagged.code).toBe(2);
    expect(unflagged.stderr).toBe('redis-accounts: invalid --timeout "soon" (hint: e.g. 500ms, 5s, 1m)\n');
  });
});

describe('session prefix', () => {
  test('REDIS_ACCOUNTS_SESSION_PREFIX replaces the default, and --session-prefix replaces the variable', async () => {
    await seedUnder('sess:', 'default-1');
    await seedUnder('env:', 'env-1');
    await seedUnder('flag:', 'flag-1');
    const byDefault = await runMain(['session', 'list', '--json'], { env: t.env });
    const byEnv = await runMain(['session', 'list', '--json'], { env: { ...t.env, REDIS_ACCOUNTS_SESSION_PREFIX: 'env:' } });
    const byFlag = await runMain(['session', 'list', '--json', '--session-prefix', 'flag:'], {
      env: { ...t.env, REDIS_ACCOUNTS_SESSION_PREFIX: 'env:' },
    });
    expect([byDefault.code, byEnv.code, byFlag.code]).toEqual([0, 0, 0]);
    expect([listed(byDefault.stdout), listed(byEnv.stdout), listed(byFlag.stdout)]).toEqual([['default-1'], ['env-1'], ['flag-1']]);
  });

  test('an empty REDIS_ACCOUNTS_SESSION_PREFIX (an unset template variable) is refused, not read as "every key"', async () => {
    await seedUnder('sess:', 's1');
    const r = await runMain(['session', 'revoke', '--all', '--yes'], { env: { ...t.env, REDIS_ACCOUNTS_SESSION_PREFIX: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^redis-accounts: --session-prefix may not be empty/);
    expect(await t.redis.exists('sess:s1')).toBe(1);
  });
});

describe('user field', () => {
  test('REDIS_ACCOUNTS_USER_FIELD names the user; --user-field wins over it', async () => {
    await t.redis.set('sess:s1', sessionJson(null, 3600_000, { account: { name: 'alice' }, owner: 'bob' }), { EX: 3600 });
    const users = async (args: string[], env: Record<string, string>) => {
      const r = await runMain(['session', 'list', '--json', ...args], { env: { ...t.env, ...env } });
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as { user: string | null }).user;
    };
    expect(await users([], {})).toBeNull();
    expect(await users([], { REDIS_ACCOUNTS_USER_FIELD: 'account.name' })).toBe('alice');
    expect(await users(['--user-field', 'owner'], { REDIS_ACCOUNTS_USER_FIELD: 'account.name' })).toBe('bob');
  });
});
