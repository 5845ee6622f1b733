/**
 * What an operator sees on a real terminal: the session table, colors only without
 * NO_COLOR, and the confirmation that `session revoke --all` asks for.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { sessionJson } from '../helpers/client.js';
import { Pty } from '../helpers/pty.js';
import { useServer } from '../helpers/fixture.js';
import type { RedisServer } from '../helpers/redis-server.js';

let server: RedisServer;
let redis: RedisClientType;
let pty: Pty;

useServer((t) => {
  server = t.server;
  redis = t.redis;
});
beforeEach(async () => {
  await redis.flushAll();
  await redis.set('sess:tty-alice', sessionJson({ passport: { user: 'alice' } }, 86400000, { ip: '203.0.113.7' }), { EX: 86400 });
  await redis.set('sess:tty-bob', sessionJson({ passport: { user: 'bob' } }), { EX: 3600 });
  pty = new Pty();
});
afterEach(() => pty.stop());

const ESC = '\u001b[';

describe('session list on a terminal', () => {
  test('a table with a header row and one row per session', async () => {
    await pty.start(['session', 'list'], server.url, { NO_COLOR: '1' });
    expect(await pty.exitCode()).toBe(0);
    const screen = pty.screen();
    expect(screen).toMatch(/ID\s+User\s+TTL\s+Expires at\s+Details/);
    expect(screen).toMatch(/tty-alice\s+alice\s+(1d|23h 59m)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+ip=203\.0\.113\.7/);
    expect(screen).toMatch(/tty-bob\s+bob\s+(59m \d+s|1h)\s/);
    expect(screen).toContain('2 sessions.');
  });

  test('NO_COLOR: no color or style escapes at all', async () => {
    await pty.start(['session', 'list'], server.url, { NO_COLOR: '1' });
    expect(await pty.exitCode()).toBe(0);
    const log = await pty.waitLog(/2 sessions/);
    expect(log).not.toContain(`${ESC}1m`);
    expect(log).not.toMatch(/\u001b\[[0-9;]*m/);
  });

  test('without NO_COLOR the header is bold (colors only on a terminal)', async () => {
    await pty.start(['session', 'list'], server.url);
    expect(await pty.exitCode()).toBe(0);
    const log = await pty.waitLog(/2 sessions/);
    expect(log).toMatch(/\u001b\[1mID/);
  });
});

describe('session revoke --all asks on a terminal', () => {
  test('answering no revokes nothing', async () => {
    await pty.start(['session', 'revoke', '--all'], server.url, { NO_COLOR: '1' });
    await pty.waitScreen(/Revoke EVERY session/);
    pty.type('n');
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    expect(pty.screen()).toContain('Nothing revoked.');
    expect(await redis.exists(['sess:tty-alice', 'sess:tty-bob'])).toBe(2);
  });

  test('answering yes revokes every session', async () => {
    await pty.start(['session', 'revoke', '--all'], server.url, { NO_COLOR: '1' });
    await pty.waitScreen(/Revoke EVERY session/);
    pty.type('y');
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    expect(pty.screen()).toMatch(/Revoked 2 sessions/);
    expect(await redis.exists(['sess:tty-alice', 'sess:tty-bob'])).toBe(0);
  });

  test('Ctrl-C at the question: exit 130, nothing revoked', async () => {
    await pty.start(['session', 'revoke', '--all'], server.url, { NO_COLOR: '1' });
    await pty.waitScreen(/Revoke EVERY session/);
    pty.key('C-c');
    expect(await pty.exitCode()).toBe(130);
    expect(await redis.exists(['sess:tty-alice', 'sess:tty-bob'])).toBe(2);
  });
});
