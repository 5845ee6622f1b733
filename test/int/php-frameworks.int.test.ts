/**
 * The session commands on real PHP framework applications (test/helpers/apps/php.ts): Symfony 5.4's
 * RedisSessionHandler with the firewall's security token (`--layout symfony`). Two users log in
 * over HTTP; list --user shows exactly one user's sessions (the token's user), show --cookie takes
 * the cookie the app set and shows the token as plain data without its password hash, ttl sets
 * the TTL and says the app will put its own back (which the next request does), and revoke
 * --user logs that user out and no one else.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { PHP_GC_MAXLIFETIME, startSymfonyApp, type PhpApp } from '../helpers/apps/php.js';
import { cookieValue } from '../helpers/apps/http.js';
import { ndjson, runCli } from '../helpers/cli.js';
import { useTestRedis } from '../helpers/fixture.js';

const t = useTestRedis();
let app: PhpApp | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const cli = (layout: string, args: string[]) => runCli([...args, '--layout', layout], { env: t.env });

async function listed(layout: string, extra: string[] = []): Promise<Array<{ key: string; user: unknown }>> {
  const r = await cli(layout, ['session', 'list', '--json', ...extra]);
  expect(r).toMatchObject({ code: 0 });
  return ndjson(r.stdout).map((row) => ({ key: String(row['key']), user: row['user'] }));
}

describe('--layout symfony', () => {
  test('list --user, show --cookie, ttl then the next request, revoke --user against Symfony 5.4', async () => {
    app = await startSymfonyApp(t.server.port);
    const a = await app.login('alice');
    const b = await app.login('bob');
    const a2 = await app.login('alice');
    const keyA = await app.sessionKey(a);
    const keyA2 = await app.sessionKey(a2);
    const keyB = await app.sessionKey(b);
    const stored = (await t.redis.get(keyA)) ?? '';
    expect(stored).toMatch(
      /^_sf2_attributes\|a:2:\{s:14:"_security_main";s:\d+:"O:74:"Symfony\\Component\\Security\\Core\\Authentication\\Token\\UsernamePasswordToken"/,
    );
    expect(stored).toContain('_sf2_meta|');
    expect(Number(await t.redis.ttl(keyA))).toBeGreaterThan(PHP_GC_MAXLIFETIME - 10);

    // session layouts: the three sessions, under sf_s.
    const found = ndjson((await runCli(['session', 'layouts', '--json'], { env: t.env })).stdout);
    expect(found.map(({ layout, prefix, keys }) => ({ layout, prefix, keys }))).toEqual([{ layout: 'symfony', prefix: 'sf_s', keys: 3 }]);

    // list --user: the token's user.
    expect((await listed('symfony', ['--user', 'alice'])).map((r) => r.key).sort()).toEqual([keyA, keyA2].sort());
    expect((await listed('symfony')).map((r) => r.user).sort()).toEqual(['alice', 'alice', 'bob']);

    // show --cookie: the token as plain data, its user's password hash redacted.
    const shown = await cli('symfony', ['session', 'show', '--json', '--cookie', a]);
    expect(shown.code).toBe(0);
    const detail = JSON.parse(shown.stdout) as Record<string, unknown>;
    expect(detail).toMatchObject({
      key: keyA,
      layout: 'symfony',
      user: 'alice',
      extra: { theme: 'dark' },
      createdAt: expect.any(String),
      session: {
        serializer: 'php',
        attributes: {
          theme: 'dark',
          _security_main: {
            '@class': 'Symfony\\Component\\Security\\Core\\Authentication\\Token\\UsernamePasswordToken',
            '1': 'main',
            '2': expect.arrayContaining([
              expect.objectContaining({
                '@class': 'Symfony\\Component\\Security\\Core\\User\\InMemoryUser',
                username: 'alice',
                password: '(redacted)',
              }),
              true,
            ]),
          },
        },
        meta: { c: expect.any(Number), u: expect.any(Number) },
      },
    });
    expect(shown.stdout).not.toContain('notarealhash');

    // ttl: the TTL alone; the next request puts the app's back, as the note says.
    const id = cookieValue(a, 'PHPSESSID');
    const set = await cli('symfony', ['session', 'ttl', '--json', id, '10m']);
    expect(JSON.parse(set.stdout)).toMatchObject({
      ttlSeconds: 600,
      valueUpdated: false,
      note: expect.stringMatching(/RedisSessionHandler.*--hold/s),
    });
    expect(Number(await t.redis.pTTL(keyA))).toBeLessThanOrEqual(600_000);
    expect(await app.me(a)).toEqual({ status: 200, user: 'alice' });
    expect(Number(await t.redis.ttl(keyA))).toBeGreaterThan(PHP_GC_MAXLIFETIME - 10);

    // revoke --user: alice is logged out everywhere, bob is not.
    const revoked = await cli('symfony', ['session', 'revoke', '--json', '--user', 'alice']);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: 2 });
    expect(await app.me(a)).toMatchObject({ status: 401 });
    expect(await app.me(a2)).toMatchObject({ status: 401 });
    expect(await app.me(b)).toEqual({ status: 200, user: 'bob' });
    expect(await listed('symfony', ['--user', 'alice'])).toEqual([]);
    expect(await listed('symfony', ['--user', 'bob'])).toEqual([{ key: keyB, user: 'bob' }]);
  }, 30000);
});
