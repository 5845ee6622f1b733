/** The usual test file set-up: one throwaway server and an admin client, emptied before each test. */
import { afterAll, beforeAll, beforeEach, expect } from '@jest/globals';
import type { RedisClientType } from 'redis';
import type { CliResult } from './cli.js';
import { adminClient } from './client.js';
import { startRedis, type RedisServer } from './redis-server.js';

export interface TestRedis {
  server: RedisServer;
  redis: RedisClientType;
  /** Environment for runCli that points the CLI at this server. */
  env: { REDIS_URL: string };
}

export interface ServerExtras {
  /** Started once the server and client are up (an app using the server, say); the closer it returns runs before they stop. */
  also?: (t: TestRedis) => Promise<() => Promise<void>>;
}

/**
 * One throwaway server and an admin client for the whole file, kept between tests (for files
 * whose tests build on one seeded data set); `ready` receives them once beforeAll has them.
 */
export function useServer(ready: (t: TestRedis) => void = () => undefined, extras: ServerExtras = {}): TestRedis {
  const t = {} as TestRedis;
  let closeExtras: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    t.server = await startRedis();
    t.env = { REDIS_URL: t.server.url };
    t.redis = await adminClient(t.server.url);
    closeExtras = await extras.also?.(t);
    ready(t);
  });
  afterAll(async () => {
    await closeExtras?.();
    await t.redis?.quit().catch(() => undefined);
    await t.server?.stop();
  });
  return t;
}

/** The usual set-up: useServer, with the data emptied before each test. */
export function useTestRedis(ready: (t: TestRedis) => void = () => undefined): TestRedis {
  const t = useServer(ready);
  beforeEach(async () => {
    await t.redis.flushAll();
  });
  return t;
}

/** A connection failure as the operator should see it: exit 3, one line, no stack trace. */
export function expectConnectionFailure(r: CliResult, pattern: RegExp): void {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 3, stderr: expect.stringMatching(pattern) });
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^redis-accounts: /);
  expect(r.stderr).not.toContain('    at ');
  expect(r.stdout).toBe('');
}

/** The audit trail's stream: every change adds to it, so "nothing written" means nothing else. */
export const AUDIT_KEY = 'redis-accounts:audit';

/** Keys holding data (everything but the audit trail), sorted. */
export async function dataKeys(redis: RedisClientType): Promise<string[]> {
  return (await redis.keys('*')).filter((k) => k !== AUDIT_KEY).sort();
}
