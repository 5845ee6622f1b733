/**
 * Every way reaching Redis can go wrong ends in one line on stderr and the documented exit
 * code, within the --timeout and without retrying: 3 for the connection, 2 for usage.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminClient } from '../helpers/client.js';
import { runCli, type CliOptions, type CliResult } from '../helpers/cli.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const FAST_ARGON2 = ['--argon2-memory', '1024', '--argon2-time', '1', '--argon2-parallelism', '1'];
/** A successful run may print its summary on stderr ("2 sessions."), but no warning and no error. */
const QUIET_VIOLATION = /warning|error|redis-accounts:/i;
const PASSWORD = 'correct horse battery\n';

interface Timed extends CliResult {
  ms: number;
}

async function timed(args: string[], opts: CliOptions = {}): Promise<Timed> {
  const start = Date.now();
  // The runner's own kill is far beyond every bound asserted here: a hang shows as a failed bound, not a killed child.
  const r = await runCli(args, { timeoutMs: 30000, ...opts });
  return { ...r, ms: Date.now() - start };
}

/** One line on stderr, the expected exit code, no stack trace, nothing on stdout. */
function expectOneLineFailure(r: CliResult, code: number, pattern: RegExp): void {
  expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ code, signal: null, stderr: expect.stringMatching(pattern) });
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^redis-accounts: /);
  expect(r.stderr).not.toContain('    at ');
  expect(r.stdout).toBe('');
}

/**
 * A change that failed because the server stopped answering: its failure cannot reach the
 * audit trail either, and a warning line says so before the error line (issue 13 item 4).
 */
function expectUnrecordedFailure(r: CliResult, code: number, pattern: RegExp): void {
  const [warning, ...rest] = r.stderr.trimEnd().split('\n');
  expect(warning).toMatch(/^Warning: this failure could not be recorded in the audit trail \(.+\)\.$/);
  expectOneLineFailure({ ...r, stderr: `${rest.join('\n')}\n` }, code, pattern);
}

/** A TCP server that accepts connections and never says a word, counting them. */
interface HungServer {
  port: number;
  connections: number;
  /** Bytes the clients sent (to tell what they tried). */
  received: number;
  close(): Promise<void>;
}

async function startHungServer(): Promise<HungServer> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0, received: 0 };
  const srv = net.createServer((sock) => {
    state.connections += 1;
    sockets.add(sock);
    sock.on('data', (d) => (state.received += d.length));
    sock.on('error', () => undefined);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = srv.address() as net.AddressInfo;
  return {
    port,
    get connections() {
      return state.connections;
    },
    get received() {
      return state.received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

describe('connection refused (nothing listening)', () => {
  test('exit 3, one line naming ECONNREFUSED, long before the timeout', async () => {
    const port = await freePort();
    const r = await timed(['session', 'list', '--json', '--url', `redis://127.0.0.1:${port}`, '--timeout', '20s']);
    expectOneLineFailure(r, 3, new RegExp(`cannot connect to redis://127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
    // Refused means refused: no waiting for the 20 s timeout, no reconnect attempts.
    expect(r.ms).toBeLessThan(8000);
  });

  test('the same through REDIS_URL, for a command that writes (user add): nothing is prompted or hashed first', async () => {
    const port = await freePort();
    const r = await timed(['user', 'add', 'nobody-home', '--password-stdin', ...FAST_ARGON2], {
      input: PASSWORD,
      env: { REDIS_URL: `redis://127.0.0.1:${port}` },
    });
    expectOneLineFailure(r, 3, /ECONNREFUSED/);
  });

  test('rediss:// to a refused port is exit 3 as well', async () => {
    const port = await freePort();
    const r = await timed(['session', 'list', '--url', `rediss://127.0.0.1:${port}`, '--timeout', '20s']);
    expectOneLineFailure(r, 3, /ECONNREFUSED/);
    expect(r.ms).toBeLessThan(8000);
  });
});

describe('a server that accepts and never answers', () => {
  let hung: HungServer;
  beforeAll(async () => {
    hung = await startHungServer();
  });
  afterAll(async () => {
    await hung?.close();
  });

  test('--timeout 1s: exit 3 within about a second, one connection, no retry loop', async () => {
    const before = hung.connections;
    const r = await timed(['session', 'list', '--json', '--url', `redis://127.0.0.1:${hung.port}`, '--timeout', '1s']);
    expectOneLineFailure(r, 3, /timed out/);
    expect(r.stderr).toContain(`redis://127.0.0.1:${hung.port}`);
    expect(r.ms).toBeGreaterThanOrEqual(1000);
    expect(r.ms).toBeLessThan(1000 + 4000);
    expect(hung.connections - before).toBe(1);
    expect(hung.received).toBeGreaterThan(0); // it did talk (PING), and got no answer
  });

  test('--timeout 500ms is honoured too', async () => {
    const r = await timed(
      ['user', 'verify', 'someone', '--password-stdin', '--url', `redis://127.0.0.1:${hung.port}`, '--timeout', '500ms'],
      { input: PASSWORD },
    );
    expectOneLineFailure(r, 3, /timed out/);
    expect(r.ms).toBeGreaterThanOrEqual(500);
    expect(r.ms).toBeLessThan(500 + 4000);
  });

  test('REDIS_ACCOUNTS_TIMEOUT sets the same limit', async () => {
    const r = await timed(['session', 'list', '--json'], {
      env: { REDIS_URL: `redis://127.0.0.1:${hung.port}`, REDIS_ACCOUNTS_TIMEOUT: '700ms' },
    });
    expectOneLineFailure(r, 3, /timed out/);
    expect(r.ms).toBeLessThan(700 + 4000);
  });

  test('rediss:// to it: the TLS handshake never completes, exit 3 within the timeout', async () => {
    const before = hung.connections;
    const r = await timed(['session', 'list', '--json', '--url', `rediss://127.0.0.1:${hung.port}`, '--timeout', '1s']);
    expectOneLineFailure(r, 3, /timed out/);
    expect(r.ms).toBeLessThan(1000 + 4000);
    expect(hung.connections - before).toBe(1);
  });
});

describe('a server that hangs on one command (CLIENT PAUSE WRITE)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('the connection works, the paused write hits --timeout: exit 3 within it, nothing written', async () => {
    const admin = await adminClient(server.url);
    const clients = async () =>
      String(await admin.sendCommand(['CLIENT', 'LIST']))
        .trim()
        .split('\n').length;
    try {
      // Reads and PING still answer; EVAL (the atomic create) waits until the pause ends.
      await admin.sendCommand(['CLIENT', 'PAUSE', '30000', 'WRITE']);
      const r = await timed(['user', 'add', 'paused-erin', '--password-stdin', '--url', server.url, '--timeout', '1s', ...FAST_ARGON2], {
        input: PASSWORD,
      });
      expectUnrecordedFailure(r, 3, new RegExp(`timed out after 1000 ms waiting for redis://127\\.0\\.0\\.1:${server.port}`));
      expect(r.ms).toBeLessThan(1000 + 5000);
      // The CLI dropped its connection, so the server discards the postponed EVAL.
      await waitFor('the server to notice the CLI left', async () => (await clients()) === 1, { timeoutMs: 5000 });
    } finally {
      await admin.sendCommand(['CLIENT', 'UNPAUSE']);
    }
    expect(await admin.ping()).toBe('PONG');
    expect(await admin.exists('user:{paused-erin}')).toBe(0);
    await admin.close();
  });

  test('reads still answer under the pause; the first write (UNLINK) is cut off at the timeout', async () => {
    // session list issues SCAN and GETs (reads: not paused), so it completes normally.
    const admin = await adminClient(server.url);
    try {
      await admin.set('sess:pause-1', '{"cookie":{},"username":"gina"}', { EX: 600 });
      await admin.sendCommand(['CLIENT', 'PAUSE', '30000', 'WRITE']);
      const list = await timed(['session', 'list', '--json', '--url', server.url, '--timeout', '1s']);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain('pause-1');
      // revoke reaches UNLINK (a write) and is cut off by the timeout.
      const revoke = await timed(['session', 'revoke', 'pause-1', '--url', server.url, '--timeout', '1s']);
      expectUnrecordedFailure(revoke, 3, /timed out/);
      expect(revoke.ms).toBeLessThan(1000 + 5000);
      expect(await admin.exists('sess:pause-1')).toBe(1);
    } finally {
      await admin.sendCommand(['CLIENT', 'UNPAUSE']);
      await admin.close();
    }
  });
});

describe('server stopped between commands', () => {
  const servers: RedisServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  test('works, then exit 3 once the server is gone, then works against a new server', async () => {
    const first = await startRedis();
    servers.push(first);
    const add = await runCli(['user', 'add', 'stop-frank', '--password-stdin', '--url', first.url, ...FAST_ARGON2], { input: PASSWORD });
    expect(add.stderr).toContain('Created user stop-frank');
    expect(add.code).toBe(0);

    await first.stop();
    const gone = await timed(['user', 'verify', 'stop-frank', '--password-stdin', '--url', first.url, '--timeout', '20s'], {
      input: PASSWORD,
    });
    expectOneLineFailure(gone, 3, /ECONNREFUSED/);
    expect(gone.ms).toBeLessThan(8000);

    const second = await startRedis();
    servers.push(second);
    const again = await runCli(['user', 'add', 'stop-frank', '--password-stdin', '--url', second.url, ...FAST_ARGON2], { input: PASSWORD });
    expect(again.code).toBe(0);
    const verify = await runCli(['user', 'verify', 'stop-frank', '--password-stdin', '--url', second.url], { input: PASSWORD });
    expect(verify.code).toBe(0);
  });
});

describe('usage errors before any connection: exit 2', () => {
  let dir: string;
  /** A port nothing listens on: if validation were skipped, the run would end in 3, not 2. */
  let deadUrl: string;
  let someFile: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ra-fail-'));
    someFile = join(dir, 'ca.pem');
    writeFileSync(someFile, 'not really a certificate\n');
    deadUrl = `redis://127.0.0.1:${await freePort()}`;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test.each([
    ['a URL that does not parse', ['--url', 'not a url'], /invalid Redis URL/],
    ['an empty URL', ['--url', ''], /invalid Redis URL/],
    ['http:// scheme', ['--url', 'http://127.0.0.1:1'], /unsupported URL scheme "http:"/],
    ['unix:// scheme', ['--url', 'unix:///tmp/redis.sock'], /unsupported URL scheme/],
  ])('%s', async (_name, args, pattern) => {
    const r = await runCli(['session', 'list', '--json', ...args]);
    expectOneLineFailure(r, 2, pattern);
  });

  test('an invalid URL in REDIS_URL', async () => {
    const r = await runCli(['session', 'list'], { env: { REDIS_URL: 'http://127.0.0.1:1' } });
    expectOneLineFailure(r, 2, /unsupported URL scheme/);
  });

  test('--tls-ca with a redis:// URL', async () => {
    const r = await runCli(['session', 'list', '--url', deadUrl, '--tls-ca', someFile]);
    expectOneLineFailure(r, 2, /--tls-ca.*rediss:\/\//);
  });

  test('REDIS_TLS_CERT/REDIS_TLS_KEY with a redis:// URL', async () => {
    const r = await runCli(['session', 'list'], { env: { REDIS_URL: deadUrl, REDIS_TLS_CERT: someFile, REDIS_TLS_KEY: someFile } });
    expectOneLineFailure(r, 2, /rediss:\/\//);
  });

  test('a password file that does not exist', async () => {
    const missing = join(dir, 'no-such-password');
    const r = await runCli(['session', 'list', '--url', deadUrl, '--redis-password-file', missing]);
    expectOneLineFailure(r, 2, /cannot read password file .*no-such-password: ENOENT/);
  });

  test('a password file that is a directory (REDIS_PASSWORD_FILE)', async () => {
    const r = await runCli(['session', 'list'], { env: { REDIS_URL: deadUrl, REDIS_PASSWORD_FILE: dir } });
    expectOneLineFailure(r, 2, /cannot read password file .*: EISDIR/);
  });

  test('an unreadable password file', async () => {
    if (process.getuid?.() === 0) return; // root reads anything: nothing to prove here
    const file = join(dir, 'locked-password');
    writeFileSync(file, 'secret\n', { mode: 0o000 });
    const r = await runCli(['session', 'list', '--url', deadUrl, '--redis-password-file', file]);
    expectOneLineFailure(r, 2, /cannot read password file .*: EACCES/);
  });

  test.each([['0'], ['5x'], ['-1s'], ['2h']])('--timeout %s', async (value) => {
    const r = await runCli(['session', 'list', '--url', deadUrl, '--timeout', value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/timeout/);
    expect(r.stderr).not.toContain('    at ');
  });
});

describe('--url beats REDIS_URL', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('REDIS_URL pointing nowhere is ignored when --url is given', async () => {
    const r = await runCli(['session', 'list', '--json', '--url', server.url], {
      env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
    });
    expect(r.stderr).not.toMatch(QUIET_VIOLATION);
    expect(r.code).toBe(0);
  });
});
