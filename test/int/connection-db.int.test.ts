/**
 * The database number in the URL (redis://host/2) is where every command works, whatever the
 * topology. Through a Sentinel the tool connects to the master the Sentinel names, in the
 * URL's database: listing, revoking, the audit entry and --hold's keyevent subscription all
 * stay in db 2 and leave another application's db 0 alone, also after a failover. A Redis
 * Cluster has only database 0: a /2 URL against one is a usage error (exit 2).
 *
 * REDIS_URL's host is a closed port: with --sentinel it gives only scheme, credentials and db.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { ndjson, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { adminClient, sessionJson } from '../helpers/client.js';
import { AUDIT_KEY } from '../helpers/fixture.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { commandAt, SENTINEL_MASTER, sentinelMasterAddr, startSentinelSet, type TestSentinelSet } from '../helpers/topologies.js';
import { waitFor } from '../helpers/wait.js';

const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
const DAY_MS = 86400000;

let closedPort: number;

beforeAll(async () => {
  closedPort = await freePort();
});

async function seed(redis: RedisClientType, ids: string[], user: string): Promise<void> {
  for (const id of ids)
    await redis.set(`sess:${id}`, sessionJson({ passport: { user } }, DAY_MS), { expiration: { type: 'PX', value: DAY_MS } });
}

describe('through a Sentinel, with /2 in the URL', () => {
  let set: TestSentinelSet;
  /** The master's db 0 (another application's) and db 2 (ours). */
  let db0: RedisClientType;
  let db2: RedisClientType;
  const sentinel = () => ['--sentinel', `127.0.0.1:${set.sentinelPort}`, '--sentinel-master', SENTINEL_MASTER];
  const env = () => ({ REDIS_URL: `redis://127.0.0.1:${closedPort}/2` });
  const run = (args: string[], input?: string): Promise<CliResult> =>
    runCli([...args, ...sentinel()], { env: env(), timeoutMs: 30000, ...(input === undefined ? {} : { input }) });

  beforeAll(async () => {
    set = await startSentinelSet();
    db0 = await adminClient(set.master.url);
    db2 = await adminClient(`${set.master.url}/2`);
  }, 60000);

  afterAll(async () => {
    await db0?.close().catch(() => undefined);
    await db2?.close().catch(() => undefined);
    await set?.stop();
  });

  test("session list shows db 2's sessions only; revoke --all --yes deletes those and leaves db 0's; the audit entry is in db 2", async () => {
    await seed(db0, ['other-app-1', 'other-app-2'], 'zed');
    await seed(db2, ['ours-1', 'ours-2', 'ours-3'], 'amy');

    const list = await run(['session', 'list', '--json']);
    expect([list.code, list.stderr]).toEqual([0, '3 sessions.\n']);
    expect(
      ndjson(list.stdout)
        .map((o) => o['id'])
        .sort(),
    ).toEqual(['ours-1', 'ours-2', 'ours-3']);

    const revoke = await run(['session', 'revoke', '--all', '--yes', '--json']);
    expect(revoke.code).toBe(0);
    expect(ndjson(revoke.stdout)[0]).toMatchObject({ revoked: 3 });
    expect(await db2.keys('sess:*')).toEqual([]);
    expect((await db0.keys('sess:*')).sort()).toEqual(['sess:other-app-1', 'sess:other-app-2']);

    const entries = (await db2.xRange(AUDIT_KEY, '-', '+')) ?? [];
    expect(entries.map((e) => e.message['command'])).toEqual(['session revoke']);
    expect(Number(await db0.exists(AUDIT_KEY))).toBe(0);
    const audit = await run(['audit', 'list', '--json']);
    expect(audit.code).toBe(0);
    expect(ndjson(audit.stdout).map((e) => e['command'])).toEqual(['session revoke']);
  });

  test("--hold listens to db 2's keyevents: a session re-saved in db 2 during the hold is deleted at once", async () => {
    await db0.configSet('notify-keyspace-events', 'E$');
    try {
      await seed(db2, ['held-1'], 'hank');
      const run = startCli(['session', 'revoke', '--user', 'hank', '--hold', '8s', '--json', ...sentinel()], {
        env: env(),
        timeoutMs: 60_000,
      });
      const { child } = run;
      try {
        await waitFor('the revoke', async () => Number(await db2.exists('sess:held-1')) === 0, {
          timeoutMs: 15000,
          intervalMs: 50,
          retryErrors: true,
        });
        // The hold subscribes to the channel of the URL's database, not db 0's.
        await waitFor(
          'the subscription to db 2 keyevents',
          async () => {
            const reply = (await db0.sendCommand(['PUBSUB', 'NUMSUB', '__keyevent@2__:set'])) as unknown[];
            return Number(reply[1]) === 1;
          },
          { timeoutMs: 15000, intervalMs: 50, retryErrors: true },
        );
        await seed(db2, ['held-1'], 'hank');
        // Deleted by the notification, long before the hold's final sweep.
        await waitFor('the re-saved session to be deleted', async () => Number(await db2.exists('sess:held-1')) === 0, {
          timeoutMs: 3000,
          intervalMs: 50,
          retryErrors: true,
        });
        expect(child.exitCode).toBeNull();
        const { code, stdout } = await run.done;
        expect(code).toBe(0);
        expect(ndjson(stdout)[0]).toMatchObject({ revoked: 1, held: { caught: 1, mode: 'notifications' } });
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await run.done;
      }
    } finally {
      await db0.configSet('notify-keyspace-events', '');
    }
  }, 30000);

  test('after a failover the new master is used in db 2 as well', async () => {
    await seed(db0, ['other-app-3'], 'zed');
    await seed(db2, ['ours-after'], 'amy');
    await waitFor(
      'the replica to have both',
      async () => {
        const [in0, in2] = await Promise.all([
          commandAt(set.replicaPort, ['EXISTS', 'sess:other-app-3']),
          (async () => {
            const r = await adminClient(`${set.replica.url}/2`);
            try {
              return Number(await r.exists('sess:ours-after'));
            } finally {
              await r.close().catch(() => undefined);
            }
          })(),
        ]);
        return Number(in0) === 1 && in2 === 1;
      },
      { timeoutMs: 20000, intervalMs: 50, retryErrors: true },
    );
    await waitFor(
      'SENTINEL FAILOVER to be accepted',
      async () => String(await commandAt(set.sentinelPort, ['SENTINEL', 'FAILOVER', SENTINEL_MASTER])) === 'OK',
      { timeoutMs: 30000, intervalMs: 200, retryErrors: true },
    );
    await waitFor(
      'the sentinel to name the replica',
      async () => (await sentinelMasterAddr(set.sentinelPort)) === `127.0.0.1:${set.replicaPort}`,
      { timeoutMs: 30000, intervalMs: 50, retryErrors: true },
    );
    await waitFor(
      'the replica to be a master',
      async () => String(((await commandAt(set.replicaPort, ['ROLE'])) as unknown[])[0]) === 'master',
      { timeoutMs: 10000, intervalMs: 50, retryErrors: true },
    );

    const list = await run(['session', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(ndjson(list.stdout).map((o) => o['id'])).toEqual(['ours-after']);

    const add = await run(['user', 'add', 'ivy', '--password-stdin', ...CHEAP], 'a long enough password\n');
    expect(add.code).toBe(0);
    const promoted2 = await adminClient(`${set.replica.url}/2`);
    try {
      expect(Number(await promoted2.exists('user:{ivy}'))).toBe(1);
      expect(Number(await commandAt(set.replicaPort, ['EXISTS', 'user:{ivy}']))).toBe(0);
    } finally {
      await promoted2.close().catch(() => undefined);
    }
  }, 60000);
});

describe('a Redis Cluster node with /2 in the URL', () => {
  let node: RedisServer;
  beforeAll(async () => {
    // One cluster-enabled node is enough: it refuses SELECT 2 whatever its slots.
    node = await startRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'] });
  });
  afterAll(async () => {
    await node?.stop();
  });

  test.each([
    ['detected', []],
    ['--cluster', ['--cluster']],
  ])('cluster %s: exit 2, saying a cluster has only database 0', async (_how, extra) => {
    const r = await runCli(['session', 'list', '--json', '--url', `${node.url}/2`, ...extra]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(r.stderr).toBe(
      'redis-accounts: the URL selects database 2, but a Redis Cluster has only database 0 (hint: drop "/2" from --url or REDIS_URL)\n',
    );
  });
});
