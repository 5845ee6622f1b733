/**
 * PHP applications for tests: a router script under test/fixtures/php served by PHP's built-in web
 * server (`php -S 127.0.0.1:<port> <router>`), one process per app, started and stopped by the
 * test. PHP 8.2 and its extensions come from Debian's packages (.ci/run installs php8.2-cli,
 * php-redis, php-igbinary, php-symfony-http-foundation and php-laravel-framework); a missing one
 * is an error that says what to install, never a skipped test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { waitFor } from './wait.js';

export const PHP_FIXTURES = join(ROOT, 'test', 'fixtures', 'php');

let checked: string | undefined;
/** Throws a readable error when php or one of `extensions` is missing. */
export function requirePhp(extensions: readonly string[] = ['redis']): void {
  const key = extensions.join(',');
  if (checked === key) return;
  const r = spawnSync('php', ['-m'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(
      'php is not on PATH: the PHP session tests run PHP 8.2 apps. Install it (Debian: apt-get install php8.2-cli php-redis php-igbinary).',
    );
  const loaded = new Set(r.stdout.split('\n').map((l) => l.trim().toLowerCase()));
  const missing = extensions.filter((e) => !loaded.has(e));
  if (missing.length > 0)
    throw new Error(`PHP lacks the extension(s) ${missing.join(', ')}: apt-get install ${missing.map((e) => `php-${e}`).join(' ')}`);
  checked = key;
}

/** A port nothing listens on now (php -S takes a port, not 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Servers still running: they must not outlive the test process. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface PhpServer {
  /** http://127.0.0.1:<port> */
  base: string;
  /** What PHP wrote to stderr (its request log and any warning). */
  log(): string;
  close(): Promise<void>;
}

/**
 * Serve `router` (a file under test/fixtures/php) with `php -S`, the given ini settings as -d
 * flags and `env` in its environment; ready when it answers HTTP.
 */
export async function startPhpServer(router: string, ini: Record<string, string>, env: Record<string, string> = {}): Promise<PhpServer> {
  requirePhp();
  const port = await freePort();
  const args = [...Object.entries(ini).flatMap(([k, v]) => ['-d', `${k}=${v}`]), '-S', `127.0.0.1:${port}`, join(PHP_FIXTURES, router)];
  const child = spawn('php', args, {
    cwd: PHP_FIXTURES,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => (running.delete(child), resolve()));
    child.once('error', (err) => ((log += err.message), running.delete(child), resolve()));
  });
  const base = `http://127.0.0.1:${port}`;
  // Ready when it accepts a connection: an HTTP request would run the app (and start a session).
  await waitFor(
    `php -S ${router} to listen`,
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`php -S exited (${child.exitCode}):\n${log}`);
      return accepts(port);
    },
    { state: () => log },
  );
  return {
    base,
    log: () => log,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
