/**
 * Session ids that begin with '-' (express-session makes about 1 in 64): typed without '--',
 * commander reads one as an unknown option. The usage error then hints at the command line
 * to type instead. That hint is pasted by responders under pressure, so it is tested by
 * pasting it: into a real shell, against a real server, checking that it does what the user
 * meant (the same command, the same other arguments) and never something else.
 */
import { spawn } from 'node:child_process';
import { describe, expect, test } from '@jest/globals';
import { BIN, ndjson, runCli, type CliResult } from '../helpers/cli.js';
import { sessionJson } from '../helpers/client.js';
import { dataKeys, useTestRedis } from '../helpers/fixture.js';

const t = useTestRedis();

const HINT = /^\(an argument that begins with '-', as some session ids do, goes after '--', and options before it: (redis-accounts .*)\)$/m;

/** The command line the usage error suggests, as printed. */
function hintOf(r: CliResult): string {
  expect(r.code).toBe(2);
  const line = HINT.exec(r.stderr)?.[1];
  if (line === undefined) throw new Error(`no hint in: ${r.stderr}`);
  return line;
}

/** Paste `line` into bash, where `redis-accounts` is the built CLI, as a responder would. */
function paste(line: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/tmp',
      REDIS_URL: t.env.REDIS_URL,
      RA_NODE: process.execPath,
      RA_BIN: BIN,
    };
    const child = spawn('bash', ['-c', `redis-accounts() { "$RA_NODE" "$RA_BIN" "$@"; }\n${line}`], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d.toString()));
    child.stderr.on('data', (d) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function seedSession(id: string, user = 'alice'): Promise<void> {
  await t.redis.set(`sess:${id}`, sessionJson({ passport: { user } }), { EX: 3600 });
}

describe("the hint for an id that begins with '-'", () => {
  test('session ttl -ID 15s --json: hints `session ttl --json -- -ID 15s`, which sets the lifetime (and deletes nothing)', async () => {
    await seedSession('-Xw3b9Qn2eKp0');
    const typed = await runCli(['session', 'ttl', '-Xw3b9Qn2eKp0', '15s', '--json'], { env: t.env });
    expect(hintOf(typed)).toBe('redis-accounts session ttl --json -- -Xw3b9Qn2eKp0 15s');
    expect(await t.redis.ttl('sess:-Xw3b9Qn2eKp0')).toBeGreaterThan(15);

    const pasted = await paste(hintOf(typed));
    expect(pasted.stderr).toBe('');
    expect(pasted.code).toBe(0);
    expect(ndjson(pasted.stdout)).toEqual([expect.objectContaining({ id: '-Xw3b9Qn2eKp0', ttlSeconds: 15 })]);
    expect(await t.redis.exists('sess:-Xw3b9Qn2eKp0')).toBe(1);
    expect(await t.redis.ttl('sess:-Xw3b9Qn2eKp0')).toBeLessThanOrEqual(15);
  });

  test('session show -ID --json: hints `session show`, which shows the session and leaves it in place', async () => {
    const id = '-Qw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6J';
    await seedSession(id);
    const typed = await runCli(['session', 'show', id, '--json'], { env: t.env });
    const hint = hintOf(typed);
    expect(hint).toBe(`redis-accounts session show --json -- ${id}`);
    const pasted = await paste(hint);
    expect(pasted.code).toBe(0);
    expect(JSON.parse(pasted.stdout)).toMatchObject({ id, user: 'alice' });
    expect(await t.redis.exists(`sess:${id}`)).toBe(1);
  });

  test('session revoke with several ids and options: the hint keeps every id in order and every option, quoted for the shell', async () => {
    const ids = ['-Aaaaaaaaaaa1', 'plainid', '-Bbbbbbbbbbb2'];
    for (const id of ids) await seedSession(id);
    await seedSession('-Ckeepme12345');
    const reason = "INC 4'2 (paged)";
    const typed = await runCli(['session', 'revoke', ids[0] as string, ids[1] as string, '--reason', reason, ids[2] as string], {
      env: t.env,
    });
    const hint = hintOf(typed);
    expect(hint).toBe(`redis-accounts session revoke --reason 'INC 4'\\''2 (paged)' -- -Aaaaaaaaaaa1 plainid -Bbbbbbbbbbb2`);
    // The mistyped command itself changed nothing.
    expect(await dataKeys(t.redis)).toEqual(['sess:-Aaaaaaaaaaa1', 'sess:-Bbbbbbbbbbb2', 'sess:-Ckeepme12345', 'sess:plainid']);

    const pasted = await paste(hint);
    expect(pasted.code).toBe(0);
    expect(pasted.stderr).toBe('Revoked 3 of 3 sessions.\n');
    expect(await dataKeys(t.redis)).toEqual(['sess:-Ckeepme12345']);
    // The reason reached the audit trail exactly as typed.
    const audit = await runCli(['audit', 'list', '--json'], { env: t.env });
    expect(ndjson(audit.stdout)).toEqual([expect.objectContaining({ command: 'session revoke', reason, outcome: 'ok' })]);
  });

  test('an id typed after -- still is one: `revoke -A... -- -B...` hints both after one --', async () => {
    for (const id of ['-Aaaaaaaaaaa1', '-Bbbbbbbbbbb2']) await seedSession(id);
    const typed = await runCli(['session', 'revoke', '-Aaaaaaaaaaa1', '--dry-run', '--', '-Bbbbbbbbbbb2'], { env: t.env });
    const hint = hintOf(typed);
    expect(hint).toBe('redis-accounts session revoke --dry-run -- -Aaaaaaaaaaa1 -Bbbbbbbbbbb2');
    const pasted = await paste(hint);
    expect(pasted.code).toBe(0);
    expect(pasted.stdout.split('\n').filter(Boolean).sort()).toEqual(['-Aaaaaaaaaaa1', '-Bbbbbbbbbbb2']);
    expect(await dataKeys(t.redis)).toHaveLength(2);
  });

  test('the hint names the command that was typed, never another; commands without arguments get none', async () => {
    const commands = [
      ['user', 'add'],
      ['user', 'verify'],
      ['user', 'rehash'],
      ['session', 'revoke'],
      ['session', 'show'],
      ['session', 'ttl'],
    ];
    for (const command of commands) {
      const r = await runCli([...command, '-Qw3b9Qn2eKp0Lr7'], { env: t.env });
      expect(hintOf(r)).toBe(`redis-accounts ${command.join(' ')} -- -Qw3b9Qn2eKp0Lr7`);
    }
    for (const command of [
      ['session', 'list'],
      ['audit', 'list'],
    ]) {
      const r = await runCli([...command, '-Qw3b9Qn2eKp0Lr7'], { env: t.env });
      expect([r.code, r.stderr]).toEqual([2, "error: unknown option '-Qw3b9Qn2eKp0Lr7'\n(run with --help for usage)\n"]);
    }
  });

  test("an id that begins with -V is an id, not the program's --version (which exited 0 having revoked nothing)", async () => {
    await seedSession('-Vw3b9Qn2eKp0');
    const typed = await runCli(['session', 'revoke', '-Vw3b9Qn2eKp0'], { env: t.env });
    expect(typed.stdout).toBe('');
    expect(hintOf(typed)).toBe('redis-accounts session revoke -- -Vw3b9Qn2eKp0');
    expect(await t.redis.exists('sess:-Vw3b9Qn2eKp0')).toBe(1);
    expect((await runCli(['--version'])).stdout).toBe('0.1.0\n');
  });

  test('secrets typed on the command line are not repeated: a password in --url, a --cookie value', async () => {
    const r = await runCli(['session', 'show', '-Xw3b9Qn2eKp0', '--url', 'redis://ops:hunter2@127.0.0.1:1/0', '--cookie', 's:abc.sig'], {
      env: t.env,
    });
    expect(hintOf(r)).toBe("redis-accounts session show --cookie '****' --url 'redis://ops:****@127.0.0.1:1/0' -- -Xw3b9Qn2eKp0");
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stderr).not.toContain('abc.sig');
  });
});
