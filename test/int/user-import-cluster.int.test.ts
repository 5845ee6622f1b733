/**
 * `user import` on a real three-master Redis Cluster: the users land on the masters that own
 * their slots (each user's script runs on its own master, pipelined per node), never a
 * CROSSSLOT or MOVED error; they verify there; a rerun skips them all; --dry-run writes nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ndjson, runCli, type CliResult } from '../helpers/cli.js';
import { commandAt, startCluster, type TestCluster } from '../helpers/topologies.js';
import { keySlot } from '../../src/core/redis/slot.js';

const PW = 'cluster import password 1';
const USERS = 600;

let cluster: TestCluster;
let path: string;
const names = Array.from({ length: USERS }, (_, i) => `cl-${i}`);

async function cli(args: string[], input?: string): Promise<CliResult> {
  const r = await runCli(args, { env: { REDIS_URL: cluster.url }, timeoutMs: 60000, ...(input === undefined ? {} : { input }) });
  expect(r.stderr).not.toMatch(/CROSSSLOT|MOVED|ASK\b/);
  return r;
}

/** Which master holds each key, by asking each master for the keys it has. */
async function holders(): Promise<Map<string, number>> {
  const where = new Map<string, number>();
  for (const port of cluster.ports) {
    const keys = (await commandAt(port, ['KEYS', 'user:{cl-*}'])) as string[];
    for (const key of keys) where.set(key, port);
  }
  return where;
}

beforeAll(async () => {
  cluster = await startCluster();
  const added = await cli(['user', 'add', 'seed', '--password-stdin', '--argon2-memory', '1024', '--argon2-time', '1'], `${PW}\n`);
  expect(added.code).toBe(0);
  // Read on whichever master holds it (the others answer MOVED).
  let hash = '';
  for (const port of cluster.ports) {
    const h = await commandAt(port, ['HGET', 'user:{seed}', 'password_hash']).catch(() => null);
    if (typeof h === 'string') hash = h;
  }
  expect(hash).toMatch(/^\$argon2id\$/);
  path = join(mkdtempSync(join(tmpdir(), 'ra-import-cluster-')), 'users.jsonl');
  writeFileSync(path, names.map((name) => JSON.stringify({ name, status: 'active', password_hash: hash })).join('\n'));
}, 90000);

afterAll(async () => {
  await cluster?.stop();
});

test('users spread over every master, each on the master of its slot; they verify; a rerun skips them; --dry-run writes nothing', async () => {
  const dry = await cli(['user', 'import', path, '--format', 'jsonl', '--dry-run', '--json']);
  expect(dry.code).toBe(0);
  expect(ndjson(dry.stdout).at(-1)).toMatchObject({ type: 'summary', dryRun: true, imported: USERS });
  expect((await holders()).size).toBe(0);

  const r = await cli(['user', 'import', path, '--format', 'jsonl', '--json']);
  expect(r.code).toBe(0);
  expect(ndjson(r.stdout)).toEqual([expect.objectContaining({ type: 'summary', read: USERS, imported: USERS, rejected: 0 })]);
  const where = await holders();
  expect(where.size).toBe(USERS);
  expect(new Set(where.values())).toEqual(new Set(cluster.ports));
  // Each on the master that owns its slot: CLUSTER COUNTKEYSINSLOT there counts it.
  for (const name of names.slice(0, 30)) {
    const key = `user:{${name}}`;
    expect(await commandAt(where.get(key)!, ['CLUSTER', 'COUNTKEYSINSLOT', String(keySlot(key))])).toBeGreaterThan(0);
  }
  // One user per master verifies with the right password, not with a wrong one.
  for (const port of cluster.ports) {
    const name = names.find((n) => where.get(`user:{${n}}`) === port)!;
    expect((await cli(['user', 'verify', name, '--password-stdin'], `${PW}\n`)).code).toBe(0);
    expect((await cli(['user', 'verify', name, '--password-stdin'], `${PW}x\n`)).code).toBe(1);
  }
  const again = await cli(['user', 'import', path, '--format', 'jsonl', '--json']);
  expect(again.code).toBe(0);
  expect(ndjson(again.stdout).at(-1)).toMatchObject({ imported: 0, skipped: USERS });

  // --on-conflict overwrite, a user a script on its own master: each overwrite is in the trail.
  const five = join(mkdtempSync(join(tmpdir(), 'ra-import-cluster-')), 'five.jsonl');
  const hash = (await commandAt(where.get('user:{cl-0}')!, ['HGET', 'user:{cl-0}', 'password_hash'])) as string;
  writeFileSync(
    five,
    names
      .slice(0, 5)
      .map((name) => JSON.stringify({ name, status: 'disabled', password_hash: hash }))
      .join('\n'),
  );
  const over = await cli(['user', 'import', five, '--format', 'jsonl', '--on-conflict', 'overwrite', '--json']);
  expect(over.code).toBe(0);
  expect(ndjson(over.stdout).at(-1)).toMatchObject({ overwritten: 5 });
  const trail = ndjson((await cli(['audit', 'list', '--json'])).stdout).filter((e) => String(e['target']).startsWith('user cl-'));
  expect(trail.map((e) => e['target']).sort()).toEqual(
    names
      .slice(0, 5)
      .map((n) => `user ${n}`)
      .sort(),
  );
  for (const entry of trail)
    expect(entry).toMatchObject({ command: 'user import', before: { status: 'active' }, after: { status: 'disabled' } });
}, 120000);
