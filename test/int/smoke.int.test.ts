import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { runCli } from '../helpers/cli.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

describe('smoke', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server.stop();
  });

  test('--help prints usage and exits 0 without touching Redis', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: redis-accounts');
  });

  test('user add then verify over a real server', async () => {
    const env = { REDIS_URL: server.url };
    const add = await runCli(['user', 'add', 'alice', '--password-stdin'], { input: 'correct horse battery\n', env });
    expect(add.stderr).toContain('Created user alice');
    expect(add.code).toBe(0);
    const ok = await runCli(['user', 'verify', 'alice', '--password-stdin'], { input: 'correct horse battery\n', env });
    expect(ok.code).toBe(0);
    const bad = await runCli(['user', 'verify', 'alice', '--password-stdin'], { input: 'wrong horse battery\n', env });
    expect(bad.code).toBe(1);
  });
});
