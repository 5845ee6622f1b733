/**
 * Commands through Redis Sentinel, against real processes: a master, its replica and one
 * Sentinel. The tool asks the Sentinel where the master is (--sentinel/--sentinel-master or
 * REDIS_SENTINELS/REDIS_SENTINEL_MASTER), works there, and after a failover follows the new
 * master. A failover during a scan ends in exit 3 saying so, never in a short result.
 *
 * REDIS_URL points at a closed port in every run: with --sentinel the URL only gives scheme
 * and credentials, so nothing may connect there (and nothing can reach the Redis on 6379).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { ndjson, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { adminClient, sessionJson } from '../helpers/client.js';
import { freePort } from '../helpers/redis-server.js';
import { commandAt, SENTINEL_MASTER, sentinelMasterAddr, startSentinelSet, type TestSentinelSet } from '../helpers/topologies.js';
import { waitFor } from '../helpers/wait.js';

const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
const PW = 'sentinel password 1';
const DAY_MS = 86400000;

let closedPort: number;

beforeAll(async () => {
  closedPort = await freePort();
});

function sentinelArgs(set: TestSentinelSet, name = SENTINEL_MASTER): string[] {
  return ['--sentinel', `127.0.0.1:${set.sentinelPort}`, '--sentinel-master', name];
}

function run(args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return runCli(args, {
    env: { REDIS_URL: `redis://127.0.0.1:${closedPort}`, ...(opts.env ?? {}) },
    timeoutMs: opts.timeoutMs ?? 30000,
    ...(opts.input === undefined ? {} : { input: opts.input }),
  });
}

// A letter first: an id beginning with '-' would need '--' on the command line.
const newId = () => `s${randomBytes(16).toString('base64url').slice(0, 31)}`;

async function seedSession(redis: RedisClientType, id: string, user: string): Promise<void> {
  await redis.set(`sess:${id}`, sessionJson({ passport: { user } }, DAY_MS), { expiration: { type: 'PX', value: DAY_MS } });
}

async function roleOf(port: number): Promise<string> {
  return String(((await commandAt(port, ['ROLE'])) as unknown[])[0]);
}

/** Ask the Sentinel to fail over (retrying while it has no suitable replica yet), then wait until it names `to`. */
async function failover(set: TestSentinelSet, toPort: number): Promise<void> {
  await waitFor(
    'SENTINEL FAILOVER to be accepted',
    async () => String(await commandAt(set.sentinelPort, ['SENTINEL', 'FAILOVER', SENTINEL_MASTER])) === 'OK',
    { timeoutMs: 30000, intervalMs: 200, retryErrors: true },
  );
  await waitFor(
    `the sentinel to report 127.0.0.1:${toPort} as master`,
    async () => (await sentinelMasterAddr(set.sentinelPort)) === `127.0.0.1:${toPort}`,
    { timeoutMs: 30000, intervalMs: 50, retryErrors: true },
  );
  await waitFor(`127.0.0.1:${toPort} to be a master`, async () => (await roleOf(toPort)) === 'master', {
    timeoutMs: 10000,
    intervalMs: 50,
    retryErrors: true,
  });
}

describe('through a Sentinel', () => {
  let set: TestSentinelSet;
  let master: RedisClientType;

  beforeAll(async () => {
    set = await startSentinelSet();
    master = await adminClient(set.master.url);
  }, 60000);

  afterAll(async () => {
    await master?.close().catch(() => undefined);
    await set?.stop();
  });

  test('user add and verify work on the master (flags)', async () => {
    const add = await run(['user', 'add', 'alice', '--password-stdin', '--json', ...CHEAP, ...sentinelArgs(set)], { input: `${PW}\n` });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(ndjson(add.stdout)).toEqual([{ user: 'alice', key: 'user:{alice}', created: true }]);
    expect(await master.hGet('user:{alice}', 'password_hash')).toMatch(/^\$argon2id\$/);

    const ok = await run(['user', 'verify', 'alice', '--password-stdin', ...CHEAP, ...sentinelArgs(set)], { input: `${PW}\n` });
    expect(ok.code).toBe(0);
    const bad = await run(['user', 'verify', 'alice', '--password-stdin', ...CHEAP, ...sentinelArgs(set)], { input: 'not the password\n' });
    expect(bad.code).toBe(1);
  });

  test('the same through REDIS_SENTINELS and REDIS_SENTINEL_MASTER', async () => {
    const env = { REDIS_SENTINELS: `127.0.0.1:${set.sentinelPort}`, REDIS_SENTINEL_MASTER: SENTINEL_MASTER };
    const add = await run(['user', 'add', 'bob', '--password-stdin', ...CHEAP], { input: `${PW}\n`, env });
    expect(add.code).toBe(0);
    expect(Number(await master.exists('user:{bob}'))).toBe(1);
    const ok = await run(['user', 'verify', 'bob', '--password-stdin', ...CHEAP], { input: `${PW}\n`, env });
    expect(ok.code).toBe(0);
  });

  test('a first sentinel that is down is skipped; the next one answers', async () => {
    const r = await run([
      'session',
      'list',
      '--json',
      '--sentinel',
      `127.0.0.1:${closedPort},127.0.0.1:${set.sentinelPort}`,
      '--sentinel-master',
      SENTINEL_MASTER,
    ]);
    expect(r.code).toBe(0);
  });

  test('session list, revoke and ttl work on the master', async () => {
    const mine = [newId(), newId(), newId()];
    const theirs = [newId(), newId()];
    for (const id of mine) await seedSession(master, id, 'carol');
    for (const id of theirs) await seedSession(master, id, 'dave');

    const list = await run(['session', 'list', '--json', ...sentinelArgs(set)]);
    expect(list.code).toBe(0);
    expect(list.stderr).toBe('5 sessions.\n');
    expect(
      ndjson(list.stdout)
        .map((o) => o['id'])
        .sort(),
    ).toEqual([...mine, ...theirs].sort());

    const onlyCarol = await run(['session', 'list', '--json', '--user', 'carol', ...sentinelArgs(set)]);
    expect(
      ndjson(onlyCarol.stdout)
        .map((o) => o['id'])
        .sort(),
    ).toEqual([...mine].sort());

    const ttl = await run(['session', 'ttl', mine[0]!, '--json', ...sentinelArgs(set)]);
    expect(ttl.code).toBe(0);
    expect(Number(ndjson(ttl.stdout)[0]!['ttlSeconds'])).toBeGreaterThan(DAY_MS / 1000 - 120);
    const set30m = await run(['session', 'ttl', mine[0]!, '30m', '--json', ...sentinelArgs(set)]);
    expect(set30m.code).toBe(0);
    expect(ndjson(set30m.stdout)[0]).toMatchObject({ ttlSeconds: 1800, cookieUpdated: true });
    const pttl = Number(await master.pTTL(`sess:${mine[0]}`));
    expect(pttl).toBeGreaterThan(1800000 - 60000);
    expect(pttl).toBeLessThanOrEqual(1800000);
    const value = JSON.parse(String(await master.get(`sess:${mine[0]}`))) as { cookie: { originalMaxAge: number } };
    expect(value.cookie.originalMaxAge).toBe(1800000);

    const byId = await run(['session', 'revoke', theirs[0]!, '--json', ...sentinelArgs(set)]);
    expect(byId.code).toBe(0);
    expect(ndjson(byId.stdout)[0]).toMatchObject({ revoked: 1, ids: [theirs[0]] });

    const revoke = await run(['session', 'revoke', '--user', 'carol', '--json', ...sentinelArgs(set)]);
    expect(revoke.code).toBe(0);
    expect(ndjson(revoke.stdout)).toEqual([{ dryRun: false, revoked: 3, scanned: 4, user: 'carol' }]);
    expect((await master.keys('sess:*')).sort()).toEqual([`sess:${theirs[1]}`]);

    const all = await run(['session', 'revoke', '--all', '--yes', '--json', ...sentinelArgs(set)]);
    expect(ndjson(all.stdout)).toEqual([{ dryRun: false, revoked: 1, scanned: 1 }]);
    expect(await master.keys('sess:*')).toEqual([]);
  });

  test('session show, revoke --cookie, user rehash --check and audit list work on the master', async () => {
    const id = newId();
    await seedSession(master, id, 'erin');
    const show = await run(['session', 'show', id, '--json', ...sentinelArgs(set)]);
    expect([show.code, show.stderr]).toEqual([0, '']);
    expect(JSON.parse(show.stdout)).toMatchObject({ id, user: 'erin', session: { passport: { user: 'erin' } } });

    const cookie = await run(['session', 'revoke', '--cookie', `s%3A${id}.c2lnbmF0dXJl`, '--json', ...sentinelArgs(set)]);
    expect(cookie.code).toBe(0);
    expect(ndjson(cookie.stdout)[0]).toMatchObject({ revoked: 1, ids: [id] });
    expect(Number(await master.exists(`sess:${id}`))).toBe(0);

    // Added at the cheap test policy: weaker than the default one that --check applies.
    const add = await run(['user', 'add', 'grace', '--password-stdin', ...CHEAP, ...sentinelArgs(set)], { input: `${PW}\n` });
    expect(add.code).toBe(0);
    const check = await run(['user', 'rehash', '--check', '--json', ...sentinelArgs(set)]);
    expect(check.code).toBe(1);
    expect(ndjson(check.stdout).map((o) => o['user'])).toContain('grace');

    const audit = await run(['audit', 'list', '--json', ...sentinelArgs(set)]);
    expect(audit.code).toBe(0);
    const entries = ndjson(audit.stdout).map((e) => [e['command'], e['target']]);
    expect(entries).toEqual(
      expect.arrayContaining([
        ['user add', 'user grace'],
        ['session revoke', `session ${id}`],
      ]),
    );
  });

  test('a master name the Sentinel does not know is a usage error: exit 2, one line', async () => {
    const r = await run(['session', 'list', ...sentinelArgs(set, 'no-such-master')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^redis-accounts: .*no master named "no-such-master"/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  test('--sentinel without a master name is a usage error (exit 2)', async () => {
    const r = await run(['session', 'list', '--sentinel', `127.0.0.1:${set.sentinelPort}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--sentinel-master/);
  });

  test('an unreachable sentinel: exit 3, one line, quickly', async () => {
    const start = Date.now();
    const r = await run([
      'session',
      'list',
      '--timeout',
      '2s',
      '--sentinel',
      `127.0.0.1:${closedPort}`,
      '--sentinel-master',
      SENTINEL_MASTER,
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^redis-accounts: no sentinel answered/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(Date.now() - start).toBeLessThan(5000);
  });

  test('a sentinel that accepts and never answers: exit 3 within the timeout', async () => {
    const sockets = new Set<net.Socket>();
    const srv = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const start = Date.now();
      const r = await run(['session', 'list', '--timeout', '1s', '--sentinel', `127.0.0.1:${port}`, '--sentinel-master', SENTINEL_MASTER]);
      const ms = Date.now() - start;
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^redis-accounts: no sentinel answered .*timed out/);
      // 1s bound plus process start-up, far below the runner's kill.
      expect(ms).toBeLessThan(4000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  });

  test('after a failover between two commands, the second goes to the new master and works', async () => {
    const before = await run(['user', 'add', 'erin', '--password-stdin', ...CHEAP, ...sentinelArgs(set)], { input: `${PW}\n` });
    expect(before.code).toBe(0);
    // The replica has erin too before we fail over (so nothing acknowledged is lost).
    await waitFor('the replica to have erin', async () => Number(await commandAt(set.replicaPort, ['EXISTS', 'user:{erin}'])) === 1, {
      timeoutMs: 20000,
      intervalMs: 50,
      retryErrors: true,
    });
    await failover(set, set.replicaPort);

    const after = await run(['user', 'add', 'frank', '--password-stdin', '--json', ...CHEAP, ...sentinelArgs(set)], { input: `${PW}\n` });
    expect(after.stderr).toBe('');
    expect(after.code).toBe(0);
    // Written on the new master (the former replica). A client opened now: the promotion
    // killed every client connection to it.
    const promoted = await adminClient(set.replica.url);
    try {
      expect(Number(await promoted.exists('user:{frank}'))).toBe(1);
      const verify = await run(['user', 'verify', 'erin', '--password-stdin', ...CHEAP, ...sentinelArgs(set)], { input: `${PW}\n` });
      expect(verify.code).toBe(0);
      await seedSession(promoted, 'after-failover', 'erin');
      const list = await run(['session', 'list', '--json', ...sentinelArgs(set)]);
      expect(list.code).toBe(0);
      expect(ndjson(list.stdout).map((o) => o['id'])).toEqual(['after-failover']);
    } finally {
      await promoted.close().catch(() => undefined);
    }
  }, 60000);
});

describe('a failover during a long scan', () => {
  const SESSIONS = 50000;
  let set: TestSentinelSet;

  beforeAll(async () => {
    set = await startSentinelSet();
    const master = await adminClient(set.master.url);
    try {
      const value = sessionJson({ passport: { user: 'gina' } }, DAY_MS);
      const writes: Array<Promise<unknown>> = [];
      for (let i = 0; i < SESSIONS; i += 1) {
        writes.push(master.set(`sess:${String(i).padStart(8, '0')}-${newId()}`, value, { expiration: { type: 'PX', value: DAY_MS } }));
        if (writes.length >= 2000) await Promise.all(writes.splice(0));
      }
      await Promise.all(writes);
      // The replica has them all (the new master will be complete).
      await waitFor('the replica to catch up', async () => Number(await commandAt(set.replicaPort, ['DBSIZE'])) === SESSIONS, {
        timeoutMs: 30000,
        intervalMs: 50,
        retryErrors: true,
      });
    } finally {
      await master.close().catch(() => undefined);
    }
  }, 90000);

  afterAll(async () => {
    await set?.stop();
  });

  test('session list --json: exit 3 saying the master changed, never exit 0 with a partial list', async () => {
    // In the background so the test can stop reading stdout: the CLI then waits on the full
    // pipe (it writes with backpressure), which holds the scan still while the failover runs.
    const run = startCli(['session', 'list', '--json', '--timeout', '60s', ...sentinelArgs(set)], {
      env: { REDIS_URL: `redis://127.0.0.1:${closedPort}` },
      timeoutMs: 90000,
    });
    const { child } = run;
    try {
      // Read until the first complete line, then stop reading.
      await new Promise<void>((resolve) => {
        const onData = () => {
          if (run.stdout().includes('\n')) {
            child.stdout.pause();
            child.stdout.off('data', onData);
            resolve();
          }
        };
        child.stdout.on('data', onData);
        child.on('close', () => resolve());
      });
      expect(child.exitCode).toBeNull(); // still scanning: 50,000 sessions do not fit in a pipe

      await failover(set, set.replicaPort);

      child.stdout.resume();
      const { code, stdout, stderr } = await run.done;
      const listed = ndjson(stdout).length;
      if (process.env['RA_DEBUG']) console.log({ code, stderr, listed });
      expect({ code, stderr: stderr.trim().split('\n').pop(), listedAll: listed === SESSIONS }).toEqual({
        code: 3,
        stderr: expect.stringMatching(/^redis-accounts: the master changed \(failover\) while the command ran/),
        listedAll: expect.any(Boolean),
      });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await run.done;
    }
  }, 120000);
});
