/**
 * A real gorilla/sessions application on boj/redistore for tests: test/fixtures/gorilla/main.go,
 * built once per source version with Debian's Go and its packages of gorilla/sessions,
 * gorilla/securecookie, boj/redistore and redigo (GOPATH mode over /usr/share/gocode: no module
 * download), and run as one process per app on a loopback port against the test's redis-server.
 */
import { execFile, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ROOT } from './cli.js';
import { meResult, requireSetCookie } from './apps/http.js';

const SOURCE = join(ROOT, 'test', 'fixtures', 'gorilla', 'main.go');
/** Where Debian's golang-github-* packages put their sources. */
const GOPATH = '/usr/share/gocode';
const PACKAGES = [
  'github.com/boj/redistore',
  'github.com/gorilla/sessions',
  'github.com/gorilla/securecookie',
  'github.com/gomodule/redigo',
];

export interface GorillaOptions {
  /** redistore's serializer: GobSerializer (its default) or JSONSerializer. */
  serializer: 'gob' | 'json';
  /** The securecookie hash key (text; the app gets its bytes). */
  hashKey: string;
  /** A block key (hex, 16/24/32 bytes): the cookie's id is then encrypted. */
  blockKeyHex?: string;
  /** Options.MaxAge, seconds: what each save gives the key (default 3600). */
  maxAge?: number;
  /** The session's name, which names its cookie (default app-session). */
  cookieName?: string;
}

export interface GorillaApp {
  base: string;
  cookieName: string;
  /** Logs `user` in (user_id `id`); the Cookie header value (`name=value`) and the session id the app saved under. */
  login(user: string, id: number): Promise<{ cookie: string; id: string }>;
  /** 200 with the user when the cookie's session holds a username, else 401; the app does not save. */
  me(cookie: string): Promise<{ status: number; user?: string }>;
  /** A request after which the app saves the session (SETEX MaxAge): 200 with the user, or 401 for a session with none. */
  touch(cookie: string): Promise<{ status: number; user?: string }>;
  close(): Promise<void>;
}

let goChecked = false;
/** Throws a readable error when Go or the Debian packages are missing (the tests then say what to install). */
export function requireGo(): void {
  if (goChecked) return;
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  const missing = PACKAGES.filter((p) => !existsSync(join(GOPATH, 'src', p)));
  if (r.error || r.status !== 0 || missing.length > 0) {
    throw new Error(
      `${r.error || r.status !== 0 ? 'go is not on PATH' : `${missing.join(', ')} not in ${GOPATH}`}: the gorilla tests build a Go app. Install them (Debian: apt-get install golang-go golang-github-boj-redistore-dev golang-github-gorilla-sessions-dev).`,
    );
  }
  goChecked = true;
}

let built: Promise<string> | undefined;

/** The app's binary, built once per source version under the system temp directory (shared by runs and workers). */
export function buildGorillaApp(): Promise<string> {
  built ??= (async () => {
    requireGo();
    const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 16);
    const target = join(tmpdir(), `ra-gorilla-app-${hash}`);
    const binary = join(target, 'gorilla-app');
    if (existsSync(binary)) return binary;
    const scratch = mkdtempSync(`${target}.tmp-`);
    try {
      await promisify(execFile)('go', ['build', '-o', join(scratch, 'gorilla-app'), SOURCE], {
        cwd: scratch,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: process.env['HOME'] ?? tmpdir(),
          GO111MODULE: 'off',
          GOPATH,
          GOFLAGS: '',
          GOCACHE: join(tmpdir(), 'ra-go-cache'),
        },
      });
      renameSync(scratch, target);
    } catch (err) {
      rmSync(scratch, { recursive: true, force: true });
      if (!existsSync(binary)) throw err;
    }
    return binary;
  })();
  return built;
}

/** Apps still running: they must not outlive the test process. */
const running = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Start the app against the Redis on 127.0.0.1:`redisPort`. */
export async function startGorillaApp(redisPort: number, opts: GorillaOptions): Promise<GorillaApp> {
  const binary = await buildGorillaApp();
  const cookieName = opts.cookieName ?? 'app-session';
  const child = spawn(binary, [], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      GORILLA_REDIS: `127.0.0.1:${redisPort}`,
      GORILLA_HASH_KEY: Buffer.from(opts.hashKey).toString('hex'),
      GORILLA_BLOCK_KEY: opts.blockKeyHex ?? '',
      GORILLA_SERIALIZER: opts.serializer,
      GORILLA_MAX_AGE: String(opts.maxAge ?? 3600),
      GORILLA_COOKIE: cookieName,
    },
  });
  running.add(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => {
    const done = () => (running.delete(child), resolve());
    child.once('exit', done);
    child.once('error', (err) => ((stderr += err.message), done()));
  });
  const port = await Promise.race([
    new Promise<number>((resolve) =>
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /^listening (\d+)$/.exec(line);
        if (m) resolve(Number(m[1]));
      }),
    ),
    exited.then(() => {
      throw new Error(`the gorilla app exited at start:\n${stderr}`);
    }),
  ]);
  const base = `http://127.0.0.1:${port}`;

  return {
    base,
    cookieName,
    async login(user, id) {
      const res = await fetch(`${base}/login?user=${encodeURIComponent(user)}&id=${id}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`gorilla login answered ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { sessionId: string };
      return { cookie: requireSetCookie(res, cookieName), id: body.sessionId };
    },
    async me(cookie) {
      return meResult(await fetch(`${base}/me`, { headers: { cookie } }));
    },
    async touch(cookie) {
      return meResult(await fetch(`${base}/touch`, { method: 'POST', headers: { cookie } }));
    },
    async close() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
