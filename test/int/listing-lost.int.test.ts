/**
 * A listing whose connection is lost midway (issue 13 item 25): the rows already written must
 * not pass for the whole list. The CLI is stopped on a full stdout pipe once some output has
 * arrived, its connections are killed from a second client (CLIENT KILL TYPE normal), and it
 * is let go on: it must end with exit 3 and one line on stderr that says how many rows it
 * listed and that the output is incomplete, and exactly that many rows must be on stdout.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { startCli, type CliResult } from '../helpers/cli.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { AUDIT_KEY, useServer } from '../helpers/fixture.js';
import { seedSessions } from '../helpers/seed.js';

/** Far more than the CLI reads ahead (a few thousand keys) or a pipe holds (64 KB). */
const SESSIONS = 20_000;
const ENTRIES = 20_000;

let server: RedisServer;
let redis: RedisClientType;

useServer((t) => {
  server = t.server;
  redis = t.redis;
});

beforeAll(async () => {
  await redis.flushAll();
  await seedSessions(server.plainPort, { to: SESSIONS });
  const entry = {
    clientTime: new Date().toISOString(),
    actor: 'jane@ops-01',
    command: 'session revoke',
    target: 'sessions of mallory',
    count: '3',
    outcome: 'ok',
    reason: 'INC-4711',
    error: '',
  };
  for (let start = 0; start < ENTRIES; start += 1000) {
    const multi = redis.multi();
    for (let i = start; i < start + 1000; i += 1) multi.xAdd(AUDIT_KEY, '*', { ...entry, target: `sessions of user${i}` });
    await multi.exec();
  }
}, 60_000);

/**
 * Run the CLI; once its output holds a row (and the header, without --json), stop reading (it
 * blocks on the full pipe), kill every normal client but ours, then read on until it exits.
 */
function listKilledMidway(args: string[]): Promise<CliResult> {
  const header = args.includes('--json') ? 0 : 1;
  const run = startCli(args, { env: { REDIS_URL: server.url }, timeoutMs: 60_000 });
  const { child } = run;
  let killed = false;
  child.stdout.on('data', () => {
    if (killed || (run.stdout().match(/\n/g) ?? []).length < header + 1) return;
    killed = true;
    child.stdout.pause();
    // CLIENT KILL skips the client that sends it: only the CLI's connections go.
    void redis.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal']).then((n) => {
      expect(Number(n)).toBeGreaterThan(0);
      child.stdout.resume();
    });
  });
  return run.done;
}

/** The one error line, and the count it names. */
function reported(stderr: string, noun: RegExp): number {
  expect(stderr).toMatch(/^redis-accounts: /);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toContain('    at ');
  const m = new RegExp(`after listing (\\d+) (?:${noun.source}): the output is incomplete`).exec(stderr);
  expect(m).not.toBeNull();
  return Number(m?.[1]);
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('a connection lost during a listing', () => {
  test('session list --json: exit 3, and stderr names exactly how many sessions were written', async () => {
    const r = await listKilledMidway(['session', 'list', '--json']);
    expect(r.code).toBe(3);
    const n = reported(r.stderr, /sessions?/);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(SESSIONS);
    expect(lines(r.stdout)).toHaveLength(n);
    for (const line of lines(r.stdout)) expect(JSON.parse(line)).toHaveProperty('id');
  }, 60_000);

  test('session list (rows): the same, the header not counted', async () => {
    const r = await listKilledMidway(['session', 'list']);
    expect(r.code).toBe(3);
    const n = reported(r.stderr, /sessions?/);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(SESSIONS);
    expect(lines(r.stdout)).toHaveLength(n + 1);
  }, 60_000);

  test.each([[['audit', 'list', '--json']], [['audit', 'list']]])(
    '%j: exit 3, and stderr names exactly how many entries were written',
    async (args) => {
      const r = await listKilledMidway(args);
      expect(r.code).toBe(3);
      const n = reported(r.stderr, /entry|entries/);
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(ENTRIES);
      expect(lines(r.stdout)).toHaveLength(args.includes('--json') ? n : n + 1);
    },
    60_000,
  );
});
