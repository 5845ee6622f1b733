/**
 * The php, symfony, laravel, django, flask, rails, rails-cache and gorilla layouts on a Redis
 * Cluster: each layout's sessions, as its seeder writes them (test/helpers/seed-*.ts, held to the
 * real applications' bytes by seed-layouts.int.test.ts), are seeded on a single server beside every
 * other layout's, then moved byte for byte (DUMP/RESTORE, TTLs kept) into a 3-master Cluster. There
 * `list`, `list --user`, `ttl`, `revoke --user` and `revoke --all` must walk every master and touch
 * exactly the keys they name: never another user's, never another layout's, never CROSSSLOT/MOVED.
 * Who owns a key is read from its seeded bytes here (each value holds `user<n>`), not from the tool.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { RESP_TYPES } from 'redis';
import { ndjson, runCli, withOptions, type CliResult } from '../helpers/cli.js';
import { AUDIT_KEY, useServer } from '../helpers/fixture.js';
import type { NodeSeedOptions } from '../helpers/seed.js';
import { seedGorillaSessions } from '../helpers/seed-go.js';
import { seedLaravelSessions, seedPhpSessions, seedSymfonySessions } from '../helpers/seed-php.js';
import { seedDjangoSessions, seedFlaskSessions } from '../helpers/seed-python.js';
import { seedRailsCacheSessions, seedRailsSessions } from '../helpers/seed-ruby.js';
import { clusterKeys, copyToCluster, useCluster } from '../helpers/topologies.js';

/** Sessions per layout, and users: session i belongs to user<i % USERS>, so each user has 6. */
const COUNT = 30;
const USERS = 5;
const PER_USER = COUNT / USERS;
/** The user revoked, and the one whose session gets a new TTL (a different one: it must survive). */
const REVOKED = 'user3';
const TIMED = 'user1';

interface Case {
  layout: string;
  seed: (port: number, opts: NodeSeedOptions) => Promise<void>;
  /** SCAN pattern of the layout's keys (no two layouts' patterns match the same seeded key). */
  match: string;
}

const CASES: Case[] = [
  { layout: 'php', seed: seedPhpSessions, match: 'PHPREDIS_SESSION:*' },
  { layout: 'symfony', seed: seedSymfonySessions, match: 'sf_s*' },
  { layout: 'laravel', seed: seedLaravelSessions, match: 'laravel_database_laravel_cache:*' },
  { layout: 'django', seed: seedDjangoSessions, match: ':1:django.contrib.sessions.cache*' },
  { layout: 'flask', seed: seedFlaskSessions, match: 'session:*' },
  { layout: 'rails', seed: seedRailsSessions, match: 'rack:session:*' },
  { layout: 'rails-cache', seed: seedRailsCacheSessions, match: '_session_id:*' },
  { layout: 'gorilla', seed: seedGorillaSessions, match: 'session_*' },
];

const t = useServer();
const c = useCluster();

const cli = (layout: string, args: string[]): Promise<CliResult> =>
  runCli(withOptions(args, ['--layout', layout]), { env: { REDIS_URL: c.cluster.url }, timeoutMs: 30000 });

/** A command that succeeded on the Cluster: exit 0, and no slot error on the way. */
function ok(r: CliResult): CliResult {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/CROSSSLOT|MOVED|\bASK\b|unreadable/) });
  return r;
}

const bytesOn = () => c.client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
const valueOf = async (key: string) => (await bytesOn().get(key)) as unknown as Buffer;

/** Every key on the Cluster but the audit trail, sorted. */
const dataKeys = async () => (await clusterKeys(c.client)).filter((k) => k !== AUDIT_KEY);

/** The keys of `match` whose seeded value names `user` (user0..user4: none is a prefix of another). */
async function keysOf(match: string, user: string): Promise<string[]> {
  const out: string[] = [];
  for (const key of await clusterKeys(c.client, match)) if ((await valueOf(key)).includes(user, 0, 'latin1')) out.push(key);
  return out;
}

/** Every layout seeded on the single server, then moved onto the emptied Cluster, the server emptied. */
async function seedAll(): Promise<void> {
  await t.redis.flushAll();
  for (const c of CASES) await c.seed(t.server.port, { to: COUNT, users: USERS });
  for (const master of c.client.masters) await (await c.client.nodeClient(master)).flushAll();
  await copyToCluster(t.redis, c.client, [AUDIT_KEY]);
  await t.redis.flushAll();
}

/** Ruby's own Marshal reads a cache Entry: its @created_at and @expires_in. */
function entryTimes(value: Buffer): { createdAt: number; expiresIn: number } {
  const script =
    'require "active_support"; require "active_support/cache"; e = Marshal.load(STDIN.binmode.read); ' +
    'puts [e.instance_variable_get(:@created_at), e.instance_variable_get(:@expires_in)].join(" ")';
  const r = spawnSync('ruby', ['-e', script], { input: value, encoding: 'utf8' });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  const [createdAt, expiresIn] = r.stdout.trim().split(' ').map(Number);
  return { createdAt: createdAt as number, expiresIn: expiresIn as number };
}

describe.each(CASES)('--layout $layout on a Redis Cluster', ({ layout, match }) => {
  // The tests below build on each other, in order: the seeded set, one TTL, one user revoked, then all.
  beforeAll(seedAll, 60000);

  test(`the ${COUNT} seeded sessions sit on all three masters, beside the other layouts'`, async () => {
    const perMaster: number[] = [];
    for (const master of c.client.masters) {
      const node = await c.client.nodeClient(master);
      let n = 0;
      for await (const batch of node.scanIterator({ MATCH: match })) n += batch.length;
      perMaster.push(n);
    }
    expect(perMaster).toHaveLength(3);
    for (const n of perMaster) expect(n).toBeGreaterThan(0);
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(COUNT);
    expect(await dataKeys()).toHaveLength(COUNT * CASES.length);
  });

  test('list --json lists exactly the seeded sessions, each with its user', async () => {
    const rows = ndjson(ok(await cli(layout, ['session', 'list', '--json'])).stdout);
    expect(rows.map((r) => String(r['key'])).sort()).toEqual(await clusterKeys(c.client, match));
    for (let n = 0; n < USERS; n += 1) {
      const mine = await keysOf(match, `user${n}`);
      expect(mine).toHaveLength(PER_USER);
      expect(
        rows
          .filter((r) => r['user'] === `user${n}`)
          .map((r) => String(r['key']))
          .sort(),
      ).toEqual(mine);
    }
  });

  test(`list --user ${REVOKED} lists exactly that user's sessions`, async () => {
    const rows = ndjson(ok(await cli(layout, ['session', 'list', '--json', '--user', REVOKED])).stdout);
    expect(rows.map((r) => String(r['key'])).sort()).toEqual(await keysOf(match, REVOKED));
  });

  test('ttl <id> 10m sets the TTL on the node that owns the key', async () => {
    const [key] = await keysOf(match, TIMED);
    const row = ndjson(ok(await cli(layout, ['session', 'list', '--json', '--user', TIMED])).stdout).find((r) => r['key'] === key);
    const id = String(row?.['id']);
    const before = await valueOf(key as string);
    const set = ok(await cli(layout, ['session', 'ttl', '--json', '--', id, '10m']));
    // Only the cache store's Entry holds a lifetime to rewrite (django's would with _session_expiry, not seeded here).
    expect(JSON.parse(set.stdout)).toMatchObject({ ttlSeconds: 600, valueUpdated: layout === 'rails-cache' });
    const pttl = Number(await c.client.pTTL(key as string));
    expect(pttl).toBeLessThanOrEqual(600_000);
    expect(pttl).toBeGreaterThan(590_000);
    const read = JSON.parse(ok(await cli(layout, ['session', 'ttl', '--json', '--', id])).stdout) as { ttlSeconds: number };
    expect(read.ttlSeconds).toBeLessThanOrEqual(600);
    expect(read.ttlSeconds).toBeGreaterThan(590);
    const after = await valueOf(key as string);
    if (layout === 'rails-cache') {
      // As on a single server: the Entry says @created_at now and @expires_in 600, and Ruby still reads it.
      const { createdAt, expiresIn } = entryTimes(after);
      expect(expiresIn).toBe(600);
      expect(Math.abs(createdAt - Date.now() / 1000)).toBeLessThan(30);
      // ...and nothing else changed: the two Floats' bytes are all that differ.
      const floats = (b: Buffer) => b.toString('latin1').replace(/(@created_at|@expires_in)f[\s\S][0-9.e-]+/g, '$1f<float>');
      expect(floats(after)).toBe(floats(before));
      expect(floats(after)).toMatch(/@created_atf<float>[\s\S]*@expires_inf<float>$/);
    } else expect(after).toEqual(before);
  });

  test(`revoke --user ${REVOKED} removes exactly that user's keys`, async () => {
    const before = await dataKeys();
    const gone = await keysOf(match, REVOKED);
    expect(gone).toHaveLength(PER_USER);
    const revoked = ok(await cli(layout, ['session', 'revoke', '--json', '--user', REVOKED]));
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: PER_USER });
    expect(await dataKeys()).toEqual(before.filter((k) => !gone.includes(k)));
  });

  test("revoke --all --yes empties the layout and leaves the other layouts' keys", async () => {
    const before = await dataKeys();
    const mine = await clusterKeys(c.client, match);
    expect(mine).toHaveLength(COUNT - PER_USER);
    const everything = ok(await cli(layout, ['session', 'revoke', '--all', '--yes', '--json']));
    expect(JSON.parse(everything.stdout)).toMatchObject({ revoked: COUNT - PER_USER });
    expect(await clusterKeys(c.client, match)).toEqual([]);
    expect(await dataKeys()).toEqual(before.filter((k) => !mine.includes(k)));
    expect(ndjson(ok(await cli(layout, ['session', 'list', '--json'])).stdout)).toEqual([]);
  });
});
