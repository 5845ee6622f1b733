/**
 * `user export --include-hashes` read back by `user import --format jsonl` (issue 17: each import
 * format round-trips): every user comes back with the same lines, verifies with the same
 * password (a peppered one with the same pepper file, since pepper_id travels with the hash),
 * and a disabled user stays disabled.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, test } from '@jest/globals';
import { runCli, type CliResult } from '../helpers/cli.js';
import { AUDIT_KEY, useTestRedis } from '../helpers/fixture.js';

const PW = 'Grüße, correct horse battery staple';
const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];

const t = useTestRedis();
let pepper: string;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'ra-roundtrip-'));
  pepper = join(dir, 'pepper');
  writeFileSync(pepper, `k1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
});

const cli = (args: string[], input?: string): Promise<CliResult> =>
  runCli(args, { env: t.env, timeoutMs: 60000, ...(input === undefined ? {} : { input }) });
const verify = async (name: string, password: string, extra: string[] = []) =>
  (await cli(['user', 'verify', name, '--password-stdin', '--json', ...extra], `${password}\n`)).code;

test('export --include-hashes, then import --format jsonl into an empty server: the same users, the same lines, the same passwords', async () => {
  expect((await cli(['user', 'add', 'alice', '--password-stdin', '--pepper-file', pepper, ...CHEAP], `${PW}\n`)).code).toBe(0);
  expect((await cli(['user', 'add', 'bob', '--password-stdin', '--principal', '7', ...CHEAP], `${PW}\n`)).code).toBe(0);
  expect((await cli(['user', 'disable', 'bob', '--reason', 'INC-4711'])).code).toBe(0);
  // A foreign hash, as an earlier import left it (python3-bcrypt's test vector form is not needed: the family is what matters).
  await t.redis.hSet('user:{carol}', { password_hash: '$2b$04$abcdefghijklmnopqrstuu5Ub1B9V0cM/bHGwY4RQmAZbXWaKO0jS', status: 'active' });

  const exported = await cli(['user', 'export', '--include-hashes']);
  expect(exported.code).toBe(0);
  expect(exported.stderr).toMatch(/password hashes/);
  const lines = exported.stdout.trim().split('\n').sort();
  expect(lines).toHaveLength(3);
  expect(lines.find((l) => l.includes('"alice"'))).toMatch(/"pepper_id":"k1"/);

  for (const key of ['user:{alice}', 'user:{bob}', 'user:{carol}', AUDIT_KEY]) await t.redis.del(key);
  const imported = await cli(['user', 'import', '-', '--format', 'jsonl', '--json'], exported.stdout);
  expect(imported.code).toBe(0);
  expect(JSON.parse(imported.stdout.trim().split('\n').pop() ?? '{}')).toMatchObject({ type: 'summary', imported: 3, rejected: 0 });

  const again = await cli(['user', 'export', '--include-hashes']);
  expect(again.stdout.trim().split('\n').sort()).toEqual(lines);
  expect(await verify('alice', PW, ['--pepper-file', pepper])).toBe(0);
  expect(await verify('alice', `${PW}!`, ['--pepper-file', pepper])).toBe(1);
  expect(await verify('alice', PW)).toBe(5); // peppered: refused without the file, never a wrong password
  const bob = await cli(['user', 'verify', 'bob', '--password-stdin', '--json'], `${PW}\n`);
  expect({ code: bob.code, out: JSON.parse(bob.stdout) as unknown }).toMatchObject({ code: 1, out: { disabled: true } });
  expect(await t.redis.hGet('user:{bob}', 'principal')).toBe('7');
});
