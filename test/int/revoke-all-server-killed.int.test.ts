/**
 * Proof: a bulk revoke whose redis-server is SIGKILLed mid-run.
 *
 * `session revoke --all --yes --timeout 2s` runs over 100,000 sessions; once DBSIZE shows
 * deletion has started, the server gets SIGKILL. The CLI must exit 3 within the timeout plus
 * a few seconds with one error line saying "after revoking N sessions".
 *
 * The server runs with `--appendonly yes --appendfsync always`, so every UNLINK whose reply
 * reached the CLI was fsynced before the reply was sent. After a restart on the same port and
 * dir, the sessions gone must therefore be >= the N the CLI reported (N counts only replies
 * it received; UNLINKs in flight at the kill may have been applied without being counted, so
 * "gone" may exceed N but never fall short of it). A rerun then finishes the job.
 *
 * Finding (recorded when this file was written): N matched the semantics — gone >= N held,
 * with gone - N at most the few batches in flight (<= 6 x 500 keys); e.g. one run reported
 * N = 4505 and 5006 sessions were gone after the restart (one 500-key batch in flight).
 *
 * Also observed (since fixed): when the kill landed before the first batch's UNLINK reply
 * was processed, the error line carried no count at all. It now always says either "after
 * revoking at least N" or "no revocation confirmed before the failure", since batches in
 * flight may have been applied. This test waits until 5,000 are gone so N is non-zero.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import type { RedisClientType } from 'redis';
import { runCli, startCli } from '../helpers/cli.js';
import { adminClient } from '../helpers/client.js';
import { AUDIT_KEY } from '../helpers/fixture.js';
import { startRedis, waitForPing, type RedisServer } from '../helpers/redis-server.js';
import { seedSessions } from '../helpers/seed.js';
import { waitFor } from '../helpers/wait.js';

const SESSIONS = 100_000;
const AOF_ARGS = ['--appendonly', 'yes', '--appendfsync', 'always'];

let server: RedisServer;
let restarted: ChildProcess | undefined;

async function sessionCount(redis: RedisClientType): Promise<number> {
  return Number(await redis.dbSize()) - Number(await redis.exists(AUDIT_KEY));
}

beforeAll(async () => {
  server = await startRedis({ args: AOF_ARGS });
}, 30000);

afterAll(async () => {
  if (restarted && restarted.exitCode === null && restarted.signalCode === null) {
    const exited = new Promise((r) => restarted?.once('exit', r));
    restarted.kill('SIGTERM');
    const timer = setTimeout(() => restarted?.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
  await server?.stop(); // removes the dir (the original process is already dead)
});

test('SIGKILL of the server mid revoke --all: exit 3, "after revoking N", >= N gone after AOF restart, rerun finishes', async () => {
  await seedSessions(server.port, { to: SESSIONS });
  const admin = await adminClient(server.url);
  expect(await sessionCount(admin)).toBe(SESSIONS);

  // The CLI in the background, so we can watch the server while it runs.
  const started = Date.now();
  const run = startCli(['session', 'revoke', '--all', '--yes', '--timeout', '2s'], { env: { REDIS_URL: server.url }, timeoutMs: 30000 });
  const closed = run.done.then((r) => ({ ...r, at: Date.now() }));

  // Poll DBSIZE (bounded in count and time) until deletion has started, then kill the server.
  let before = SESSIONS;
  for (let i = 0; i < 4000 && Date.now() - started < 20000; i += 1) {
    before = await sessionCount(admin);
    // Well past the first batches, so at least one batch's UNLINK reply has been counted
    // (see the note at the top about a kill before that).
    if (before < SESSIONS - 5000) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  expect(before).toBeLessThan(SESSIONS); // deletion had started
  expect(before).toBeGreaterThan(0); // ...and not finished: the kill lands mid-run
  const killedAt = Date.now();
  server.process.kill('SIGKILL');
  await admin.destroy();

  const result = await closed;
  const { stdout, stderr } = result;
  expect({ code: result.code, signal: result.signal }).toEqual({ code: 3, signal: null });
  // Within the 2 s timeout plus a few seconds of the kill.
  expect(result.at - killedAt).toBeLessThan(2000 + 4000);
  expect(stdout).toBe('');
  // The server is gone, so the failure cannot be recorded in the audit trail: a warning line
  // says so first (issue 13 item 4), then the one error line.
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^Warning: this failure could not be recorded in the audit trail \(.*ECONNREFUSED.*\)\.$/);
  expect(lines[1]).toMatch(/^redis-accounts: /);
  expect(stderr).not.toContain('    at ');
  const m = /after revoking (?:at least )?(\d+) sessions?/.exec(stderr);
  expect(m).not.toBeNull();
  const reported = Number(m?.[1]);
  expect(reported).toBeGreaterThan(0);
  expect(reported).toBeLessThanOrEqual(SESSIONS);

  // Restart on the same port and dir: the AOF (fsync always) holds every acknowledged UNLINK.
  const args = [
    '--port',
    String(server.port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--dir',
    server.dir,
    '--protected-mode',
    'no',
    ...AOF_ARGS,
  ];
  await new Promise((r) =>
    server.process.exitCode !== null || server.process.signalCode !== null ? r(undefined) : server.process.once('exit', r),
  );
  restarted = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'ignore'] });
  await waitForPing(server.port, 20000);
  // The server answers PING (LOADING) before the AOF is loaded: poll until it is.
  let client: RedisClientType | undefined;
  // A throw is LOADING: the AOF is still being replayed.
  const left = await waitFor(
    'the AOF to be loaded',
    async () => {
      client ??= await adminClient(server.url);
      return sessionCount(client);
    },
    { timeoutMs: 10000, intervalMs: 25, retryErrors: true },
  );
  expect(left).toBeGreaterThanOrEqual(0);
  const gone = SESSIONS - left;
  if (process.env['PROOF_VERBOSE']) console.log(`reported ${reported}, gone after restart ${gone}`);
  // Count semantics: every session counted was really gone (durably), so gone >= reported.
  expect(gone).toBeGreaterThanOrEqual(reported);
  // ...and the difference is at most the batches in flight when the server died.
  expect(gone - reported).toBeLessThanOrEqual(6 * 500);

  // Running the same command again finishes the job.
  const rerun = await runCli(['session', 'revoke', '--all', '--yes', '--json'], { env: { REDIS_URL: server.url }, timeoutMs: 30000 });
  expect(rerun.code).toBe(0);
  expect(JSON.parse(rerun.stdout)).toMatchObject({ dryRun: false, revoked: left });
  expect(await sessionCount(client as RedisClientType)).toBe(0);
  await client?.destroy();
}, 60000);
