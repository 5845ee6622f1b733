/**
 * A key whose TTL reaches past what a Date holds (year 275760; Redis takes EXPIRE up to ~2^63 ms):
 * it once ended every listing with "unexpected error: Invalid time value". Each layout's
 * sessions, seeded as the real apps write them, one given such a TTL: listed, shown and
 * revoked like any other, its expiry null where the key's TTL is what decides it.
 */
import { describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { ndjson, runCli } from '../helpers/cli.js';
import { useTestRedis } from '../helpers/fixture.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { seedSessions } from '../helpers/seed.js';
import { SEED_BY_LAYOUT } from '../helpers/seed-all.js';

let server: RedisServer;
let redis: RedisClientType;
useTestRedis((t) => {
  server = t.server;
  redis = t.redis;
});

/** 9e12 seconds: about 285,000 years from now, past the 8.64e15 ms a Date holds. */
const FAR_SECONDS = 9_000_000_000_000;

/** Layouts whose listed expiry is the key's TTL (the others keep an expiry of their own in the value). */
const STORED_EXPIRY = new Set(['spring', 'koa', 'better-auth', 'authjs', 'rails-cache']);
const LAYOUTS = Object.entries(SEED_BY_LAYOUT).map(([layout, seed]) => [layout, seed, !STORED_EXPIRY.has(layout)] as const);

const cli = (args: string[]) => runCli(args, { env: { REDIS_URL: server.url } });

describe.each(LAYOUTS)('%s: a session whose TTL no Date holds', (layout, seed, byTtl) => {
  test('is listed (--json and tab-separated), shown and revoked; the others are listed beside it', async () => {
    await seed(server.port, { to: 3, users: 3 });
    const before = ndjson((await cli(['session', 'list', '--layout', layout, '--json'])).stdout);
    expect(before).toHaveLength(3);
    const far = before[0] as { id: string; key: string };
    expect(Number(await redis.expire(far.key, FAR_SECONDS))).toBe(1);

    const list = await cli(['session', 'list', '--layout', layout, '--json']);
    expect(list.stderr).not.toMatch(/unexpected error/);
    expect(list.code).toBe(0);
    const rows = ndjson(list.stdout);
    expect(rows.map((r) => r['id']).sort()).toEqual(before.map((r) => r['id']).sort());
    const row = rows.find((r) => r['id'] === far.id) as Record<string, unknown>;
    expect(row['readable']).toBe(true);
    if (byTtl) expect(row['expiresAt']).toBeNull();
    expect(row['ttlSeconds'] === -1 || (row['ttlSeconds'] as number) > 0).toBe(true);

    const table = await cli(['session', 'list', '--layout', layout]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(far.id);

    const show = await cli(['session', 'show', '--layout', layout, '--json', '--', far.id]);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: far.id });

    const revoke = await cli(['session', 'revoke', '--layout', layout, '--json', '--', far.id]);
    expect(revoke.code).toBe(0);
    expect(await redis.exists(far.key)).toBe(0);
  });
});

test('an unreadable value with such a TTL is listed as unreadable, and the scan goes on', async () => {
  await seedSessions(server.port, { to: 2, users: 2 });
  await redis.set('sess:garbage', 'not json', { EX: 60 });
  await redis.expire('sess:garbage', FAR_SECONDS);
  const list = await cli(['session', 'list', '--json']);
  expect(list.code).toBe(0);
  const rows = ndjson(list.stdout);
  expect(rows).toHaveLength(3);
  expect(rows.find((r) => r['id'] === 'garbage')).toMatchObject({ readable: false, expiresAt: null });
  expect(list.stderr).toMatch(/1 unreadable/);
});
