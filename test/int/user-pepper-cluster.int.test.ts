/**
 * --pepper-file on a three-master Redis Cluster, through the built CLI: `rehash --check
 * --pepper-file` reads each record's pepper_id on the master that holds it (the second per-batch
 * read, core/users/records.ts scanRecords), and `verify` re-peppers a user on each master.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, test } from '@jest/globals';
import { keySlot } from '../../src/core/redis/slot.js';
import { ndjson, runCli, type CliResult } from '../helpers/cli.js';
import { commandAt, useCluster } from '../helpers/topologies.js';

const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
const PW = 'a cluster passphrase, long enough';
const dir = mkdtempSync(join(tmpdir(), 'ra-pepper-cluster-'));
const k1 = `k1:${randomBytes(32).toString('base64')}`;
const k2 = `k2:${randomBytes(32).toString('base64')}`;
const ONLY_K1 = join(dir, 'k1');
const K2_THEN_K1 = join(dir, 'k2-k1');

const fixture = useCluster();
/** One user on each master. */
let names: string[];

beforeAll(async () => {
  writeFileSync(ONLY_K1, `${k1}\n`, { mode: 0o600 });
  writeFileSync(K2_THEN_K1, `${k2}\n${k1}\n`, { mode: 0o600 });
  const slots = (await commandAt(fixture.cluster.ports[0] as number, ['CLUSTER', 'SLOTS'])) as unknown[][];
  const ownerOf = (key: string) => {
    const slot = keySlot(key);
    return Number(((slots.find((s) => slot >= Number(s[0]) && slot <= Number(s[1])) ?? [])[2] as unknown[])[1]);
  };
  const byPort = new Map<number, string>();
  for (let i = 0; byPort.size < 3; i += 1) if (!byPort.has(ownerOf(`user:{p${i}}`))) byPort.set(ownerOf(`user:{p${i}}`), `p${i}`);
  names = [...byPort.values()];
});

const cli = (args: string[], input?: string): Promise<CliResult> =>
  runCli(args, { env: { REDIS_URL: fixture.cluster.url }, timeoutMs: 60000, ...(input === undefined ? {} : { input: `${input}\n` }) });

test('check lists the users on the old key on every master; verify re-peppers each; then check lists none', async () => {
  for (const name of names)
    expect((await cli(['user', 'add', name, '--password-stdin', '--pepper-file', ONLY_K1, ...CHEAP], PW)).code).toBe(0);
  const check = await cli(['user', 'rehash', '--check', '--json', '--pepper-file', K2_THEN_K1, ...CHEAP]);
  expect(check.stderr).not.toMatch(/CROSSSLOT|MOVED/);
  expect(check.code).toBe(1);
  expect(ndjson(check.stdout).sort((a, b) => String(a['user']).localeCompare(String(b['user'])))).toEqual(
    [...names].sort().map((user) => ({ user, reasons: ['pepper key k1 (current k2)'] })),
  );

  for (const name of names) {
    const r = await cli(['user', 'verify', name, '--password-stdin', '--json', '--pepper-file', K2_THEN_K1, ...CHEAP], PW);
    expect(r.code).toBe(0);
    expect(ndjson(r.stdout)[0]).toMatchObject({ match: true, rehashed: true });
    expect(await fixture.client.hGet(`user:{${name}}`, 'pepper_id')).toBe('k2');
  }
  const after = await cli(['user', 'rehash', '--check', '--json', '--pepper-file', K2_THEN_K1, ...CHEAP]);
  expect({ code: after.code, stdout: after.stdout }).toEqual({ code: 0, stdout: '' });
}, 120000);
