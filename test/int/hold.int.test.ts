/**
 * Revocations that stick. A request already in flight when its session is revoked re-saves
 * the session when it ends (express-session's plain SET): the revoke is undone. With --hold
 * the tool keeps guarding the revoked ids and deletes what comes back, so the cookie stays
 * refused. Proven with the real express app, both with keyspace notifications and without.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { sessionId, useTestApp, type TestApp } from '../helpers/app.js';
import { BIN, ndjson, runCli } from '../helpers/cli.js';
import { AUDIT_KEY } from '../helpers/fixture.js';
import type { RedisServer } from '../helpers/redis-server.js';

let server: RedisServer;
let redis: RedisClientType;
let app: TestApp;

useTestApp((t) => {
  ({ server, redis, app } = t);
});
afterEach(async () => {
  await redis.configSet('notify-keyspace-events', '');
  await redis.flushAll();
});

async function until(what: string, cond: () => Promise<boolean>, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Run the CLI in the background; resolves with its exit code and output. */
function startCli(args: string[]): { result: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '', REDIS_URL: server.url }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return { result: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))) };
}

describe('a request in flight during the revoke', () => {
  test('without --hold it writes the session back and the revoked cookie works again (the limitation)', async () => {
    const cookie = await app.login('bob');
    const id = sessionId(cookie);
    const slow = await app.slowRequest(cookie);
    const r = await runCli(['session', 'revoke', '--user', 'bob'], { env: { REDIS_URL: server.url } });
    expect(r.code).toBe(0);
    expect(await redis.exists(`sess:${id}`)).toBe(0);
    slow.release();
    expect(await slow.done).toBe(200);
    expect(await redis.exists(`sess:${id}`)).toBe(1);
    expect(await app.me(cookie)).toEqual({ status: 200, user: 'bob' });
  });

  test.each([
    ['keyspace notifications', 'E$'],
    ['polling', ''],
  ])('with --hold (%s) the re-saved session is deleted again and the cookie stays refused', async (_mode, events) => {
    await redis.configSet('notify-keyspace-events', events);
    const cookie = await app.login('bob');
    const other = await app.login('alice');
    const id = sessionId(cookie);
    const slow = await app.slowRequest(cookie);
    const cli = startCli(['session', 'revoke', '--user', 'bob', '--hold', '3s', '--json']);
    await until('the revoke', async () => (await redis.exists(`sess:${id}`)) === 0);
    slow.release();
    expect(await slow.done).toBe(200);
    const { code, stdout } = await cli.result;
    expect(code).toBe(0);
    const [summary] = ndjson(stdout);
    expect(summary).toMatchObject({ revoked: 1, user: 'bob', held: { caught: 1, mode: events === '' ? 'polling' : 'notifications' } });
    expect(await redis.exists(`sess:${id}`)).toBe(0);
    expect(await app.me(cookie)).toEqual({ status: 401 });
    // Others are untouched.
    expect(await app.me(other)).toEqual({ status: 200, user: 'alice' });
  });
});

describe('session revoke --cookie', () => {
  test('revokes the session a cookie names (signature checked), and it is audited', async () => {
    const cookie = await app.login('carol');
    const value = cookie.slice('connect.sid='.length);
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const secrets = join(mkdtempSync(join(tmpdir(), 'ra-hold-')), 'secrets');
    writeFileSync(secrets, 'test\n');
    const r = await runCli(['session', 'revoke', '--cookie', value, '--cookie-secret-file', secrets, '--reason', 'stolen cookie'], { env: { REDIS_URL: server.url } });
    expect(r.code).toBe(0);
    expect(await app.me(cookie)).toEqual({ status: 401 });
    const [entry] = (await redis.xRange(AUDIT_KEY, '-', '+')) ?? [];
    expect(entry?.message).toMatchObject({ command: 'session revoke', target: `session ${sessionId(cookie)}`, count: '1', outcome: 'ok', reason: 'stolen cookie' });
  });

  test('--user and --all revokes are audited with their counts; a dry run is not', async () => {
    await app.login('dave');
    await app.login('dave');
    await app.login('erin');
    expect((await runCli(['session', 'revoke', '--user', 'dave', '--dry-run'], { env: { REDIS_URL: server.url } })).code).toBe(0);
    expect((await runCli(['session', 'revoke', '--user', 'dave'], { env: { REDIS_URL: server.url } })).code).toBe(0);
    expect((await runCli(['session', 'revoke', '--all', '--yes'], { env: { REDIS_URL: server.url } })).code).toBe(0);
    const entries = ((await redis.xRange(AUDIT_KEY, '-', '+')) ?? []).map((e) => e?.message);
    expect(entries).toEqual([
      expect.objectContaining({ command: 'session revoke', target: 'sessions of dave', count: '2', outcome: 'ok' }),
      expect.objectContaining({ command: 'session revoke', target: 'all sessions', count: '1', outcome: 'ok' }),
    ]);
  });
});
