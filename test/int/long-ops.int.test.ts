/**
 * Long operations over a realistic keyspace (200,000 sessions, seeded in one redis-cli --pipe
 * stream), through the built CLI:
 *   - Ctrl-C (SIGINT) during a bulk revoke stops it with exit 130 and a count that is exactly
 *     what is gone from Redis, and a rerun finishes the job;
 *   - on a terminal (tmux) a progress line is redrawn while a bulk revoke, a session listing
 *     or a rehash check runs, then replaced by the summary; in a pipe stderr holds only the summary;
 *   - `session list` streams: output starts early in the scan, `| head` ends it quietly and
 *     early, `--limit` stops the SCAN early, and peak memory does not grow with the key count.
 * Nothing waits a fixed time: every wait polls Redis, the terminal or the process.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { BIN, ndjson, runCli, startCli, type BackgroundCli } from '../helpers/cli.js';
import { Pty } from '../helpers/pty.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { AUDIT_KEY, useServer } from '../helpers/fixture.js';
import { seedSessions, seedUsers } from '../helpers/seed.js';
import { waitFor } from '../helpers/wait.js';

const TOTAL = 200_000;
/** A valid argon2id hash at m=4096, t=1 (made by the reference argon2 CLI): weaker than the default policy. */
const WEAK_HASH = '$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$xfF/Ea1d90eoahh0XhATEcsAEOYqBPVgDyjvWTbfA+k';

let server: RedisServer;
let redis: RedisClientType;
const children: ChildProcessWithoutNullStreams[] = [];

useServer((t) => {
  server = t.server;
  redis = t.redis;
});

afterEach(() => {
  // A failed assertion must not leave a CLI running against the server.
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function env(): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', REDIS_URL: server.url };
}

/** Sessions of `user<i % users>`, numbered from `from`. */
function seed(count: number, users = 1000, from = 0): Promise<void> {
  return seedSessions(server.plainPort, { from, to: from + count, users });
}

/** The built CLI in the background, so the test can signal it (killed after the test if still running). */
function start(args: string[]): BackgroundCli {
  const run = startCli(args, { env: { REDIS_URL: server.url }, timeoutMs: 120_000 });
  children.push(run.child);
  return run;
}

/** Keys other than the audit trail's stream (which every revoke appends to). */
async function dbSize(): Promise<number> {
  return Number(await redis.dbSize()) - Number(await redis.exists(AUDIT_KEY));
}

/** SCAN calls the server has run since the last CONFIG RESETSTAT. */
async function scanCalls(): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(/cmdstat_scan:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

const INTERRUPTED = /^Interrupted: revoked (\d+) sessions? before stopping \((\d+) keys? scanned\)\. Run the command again to finish\.\n$/;

/**
 * Start a bulk revoke, wait until Redis shows it is deleting (but far from done), press
 * Ctrl-C (SIGINT, as the terminal sends it), and wait for the process to end.
 */
async function interruptMidway(args: string[], before: number) {
  const run = start(['session', 'revoke', ...args]);
  await waitFor(
    'the revoke to start deleting',
    async () => {
      if (run.child.exitCode !== null) throw new Error(`the CLI exited before it could be interrupted: ${run.stderr()}`);
      return (await dbSize()) < before;
    },
    { timeoutMs: 30_000, intervalMs: 5 },
  );
  run.child.kill('SIGINT');
  const result = await run.done;
  return { ...result, left: await dbSize() };
}

describe('Ctrl-C during a bulk revoke', () => {
  beforeEach(async () => {
    await redis.flushAll();
  });

  test('revoke --all: exit 130, the count printed is exactly what is gone, a rerun finishes', async () => {
    await seed(TOTAL);
    const r = await interruptMidway(['--all', '--yes'], TOTAL);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('');
    const m = INTERRUPTED.exec(r.stderr);
    expect(m).not.toBeNull();
    const revoked = Number(m?.[1]);
    // Really interrupted: some sessions went, some are left.
    expect(r.left).toBeGreaterThan(0);
    expect(revoked).toBeGreaterThan(0);
    // The count matches what is gone: batches whose UNLINK was in flight at Ctrl-C included.
    expect(revoked).toBe(TOTAL - r.left);
    expect(Number(m?.[2])).toBeGreaterThanOrEqual(revoked);

    const rerun = await runCli(['session', 'revoke', '--all', '--yes'], { env: { REDIS_URL: server.url }, timeoutMs: 60_000 });
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toMatch(new RegExp(`^Revoked ${r.left} sessions? \\(\\d+ keys? scanned\\)\\.\\n$`));
    expect(await dbSize()).toBe(0);
  }, 120_000);

  test('revoke --all --json: {"revoked":N,...,"interrupted":true} with N exactly what is gone', async () => {
    await seed(TOTAL);
    const r = await interruptMidway(['--all', '--yes', '--json'], TOTAL);
    expect(r.code).toBe(130);
    const lines = ndjson(r.stdout);
    expect(lines).toHaveLength(1);
    const out = lines[0] as Record<string, unknown>;
    expect(out).toEqual({ dryRun: false, revoked: expect.any(Number), scanned: expect.any(Number), interrupted: true });
    expect(r.left).toBeGreaterThan(0);
    expect(out['revoked']).toBe(TOTAL - r.left);
    // The human line on stderr says the same number.
    expect(INTERRUPTED.exec(r.stderr)?.[1]).toBe(String(TOTAL - r.left));

    const rerun = await runCli(['session', 'revoke', '--all', '--yes', '--json'], { env: { REDIS_URL: server.url }, timeoutMs: 60_000 });
    expect(rerun.code).toBe(0);
    expect(ndjson(rerun.stdout)).toEqual([{ dryRun: false, revoked: r.left, scanned: expect.any(Number) }]);
    expect(await dbSize()).toBe(0);
  }, 120_000);

  test("revoke --user: exit 130, the count is exactly the user's sessions gone, others untouched, a rerun finishes", async () => {
    // Two users, 100,000 sessions each: user0's are revoked, user1's must all stay.
    await seed(TOTAL, 2);
    const half = TOTAL / 2;
    const r = await interruptMidway(['--user', 'user0'], TOTAL);
    expect(r.code).toBe(130);
    const m = INTERRUPTED.exec(r.stderr);
    expect(m).not.toBeNull();
    const user0Left = r.left - half;
    expect(user0Left).toBeGreaterThan(0);
    expect(Number(m?.[1])).toBe(half - user0Left);

    const rerun = await runCli(['session', 'revoke', '--user', 'user0'], { env: { REDIS_URL: server.url }, timeoutMs: 60_000 });
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toMatch(new RegExp(`^Revoked ${user0Left} sessions? of user0 \\(\\d+ keys scanned\\)\\.\\n$`));
    expect(await dbSize()).toBe(half);
    const rest = await runCli(['session', 'list', '--user', 'user1', '--json'], { env: { REDIS_URL: server.url }, timeoutMs: 60_000 });
    expect(rest.stderr).toBe(`${half} sessions.\n`);
  }, 120_000);
});

describe('progress', () => {
  let pty: Pty | undefined;

  beforeEach(async () => {
    await redis.flushAll();
  });

  afterEach(() => {
    pty?.stop();
    pty = undefined;
  });

  test('on a terminal: a progress line with counts and keys/s while it runs, then only the summary', async () => {
    await seed(TOTAL);
    const p = new Pty();
    pty = p;
    await p.start(['session', 'revoke', '--all', '--yes'], server.url, { NO_COLOR: '1' });
    const progress = /Revoking: scanned ([\d,]+), matched ([\d,]+), revoked ([\d,]+) \(([\d,]+) keys\/s\)/;
    // Polled on the screen while the revoke runs (not read back from a log afterwards).
    const screen = await waitFor(
      'a progress line on the screen',
      async () => {
        const s = p.screen();
        return progress.test(s) ? s : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 5 },
    );
    expect(screen).not.toMatch(/Revoked \d+ sessions/);
    const [, scanned, , revoked, rate] = progress.exec(screen)?.map((v) => Number(v.replace(/,/g, ''))) ?? [];
    expect(revoked).toBeGreaterThan(0);
    expect(scanned).toBeGreaterThanOrEqual(revoked as number);
    expect(revoked).toBeLessThanOrEqual(TOTAL);
    expect(rate).toBeGreaterThan(0);

    expect(await p.exitCode()).toBe(0);
    const end = await p.waitScreen(/Revoked 200000 sessions \(\d+ keys scanned\)\./);
    // The progress line was erased, not left above the summary.
    expect(end).not.toMatch(/Revoking:/);
    // It was redrawn in place (carriage return + erase line), more than once.
    const log = await p.waitLog(/Revoked 200000 sessions/);
    expect((log.match(/\r\u001b\[2KRevoking: /g) ?? []).length).toBeGreaterThanOrEqual(1);
    expect(await dbSize()).toBe(0);
  }, 120_000);

  test('--dry-run on a terminal: listed ids are never glued to the progress line', async () => {
    // 100 users: user7 has 2,000 sessions, so nearly every batch lists ids between progress frames.
    await seed(TOTAL, 100);
    const p = new Pty();
    pty = p;
    await p.start(['session', 'revoke', '--user', 'user7', '--dry-run'], server.url, { NO_COLOR: '1' });
    expect(await p.exitCode()).toBe(0);
    await p.waitScreen(/Would revoke 2000 sessions of user7 \(\d+ keys scanned\)\./);
    const log = await p.waitLog(/Would revoke 2000 sessions/);
    // Progress was drawn, and ids came after it: the line was erased before them...
    expect(log).toMatch(/keys\/s\)\r\u001b\[2K[0-9a-z]{8}[A-Za-z0-9_-]/);
    // ...never written straight after it.
    expect(log).not.toMatch(/keys\/s\)[0-9A-Za-z_-]/);
    // (tmux's own "Pane is dead" note appears once the pane's shell has exited.)
    const lines = p
      .screen()
      .split('\n')
      .filter((l) => l.trim() !== '' && !/^Pane is dead/.test(l));
    for (const line of lines)
      expect(line).toMatch(/^([0-9a-z]{8}[A-Za-z0-9_-]{16}|Would revoke 2000 sessions of user7 \(\d+ keys scanned\)\.)$/);
    expect(await dbSize()).toBe(TOTAL);
  }, 120_000);

  test('session list --user on a terminal: a progress line while it scans, rows never glued to it, then only the summary', async () => {
    // 100 users: user7 has 2,000 sessions spread over the whole scan.
    await seed(TOTAL, 100);
    const p = new Pty();
    pty = p;
    await p.start(['session', 'list', '--user', 'user7'], server.url, { NO_COLOR: '1' });
    expect(await p.exitCode()).toBe(0);
    await p.waitScreen(/^2000 sessions\.$/m);
    const log = await p.waitLog(/2000 sessions\./);
    const frames = [...log.matchAll(/\r\u001b\[2KListing: scanned ([\d,]+), listed ([\d,]+) \(([\d,]+) keys\/s\)/g)];
    expect(frames.length).toBeGreaterThanOrEqual(1);
    for (const [, scanned, listed, rate] of frames.map((f) => f.map((v) => Number(v.replace(/,/g, ''))))) {
      expect(scanned).toBeGreaterThan(0);
      expect(scanned).toBeLessThanOrEqual(TOTAL);
      expect(listed).toBeLessThanOrEqual(2000);
      expect(rate).toBeGreaterThan(0);
    }
    // Every frame was erased before the rows (or the summary) that came after it.
    expect(log).not.toMatch(/keys\/s\)[^\r]/);
    expect(p.screen()).not.toMatch(/Listing:/);
    const rows = p
      .screen()
      .split('\n')
      .filter((l) => /^[0-9a-z]{8}[A-Za-z0-9_-]{16}/.test(l));
    expect(rows.length).toBeGreaterThan(1000); // the rest scrolled out of the pane's history
    for (const row of rows) expect(row).toMatch(/^\S{24}\s+user7\s/);
  }, 120_000);

  test('session list --json > file on a terminal: progress on the screen, only NDJSON in the file', async () => {
    await seed(TOTAL);
    const p = new Pty();
    pty = p;
    const dir = mkdtempSync(join(tmpdir(), 'ra-list-'));
    try {
      const out = join(dir, 'sessions.ndjson');
      await p.start(['session', 'list', '--json'], server.url, { NO_COLOR: '1' }, out);
      expect(await p.exitCode()).toBe(0);
      await p.waitScreen(/^200000 sessions\.$/m);
      const log = await p.waitLog(/200000 sessions\./);
      expect(log).toMatch(/Listing: scanned [\d,]+, listed [\d,]+ \([\d,]+ keys\/s\)/);
      expect(p.screen()).not.toMatch(/Listing:/);
      const lines = ndjson(readFileSync(out, 'utf8'));
      expect(lines).toHaveLength(TOTAL);
      expect(new Set(lines.map((l) => l['id'])).size).toBe(TOTAL);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  test('user rehash --check on a terminal: a progress line while it scans, rows never glued to it', async () => {
    await seedUsers(server.plainPort, 30_000, WEAK_HASH);
    const p = new Pty();
    pty = p;
    await p.start(['user', 'rehash', '--check'], server.url, { NO_COLOR: '1' });
    expect(await p.exitCode()).toBe(1); // outdated hashes found
    await p.waitScreen(/^30000 users checked, 30000 with outdated or unusable hashes\.$/m);
    const log = await p.waitLog(/30000 users checked/);
    expect(log).toMatch(/\r\u001b\[2KChecking: scanned [\d,]+, outdated [\d,]+ \([\d,]+ keys\/s\)/);
    expect(log).not.toMatch(/keys\/s\)[^\r]/);
    expect(p.screen()).not.toMatch(/Checking:/);
  }, 120_000);

  test('in a pipe: stderr is only the final summary (no progress, no carriage returns)', async () => {
    await seed(TOTAL);
    const r = await runCli(['session', 'revoke', '--all', '--yes'], { env: { REDIS_URL: server.url }, timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Revoked 200000 sessions \(\d+ keys scanned\)\.\n$/);
    expect(r.stderr).not.toMatch(/[\r\u001b]/);
    expect(r.stdout).toBe('');
    expect(await dbSize()).toBe(0);
  }, 120_000);
});

describe('session list streams', () => {
  /** SCAN calls a full listing of the seeded keyspace takes. */
  let fullScans = 0;

  beforeAll(async () => {
    await redis.flushAll();
    await seed(TOTAL);
    await redis.configResetStat();
    const full = await runCli(['session', 'list', '--json'], { env: { REDIS_URL: server.url }, timeoutMs: 60_000 });
    expect(full.code).toBe(0);
    expect(full.stderr).toBe(`${TOTAL} sessions.\n`);
    expect(full.stdout.split('\n').filter(Boolean)).toHaveLength(TOTAL);
    fullScans = await scanCalls();
    expect(fullScans).toBeGreaterThan(100);
  }, 120_000);

  beforeEach(async () => {
    await redis.configResetStat();
  });

  test('--json: the first line arrives while the scan has barely started and the process still runs', async () => {
    const run = start(['session', 'list', '--json']);
    const first = await new Promise<{ text: string; running: boolean }>((res) => {
      run.child.stdout.once('data', (d: Buffer) => {
        // Stop reading: a streaming CLI now blocks on its full pipe and cannot finish.
        run.child.stdout.pause();
        res({ text: d.toString(), running: run.child.exitCode === null && run.child.signalCode === null });
      });
    });
    expect(first.running).toBe(true);
    const firstLine = first.text.split('\n')[0] ?? '';
    expect(JSON.parse(firstLine)).toEqual(
      expect.objectContaining({ id: expect.any(String), user: expect.stringMatching(/^user\d+$/), readable: true }),
    );
    // Output started early in the walk, not after it.
    const scansAtFirstOutput = await scanCalls();
    expect(run.child.exitCode).toBeNull();
    expect(scansAtFirstOutput * 4).toBeLessThan(fullScans);

    run.child.stdout.resume();
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`${TOTAL} sessions.\n`);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(TOTAL);
  }, 120_000);

  test('--json | head -n 3: three lines, the CLI stops early and quietly (no EPIPE, no stack)', async () => {
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const script = `set +o pipefail; ${q(process.execPath)} ${q(BIN)} session list --json | head -n 3; echo "cli exit \${PIPESTATUS[0]}" >&2`;
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res, rej) => {
      const child = spawn('bash', ['-c', script], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d.toString()));
      child.stderr.on('data', (d) => (stderr += d.toString()));
      child.on('error', rej);
      child.on('close', (code) => res({ code, stdout, stderr }));
    });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(JSON.parse(l)).toEqual(expect.objectContaining({ id: expect.any(String) }));
    // Nothing but the exit status on stderr: no EPIPE, no stack trace, no error line.
    expect(r.stderr).toBe('cli exit 0\n');
    // It stopped when head went away instead of walking the whole keyspace.
    expect((await scanCalls()) * 4).toBeLessThan(fullScans);
  }, 60_000);

  test('--limit 5: five sessions, and the SCAN stops early', async () => {
    const r = await runCli(['session', 'list', '--json', '--limit', '5'], { env: { REDIS_URL: server.url }, timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(ndjson(r.stdout)).toHaveLength(5);
    expect(r.stderr).toBe('5 sessions.\n');
    const scans = await scanCalls();
    expect(scans).toBeGreaterThan(0);
    expect(scans * 10).toBeLessThan(fullScans);
  }, 60_000);
});

describe('memory', () => {
  beforeAll(async () => {
    await redis.flushAll();
  });

  /** Peak RSS (KiB) of `session list --json > /dev/null`, measured by GNU time. */
  function peakRssKib(): number {
    const devNull = openSync('/dev/null', 'w');
    try {
      const r = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, BIN, 'session', 'list', '--json'], {
        env: env(),
        stdio: ['ignore', devNull, 'pipe'],
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status).toBe(0);
      return Number(/maxrss=(\d+)/.exec(r.stderr)?.[1]);
    } finally {
      closeSync(devNull);
    }
  }

  test('session list peak RSS: 200,000 sessions within 1.5x of 20,000', async () => {
    expect(spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status).toBe(0);
    await seed(TOTAL / 10);
    const small = peakRssKib();
    await seed(TOTAL - TOTAL / 10, 1000, TOTAL / 10);
    expect(await dbSize()).toBe(TOTAL);
    const large = peakRssKib();
    expect(small).toBeGreaterThan(0);
    expect(large).toBeLessThanOrEqual(small * 1.5);
  }, 120_000);
});
