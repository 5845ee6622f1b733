/**
 * Messages that must not leave the operator guessing, end to end: a server that needs a
 * password says so and how to give one; rediss:// against a plain server hints that it may
 * not speak TLS; a URL without a scheme (host:port) is read as redis://; --limit 0 says
 * "at least 1"; FORCE_COLOR=0 turns the table's bold off on a terminal.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { ndjson, runCli, type CliResult } from '../helpers/cli.js';
import { adminClient, sessionJson } from '../helpers/client.js';
import { Pty } from '../helpers/pty.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

const PASSWORD = 'needed-Secret-W3x';

/** Exit 3, one line, no stack trace, nothing on stdout. */
function expectConnectionLine(r: CliResult, line: RegExp): void {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 3, stdout: '' });
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(line);
}

describe('a server that requires a password', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ args: ['--requirepass', PASSWORD] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("none given (NOAUTH): says the server needs a password and how to give it, not Redis's HELLO text", async () => {
    const r = await runCli(['session', 'list', '--url', server.url]);
    expectConnectionLine(
      r,
      /^redis-accounts: cannot connect to redis:\/\/127\.0\.0\.1:\d+: authentication required: the server needs a password and none was given \(NOAUTH\) \(hint: give it in REDIS_PASSWORD, --redis-password-file or the URL \(redis:\/\/:password@host\); for an ACL user set REDIS_USERNAME as well\)\n$/,
    );
    expect(r.stderr).not.toMatch(/HELLO/);
  });

  test('a wrong one (WRONGPASS): says it was rejected', async () => {
    const r = await runCli(['session', 'list', '--url', server.url], { env: { REDIS_PASSWORD: 'not-it' } });
    expectConnectionLine(
      r,
      /authentication failed: the server rejected the user name or password, or the user is disabled \(WRONGPASS\) \(hint: check REDIS_USERNAME and REDIS_PASSWORD/,
    );
  });
});

describe('a plain (non-TLS) server', () => {
  let server: RedisServer;
  let admin: RedisClientType;
  beforeAll(async () => {
    server = await startRedis();
    admin = await adminClient(server.url);
    await admin.set('sess:bare-a', sessionJson({ username: 'alice' }), { EX: 3600 });
    await admin.select(2);
    await admin.set('sess:bare-db2', sessionJson({ username: 'bob' }), { EX: 3600 });
  });
  afterAll(async () => {
    await admin?.close().catch(() => undefined);
    await server?.stop();
  });

  test('rediss:// to it times out, and the message says the server may not speak TLS', async () => {
    const r = await runCli(['session', 'list', '--url', `rediss://127.0.0.1:${server.port}`, '--timeout', '1s']);
    expectConnectionLine(
      r,
      /timed out after 1000 ms connecting to rediss:\/\/127\.0\.0\.1:\d+ \(hint: the server may not speak TLS: for a plain Redis use a redis:\/\/ URL/,
    );
  });

  test.each([
    ['--url 127.0.0.1:<port>', (port: number) => ({ args: ['--url', `127.0.0.1:${port}`], env: {} })],
    ['--url localhost:<port>', (port: number) => ({ args: ['--url', `localhost:${port}`], env: {} })],
    ['REDIS_URL=127.0.0.1:<port>', (port: number) => ({ args: [], env: { REDIS_URL: `127.0.0.1:${port}` } })],
  ])('a URL without a scheme, %s, means redis://', async (_name, how) => {
    const { args, env } = how(server.port);
    const r = await runCli(['session', 'list', '--json', ...args], { env });
    expect([r.code, r.stderr]).toEqual([0, '1 session.\n']);
    expect(ndjson(r.stdout).map((s) => s['id'])).toEqual(['bare-a']);
  });

  test('host:port/2 without a scheme selects database 2', async () => {
    const r = await runCli(['session', 'list', '--json', '--url', `127.0.0.1:${server.port}/2`]);
    expect(r.code).toBe(0);
    expect(ndjson(r.stdout).map((s) => s['id'])).toEqual(['bare-db2']);
  });

  test.each([
    ['session', 'list'],
    ['audit', 'list'],
  ])('%s %s --limit 0: "--limit must be at least 1"', async (group, verb) => {
    const r = await runCli([group, verb, '--limit', '0', '--url', server.url]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: 'redis-accounts: --limit must be at least 1\n' });
  });

  describe('on a terminal', () => {
    let pty: Pty | undefined;
    afterEach(() => pty?.stop());

    test('FORCE_COLOR=0: the table header is not bold, no style escapes at all', async () => {
      pty = new Pty();
      await pty.start(['session', 'list'], server.url, { FORCE_COLOR: '0' });
      expect(await pty.exitCode()).toBe(0);
      const log = await pty.waitLog(/1 session\./);
      expect(log).toMatch(/ID\s+User/);
      expect(log).not.toMatch(/\u001b\[[0-9;]*m/);
    });
  });
});
