/**
 * The bench's bulk seeders for koa, Better Auth and Auth.js (test/helpers/seed.ts) against the
 * real apps (test/helpers/apps): each app logs a user in twice, the seeder writes sessions on a
 * fresh server, and both keyspaces must have the same shape: key names, JSON members in the
 * same order with the same kinds of values, TTLs by the same rule, and the per-user index the
 * app keeps. A framework upgrade that changes what it writes fails here, not silently in the
 * bench. The tool lists exactly the seeded sessions, and `--user` finds a user's all.
 */
import { describe, expect, test } from '@jest/globals';
import { startAuthjsApp } from '../helpers/apps/authjs.js';
import { startBetterAuthApp } from '../helpers/apps/better-auth.js';
import { startKoaApp } from '../helpers/apps/koa.js';
import type { NodeApp } from '../helpers/apps/types.js';
import { ndjson, runCli } from '../helpers/cli.js';
import { AUDIT_KEY, useTestRedis } from '../helpers/fixture.js';
import { seedAuthjsSessions, seedBetterAuthSessions, seedKoaSessions, type NodeSeedOptions } from '../helpers/seed.js';

const t = useTestRedis();

/** A JSON value with every leaf replaced by its kind (an ISO date, a string, a number...), members kept in order. */
function skeleton(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? [] : [skeleton(v[0])];
  if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, skeleton(x)]);
  if (typeof v === 'string') return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v) ? 'date' : 'string';
  return typeof v;
}

/** A key name with its ids (UUIDs, 32-character tokens, user ids) replaced by their kind. */
const keyShape = (key: string) =>
  key
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/, '<uuid>')
    .replace(/^[A-Za-z0-9]{32}$/, '<token>')
    .replace(/(active-sessions-|by-user-id:).*$/, '$1<user id>');

interface Key {
  shape: string;
  value: unknown;
  /** The TTL rule, from the value: 'none', or the TTL less what the value says it should be (ms). */
  ttl: string | number;
}

/** Every shape of key (but the audit stream), with its value's skeleton and how its TTL follows from the value, ordered by shape. */
async function keyspace(ttlRule: (key: string, value: unknown, pttl: number) => number | 'none'): Promise<Key[]> {
  const out = new Map<string, Key>();
  for (const key of await t.redis.keys('*')) {
    if (key === AUDIT_KEY) continue;
    const raw = (await t.redis.get(key)) ?? '';
    const value: unknown = raw.startsWith('{') || raw.startsWith('[') ? JSON.parse(raw) : raw;
    const shape = keyShape(key);
    const ttl = ttlRule(key, value, Number(await t.redis.pTTL(key)));
    const seen = out.get(shape);
    // Keys of one shape must agree with each other too: the first one stands for them.
    if (seen !== undefined) expect({ ...seen, value: typeof value === 'string' ? keyShape(value) : skeleton(value), ttl }).toEqual(seen);
    else out.set(shape, { shape, value: typeof value === 'string' ? keyShape(value) : skeleton(value), ttl });
  }
  return [...out.values()].sort((a, b) => a.shape.localeCompare(b.shape));
}

/** Within a few seconds: the app's and the seeder's clocks are read at different moments. */
const near = (ms: number) => (Math.abs(ms) < 3000 ? 0 : ms);

interface Case {
  layout: string;
  start: (url: string) => Promise<NodeApp>;
  seed: (port: number, opts: NodeSeedOptions) => Promise<void>;
  ttlRule: (key: string, value: unknown, pttl: number) => number | 'none';
}

const CASES: Case[] = [
  {
    layout: 'koa',
    start: startKoaApp,
    seed: seedKoaSessions,
    // koa-redis: SETEX of the remaining maxAge + 10 s.
    ttlRule: (_k, v, pttl) => near(pttl - ((v as { _expire: number })._expire - Date.now() + 10_000)),
  },
  {
    layout: 'better-auth',
    start: startBetterAuthApp,
    seed: seedBetterAuthSessions,
    // Until session.expiresAt; the list until its latest entry's expiresAt.
    ttlRule: (_k, v, pttl) => {
      const until = Array.isArray(v)
        ? Math.max(...v.map((e: { expiresAt: number }) => e.expiresAt))
        : Date.parse((v as { session: { expiresAt: string } }).session.expiresAt);
      return near(pttl - (until - Date.now()));
    },
  },
  {
    layout: 'authjs',
    start: startAuthjsApp,
    seed: seedAuthjsSessions,
    ttlRule: (_k, _v, pttl) => (pttl === -1 ? 'none' : pttl),
  },
];

describe.each(CASES)('$layout seeder', ({ layout, start, seed, ttlRule }) => {
  test('writes what the real app writes', async () => {
    const app = await start(t.server.url);
    try {
      await app.login('alice');
      await app.login('alice');
    } finally {
      await app.close();
    }
    // Auth.js's adapter also keeps its users (user:<id>, user:email:<email>); the seeder leaves them out.
    const written = (await keyspace(ttlRule)).filter((k) => layout !== 'authjs' || k.shape.startsWith('user:session:'));
    await t.redis.flushAll();
    await seed(t.server.port, { to: 2, users: 1 });
    expect(await keyspace(ttlRule)).toEqual(written);
  });

  test('the tool lists every seeded session, and --user finds all of a user', async () => {
    await seed(t.server.port, { to: 500, users: 40 });
    await seed(t.server.port, { from: 500, to: 1000, users: 40 });
    const listed = await runCli(['session', 'list', '--layout', layout, '--json'], { env: t.env });
    const rows = ndjson(listed.stdout);
    expect(rows).toHaveLength(1000);
    expect(new Set(rows.map((r) => r['key'])).size).toBe(1000);
    expect(rows.filter((r) => r['user'] === 'user7')).toHaveLength(25);
    const scanned = await runCli(['session', 'list', '--layout', layout, '--scan', '--user', 'user7', '--json'], { env: t.env });
    expect(ndjson(scanned.stdout)).toHaveLength(25);
    if (layout === 'better-auth') {
      // Through the active-sessions list both seedings appended to (what the bench's indexed revoke reads).
      const indexed = await runCli(['session', 'list', '--layout', layout, '--user', 'user7', '--json'], { env: t.env });
      expect(ndjson(indexed.stdout)).toHaveLength(25);
      expect(indexed.stderr).toMatch(/index/i);
    }
  });
});
