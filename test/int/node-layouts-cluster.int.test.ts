/**
 * The koa, Better Auth and Auth.js layouts on a Redis Cluster: sessions the real applications
 * wrote (test/helpers/apps) are moved byte for byte (DUMP/RESTORE, TTLs kept) into a 3-master
 * Cluster, where a session and its user's index (Better Auth's active-sessions list, Auth.js's
 * by-user-id pointer) sit in different slots, and every bulk command must walk every master and
 * clean the index on the node that owns it. Never a CROSSSLOT or MOVED error.
 */
import { describe, expect, test } from '@jest/globals';
import { keySlot } from '../../src/core/redis/slot.js';
import { startAuthjsApp } from '../helpers/apps/authjs.js';
import { startBetterAuthApp } from '../helpers/apps/better-auth.js';
import { startKoaApp } from '../helpers/apps/koa.js';
import type { NodeApp } from '../helpers/apps/types.js';
import { ndjson, runCli, withOptions } from '../helpers/cli.js';
import { AUDIT_KEY, useTestRedis } from '../helpers/fixture.js';
import { clusterKeys, copyToCluster, useCluster } from '../helpers/topologies.js';

const t = useTestRedis();
const c = useCluster();

const cli = (layout: string, args: string[]) =>
  runCli(withOptions(args, ['--layout', layout]), { env: { REDIS_URL: c.cluster.url }, timeoutMs: 30000 });

describe.each<[string, (url: string) => Promise<NodeApp>]>([
  ['koa', startKoaApp],
  ['better-auth', startBetterAuthApp],
  ['authjs', startAuthjsApp],
])('--layout %s on a Redis Cluster', (layout, start) => {
  test('list --user, ttl, revoke --user (the index on another node cleaned) and revoke --all', async () => {
    const app = await start(t.server.url);
    let keyA: string;
    let keyB: string;
    try {
      keyA = await app.sessionKey(await app.login('alice'));
      keyB = await app.sessionKey(await app.login('bob'));
    } finally {
      await app.close();
    }
    const moved = await copyToCluster(t.redis, c.client, [AUDIT_KEY]);
    await t.redis.flushAll();
    expect(new Set(moved.map(keySlot)).size).toBeGreaterThan(1);

    const all = ndjson((await cli(layout, ['session', 'list', '--json'])).stdout);
    expect(all.map((r) => r['key']).sort()).toEqual([keyA, keyB].sort());
    const alice = String(all.find((r) => r['key'] === keyA)?.['user']);
    const mine = await cli(layout, ['session', 'list', '--json', '--user', alice]);
    expect(mine.stderr).not.toMatch(/CROSSSLOT|MOVED/);
    expect(ndjson(mine.stdout).map((r) => r['key'])).toEqual([keyA]);

    const id = String(all.find((r) => r['key'] === keyA)?.['id']);
    const set = await cli(layout, ['session', 'ttl', '--json', '--', id, '10m']);
    expect(JSON.parse(set.stdout)).toMatchObject({ ttlSeconds: 600, valueUpdated: true });

    const revoked = await cli(layout, ['session', 'revoke', '--json', '--user', alice]);
    expect(revoked.stderr).not.toMatch(/CROSSSLOT|MOVED/);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: 1 });
    const left = (await clusterKeys(c.client)).filter((k) => k !== AUDIT_KEY);
    expect(left).not.toContain(keyA);
    expect(left).toContain(keyB);
    for (const k of left) {
      if ((await c.client.type(k)) !== 'string') continue;
      expect((await c.client.get(k)) ?? '').not.toContain(keyA.slice(-20));
    }

    const everything = await cli(layout, ['session', 'revoke', '--all', '--yes', '--json']);
    expect(JSON.parse(everything.stdout)).toMatchObject({ revoked: 1 });
    expect(ndjson((await cli(layout, ['session', 'list', '--json'])).stdout)).toEqual([]);
  }, 60000);
});
