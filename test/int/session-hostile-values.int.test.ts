/**
 * Sessions that are hard to read, through the built CLI against a real server (issue 13): keys
 * and values that are not UTF-8, integers beyond 2^53, JSON escapes that hide a user from a
 * text search, values nested thousands deep, user fields that hold objects, and prefixes that
 * would match every key.
 */
import { describe, expect, test } from '@jest/globals';
import { RESP_TYPES, type RedisClientType } from 'redis';
import { ndjson, runCli, type CliResult } from '../helpers/cli.js';
import { sessionJson } from '../helpers/client.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { useTestRedis } from '../helpers/fixture.js';

let server: RedisServer;
let redis: RedisClientType;

useTestRedis((t) => {
  server = t.server;
  redis = t.redis;
});

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { env: { REDIS_URL: server.url, ...env } });
}

const COOKIE = '{"originalMaxAge":604800000,"expires":"2030-01-01T00:00:00.000Z","httpOnly":true,"path":"/"}';

async function getBytes(key: string | Buffer): Promise<Buffer | null> {
  return (await redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(key)) as unknown as Buffer | null;
}

describe('keys that are not UTF-8 (item 13)', () => {
  const oddKey = Buffer.concat([Buffer.from('sess:k'), Buffer.from([0xff, 0xfe])]);

  test('are listed with their id escaped, counted, and revoked by --all', async () => {
    await redis.set(oddKey, sessionJson({ passport: { user: 'alice' } }, 60_000));
    await redis.set('sess:plain', sessionJson({ passport: { user: 'bob' } }, 60_000));
    const list = await cli(['session', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(
      ndjson(list.stdout)
        .map((r) => r['id'])
        .sort(),
    ).toEqual(['k\\xff\\xfe', 'plain']);
    expect(list.stderr).toMatch(/^2 sessions\./);
    const revoke = await cli(['session', 'revoke', '--all', '--yes', '--json']);
    expect(JSON.parse(revoke.stdout)).toMatchObject({ revoked: 2 });
    expect(await redis.exists(oddKey)).toBe(0);
  });

  test('can be named in its escaped form: show, ttl and revoke reach the key', async () => {
    await redis.set(oddKey, sessionJson({ passport: { user: 'alice' } }, 60_000), { PX: 60_000 });
    const show = await cli(['session', 'show', 'k\\xff\\xfe', '--json']);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: 'k\\xff\\xfe', user: 'alice' });
    expect((await cli(['session', 'ttl', 'k\\xff\\xfe', '90s'])).code).toBe(0);
    expect(Number(await redis.pTTL(oddKey))).toBeLessThanOrEqual(90_000);
    const revoke = await cli(['session', 'revoke', 'k\\xff\\xfe', '--json']);
    expect(JSON.parse(revoke.stdout)).toMatchObject({ revoked: 1, ids: ['k\\xff\\xfe'] });
    expect(await redis.exists(oddKey)).toBe(0);
  });
});

describe('values that are not UTF-8 (item 15)', () => {
  test('session ttl sets the lifetime and keeps every byte but the cookie timing', async () => {
    const value = Buffer.concat([
      Buffer.from(`{"cookie":${COOKIE},"passport":{"user":"alice"},"note":"`),
      Buffer.from([0xff, 0x80, 0x41]),
      Buffer.from('"}'),
    ]);
    await redis.set('sess:bin', value, { PX: 604_800_000 });
    const r = await cli(['session', 'ttl', 'bin', '60s', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ttlSeconds: 60, cookieUpdated: true });
    const stored = (await getBytes('sess:bin')) as Buffer;
    const expires = JSON.parse(stored.toString('latin1')).cookie.expires as string;
    const expected = value.toString('latin1').replace('604800000', '60000').replace('2030-01-01T00:00:00.000Z', expires);
    expect(stored.equals(Buffer.from(expected, 'latin1'))).toBe(true);
    expect(Number(await redis.pTTL('sess:bin'))).toBeLessThanOrEqual(60_000);
  });
});

describe('integers beyond 2^53 (item 14)', () => {
  const big = '1234567890123456789';
  const raw = `{"cookie":${COOKIE},"user":{"id":${big}},"ip":"203.0.113.7"}`;

  test('list shows the exact id, --user matches it, and no rounded neighbour', async () => {
    await redis.set('sess:big', raw, { PX: 60_000 });
    await redis.set('sess:other', `{"cookie":${COOKIE},"user":{"id":1234567890123456800}}`, { PX: 60_000 });
    const list = await cli(['session', 'list', '--json', '--user', big]);
    expect(ndjson(list.stdout)).toEqual([expect.objectContaining({ id: 'big', user: big })]);
    const revoke = await cli(['session', 'revoke', '--user', big, '--json']);
    expect(JSON.parse(revoke.stdout)).toMatchObject({ revoked: 1 });
    expect(await redis.exists('sess:other')).toBe(1);
  });

  test('session ttl leaves the stored id exactly as it was', async () => {
    await redis.set('sess:big', raw, { PX: 600_000 });
    expect((await cli(['session', 'ttl', 'big', '60s'])).code).toBe(0);
    const stored = String(await redis.get('sess:big'));
    expect(stored).toContain(`"user":{"id":${big}}`);
    expect(stored.replace(/"originalMaxAge":\d+,"expires":"[^"]+"/, '')).toBe(raw.replace(/"originalMaxAge":\d+,"expires":"[^"]+"/, ''));
  });
});

describe('--user against every spelling the listing reads (item 6)', () => {
  test('a \\u-escaped name and an exponent-form number are revoked like the plain ones', async () => {
    await redis.set('sess:esc', `{"cookie":${COOKIE},"passport":{"user":"alice\\u002Bops@example.com"}}`, { PX: 60_000 });
    await redis.set('sess:plain', `{"cookie":${COOKIE},"passport":{"user":"alice+ops@example.com"}}`, { PX: 60_000 });
    await redis.set('sess:exp', `{"cookie":${COOKIE},"userId":1e2}`, { PX: 60_000 });
    await redis.set('sess:other', `{"cookie":${COOKIE},"userId":101}`, { PX: 60_000 });
    const listed = await cli(['session', 'list', '--json']);
    expect(Object.fromEntries(ndjson(listed.stdout).map((r) => [r['id'], r['user']]))).toMatchObject({
      esc: 'alice+ops@example.com',
      exp: '100',
    });
    const byName = await cli(['session', 'revoke', '--user', 'alice+ops@example.com', '--json']);
    expect(JSON.parse(byName.stdout)).toMatchObject({ revoked: 2 });
    const byNumber = await cli(['session', 'revoke', '--user', '100', '--json']);
    expect(JSON.parse(byNumber.stdout)).toMatchObject({ revoked: 1 });
    expect((await redis.keys('sess:*')).sort()).toEqual(['sess:other']);
  });
});

describe('a value nested 8,000 levels deep (item 7)', () => {
  const deep = `{"cookie":${COOKIE},"passport":{"user":"mallory"},"x":${'{"a":'.repeat(8000)}1${'}'.repeat(8000)}}`;

  test('is listed as unreadable and counted; the scan goes on; show and ttl do not crash', async () => {
    await redis.set('sess:deep', deep, { PX: 60_000 });
    await redis.set('sess:ok', sessionJson({ passport: { user: 'bob' } }, 60_000), { PX: 60_000 });
    for (const args of [
      ['session', 'list', '--json'],
      ['session', 'list'],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('ok');
      expect(r.stdout).toContain('deep');
      expect(r.stderr).toMatch(/^2 sessions \(1 unreadable\)\./);
      expect(r.stderr).not.toMatch(/stack/i);
    }
    const show = await cli(['session', 'show', 'deep']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/unreadable: nested deeper than 64 levels/);
    const ttl = await cli(['session', 'ttl', 'deep', '30s']);
    expect(ttl.code).toBe(0);
    expect(ttl.stderr).toMatch(/only the key TTL was changed/);
  });
});

describe('user fields that name no user (item 18)', () => {
  const objectUser = `{"cookie":${COOKIE},"passport":{"user":{"id":7,"username":"alice"}},"username":"bob"}`;

  test('do not fall through to a lower-priority field; the summary counts them and hints at --user-field', async () => {
    await redis.set('sess:obj', objectUser, { PX: 60_000 });
    const list = await cli(['session', 'list', '--json']);
    expect(ndjson(list.stdout)).toEqual([expect.objectContaining({ id: 'obj', user: null })]);
    expect(list.stderr).toMatch(
      /1 session has an object in passport\.user, which names no user; name the member that does with --user-field, e\.g\. --user-field passport\.user\.id/,
    );
    const none = await cli(['session', 'revoke', '--user', 'bob']);
    expect(none.stderr).toMatch(/Revoked 0 sessions of bob/);
    const alice = await cli(['session', 'revoke', '--user', 'alice']);
    expect(alice.stderr).toMatch(/Revoked 0 sessions of alice .*1 session has an object in passport\.user.*--user-field/);
    const byMember = await cli(['session', 'revoke', '--user', 'alice', '--user-field', 'passport.user.username', '--json']);
    expect(JSON.parse(byMember.stdout)).toMatchObject({ revoked: 1 });
  });
});

describe('an empty prefix (item 2)', () => {
  test('is refused with exit 2 from the option and from an environment variable set to nothing; nothing is touched', async () => {
    await redis.set('cache:page', 'x');
    await redis.set('sess:a', sessionJson({ passport: { user: 'alice' } }, 60_000));
    const byOption = await cli(['session', 'revoke', '--all', '--yes', '--session-prefix', '']);
    expect(byOption.code).toBe(2);
    expect(byOption.stderr).toMatch(/--session-prefix may not be empty/);
    const byEnv = await cli(['session', 'revoke', '--all', '--yes'], { REDIS_ACCOUNTS_SESSION_PREFIX: '' });
    expect(byEnv.code).toBe(2);
    const users = await cli(['user', 'rehash', '--check'], { REDIS_ACCOUNTS_USER_PREFIX: '' });
    expect(users.code).toBe(2);
    expect(users.stderr).toMatch(/--user-prefix may not be empty/);
    expect((await redis.keys('*')).sort()).toEqual(['cache:page', 'sess:a']);
  });
});
