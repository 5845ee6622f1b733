/**
 * The session commands on real PHP applications (test/helpers/apps/php.ts): PHP 8.2's own
 * sessions on phpredis (`--layout php`) with each of its serializers. Two users log in over
 * HTTP; list --user shows exactly one user's sessions, show --cookie takes the PHPSESSID the app
 * set, ttl sets the TTL and says the app will put gc_maxlifetime back (which the next request
 * does, unless --hold), and revoke --user logs that user out and no one else. In PHP's default
 * non-strict mode the next request with a revoked cookie re-creates the id as an empty session:
 * still logged out.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { RESP_TYPES } from 'redis';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PHP_GC_MAXLIFETIME, PHP_USER_IDS, startPhpApp, type PhpApp, type PhpSerializer } from '../helpers/apps/php.js';
import { cookieValue } from '../helpers/apps/http.js';
import { ndjson, runCli, startCli } from '../helpers/cli.js';
import { useTestRedis } from '../helpers/fixture.js';
import { waitFor } from '../helpers/wait.js';

const t = useTestRedis();
const bytes = () => t.redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
let app: PhpApp | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const cli = (args: string[]) => runCli([...args, '--layout', 'php'], { env: t.env });

async function listed(extra: string[] = []): Promise<Array<{ key: string; user: unknown }>> {
  const r = await cli(['session', 'list', '--json', ...extra]);
  expect(r).toMatchObject({ code: 0 });
  return ndjson(r.stdout).map((row) => ({ key: String(row['key']), user: row['user'] }));
}

const SERIALIZERS: PhpSerializer[] = ['php', 'php_serialize', 'igbinary'];

describe.each(SERIALIZERS)('session.serialize_handler=%s', (serializer) => {
  test('list --user, show --cookie, ttl then the next request, revoke --user: that user is logged out, the other is not', async () => {
    app = await startPhpApp(t.server.port, serializer);
    const a = await app.login('alice');
    const b = await app.login('bob');
    const a2 = await app.login('alice');
    const keyA = await app.sessionKey(a);
    const keyB = await app.sessionKey(b);
    const keyA2 = await app.sessionKey(a2);
    const stored = await bytes().get(keyA);
    if (serializer === 'igbinary') expect(stored?.subarray(0, 4)).toEqual(Buffer.from([0, 0, 0, 2]));
    else
      expect(stored?.toString('latin1')).toMatch(
        serializer === 'php' ? /^user_id\|i:1001;username\|s:5:"alice";/ : /^a:4:\{s:7:"user_id";i:1001;/,
      );
    // phpredis wrote it with SETEX gc_maxlifetime.
    expect(Number(await t.redis.ttl(keyA))).toBeGreaterThan(PHP_GC_MAXLIFETIME - 10);

    // list --user: exactly alice's sessions, by the default user fields (username) or by user_id.
    expect((await listed(['--user', 'alice'])).map((r) => r.key).sort()).toEqual([keyA, keyA2].sort());
    expect((await listed(['--user', String(PHP_USER_IDS['alice']), '--user-field', 'user_id'])).map((r) => r.key).sort()).toEqual(
      [keyA, keyA2].sort(),
    );
    expect((await listed()).map((r) => r.user).sort()).toEqual(['alice', 'alice', 'bob']);

    // show --cookie with the Cookie header the app set.
    const shown = await cli(['session', 'show', '--json', '--cookie', a]);
    expect(shown.code).toBe(0);
    const detail = JSON.parse(shown.stdout) as Record<string, unknown>;
    expect(detail).toMatchObject({
      key: keyA,
      layout: 'php',
      user: 'alice',
      session: { serializer, variables: { user_id: 1001, username: 'alice', roles: ['user', 'reader'] } },
    });
    const id = cookieValue(a, 'PHPSESSID');
    expect(detail['id']).toBe(id);
    // The bare cookie value works as well; the cookie is not signed, so a secrets file is refused.
    expect((await cli(['session', 'show', '--json', '--cookie', id])).code).toBe(0);
    const secrets = join(mkdtempSync(join(tmpdir(), 'ra-php-')), 'secrets');
    writeFileSync(secrets, 'anything\n');
    const signed = await cli(['session', 'show', '--cookie', id, '--cookie-secret-file', secrets]);
    expect(signed).toMatchObject({ code: 2, stderr: expect.stringMatching(/not signed/) });

    // ttl: the key's TTL only, and the tool says the app puts gc_maxlifetime back on its next request.
    const set = await cli(['session', 'ttl', '--json', id, '10m']);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({
      ttlSeconds: 600,
      valueUpdated: false,
      note: expect.stringMatching(/gc_maxlifetime.*--hold/s),
    });
    expect(Number(await t.redis.pTTL(keyA))).toBeLessThanOrEqual(600_000);
    expect(await bytes().get(keyA)).toEqual(stored);
    const plain = await cli(['session', 'ttl', id, '10m']);
    expect(plain.stderr).toMatch(/Note: phpredis sets the key's TTL to the app's session\.gc_maxlifetime/);
    expect(plain.stderr).not.toMatch(/only the key TTL was changed/);
    expect(await app.me(a)).toEqual({ status: 200, user: 'alice' });
    expect(Number(await t.redis.ttl(keyA))).toBeGreaterThan(PHP_GC_MAXLIFETIME - 10);

    // revoke --user: both of alice's sessions go; bob stays logged in.
    const revoked = await cli(['session', 'revoke', '--json', '--user', 'alice']);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: 2 });
    expect(await app.me(a)).toMatchObject({ status: 401 });
    expect(await app.me(a2)).toMatchObject({ status: 401 });
    expect(await app.me(b)).toEqual({ status: 200, user: 'bob' });
    // Non-strict PHP re-created alice's id as an empty session ("" with the php serializer,
    // a:0:{} or igbinary's empty array with the others): listed, but no one's.
    expect(await t.redis.exists(keyA)).toBe(1);
    expect(JSON.parse((await cli(['session', 'show', '--json', id])).stdout)).toMatchObject({ user: null, session: { variables: {} } });
    if (serializer === 'php') expect(await t.redis.get(keyA)).toBe('');
    expect(await listed(['--user', 'alice'])).toEqual([]);
    const all = await listed();
    expect(all).toContainEqual({ key: keyA, user: null });
    expect(all).toContainEqual({ key: keyB, user: 'bob' });
    expect(all.map((r) => r.key)).toContain(keyA2);
  }, 30000);
});

test('strict mode: a revoked id is not re-created (PHP issues a new one), and the user is logged out', async () => {
  app = await startPhpApp(t.server.port, 'php', { strict: true });
  const a = await app.login('alice');
  const b = await app.login('bob');
  const keyA = await app.sessionKey(a);
  expect((await cli(['session', 'revoke', '--json', cookieValue(a, 'PHPSESSID')])).stdout).toMatch(/"revoked":1/);
  expect(await app.me(a)).toMatchObject({ status: 401 });
  expect(await t.redis.exists(keyA)).toBe(0);
  expect(await app.me(b)).toEqual({ status: 200, user: 'bob' });
}, 30000);

test('ttl --hold: the next request puts gc_maxlifetime back and the hold sets the lifetime again', async () => {
  app = await startPhpApp(t.server.port, 'php');
  const a = await app.login('alice');
  const key = await app.sessionKey(a);
  const id = cookieValue(a, 'PHPSESSID');
  await t.redis.configSet('notify-keyspace-events', 'E$g');
  const hold = startCli(['session', 'ttl', id, '10m', '--hold', '3s', '--json', '--layout', 'php'], { env: t.env });
  await waitFor('the new TTL', async () => Number(await t.redis.pTTL(key)) <= 600_000);
  await waitFor('the hold to subscribe', async () => (await t.redis.pubSubChannels('__keyevent@0__:expire')).length > 0);
  expect(await app.me(a)).toEqual({ status: 200, user: 'alice' });
  const r = await hold.done;
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ ttlSeconds: 600, held: { reapplied: expect.any(Number) } });
  expect((JSON.parse(r.stdout) as { held: { reapplied: number } }).held.reapplied).toBeGreaterThanOrEqual(1);
  expect(Number(await t.redis.pTTL(key))).toBeLessThanOrEqual(600_000);
}, 30000);

test('session layouts finds sessions of all three serializers under PHPREDIS_SESSION:', async () => {
  for (const serializer of SERIALIZERS) {
    const one = await startPhpApp(t.server.port, serializer);
    try {
      await one.login('carol');
    } finally {
      await one.close();
    }
  }
  // phpredis's lock key beside a session is not a session.
  await t.redis.set('PHPREDIS_SESSION:abc_LOCK', 'host|1234');
  const r = await runCli(['session', 'layouts', '--json'], { env: t.env });
  expect(ndjson(r.stdout).map(({ layout, prefix, keys }) => ({ layout, prefix, keys }))).toEqual([
    { layout: 'php', prefix: 'PHPREDIS_SESSION:', keys: 3 },
  ]);
  expect((await listed()).map((row) => row.user)).toEqual(['carol', 'carol', 'carol']);
}, 30000);
