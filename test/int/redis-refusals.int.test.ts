/**
 * A server that is up but refuses writes says why: out of memory (maxmemory with
 * noeviction) and a read-only replica are exit 3 with a plain message, not "Redis replied
 * OOM command not allowed ... script: <sha>, on @user_script:3.".
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { runCli } from '../helpers/cli.js';
import { adminClient } from '../helpers/client.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { commandAt } from '../helpers/topologies.js';
import { waitFor } from '../helpers/wait.js';

const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1', '--argon2-parallelism', '1'];
const PASSWORD = 'correct horse battery\n';

describe('a server out of memory (maxmemory 1mb, noeviction)', () => {
  let server: RedisServer;
  let admin: RedisClientType;

  beforeAll(async () => {
    server = await startRedis({ args: ['--maxmemory', '1mb', '--maxmemory-policy', 'noeviction'] });
    admin = await adminClient(server.url);
    // Fill it past its limit: write until the server says OOM.
    const filler = 'x'.repeat(100_000);
    let refused = false;
    for (let i = 0; i < 100 && !refused; i += 1) {
      try {
        await admin.set(`fill:${i}`, filler);
      } catch (err) {
        refused = /^OOM/.test((err as Error).message);
        if (!refused) throw err;
      }
    }
    expect(refused).toBe(true);
    // Once a refused command's 100 KB argument is freed the server may be under its limit
    // again, and a small write would pass: keep it over the limit for good.
    await admin.configSet('maxmemory', '1');
  });

  afterAll(async () => {
    await admin?.close().catch(() => undefined);
    await server?.stop();
  });

  test('user add: exit 3, "Redis refused the write (out of memory)", nothing created', async () => {
    const r = await runCli(['user', 'add', 'oom-olga', '--password-stdin', '--url', server.url, ...CHEAP], { input: PASSWORD });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^redis-accounts: Redis refused the write \(out of memory\) \(hint: .*maxmemory.*\)$/m);
    expect(r.stderr).not.toMatch(/Redis replied|unreachable|cannot connect/);
    expect(Number(await admin.exists('user:{oom-olga}'))).toBe(0);
  });
});

describe('a read-only replica', () => {
  let master: RedisServer;
  let replica: RedisServer;

  beforeAll(async () => {
    master = await startRedis();
    replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    await waitFor(
      'the replica link to come up',
      async () => /master_link_status:up/.test(String(await commandAt(replica.port, ['INFO', 'replication']))),
      { timeoutMs: 20000, intervalMs: 50, retryErrors: true },
    );
  });

  afterAll(async () => {
    await replica?.stop();
    await master?.stop();
  });

  test('user add against it: exit 3, saying it is a read-only replica and to use the master', async () => {
    const r = await runCli(['user', 'add', 'ro-rita', '--password-stdin', '--url', replica.url, ...CHEAP], { input: PASSWORD });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^redis-accounts: Redis refused the write: the server is a read-only replica \(hint: point --url at the master.*\)$/m,
    );
    expect(r.stderr).not.toMatch(/Redis replied/);
    expect(Number(await commandAt(master.port, ['EXISTS', 'user:{ro-rita}']))).toBe(0);
  });
});
