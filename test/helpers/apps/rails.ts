/**
 * A real Rails 6.1 application for tests (test/fixtures/rails/app.rb: one file, no generator),
 * run with Debian's Ruby 3.1 and its packages ruby-rails 6.1, ruby-redis-actionpack 5.3,
 * ruby-redis 4.8 and ruby-warden 1.2: Rails' own session middleware on redis-actionpack's
 * `:redis_store` or on `:cache_store` over RedisCacheStore, Warden logging users in with
 * Devise's serializer, served by WEBrick on a loopback port. One `ruby` process per app, stopped
 * by `close`. Also redis-session-store's writes and reads (test/fixtures/rails/session-store.rb),
 * which Debian does not package. Nothing is skipped when Ruby is missing: requireRails throws,
 * naming the packages to install.
 */
import { execFile, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ROOT } from '../cli.js';
import { cookieValue, meResult, requireSetCookie } from './http.js';

export const RAILS_FIXTURES = join(ROOT, 'test', 'fixtures', 'rails');
/** The application's secret_key_base (what --cookie-secret-file holds for its encrypted cookie). */
export const RAILS_SECRET = 'redis-accounts-rails-test-secret-key-base-0123456789abcdef';
/** expire_after, seconds: the TTL each request gives a session. */
export const RAILS_EXPIRE_AFTER = 3600;
const COOKIE = '_session_id';

export type RailsStore = 'redis_store' | 'cache_store';

export interface RailsAppOptions {
  store: RailsStore;
  /** redis_store's namespace (redis-rack's default: rack:session). */
  namespace?: string;
  /** redis-actionpack's `signed: true`: the cookie jar encrypts the session id. */
  signed?: boolean;
}

export interface RailsApp {
  base: string;
  cookieName: string;
  /** Logs `user` in; the Cookie header value of its new session and the user's id in the app. */
  login(user: string): Promise<{ cookie: string; id: number }>;
  /** 200 with the user's name when Rails loads a logged-in session for the cookie, else 401. */
  me(cookie: string): Promise<{ status: number; user?: string }>;
  /** The session's Redis key, as the app's store names it. */
  sessionKey(cookie: string): Promise<string>;
  close(): Promise<void>;
}

let checked = false;
/** Throws a readable error when Ruby or the Rails packages are missing (the tests then say what to install). */
export function requireRails(): void {
  if (checked) return;
  const r = spawnSync('ruby', ['-e', 'require "rails"; require "redis-actionpack"; require "warden"; require "redis"'], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) {
    throw new Error(
      `ruby with Rails 6.1, redis-actionpack and warden is not available (${r.error?.message ?? r.stderr.trim()}): the rails layouts' tests run a real Rails app. Install them (Debian: apt-get install ruby-rails ruby-redis-actionpack ruby-warden ruby-redis).`,
    );
  }
  checked = true;
}

export async function startRailsApp(redisUrl: string, opts: RailsAppOptions): Promise<RailsApp> {
  requireRails();
  const child: ChildProcessWithoutNullStreams = spawn('ruby', [join(RAILS_FIXTURES, 'app.rb')], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/tmp',
      REDIS_URL: redisUrl,
      RAILS_SESSION_STORE: opts.store,
      RAILS_NAMESPACE: opts.namespace ?? 'rack:session',
      RAILS_SIGNED: opts.signed === true ? '1' : '0',
      SECRET_KEY_BASE: RAILS_SECRET,
      EXPIRE_AFTER: String(RAILS_EXPIRE_AFTER),
    },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Rails app did not start within 60 s: ${stderr}`)), 60_000);
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /^listening (\d+)$/.exec(line);
      if (m === null) reject(new Error(`the Rails app said ${line}: ${stderr}`));
      else resolve(Number(m[1]));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Rails app exited (${code}) before listening: ${stderr}`));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    cookieName: COOKIE,
    async login(user) {
      const res = await fetch(`${base}/login?user=${encodeURIComponent(user)}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`rails login answered ${res.status}: ${stderr}`);
      const cookie = requireSetCookie(res, COOKIE);
      const body = (await res.json()) as { id: number };
      return { cookie, id: body.id };
    },
    async me(cookie) {
      return meResult(await fetch(`${base}/me`, { headers: { cookie } }));
    },
    async sessionKey(cookie) {
      const res = await fetch(`${base}/me`, { headers: { cookie } });
      const body = (await res.json()) as { key?: string };
      if (res.status !== 200 || body.key === undefined) throw new Error(`no logged-in session for the cookie (${res.status})`);
      return body.key;
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The session id a Rails cookie header holds, as sent. */
export const railsCookieValue = (cookie: string): string => cookieValue(cookie, COOKIE);

const run = promisify(execFile);

export interface StoreSession {
  /** The cookie's value: the public id. */
  cookie: string;
  key: string;
  user: string;
}

/** redis-session-store logging users in (by id): `setex(<key_prefix>2::<sha256>, expire_after, serialized)`. */
export async function sessionStoreWrite(redisUrl: string, prefix: string, serializer: string, users: number[]): Promise<StoreSession[]> {
  requireRails();
  const args = [join(RAILS_FIXTURES, 'session-store.rb'), 'write', prefix, serializer, String(RAILS_EXPIRE_AFTER), ...users.map(String)];
  const { stdout } = await run('ruby', args, { env: { ...process.env, REDIS_URL: redisUrl } });
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as StoreSession);
}

/** The user redis-session-store loads for a cookie (null: none, a new anonymous session). */
export async function sessionStoreLoad(redisUrl: string, prefix: string, serializer: string, cookie: string): Promise<number | null> {
  const { stdout } = await run('ruby', [join(RAILS_FIXTURES, 'session-store.rb'), 'load', prefix, serializer, cookie], {
    env: { ...process.env, REDIS_URL: redisUrl },
  });
  return (JSON.parse(stdout) as { user: number | null }).user;
}
