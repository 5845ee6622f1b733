/**
 * Revocations that stick. A request already in flight when its session is revoked re-saves
 * the session when it ends (express-session's plain SET): the revoke is undone. With --hold
 * the tool keeps guarding the revoked ids and deletes what comes back, so the cookie stays
 * refused. Proven with the real express app, both with keyspace notifications and without.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { sessionId, useTestApp, type TestApp } from '../helpers/app.js';
import { ndjson, runCli, startCli } from '../helpers/cli.js';
import { AUDIT_KEY } from '../helpers/fixture.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

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

/** Run the CLI in the background (a hold lasts seconds); `done` has its exit code and output. */
const startHold = (args: string[]) => startCli(args, { env: { REDIS_URL: server.url }, timeoutMs: 60_000 });

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
    // 6 s: the app's write-back must land inside the hold, also on a loaded machine (once, under
    // the full suite, a 3 s hold ended before it).
    const cli = startHold(['session', 'revoke', '--user', 'bob', '--hold', '6s', '--json']);
    await waitFor('the revoke', async () => (await redis.exists(`sess:${id}`)) === 0);
    slow.release();
    expect(await slow.done).toBe(200);
    const { code, stdout, stderr } = await cli.done;
    expect(code).toBe(0);
    const [summary] = ndjson(stdout);
    expect(summary).toMatchObject({ revoked: 1, user: 'bob', held: { caught: 1, mode: events === '' ? 'polling' : 'notifications' } });
    // Polling sleeps a dozen times: each sleep must take its abort listener away again (issue 13 item 10).
    expect(stderr).not.toContain('MaxListenersExceededWarning');
    expect(stderr).toBe('');
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
    const r = await runCli(['session', 'revoke', '--cookie', value, '--cookie-secret-file', secrets, '--reason', 'stolen cookie'], {
      env: { REDIS_URL: server.url },
    });
    expect(r.code).toBe(0);
    expect(await app.me(cookie)).toEqual({ status: 401 });
    const [entry] = (await redis.xRange(AUDIT_KEY, '-', '+')) ?? [];
    expect(entry?.message).toMatchObject({
      command: 'session revoke',
      target: `session ${sessionId(cookie)}`,
      count: '1',
      outcome: 'ok',
      reason: 'stolen cookie',
    });
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

describe('the notification connection drops during the hold (issue 13 item 9)', () => {
  test.each([['--json'], ['text']])(
    'CLIENT KILL TYPE pubsub mid-hold: polling takes over at once, a re-saved session is deleted within the interval, and the report says so (%s)',
    async (format) => {
      await redis.configSet('notify-keyspace-events', 'E$');
      const cookie = await app.login('bob');
      const id = sessionId(cookie);
      const slow = await app.slowRequest(cookie);
      const cli = startHold(['session', 'revoke', '--user', 'bob', '--hold', '4s', ...(format === 'text' ? [] : ['--json'])]);
      await waitFor('the revoke', async () => (await redis.exists(`sess:${id}`)) === 0);
      const pubsub = async () => String(await redis.sendCommand(['CLIENT', 'LIST', 'TYPE', 'pubsub'])).trim();
      await waitFor('the hold to subscribe', async () => (await pubsub()) !== '');
      await redis.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      expect(await pubsub()).toBe('');
      slow.release();
      expect(await slow.done).toBe(200);
      // Within the polling interval (250 ms), with room for a loaded machine; far less than the hold.
      await waitFor('the re-saved session to be deleted again', async () => (await redis.exists(`sess:${id}`)) === 0, { timeoutMs: 1500 });
      const { code, stdout, stderr } = await cli.done;
      expect(code).toBe(0);
      if (format === 'text') {
        expect(stderr).toMatch(
          /Hold over: 1 revoked session came back and was deleted again\. The notification connection dropped \(.+\) and polling took over for the rest of the hold\./,
        );
      } else {
        const [summary] = ndjson(stdout);
        expect(summary).toMatchObject({
          revoked: 1,
          held: { caught: 1, mode: 'notifications, then polling', fallbackReason: expect.any(String) },
        });
      }
      expect(await app.me(cookie)).toEqual({ status: 401 });
    },
  );
});

describe('session ttl --hold (issue 13 item 11)', () => {
  const DAY_MS = 24 * 3600 * 1000;
  const stored = async (id: string) =>
    JSON.parse((await redis.get(`sess:${id}`)) ?? 'null') as { cookie: { originalMaxAge: number }; visits?: number };

  test('without --hold a request in flight puts the old lifetime back (the limitation)', async () => {
    const cookie = await app.login('bob');
    const id = sessionId(cookie);
    const slow = await app.slowRequest(cookie);
    expect((await runCli(['session', 'ttl', '--', id, '60s'], { env: { REDIS_URL: server.url } })).code).toBe(0);
    slow.release();
    expect(await slow.done).toBe(200);
    expect(Number(await redis.pTTL(`sess:${id}`))).toBeGreaterThan(60000);
    // The app's own save: express-session derives originalMaxAge from expires and a second
    // Date.now(), so on a loaded machine it is a millisecond short (as in express-app.int).
    expect(Math.abs((await stored(id)).cookie.originalMaxAge - DAY_MS)).toBeLessThan(1000);
  });

  test.each([
    ['keyspace notifications', 'E$g'],
    ['polling', ''],
  ])("with --hold (%s) a save by a request in flight is undone: the new lifetime stays, the app's change too", async (_mode, events) => {
    await redis.configSet('notify-keyspace-events', events);
    const cookie = await app.login('bob');
    const id = sessionId(cookie);
    const slow = await app.slowRequest(cookie);
    const cli = startHold(['session', 'ttl', '--json', '--hold', '5s', '--', id, '60s']);
    await waitFor('the new lifetime', async () => Number(await redis.pTTL(`sess:${id}`)) <= 60000);
    slow.release();
    expect(await slow.done).toBe(200);
    const { code, stdout, stderr } = await cli.done;
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const [out] = ndjson(stdout);
    expect(out).toMatchObject({
      id,
      ttlSeconds: 60,
      cookieUpdated: true,
      held: { reapplied: 1, mode: events === '' ? 'polling' : 'notifications' },
    });
    const pttl = Number(await redis.pTTL(`sess:${id}`));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60000);
    const value = await stored(id);
    expect(value.cookie.originalMaxAge).toBe(60000);
    expect(value.visits).toBe(1);
    // The app's next request keeps the new lifetime.
    expect(await app.me(cookie)).toEqual({ status: 200, user: 'bob' });
    expect(Number(await redis.pTTL(`sess:${id}`))).toBeLessThanOrEqual(60000);
  });

  test.each([
    ['keyspace notifications', 'E$g'],
    ['polling', ''],
  ])(
    'with --hold (%s) a touch with the old lifetime (EXPIRE, as connect-redis touches) is undone too; the summary counts it',
    async (_mode, events) => {
      await redis.configSet('notify-keyspace-events', events);
      const cookie = await app.login('bob');
      const id = sessionId(cookie);
      const cli = startHold(['session', 'ttl', '--hold', '4s', '--', id, '60s']);
      await waitFor('the new lifetime', async () => Number(await redis.pTTL(`sess:${id}`)) <= 60000);
      await redis.expire(`sess:${id}`, 86400);
      await waitFor('the touch to be undone', async () => Number(await redis.pTTL(`sess:${id}`)) <= 60000, { timeoutMs: 1500 });
      const { code, stdout, stderr } = await cli.done;
      expect(code).toBe(0);
      expect(stdout).toMatch(/^1m \(60s\) {2}expires /);
      expect(stderr).toContain(
        `Hold over: the session was written back with its old lifetime and the new one re-applied 1 time (${events === '' ? 'polling' : 'notifications'}).\n`,
      );
    },
  );

  test('--hold without a new lifetime is a usage error', async () => {
    const r = await runCli(['session', 'ttl', 'abc', '--hold', '5s'], { env: { REDIS_URL: server.url } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--hold guards a new lifetime/);
  });
});
