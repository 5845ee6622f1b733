/**
 * Real Python web applications for the django and flask layouts (test/fixtures/python): Django
 * 3.2 + django-redis 5.2 (`cache` or `cached_db` sessions, users in SQLite in a temporary
 * directory) and Flask 2.2 + Flask-Login 0.6 with Flask-Session 0.3.2 or 0.8's interface
 * (msgpack or JSON), all from Debian's packages, run by /usr/bin/python3 (Debian's, where they
 * are installed) as one process per app on a loopback port, stopped by closing its stdin.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../cli.js';
import { cookieValue, meResult, requireSetCookie } from './http.js';

export const PYTHON = '/usr/bin/python3';
const FIXTURES = join(ROOT, 'test', 'fixtures', 'python');

/** The Python modules each fixture imports, and the Debian packages that provide them. */
const PACKAGES: Record<string, string> = {
  django: 'python3-django',
  django_redis: 'python3-django-redis',
  flask: 'python3-flask',
  flask_session: 'python3-flask-session',
  flask_login: 'python3-flask-login',
  msgpack: 'python3-msgpack',
  redis: 'python3-redis',
};

const checked = new Set<string>();
/** Throws, naming the packages to install, when a module is missing: a test never skips silently. */
export function requirePython(modules: string[]): void {
  const missing = modules.filter((m) => !checked.has(m));
  if (missing.length === 0) return;
  const r = spawnSync(PYTHON, ['-c', missing.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import ${missing.join(', ')}: the django and flask tests run real applications. Install them: apt-get install ${missing.map((m) => PACKAGES[m] ?? m).join(' ')}\n${r.stderr ?? r.error?.message}`,
    );
  }
  for (const m of missing) checked.add(m);
}

/** Python processes still running: they must not outlive the test process. */
const running = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

interface Started {
  base: string;
  close(): Promise<void>;
}

/** Start a fixture script and wait for its `PORT <n>` line (or its death, reported with its stderr). */
async function startScript(script: string, args: string[]): Promise<Started> {
  // -B: no __pycache__ in the checkout.
  const child = spawn(PYTHON, ['-B', join(FIXTURES, script), ...args], { cwd: FIXTURES, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  child.stdin.on('error', () => undefined);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => {
    const done = () => {
      running.delete(child);
      resolve();
    };
    child.once('exit', done);
    child.once('error', (err) => ((stderr += err.message), done()));
  });
  const port = await Promise.race([
    new Promise<number>((resolve) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        const m = /^PORT (\d+)$/.exec(line);
        if (m) resolve(Number(m[1]));
      });
    }),
    exited.then((): never => {
      throw new Error(`${script} exited at start:\n${stderr}`);
    }),
  ]);
  return {
    base: `http://127.0.0.1:${port}`,
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** What the tests ask of a Python app: as test/helpers/apps/types.ts NodeApp asks of a Node one. */
export interface PythonApp {
  base: string;
  cookieName: string;
  /** Logs `user` in (creating it if needed) and returns the Cookie header value of its new session. */
  login(user: string): Promise<string>;
  /** 200 with the user's name when the cookie's session is logged in, else 401: the framework's own session loading decides. */
  me(cookie: string): Promise<{ status: number; user?: string }>;
  /** The Redis key of that session, computed from the cookie as the store does. */
  sessionKey(cookie: string): Promise<string>;
  close(): Promise<void>;
}

export type DjangoBackend = 'cache' | 'cached_db';

export interface DjangoApp extends PythonApp {
  /** The user's primary key (what `_auth_user_id` holds), as the login answered it. */
  userId(user: string): string;
  /** request.session.set_expiry(seconds) (an int) or set_expiry(timedelta(seconds=delta)) (a datetime). */
  setExpiry(cookie: string, how: { seconds: number } | { delta: number }): Promise<void>;
  /** A request that changes the session, so that Django saves it. */
  touch(cookie: string): Promise<void>;
}

export async function startDjangoApp(redisPort: number, backend: DjangoBackend): Promise<DjangoApp> {
  requirePython(['django', 'django_redis']);
  const work = mkdtempSync(join(tmpdir(), 'ra-django-'));
  const app = await startScript('django_app.py', [String(redisPort), backend, work]).catch((err: unknown) => {
    rmSync(work, { recursive: true, force: true });
    throw err;
  });
  const ids = new Map<string, string>();
  const post = async (path: string, cookie: string) => {
    const res = await fetch(`${app.base}${path}`, { method: 'POST', headers: { cookie } });
    if (res.status !== 200) throw new Error(`django ${path} answered ${res.status}`);
  };
  return {
    base: app.base,
    cookieName: 'sessionid',
    async login(user) {
      const res = await fetch(`${app.base}/login?user=${encodeURIComponent(user)}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`django login answered ${res.status}`);
      ids.set(user, ((await res.json()) as { id: string }).id);
      return requireSetCookie(res, 'sessionid');
    },
    userId(user) {
      const id = ids.get(user);
      if (id === undefined) throw new Error(`${user} never logged in`);
      return id;
    },
    async me(cookie) {
      return meResult(await fetch(`${app.base}/me`, { headers: { cookie } }));
    },
    async setExpiry(cookie, how) {
      await post('seconds' in how ? `/expiry?seconds=${how.seconds}` : `/expiry?delta=${how.delta}`, cookie);
    },
    async touch(cookie) {
      await post('/touch', cookie);
    },
    async sessionKey(cookie) {
      return `:1:django.contrib.sessions.${backend}${cookieValue(cookie, 'sessionid')}`;
    },
    async close() {
      await app.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Flask-Session 0.3.2 (Debian's: pickle), or 0.8's interface writing msgpack or JSON (flask_session08.py). */
export type FlaskFlavor = '0.3' | '0.8-msgpack' | '0.8-json';

/** The app's secret key (flask_app.py SECRET_KEY): what signs the cookie with SESSION_USE_SIGNER. */
export const FLASK_SECRET = 'redis-accounts-flask-test-key';

export interface FlaskApp extends PythonApp {
  /** A request without a cookie (an anonymous visitor): the cookie the app set, if any. */
  visit(): Promise<string | undefined>;
}

export async function startFlaskApp(redisPort: number, flavor: FlaskFlavor, opts: { signer?: boolean } = {}): Promise<FlaskApp> {
  requirePython(['flask', 'flask_login', 'redis', flavor === '0.3' ? 'flask_session' : 'msgpack']);
  const app = await startScript('flask_app.py', [String(redisPort), flavor, ...(opts.signer === true ? ['signer'] : [])]);
  return {
    base: app.base,
    cookieName: 'session',
    async login(user) {
      const res = await fetch(`${app.base}/login?user=${encodeURIComponent(user)}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`flask login answered ${res.status}`);
      return requireSetCookie(res, 'session');
    },
    async me(cookie) {
      return meResult(await fetch(`${app.base}/me`, { headers: { cookie } }));
    },
    async visit() {
      const res = await fetch(`${app.base}/me`);
      await res.arrayBuffer();
      return res.headers
        .getSetCookie()
        .find((c) => c.startsWith('session='))
        ?.split(';')[0];
    },
    async sessionKey(cookie) {
      // A signed cookie is <sid>.<signature>; the key holds the sid alone.
      return `session:${decodeURIComponent(cookieValue(cookie, 'session')).split('.')[0]}`;
    },
    close: () => app.close(),
  };
}
