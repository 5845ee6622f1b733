/**
 * The session commands on real PHP framework applications (test/helpers/apps/php.ts): Symfony 5.4's
 * RedisSessionHandler with the firewall's security token (`--layout symfony`), and Laravel 8's
 * redis session driver with its encrypted cookie and, optionally, encrypted sessions
 * (`--layout laravel`, APP_KEY in --cookie-secret-file). Two users log in over HTTP; list --user
 * shows exactly one user's sessions, show --cookie takes the cookie the app set (decrypted with
 * the app's key for Laravel) and shows no password hash or CSRF token, ttl sets the TTL and says
 * the app will put its own back (which the next request does), and revoke --user logs that user
 * out and no one else.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { PHP_GC_MAXLIFETIME, startLaravelApp, startSymfonyApp, type PhpApp } from '../helpers/apps/php.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cookieValue } from '../helpers/apps/http.js';
import { ndjson, runCli, withOptions } from '../helpers/cli.js';
import { useTestRedis } from '../helpers/fixture.js';

const t = useTestRedis();
let app: PhpApp | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const cli = (layout: string, args: string[]) => runCli(withOptions(args, ['--layout', layout]), { env: t.env });

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
    const set = await cli('symfony', ['session', 'ttl', '--json', '--', id, '10m']);
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

/** A file holding `line` (a secrets file, as --cookie-secret-file takes it). */
function secretsFile(line: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ra-laravel-')), 'secrets');
  writeFileSync(file, `${line}\n`, { mode: 0o600 });
  return file;
}

const LARAVEL_PREFIX = 'laravel_database_laravel_cache:';

describe('--layout laravel', () => {
  test('list --user, show --cookie (decrypted with APP_KEY), ttl then the next request, revoke --user against Laravel 8', async () => {
    const laravel = await startLaravelApp(t.server.port);
    app = laravel;
    const a = await app.login('alice');
    const b = await app.login('bob');
    const a2 = await app.login('alice');
    const keyA = await app.sessionKey(a);
    const keyA2 = await app.sessionKey(a2);
    const keyB = await app.sessionKey(b);
    expect(keyA).toMatch(/^laravel_database_laravel_cache:[A-Za-z0-9]{40}$/);
    const stored = (await t.redis.get(keyA)) ?? '';
    // serialize() of serialize($attributes), the guard's key holding the user id.
    expect(stored).toMatch(/^s:\d+:"a:\d+:\{s:6:"_token";s:40:"/);
    expect(stored).toContain('s:50:"login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d";i:1001;');
    expect(Number(await t.redis.ttl(keyA))).toBeGreaterThan(3590);
    // Another cache entry under the same prefix, with a key of a session id's shape: not a session.
    const cached = `${LARAVEL_PREFIX}${'C'.repeat(40)}`;
    await t.redis.set(cached, 's:12:"cached value";');

    const found = ndjson((await runCli(['session', 'layouts', '--json'], { env: t.env })).stdout);
    expect(found.map(({ layout, prefix, keys }) => ({ layout, prefix, keys }))).toEqual([
      { layout: 'laravel', prefix: LARAVEL_PREFIX, keys: 3 },
    ]);

    // list --user: the id SessionGuard keeps.
    expect((await listed('laravel', ['--user', '1001'])).map((r) => r.key).sort()).toEqual([keyA, keyA2].sort());
    expect((await listed('laravel')).map((r) => r.user).sort()).toEqual(['1001', '1001', '1002']);

    // show --cookie: the cookie is encrypted; it takes APP_KEY from --cookie-secret-file.
    const noKey = await cli('laravel', ['session', 'show', '--cookie', a]);
    expect(noKey).toMatchObject({ code: 2, stderr: expect.stringMatching(/encrypted.*--cookie-secret-file/) });
    const keyFile = secretsFile(`APP_KEY=${laravel.appKey}`);
    const shown = await cli('laravel', ['session', 'show', '--json', '--cookie', a, '--cookie-secret-file', keyFile]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      key: keyA,
      layout: 'laravel',
      user: '1001',
      extra: { guard: 'web', theme: 'dark' },
      session: { serialization: 'php', encrypted: false, attributes: { _token: '(redacted)', theme: 'dark' } },
    });
    const wrong = await cli('laravel', [
      'session',
      'show',
      '--cookie',
      a,
      '--cookie-secret-file',
      secretsFile(`base64:${Buffer.alloc(32, 7).toString('base64')}`),
    ]);
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringMatching(/decrypts the cookie/) });

    // ttl: the TTL alone; the next request puts the app's lifetime back, as the note says.
    const id = keyA.slice(LARAVEL_PREFIX.length);
    const set = await cli('laravel', ['session', 'ttl', '--json', '--', id, '10m']);
    expect(JSON.parse(set.stdout)).toMatchObject({
      ttlSeconds: 600,
      valueUpdated: false,
      note: expect.stringMatching(/CacheBasedSessionHandler.*--hold/s),
    });
    expect(Number(await t.redis.pTTL(keyA))).toBeLessThanOrEqual(600_000);
    expect(await app.me(a)).toEqual({ status: 200, user: 'alice' });
    expect(Number(await t.redis.ttl(keyA))).toBeGreaterThan(3590);

    // revoke --user: alice is logged out everywhere, bob is not.
    const revoked = await cli('laravel', ['session', 'revoke', '--json', '--user', '1001']);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: 2 });
    expect(await app.me(a)).toMatchObject({ status: 401 });
    expect(await app.me(a2)).toMatchObject({ status: 401 });
    expect(await app.me(b)).toEqual({ status: 200, user: 'bob' });
    // Laravel made the revoked id a new anonymous session (a _token, no user).
    expect(await t.redis.exists(keyA)).toBe(1);
    expect(await listed('laravel', ['--user', '1001'])).toEqual([]);
    expect(await listed('laravel', ['--user', '1002'])).toEqual([{ key: keyB, user: '1002' }]);

    // revoke --all: the sessions go, the other cache entry stays.
    const all = await cli('laravel', ['session', 'revoke', '--all', '--yes', '--json']);
    expect(all.code).toBe(0);
    expect(await listed('laravel')).toEqual([]);
    expect(await t.redis.get(cached)).toBe('s:12:"cached value";');
  }, 30000);

  test('SESSION_ENCRYPT: unreadable without APP_KEY, read with it by list, show and revoke', async () => {
    const laravel = await startLaravelApp(t.server.port, { encrypt: true });
    app = laravel;
    const a = await app.login('alice');
    const b = await app.login('bob');
    const keyA = await app.sessionKey(a);
    expect((await t.redis.get(keyA)) ?? '').toMatch(/^s:\d+:"eyJpdiI6/);
    // Without the key: listed, unreadable, no one's.
    const blind = ndjson((await cli('laravel', ['session', 'list', '--json'])).stdout);
    expect(blind.map((r) => [r['readable'], r['user']])).toEqual([
      [false, null],
      [false, null],
    ]);
    const keyFile = secretsFile(laravel.appKey);
    const withKey = ['--cookie-secret-file', keyFile];
    expect(await listed('laravel', ['--user', '1001', ...withKey])).toEqual([{ key: keyA, user: '1001' }]);
    const shown = await cli('laravel', ['session', 'show', '--json', '--cookie', a, ...withKey]);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      key: keyA,
      user: '1001',
      session: { encrypted: true, attributes: { theme: 'dark' } },
    });
    const revoked = await cli('laravel', ['session', 'revoke', '--json', '--user', '1001', ...withKey]);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: 1 });
    expect(await app.me(a)).toMatchObject({ status: 401 });
    expect(await app.me(b)).toEqual({ status: 200, user: 'bob' });
  }, 30000);
});
