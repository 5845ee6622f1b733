/**
 * Throwaway redis-server processes for the tests: a free port, a private directory,
 * ready when it answers PING, always stopped. Never touches the Redis on 6379.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

export interface TlsServerFiles {
  cert: string;
  key: string;
  ca: string;
  /** Require client certificates signed by `ca`. */
  requireClientCert?: boolean;
  /** A client certificate and key signed by `ca`, for the readiness PING when client certificates are required. */
  clientCert?: string;
  clientKey?: string;
}

export interface StartOptions {
  /** Extra redis-server arguments, e.g. ['--requirepass', 'x']. */
  args?: string[];
  /** Serve TLS on `port` (and plaintext on `plainPort` for seeding). */
  tls?: TlsServerFiles;
}

export interface RedisServer {
  port: number;
  /** Plaintext port: the same as `port` unless TLS is on. */
  plainPort: number;
  url: string;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

let checked = false;
export function requireRedisServer(): void {
  if (checked) return;
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      'redis-server is not on PATH: the integration tests start their own. Install it (Debian: apt-get install redis-server).',
    );
  }
  checked = true;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** One PING over a fresh socket; resolves on any reply (NOAUTH counts: the server is up). */
function ping(port: number, useTls?: TlsServerFiles): Promise<boolean> {
  return new Promise((resolve) => {
    const clientCert: { cert?: Buffer; key?: Buffer } =
      useTls?.clientCert !== undefined && useTls.clientKey !== undefined
        ? { cert: readFileSync(useTls.clientCert), key: readFileSync(useTls.clientKey) }
        : {};
    const sock = useTls
      ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...clientCert })
      : net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on('error', () => done(false));
    // Without a client certificate a server that requires one cannot be PINGed: listening is enough.
    const listeningIsEnough = useTls?.requireClientCert === true && clientCert.cert === undefined;
    sock.on('connect', () => (listeningIsEnough ? done(true) : undefined));
    sock.on(useTls ? 'secureConnect' : 'connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => done(/^[+-]/.test(d.toString())));
  });
}

export async function waitForPing(port: number, timeoutMs = 10000): Promise<void> {
  await waitFor(`redis-server on port ${port} to answer PING`, () => ping(port), { timeoutMs, intervalMs: 25 });
}

export async function startRedis(opts: StartOptions = {}): Promise<RedisServer> {
  requireRedisServer();
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await tryStart(opts);
    } catch (err) {
      // Another process may have taken the "free" port between probe and bind.
      if (attempt >= 3) throw err;
    }
  }
}

async function tryStart(opts: StartOptions): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ra-redis-'));
  const plainPort = await freePort();
  const tlsPort = opts.tls ? await freePort() : undefined;
  const args = [
    '--port',
    String(plainPort),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--protected-mode',
    'no',
  ];
  if (opts.tls && tlsPort !== undefined) {
    args.push(
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      opts.tls.cert,
      '--tls-key-file',
      opts.tls.key,
      '--tls-ca-cert-file',
      opts.tls.ca,
    );
    args.push('--tls-auth-clients', opts.tls.requireClientCert ? 'yes' : 'no');
  }
  args.push(...(opts.args ?? []));
  const { child, stop, log, exited } = spawnServer(args, dir);
  try {
    await Promise.race([
      waitForPing(plainPort),
      exited.then(() => {
        throw new Error(`redis-server exited at start:\n${log()}`);
      }),
    ]);
    if (opts.tls && tlsPort !== undefined) {
      const tlsFiles = opts.tls;
      await waitFor(`redis-server TLS port ${tlsPort} to answer PING`, () => ping(tlsPort, tlsFiles), {
        timeoutMs: 5000,
        intervalMs: 25,
        state: log,
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const port = tlsPort ?? plainPort;
  return { port, plainPort, url: `${opts.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`, dir, process: child, stop };
}

/**
 * Servers still running. A process that dies of an error it does not catch (the bench with
 * its stdout closed by `| head`, say) skips the code that would stop them: they must not
 * outlive it.
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Start a redis-server process (a server or, with --sentinel, a sentinel) whose files live in
 * `dir`; `stop()` ends it (SIGTERM, then SIGKILL) and removes `dir`.
 */
export function spawnServer(
  args: string[],
  dir: string,
): { child: ChildProcess; stop: () => Promise<void>; log: () => string; exited: Promise<void> } {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (d) => (output += d.toString()));
  child.stderr?.on('data', (d) => (output += d.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { child, stop, log: () => output, exited };
}
