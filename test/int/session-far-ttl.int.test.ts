/**
 * A key whose TTL reaches past what a Date holds (year 275760; Redis takes EXPIRE up to ~2^63 ms):
 * it once ended every listing with "unexpected error: Invalid time value". Each layout's
 * sessions, seeded as the real apps write them, one given such a TTL: listed, shown and
 * revoked like any other, its expiry null where the key's TTL is what decides it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { ndjson, ROOT, runCli } from '../helpers/cli.js';
import { useTestRedis } from '../helpers/fixture.js';
import type { RedisServer } from '../helpers/redis-server.js';
import {
  seedAuthjsSessions,
  seedBetterAuthSessions,
  seedKoaSessions,
  seedSessions,
  seedSpringSessions,
  type NodeSeedOptions,
} from '../helpers/seed.js';
import { seedGorillaSessions } from '../helpers/seed-go.js';
import { seedLaravelSessions, seedPhpSessions, seedSymfonySessions } from '../helpers/seed-php.js';
import { seedDjangoSessions, seedFlaskSessions } from '../helpers/seed-python.js';
import { seedRailsCacheSessions, seedRailsSessions } from '../helpers/seed-ruby.js';

let server: RedisServer;
let redis: RedisClientType;
useTestRedis((t) => {
  server = t.server;
  redis = t.redis;
});

const springVectors = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'jdk', 'vectors.json'), 'utf8')) as Record<string, string>;

/** 9e12 seconds: about 285,000 years from now, past the 8.64e15 ms a Date holds. */
const FAR_SECONDS = 9_000_000_000_000;

type Seed = (port: number, opts: NodeSeedOptions) => Promise<void>;
/** Layouts whose listed expiry is the key's TTL (the others keep an expiry of their own in the value). */
const LAYOUTS: Array<[layout: string, seed: Seed, byTtl: boolean]> = [
  ['connect-redis', (port, opts) => seedSessions(port, opts), true],
  ['spring', (port, opts) => seedSpringSessions(port, { ...opts, indexed: true, vectors: springVectors }), false],
  ['koa', seedKoaSessions, false],
  ['better-auth', seedBetterAuthSessions, false],
  ['authjs', seedAuthjsSessions, false],
  ['php', seedPhpSessions, true],
  ['symfony', seedSymfonySessions, true],
  ['laravel', seedLaravelSessions, true],
  ['django', seedDjangoSessions, true],
  ['flask', seedFlaskSessions, true],
  ['rails', seedRailsSessions, true],
  ['rails-cache', seedRailsCacheSessions, false],
  ['gorilla', seedGorillaSessions, true],
];

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
