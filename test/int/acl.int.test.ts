/**
 * The ACL rules README.md documents under "Least privilege", created verbatim in a test
 * server: the operator can run every command, the auditor can read but change nothing,
 * and a denied command exits 3 naming what was denied.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from '@jest/globals';
import { ROOT, ndjson, runCli } from '../helpers/cli.js';
import { sessionJson } from '../helpers/client.js';
import { useTestRedis } from '../helpers/fixture.js';

const t = useTestRedis();
const PASSWORD = 'acl-test-password-7f3a';
const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];

/** The `ACL SETUSER ...` lines of the README, exactly as an operator would paste them. */
function readmeRules(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Least privilege'));
  return section.split('\n').filter((line) => line.startsWith('ACL SETUSER accounts-'));
}

function envFor(user: string): Record<string, string> {
  return { ...t.env, REDIS_USERNAME: user, REDIS_PASSWORD: PASSWORD };
}

beforeEach(async () => {
  const rules = readmeRules();
  expect(rules).toHaveLength(2);
  for (const rule of rules) await t.redis.sendCommand(rule.replace('>CHANGE-ME', `>${PASSWORD}`).split(' '));
  await t.redis.set('sess:s1', sessionJson({ passport: { user: 'alice' } }), { EX: 3600 });
  await t.redis.set('sess:s2', sessionJson({ passport: { user: 'bob' } }), { EX: 3600 });
});

describe('accounts-operator can run every command', () => {
  test('users, sessions and the audit trail', async () => {
    const env = envFor('accounts-operator');
    const run = (args: string[], input?: string) => runCli(args, { env, ...(input === undefined ? {} : { input }) });
    expect((await run(['user', 'add', 'alice', '--password-stdin', ...CHEAP], 'correct horse battery\n')).code).toBe(0);
    expect((await run(['user', 'verify', 'alice', '--password-stdin', ...CHEAP], 'correct horse battery\n')).code).toBe(0);
    expect((await run(['user', 'verify', 'alice', '--password-stdin', '--rehash'], 'correct horse battery\n')).code).toBe(0);
    expect((await run(['user', 'rehash', 'alice', '--password-stdin', '--force', ...CHEAP], 'correct horse battery\n')).code).toBe(0);
    expect((await run(['user', 'rehash', '--check', ...CHEAP])).code).toBe(0);
    expect(ndjson((await run(['session', 'list', '--json'])).stdout)).toHaveLength(2);
    expect((await run(['session', 'show', 's1'])).code).toBe(0);
    expect((await run(['session', 'ttl', 's1'])).code).toBe(0);
    expect((await run(['session', 'ttl', 's1', '30m'])).code).toBe(0);
    expect((await run(['session', 'revoke', 's1'])).code).toBe(0);
    expect((await run(['session', 'revoke', '--user', 'bob'])).code).toBe(0);
    expect((await run(['session', 'revoke', '--all', '--yes'])).code).toBe(0);
    // The account commands: their scripts' HGET, HSET, TYPE and UNLINK on user:{*}, and the session revoke.
    await t.redis.set('sess:s3', sessionJson({ passport: { user: 'alice' } }), { EX: 3600 });
    const passwd = await run(['user', 'passwd', 'alice', '--password-stdin', '--json', ...CHEAP], 'a new horse battery\n');
    expect([passwd.code, JSON.parse(passwd.stdout)]).toEqual([0, expect.objectContaining({ sessionsRevoked: 1 })]);
    expect((await run(['user', 'disable', 'alice', '--reason', 'ACL-1'])).code).toBe(0);
    expect((await run(['user', 'enable', 'alice'])).code).toBe(0);
    expect((await run(['user', 'delete', 'alice', '--yes'])).code).toBe(0);
    expect(await t.redis.exists('user:{alice}')).toBe(0);
    // user import: its script's TYPE and HSET, and overwrite's HDEL.
    const hash = `$2b$04$${'a'.repeat(53)}`;
    const lines = `${JSON.stringify({ name: 'imp', status: 'disabled', status_reason: 'x', password_hash: hash })}\n`;
    expect((await run(['user', 'import', '-', '--format', 'jsonl'], lines)).code).toBe(0);
    const over = await run(
      ['user', 'import', '-', '--format', 'jsonl', '--on-conflict', 'overwrite'],
      `${JSON.stringify({ name: 'imp', password_hash: hash })}\n`,
    );
    expect([over.code, over.stderr]).toEqual([0, expect.stringContaining('0 users imported, 1 overwritten')]);
    expect(await t.redis.hGetAll('user:{imp}')).toEqual({ password_hash: hash });
    expect(ndjson((await run(['audit', 'list', '--json', '--limit', '1'])).stdout)).toHaveLength(1);
    const audit = await run(['audit', 'list', '--json']);
    expect(audit.code).toBe(0);
    // Every change above was recorded (the warning for a failed audit write never appeared).
    expect(ndjson(audit.stdout).map((e) => e['command'])).toEqual(
      expect.arrayContaining([
        'user add',
        'user verify --rehash',
        'user rehash',
        'user passwd',
        'user disable',
        'user enable',
        'user delete',
        'user import',
      ]),
    );
  });

  test('keys outside its patterns are out of reach', async () => {
    await t.redis.set('other:secret', 'x');
    const r = await runCli(['session', 'list', '--session-prefix', 'other:'], { env: envFor('accounts-operator') });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/permission denied by Redis ACL/);
  });
});

describe('accounts-auditor can read and change nothing', () => {
  test('reads work', async () => {
    const env = envFor('accounts-auditor');
    await runCli(['user', 'add', 'carol', '--password-stdin', ...CHEAP], { env: t.env, input: 'correct horse battery\n' });
    expect(ndjson((await runCli(['session', 'list', '--json'], { env })).stdout)).toHaveLength(2);
    expect((await runCli(['session', 'show', 's1'], { env })).code).toBe(0);
    expect((await runCli(['session', 'ttl', 's1'], { env })).code).toBe(0);
    expect((await runCli(['user', 'verify', 'carol', '--password-stdin', ...CHEAP], { env, input: 'correct horse battery\n' })).code).toBe(
      0,
    );
    expect((await runCli(['user', 'rehash', '--check', ...CHEAP], { env })).code).toBe(0);
    expect(ndjson((await runCli(['user', 'list', '--json'], { env })).stdout)).toMatchObject([{ name: 'carol', family: 'argon2id' }]);
    expect(ndjson((await runCli(['user', 'show', 'carol', '--json'], { env })).stdout)).toMatchObject([{ name: 'carol', sessions: 0 }]);
    expect(ndjson((await runCli(['user', 'export'], { env })).stdout)).toMatchObject([{ name: 'carol' }]);
    expect((await runCli(['audit', 'list'], { env })).code).toBe(0);
    // --limit reads the newest entries backwards (XREVRANGE).
    expect(ndjson((await runCli(['audit', 'list', '--json', '--limit', '1'], { env })).stdout)).toHaveLength(1);
  });

  test.each([
    [['session', 'revoke', '--user', 'alice'], /'unlink'/],
    [['session', 'revoke', '--all', '--yes'], /'unlink'/],
    [['session', 'revoke', 's1'], /'eval'|ACL/],
    [['session', 'ttl', 's1', '30m'], /'evalsha'/], // every Lua script runs by EVALSHA (redis/scripts.ts)
  ])('%j is denied: exit 3 naming the command, nothing changed', async (args, named) => {
    const before = await t.redis.get('sess:s1');
    const ttlBefore = Number(await t.redis.ttl('sess:s1'));
    const r = await runCli(args, { env: envFor('accounts-auditor') });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/permission denied by Redis ACL/);
    expect(r.stderr).toMatch(named);
    // The failure cannot be recorded either (no XADD for the auditor), and a warning says so (issue 13 item 4).
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^Warning: this failure could not be recorded in the audit trail \(.*'xadd'.*\)\.$/),
      expect.stringMatching(/^redis-accounts: permission denied by Redis ACL/),
    ]);
    expect(await t.redis.get('sess:s1')).toBe(before);
    expect(Number(await t.redis.ttl('sess:s1'))).toBeGreaterThanOrEqual(ttlBefore - 2);
    expect(await t.redis.exists('sess:s2')).toBe(1);
  });

  test.each([[['user', 'disable', 'carol']], [['user', 'enable', 'carol']], [['user', 'delete', 'carol', '--yes']]])(
    '%j is denied (exit 3) and changes nothing',
    async (args) => {
      await runCli(['user', 'add', 'carol', '--password-stdin', ...CHEAP], { env: t.env, input: 'correct horse battery\n' });
      const before = await t.redis.hGetAll('user:{carol}');
      const r = await runCli(args, { env: envFor('accounts-auditor') });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/permission denied by Redis ACL.*'evalsha'/);
      expect(await t.redis.hGetAll('user:{carol}')).toEqual(before);
    },
  );

  test('user import --dry-run works; user import is denied (exit 3) and writes nothing', async () => {
    const line = `${JSON.stringify({ name: 'mallory', password_hash: `$2b$04$${'a'.repeat(53)}` })}\n`;
    const env = envFor('accounts-auditor');
    const dry = await runCli(['user', 'import', '-', '--format', 'jsonl', '--dry-run'], { env, input: line });
    expect([dry.code, dry.stderr]).toEqual([0, expect.stringContaining('1 user would be imported')]);
    const r = await runCli(['user', 'import', '-', '--format', 'jsonl'], { env, input: line });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/permission denied by Redis ACL.*'evalsha'/);
    expect(await t.redis.exists('user:{mallory}')).toBe(0);
  });

  test('user add is denied (exit 3) and writes nothing', async () => {
    const r = await runCli(['user', 'add', 'mallory', '--password-stdin', ...CHEAP], {
      env: envFor('accounts-auditor'),
      input: 'correct horse battery\n',
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/permission denied by Redis ACL.*'evalsha'/);
    expect(await t.redis.exists('user:{mallory}')).toBe(0);
  });
});
