/**
 * Every command against a real three-master Redis Cluster, through the built CLI: given the
 * URL of any one node (cluster mode detected) or with --cluster, bulk commands walk every
 * master exactly once, and single-key commands (ttl, show, revoke by id or cookie, --hold,
 * user add/verify/rehash/passwd/disable/delete/show, the audit trail) run on the node that owns the key; user list and
 * export walk every master. Never a CROSSSLOT or MOVED error on stderr.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import argon2 from 'argon2';
import { createClient, type RedisClientType, type RedisClusterType } from 'redis';
import type { Redis } from '../../src/core/redis/connection.js';
import { keySlot } from '../../src/core/redis/slot.js';
import { ndjson, runCli, type CliResult } from '../helpers/cli.js';
import { sessionJson } from '../helpers/client.js';
import { commandAt, connectCluster, startCluster, type TestCluster } from '../helpers/topologies.js';

const SESSIONS = 3000;
const USERS = 30;
const DAY_MS = 86400000;
const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
const PW = 'cluster password 1';

let cluster: TestCluster;
let redis: RedisClusterType;
/** Slot ranges per master port, from CLUSTER SLOTS. */
let slotOwners: Array<{ from: number; to: number; port: number }>;
const outputs: CliResult[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  redis = await connectCluster(cluster);
  const slots = (await commandAt(cluster.ports[0]!, ['CLUSTER', 'SLOTS'])) as unknown[][];
  slotOwners = slots.map((s) => ({ from: Number(s[0]), to: Number(s[1]), port: Number((s[2] as unknown[])[1]) }));
}, 60000);

afterAll(async () => {
  await redis?.close().catch(() => redis.destroy());
  await cluster?.stop();
});

/** The port of the master that owns `key`, from the slot map the cluster reported. */
function ownerPort(key: string): number {
  const slot = keySlot(key);
  const owner = slotOwners.find((o) => slot >= o.from && slot <= o.to);
  if (!owner) throw new Error(`no owner for slot ${slot}`);
  return owner.port;
}

async function cli(args: string[], opts: { url?: string; input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const r = await runCli(args, {
    env: { REDIS_URL: opts.url ?? cluster.url, ...(opts.env ?? {}) },
    timeoutMs: 60000,
    ...(opts.input === undefined ? {} : { input: opts.input }),
  });
  outputs.push(r);
  return r;
}

/** The first session id (of `ids`) stored on each master, one per master. */
function onePerMaster(ids: Iterable<string>): string[] {
  const byPort = new Map<number, string>();
  for (const id of ids) {
    const port = ownerPort(`sess:${id}`);
    if (!byPort.has(port)) byPort.set(port, id);
  }
  return [...byPort.values()];
}

const ids = (r: CliResult) => ndjson(r.stdout).map((o) => String(o['id']));
// A letter first: an id beginning with '-' would need '--' on the command line.
const newId = () => `s${randomBytes(16).toString('base64url').slice(0, 31)}`;

/** The keys matching `pattern` on one node (SCAN on that node only). */
async function keysOn(port: number, pattern: string): Promise<string[]> {
  let cursor = '0';
  const found: string[] = [];
  do {
    const [next, keys] = (await commandAt(port, ['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'])) as [string, string[]];
    cursor = String(next);
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

const countOn = async (port: number, pattern: string): Promise<number> => (await keysOn(port, pattern)).length;

/** Seed `count` sessions, round-robin over `users`, through the cluster client. Returns id -> user. */
async function seedSessions(count: number, users: string[]): Promise<Map<string, string>> {
  const seeded = new Map<string, string>();
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < count; i += 1) {
    const id = newId();
    const user = users[i % users.length]!;
    seeded.set(id, user);
    writes.push(redis.set(`sess:${id}`, sessionJson({ passport: { user } }, DAY_MS), { expiration: { type: 'PX', value: DAY_MS } }));
    if (writes.length >= 500) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  return seeded;
}

async function clearSessions(): Promise<void> {
  for (const port of cluster.ports) {
    let cursor = '0';
    do {
      const [next, keys] = (await commandAt(port, ['SCAN', cursor, 'MATCH', 'sess:*', 'COUNT', '1000'])) as [string, string[]];
      cursor = String(next);
      // Keys returned by this node's SCAN live on this node: delete them there, one by one (no CROSSSLOT).
      for (const k of keys) await redis.del(k);
    } while (cursor !== '0');
  }
}

const userNames = Array.from({ length: USERS }, (_, i) => `user${String(i).padStart(2, '0')}`);

describe('the test cluster itself', () => {
  test('keySlot agrees with CLUSTER KEYSLOT for 400 random keys, hash-tagged ones included', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 100; i += 1) keys.push(randomBytes(1 + (i % 20)).toString('base64'));
    for (let i = 0; i < 100; i += 1) keys.push(`user:{${randomBytes(4 + (i % 8)).toString('hex')}}`);
    for (let i = 0; i < 100; i += 1) keys.push(`sess:${newId()}`);
    for (let i = 0; i < 100; i += 1) {
      const r = randomBytes(6).toString('hex');
      // Edge cases of the tag rule: empty tags, nested braces, unclosed braces, multi-byte.
      keys.push([`a{}{${r}}`, `{{${r}}}z`, `x{${r}`, `}${r}{`, `user:{zoë-${r}}`][i % 5]!);
    }
    const node = cluster.ports[0]!;
    for (const key of keys) {
      const expected = Number(await commandAt(node, ['CLUSTER', 'KEYSLOT', key]));
      expect({ key, slot: keySlot(key) }).toEqual({ key, slot: expected });
    }
  });
});

describe('session list / revoke / ttl over three masters', () => {
  let seeded: Map<string, string>;

  beforeAll(async () => {
    await clearSessions();
    seeded = await seedSessions(SESSIONS, userNames);
  }, 60000);

  test('the sessions are spread over every master', async () => {
    const perNode = await Promise.all(cluster.ports.map((p) => countOn(p, 'sess:*')));
    expect(perNode.reduce((a, b) => a + b, 0)).toBe(SESSIONS);
    for (const n of perNode) expect(n).toBeGreaterThan(SESSIONS / 6);
  });

  test.each([0, 1, 2])(
    'list --json given node #%d only (auto-detected): every session exactly once',
    async (index) => {
      const r = await cli(['session', 'list', '--json'], { url: `redis://127.0.0.1:${cluster.ports[index]}` });
      expect(r.stderr).toBe(`${SESSIONS} sessions.\n`);
      expect(r.code).toBe(0);
      const listed = ids(r);
      expect(listed).toHaveLength(SESSIONS);
      expect(new Set(listed).size).toBe(SESSIONS);
      expect(new Set(listed)).toEqual(new Set(seeded.keys()));
      for (const rec of ndjson(r.stdout)) expect(rec['user']).toBe(seeded.get(String(rec['id'])));
    },
    60000,
  );

  test('list --json --cluster (forced) gives the same exact set', async () => {
    const r = await cli(['session', 'list', '--json', '--cluster']);
    expect(r.code).toBe(0);
    const listed = ids(r);
    expect(listed).toHaveLength(SESSIONS);
    expect(new Set(listed)).toEqual(new Set(seeded.keys()));
  }, 60000);

  test('list in a pipe (tab-separated) has one row per session', async () => {
    const r = await cli(['session', 'list']);
    expect(r.code).toBe(0);
    const rows = r.stdout
      .split('\n')
      .slice(1)
      .filter((l) => l !== '');
    expect(rows).toHaveLength(SESSIONS);
    expect(new Set(rows.map((l) => l.split('\t')[0])).size).toBe(SESSIONS);
  }, 60000);

  test('--user filters exactly, across masters', async () => {
    const user = userNames[7]!;
    const expected = [...seeded].filter(([, u]) => u === user).map(([id]) => id);
    // The user's sessions are on more than one master (keys without a tag spread out).
    expect(new Set(expected.map((id) => ownerPort(`sess:${id}`))).size).toBeGreaterThan(1);
    const r = await cli(['session', 'list', '--json', '--user', user]);
    expect(r.code).toBe(0);
    expect(ids(r).sort()).toEqual(expected.sort());
    expect(r.stderr).toBe(`${expected.length} sessions.\n`);
  }, 60000);

  test('--limit returns exactly that many distinct sessions', async () => {
    for (const limit of [1, 10, 1500]) {
      const r = await cli(['session', 'list', '--json', '--limit', String(limit)]);
      expect(r.code).toBe(0);
      const listed = ids(r);
      expect(listed).toHaveLength(limit);
      expect(new Set(listed).size).toBe(limit);
      for (const id of listed) expect(seeded.has(id)).toBe(true);
    }
  }, 60000);

  test('revoke --dry-run --user counts exactly and deletes nothing', async () => {
    const user = userNames[3]!;
    const expected = [...seeded.values()].filter((u) => u === user).length;
    const r = await cli(['session', 'revoke', '--user', user, '--dry-run', '--json']);
    expect(r.code).toBe(0);
    // Changed by issue 13 item 23: one {"id"} line per session first, and the count is `wouldRevoke` (was `revoked`).
    const lines = ndjson(r.stdout);
    expect(lines.pop()).toEqual({ dryRun: true, wouldRevoke: expected, scanned: SESSIONS, user });
    expect(lines.map((l) => String(l['id'])).sort()).toEqual(
      [...seeded]
        .filter(([, u]) => u === user)
        .map(([id]) => id)
        .sort(),
    );
    const perNode = await Promise.all(cluster.ports.map((p) => countOn(p, 'sess:*')));
    expect(perNode.reduce((a, b) => a + b, 0)).toBe(SESSIONS);
  }, 60000);

  test("revoke --user deletes exactly that user's sessions on every master (exact count, no CROSSSLOT)", async () => {
    const user = userNames[5]!;
    const mine = [...seeded].filter(([, u]) => u === user).map(([id]) => id);
    const r = await cli(['session', 'revoke', '--user', user, '--json']);
    expect(r.stderr).not.toMatch(/CROSSSLOT|MOVED|ASK/);
    expect(r.code).toBe(0);
    expect(ndjson(r.stdout)).toEqual([{ dryRun: false, revoked: mine.length, scanned: SESSIONS, user }]);
    for (const id of mine) {
      expect(Number(await redis.exists(`sess:${id}`))).toBe(0);
      seeded.delete(id);
    }
    // Everyone else's sessions are all still there.
    const left = await cli(['session', 'list', '--json']);
    expect(new Set(ids(left))).toEqual(new Set(seeded.keys()));
    // A second run finds nothing: exit 0, count 0.
    const again = await cli(['session', 'revoke', '--user', user, '--json']);
    expect(again.code).toBe(0);
    expect(ndjson(again.stdout)[0]).toMatchObject({ revoked: 0 });
  }, 60000);

  test('revoke <ids> on three different masters, plus a missing one', async () => {
    const targets = onePerMaster(seeded.keys());
    expect(targets).toHaveLength(3);
    const r = await cli(['session', 'revoke', ...targets, 'no-such-session', '--json']);
    expect(r.stderr).not.toMatch(/CROSSSLOT|MOVED/);
    expect(r.code).toBe(1); // one missing
    expect(ndjson(r.stdout)).toEqual([{ dryRun: false, revoked: 3, ids: targets, missing: ['no-such-session'], notSessions: [] }]);
    for (const id of targets) {
      expect(Number(await redis.exists(`sess:${id}`))).toBe(0);
      seeded.delete(id);
    }
  }, 30000);

  test('ttl read and set on sessions owned by each master: cookie.originalMaxAge, cookie.expires and PTTL all change', async () => {
    const targets = onePerMaster(seeded.keys());
    expect(targets).toHaveLength(3);
    for (const id of targets) {
      const pttlBefore = Number(await redis.pTTL(`sess:${id}`));
      const read = await cli(['session', 'ttl', id, '--json']);
      const pttlAfter = Number(await redis.pTTL(`sess:${id}`));
      expect(read.code).toBe(0);
      const info = ndjson(read.stdout)[0]!;
      expect(info['id']).toBe(id);
      // What the owning node says, read around the CLI's own read.
      expect(Number(info['ttlSeconds'])).toBeLessThanOrEqual(Math.ceil(pttlBefore / 1000));
      expect(Number(info['ttlSeconds'])).toBeGreaterThanOrEqual(Math.floor(pttlAfter / 1000));
      expect(Date.parse(String(info['expiresAt']))).toBeGreaterThan(Date.now() + DAY_MS / 2);

      const before = Date.now();
      const set = await cli(['session', 'ttl', id, '30m', '--json']);
      expect(set.stderr).not.toMatch(/CROSSSLOT|MOVED/);
      expect(set.code).toBe(0);
      expect(ndjson(set.stdout)[0]).toMatchObject({ id, ttlSeconds: 1800, cookieUpdated: true });
      const pttl = Number(await redis.pTTL(`sess:${id}`));
      expect(pttl).toBeGreaterThan(1800000 - 60000);
      expect(pttl).toBeLessThanOrEqual(1800000);
      const value = JSON.parse(String(await redis.get(`sess:${id}`))) as {
        cookie: { originalMaxAge: number; expires: string };
        passport: { user: string };
      };
      expect(value.cookie.originalMaxAge).toBe(1800000);
      const expires = Date.parse(value.cookie.expires);
      expect(expires).toBeGreaterThanOrEqual(before + 1800000 - 1000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 1800000 + 1000);
      expect(value.passport.user).toBe(seeded.get(id));
      // The value was replaced on the owning node, not copied to another one.
      expect(await countOn(ownerPort(`sess:${id}`), `sess:${id}`)).toBe(1);
    }
  }, 60000);

  test('ttl of a missing session: exit 1, nothing created', async () => {
    const r = await cli(['session', 'ttl', 'gone-session', '5m']);
    expect(r.code).toBe(1);
    expect(Number(await redis.exists('sess:gone-session'))).toBe(0);
  });

  test('show, revoke --cookie, revoke --hold (polling) and audit list on sessions owned by different masters', async () => {
    const [shown, byCookie, held] = onePerMaster(seeded.keys()) as [string, string, string];
    for (const id of [shown, byCookie, held]) {
      const r = await cli(['session', 'show', id, '--json']);
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(JSON.parse(r.stdout)).toMatchObject({
        id,
        user: seeded.get(id),
        readable: true,
        session: { passport: { user: seeded.get(id) } },
      });
    }

    // The cookie as a browser holds it (URL-encoded), signature unchecked without a secrets file.
    const cookie = await cli(['session', 'revoke', '--cookie', `connect.sid=s%3A${byCookie}.c2lnbmF0dXJl; Path=/`, '--json']);
    expect(cookie.code).toBe(0);
    expect(ndjson(cookie.stdout)[0]).toMatchObject({ revoked: 1, ids: [byCookie] });
    expect(Number(await redis.exists(`sess:${byCookie}`))).toBe(0);

    // A request in flight re-saves the session after the revoke: the hold deletes it again.
    // Keyspace notifications are node-local on a cluster, so the hold sweeps (polling).
    const holding = cli(['session', 'revoke', held, '--hold', '3s', '--json']);
    const deadline = Date.now() + 10_000;
    while (Number(await redis.exists(`sess:${held}`)) === 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await redis.set(`sess:${held}`, sessionJson({ passport: { user: seeded.get(held) } }, DAY_MS), {
      expiration: { type: 'PX', value: DAY_MS },
    });
    const r = await holding;
    expect(r.code).toBe(0);
    expect(ndjson(r.stdout)[0]).toMatchObject({ revoked: 1, ids: [held], held: { caught: 1, mode: 'polling' } });
    expect(Number(await redis.exists(`sess:${held}`))).toBe(0);
    seeded.delete(byCookie);
    seeded.delete(held);

    const audit = await cli(['audit', 'list', '--json', '--since', '1m']);
    expect(audit.code).toBe(0);
    const targets = ndjson(audit.stdout).map((e) => [e['command'], e['target'], e['outcome']]);
    expect(targets).toEqual(
      expect.arrayContaining([
        ['session revoke', `session ${byCookie}`, 'ok'],
        ['session revoke', `session ${held}`, 'ok'],
      ]),
    );
  }, 60000);

  test('revoke --all --yes empties every master and leaves other keys alone', async () => {
    const bystanders = ['user:{keep-a}', 'user:{keep-b}', 'user:{keep-c}', 'other:x'];
    for (const k of bystanders) await redis.set(k, 'x');
    const total = seeded.size;
    const r = await cli(['session', 'revoke', '--all', '--yes', '--json']);
    expect(r.stderr).not.toMatch(/CROSSSLOT|MOVED/);
    expect(r.code).toBe(0);
    expect(ndjson(r.stdout)).toEqual([{ dryRun: false, revoked: total, scanned: total }]);
    for (const port of cluster.ports) expect(await countOn(port, 'sess:*')).toBe(0);
    for (const k of bystanders) expect(Number(await redis.exists(k))).toBe(1);
    await Promise.all(bystanders.map((k) => redis.del(k)));
    const list = await cli(['session', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe('');
    expect(list.stderr).toBe('0 sessions.\n');
  }, 60000);
});

describe('users on different masters', () => {
  /** Three names whose `user:{name}` keys live on three different masters. */
  let names: string[];

  beforeAll(async () => {
    const byPort = new Map<number, string>();
    for (let i = 0; byPort.size < 3; i += 1) {
      const name = `member${i}`;
      const port = ownerPort(`user:{${name}}`);
      if (!byPort.has(port)) byPort.set(port, name);
    }
    names = [...byPort.values()];
  });

  test('user add then verify, for a user on each master', async () => {
    for (const name of names) {
      const add = await cli(['user', 'add', name, '--password-stdin', '--json', ...CHEAP], { input: `${PW}\n` });
      expect(add.stderr).toBe('');
      expect(add.code).toBe(0);
      expect(ndjson(add.stdout)).toEqual([{ user: name, key: `user:{${name}}`, created: true }]);
      // It is on its owning master.
      expect(await countOn(ownerPort(`user:{${name}}`), `user:{${name}}`)).toBe(1);

      const dup = await cli(['user', 'add', name, '--password-stdin', ...CHEAP], { input: `${PW}\n` });
      expect(dup.code).toBe(4);

      const ok = await cli(['user', 'verify', name, '--password-stdin', '--json', ...CHEAP], { input: `${PW}\n` });
      expect(ok.code).toBe(0);
      expect(ndjson(ok.stdout)[0]).toMatchObject({ user: name, match: true });
      const bad = await cli(['user', 'verify', name, '--password-stdin', ...CHEAP], { input: 'wrong password\n' });
      expect(bad.code).toBe(1);
    }
  }, 60000);

  test('user rehash --check scans every master; user rehash upgrades each one', async () => {
    // Seed outdated (argon2i, m=4096) hashes on the three masters; a current one elsewhere.
    const outdated = await argon2.hash(PW, { type: argon2.argon2i, memoryCost: 4096, timeCost: 2, parallelism: 1 });
    for (const name of names)
      await redis.hSet(`user:{${name}}`, {
        password_hash: outdated,
        created_at: '2020-01-01T00:00:00.000Z',
        updated_at: '2020-01-01T00:00:00.000Z',
      });
    const current = await cli(['user', 'add', 'currentuser', '--password-stdin', ...CHEAP], { input: `${PW}\n` });
    expect(current.code).toBe(0);

    const check = await cli(['user', 'rehash', '--check', '--json', ...CHEAP]);
    expect(check.stderr).not.toMatch(/CROSSSLOT|MOVED/);
    expect(check.code).toBe(1);
    const flagged = ndjson(check.stdout)
      .map((o) => String(o['user']))
      .sort();
    expect(flagged).toEqual([...names].sort());
    expect(check.stderr).toMatch(new RegExp(`^${names.length + 1} users checked, ${names.length} with outdated`, 'm'));

    for (const name of names) {
      const r = await cli(['user', 'rehash', name, '--password-stdin', '--json', ...CHEAP], { input: `${PW}\n` });
      expect(r.code).toBe(0);
      const stored = String(await redis.hGet(`user:{${name}}`, 'password_hash'));
      expect(stored).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
      expect(await argon2.verify(stored, PW)).toBe(true);
    }
    const after = await cli(['user', 'rehash', '--check', '--json', ...CHEAP]);
    expect(after.code).toBe(0);
    expect(after.stdout).toBe('');
  }, 90000);

  test('user list, export and show read the records of every master (list --match, show counts sessions on every master)', async () => {
    await clearSessions();
    const seeded = await seedSessions(300, [...names, 'bystander']);
    const list = await cli(['user', 'list', '--json']);
    expect(list.stderr).not.toMatch(/CROSSSLOT|MOVED/);
    expect(list.code).toBe(0);
    const listed = ndjson(list.stdout).map((o) => String(o['name']));
    for (const name of names) expect(listed).toContain(name);
    expect(new Set(listed).size).toBe(listed.length);
    const matched = await cli(['user', 'list', '--match', 'member*', '--json']);
    expect(
      ndjson(matched.stdout)
        .map((o) => String(o['name']))
        .sort(),
    ).toEqual([...names].sort());
    const exported = await cli(['user', 'export']);
    expect(exported.code).toBe(0);
    expect(
      ndjson(exported.stdout)
        .map((o) => String(o['name']))
        .sort(),
    ).toEqual([...listed].sort());
    for (const name of names) {
      const show = await cli(['user', 'show', name, '--json']);
      expect(show.stderr).not.toMatch(/CROSSSLOT|MOVED/);
      expect(ndjson(show.stdout)[0]).toMatchObject({ name, sessions: [...seeded.values()].filter((u) => u === name).length });
    }
  }, 90000);

  test("user passwd, disable and delete: the record changed on its master, the user's sessions revoked on every master", async () => {
    await clearSessions();
    const seeded = await seedSessions(600, [...names, 'bystander']);
    const countOf = (user: string) => [...seeded.values()].filter((u) => u === user).length;
    const [first, second, third] = names as [string, string, string];
    const runs: Array<[string, string[], string | undefined]> = [
      [first, ['user', 'passwd', first, '--password-stdin', '--json', ...CHEAP], 'a cluster passphrase 2\n'],
      [second, ['user', 'disable', second, '--reason', 'CLUSTER-1', '--json'], undefined],
      [third, ['user', 'delete', third, '--yes', '--json'], undefined],
    ];
    for (const [name, args, input] of runs) {
      const r = await cli(args, input === undefined ? {} : { input });
      expect(r.stderr).not.toMatch(/CROSSSLOT|MOVED/);
      expect(r.code).toBe(0);
      expect(ndjson(r.stdout)[0]).toMatchObject({ principal: name, sessionsRevoked: countOf(name) });
      const left = await cli(['session', 'list', '--user', name, '--json']);
      expect(left.stdout).toBe('');
    }
    expect(await redis.hGet(`user:{${second}}`, 'status')).toBe('disabled');
    expect(Number(await redis.exists(`user:{${third}}`))).toBe(0);
    const bystanders = await cli(['session', 'list', '--user', 'bystander', '--json']);
    expect(ndjson(bystanders.stdout)).toHaveLength(countOf('bystander'));
  }, 90000);
});

describe('a cluster of Redis < 7 (no allow-cross-slot-keys): batches go one slot per command', () => {
  // The test cluster runs Redis 7, so the per-slot operations are driven directly: a node
  // refuses any multi-key command whose keys span two slots (CROSSSLOT), which is exactly
  // what an older cluster does with the flagged scripts.
  test('values, TTLs, hash fields and unlink over keys of many slots, on every master', async () => {
    const { nodeOps } = await import('../../src/core/walk/node-ops.js');
    const ops = nodeOps(true, false);
    await clearSessions();
    const seeded = await seedSessions(600, userNames);
    for (const name of userNames) await redis.hSet(`user:{${name}}`, { password_hash: `hash-of-${name}` });
    for (const port of cluster.ports) {
      const node = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } }) as RedisClientType;
      await node.connect();
      try {
        let missing = `sess:${newId()}`;
        while (ownerPort(missing) !== port) missing = `sess:${newId()}`;
        const keys = [...(await keysOn(port, 'sess:*')), missing]; // and one that does not exist
        expect(new Set(keys.map(keySlot)).size).toBeGreaterThan(50);
        const keyBytes = keys.map((k) => Buffer.from(k));
        const [raws, { pttls, values }] = await Promise.all([
          ops.values(node as unknown as Redis, keyBytes, 'string'),
          ops.read(node as unknown as Redis, keyBytes, 'string', 1 << 30, [], true),
        ]);
        expect(values).toHaveLength(keys.length);
        for (const [i, key] of keys.entries()) {
          const id = key.slice('sess:'.length);
          if (i === keys.length - 1) {
            expect([raws[i], values[i], pttls[i]]).toEqual([null, null, -2]);
          } else {
            expect(JSON.parse(String(raws[i]))).toMatchObject({ passport: { user: seeded.get(id) } });
            expect(values[i]).toEqual(raws[i]);
            expect(pttls[i]).toBeGreaterThan(DAY_MS - 120000);
          }
        }
        const userKeys = await keysOn(port, 'user:{user*');
        expect(
          await ops.hashFields(
            node as unknown as Redis,
            userKeys.map((k) => Buffer.from(k)),
            ['password_hash', 'status'],
          ),
        ).toEqual(userKeys.map((k) => [Buffer.from(`hash-of-${k.slice('user:{'.length, -1)}`), null]));
        expect(
          await ops.unlink(
            node as unknown as Redis,
            keys.map((k) => Buffer.from(k)),
          ),
        ).toBe(keys.length - 1);
        expect(await countOn(port, 'sess:*')).toBe(0);
      } finally {
        node.destroy();
      }
    }
    for (const name of userNames) await redis.del(`user:{${name}}`);
  }, 60000);
});

describe('a cluster that changes under a walk is reported, never a silent short result', () => {
  /** A slot of the first master that holds no key, with the node ids of the first two masters. */
  let slot: number;
  let source: { port: number; id: string };
  let target: { port: number; id: string };

  beforeAll(async () => {
    await redis.set('sess:change-probe', sessionJson({ passport: { user: 'probe' } }, DAY_MS), {
      expiration: { type: 'PX', value: DAY_MS },
    });
    const ports = [...new Set(slotOwners.map((o) => o.port))];
    const idOf = async (port: number) => String(await commandAt(port, ['CLUSTER', 'MYID']));
    source = { port: ports[0]!, id: await idOf(ports[0]!) };
    target = { port: ports[1]!, id: await idOf(ports[1]!) };
    const range = slotOwners.find((o) => o.port === source.port)!;
    slot = range.to;
    expect(Number(await commandAt(source.port, ['CLUSTER', 'COUNTKEYSINSLOT', String(slot)]))).toBe(0);
  });

  test('a slot migration under way: the listing ends in exit 3 saying so; once stable, exit 0', async () => {
    await commandAt(target.port, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', source.id]);
    await commandAt(source.port, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', target.id]);
    try {
      const r = await cli(['session', 'list', '--json']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(
        /^redis-accounts: a slot migration was in progress while the command ran; results may be incomplete \(hint: /m,
      );
    } finally {
      for (const port of [source.port, target.port]) await commandAt(port, ['CLUSTER', 'SETSLOT', String(slot), 'STABLE']);
    }
    const r = await cli(['session', 'list', '--json']);
    expect(r.code).toBe(0);
  });

  test('a slot moved between the same masters during a walk is seen (TopologyChangedError, exit 3)', async () => {
    const { openTopology } = await import('../../src/core/redis/topology.js');
    const { TopologyChangedError } = await import('../../src/core/errors.js');
    const topology = await openTopology({ url: cluster.url, urlFromArgv: false, timeoutMs: 5000 }, () => undefined);
    const move = async (to: { id: string }) => {
      for (const port of [source.port, target.port]) await commandAt(port, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', to.id]);
    };
    try {
      await topology.masters(); // the walk starts: the layout is taken here
      await topology.assertUnchanged(); // nothing moved yet
      await move(target);
      const err = await topology.assertUnchanged().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TopologyChangedError);
      expect((err as Error).message).toMatch(/masters or slots changed/);
    } finally {
      await move(source);
      await topology.close();
    }
  });
});

test('no command in this file printed CROSSSLOT, MOVED or ASK redirections', () => {
  expect(outputs.length).toBeGreaterThan(10);
  for (const r of outputs) expect(r.stderr).not.toMatch(/CROSSSLOT|\bMOVED\b|\bASK\b/);
});
