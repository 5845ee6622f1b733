/**
 * PHP applications served by `php -S` (test/helpers/php.ts), each answering POST /login?user= and
 * GET /me (200 with the user while the session is logged in, else 401):
 * - startPhpApp: PHP 8.2 on its own sessions with phpredis 5.3 as the save handler
 *   (`session.save_handler=redis`; test/fixtures/php/session-app.php). The serializer is the
 *   one asked for (`php`, `php_serialize`, or `igbinary` from php-igbinary); strict mode is
 *   PHP's default, off. Login sets `user_id`, `username`, `roles` and `login_at`, as a PHP login
 *   page does.
 * - startSymfonyApp: Symfony 5.4's HttpFoundation session on RedisSessionHandler, with the
 *   security token as the firewall keeps it (test/fixtures/php/symfony-app.php).
 * - startLaravelApp: Laravel 8's redis session driver (test/fixtures/php/laravel-app.php).
 * `session.gc_maxlifetime` is an hour in both.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cookieValue, meResult } from './http.js';
import { requirePhp, startPhpServer, type PhpServer } from '../php.js';

export type PhpSerializer = 'php' | 'php_serialize' | 'igbinary';

/** The app's user ids: what `user_id` holds for each user name (the tests look users up by either). */
export const PHP_USER_IDS: Record<string, number> = { alice: 1001, bob: 1002, carol: 1003, dave: 1004 };

export interface PhpApp {
  name: string;
  base: string;
  cookieName: string;
  /** Logs `user` in and returns the Cookie header value (`PHPSESSID=<id>`). */
  login(user: string): Promise<string>;
  /** 200 with the user while the cookie's session is logged in, else 401 (PHP's own session loading decides). */
  me(cookie: string): Promise<{ status: number; user?: string }>;
  sessionKey(cookie: string): Promise<string>;
  log(): string;
  close(): Promise<void>;
}

export const PHP_GC_MAXLIFETIME = 3600;

/** Throws a readable error naming the Debian package of each file that is missing. */
function requireFiles(files: Record<string, string>): void {
  const missing = Object.entries(files).filter(([file]) => !existsSync(file));
  if (missing.length > 0)
    throw new Error(`missing ${missing.map(([f]) => f).join(', ')}: apt-get install ${missing.map(([, p]) => p).join(' ')}`);
}

/** The app over a started server: its session cookie, keys `<prefix><id>` (the id the cookie holds, or what `idOf` finds). */
function phpApp(
  name: string,
  server: PhpServer,
  keyPrefix: string,
  loginQuery: (user: string) => string,
  cookieName = 'PHPSESSID',
  idOf: (cookie: string) => Promise<string> = async (cookie) => cookieValue(cookie, cookieName),
): PhpApp {
  return {
    name,
    base: server.base,
    cookieName,
    async login(user) {
      const res = await fetch(`${server.base}/login?${loginQuery(user)}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`${name} login answered ${res.status}:\n${server.log()}`);
      // A new id at login sets the cookie again: the last Set-Cookie is the session's.
      const pair = res.headers
        .getSetCookie()
        .filter((c) => c.startsWith(`${cookieName}=`))
        .at(-1);
      if (pair === undefined) throw new Error(`${name} login set no ${cookieName} cookie`);
      return pair.split(';')[0] as string;
    },
    async me(cookie) {
      return meResult(await fetch(`${server.base}/me`, { headers: { cookie } }));
    },
    async sessionKey(cookie) {
      return `${keyPrefix}${await idOf(cookie)}`;
    },
    log: server.log,
    close: server.close,
  };
}

export async function startPhpApp(redisPort: number, serializer: PhpSerializer, opts: { strict?: boolean } = {}): Promise<PhpApp> {
  requirePhp(serializer === 'igbinary' ? ['redis', 'igbinary'] : ['redis']);
  const server = await startPhpServer('session-app.php', {
    'session.save_handler': 'redis',
    'session.save_path': `tcp://127.0.0.1:${redisPort}`,
    'session.serialize_handler': serializer,
    'session.gc_maxlifetime': String(PHP_GC_MAXLIFETIME),
    'session.use_strict_mode': opts.strict === true ? '1' : '0',
    display_errors: 'stderr',
  });
  return phpApp(
    `php (${serializer})`,
    server,
    'PHPREDIS_SESSION:',
    (user) => `user=${encodeURIComponent(user)}&id=${PHP_USER_IDS[user] ?? 0}`,
  );
}

/** Symfony 5.4 (Debian php-symfony-http-foundation, php-symfony-security-core), sessions under sf_s. */
export async function startSymfonyApp(redisPort: number): Promise<PhpApp> {
  requirePhp(['redis']);
  requireFiles({
    '/usr/share/php/Symfony/Component/HttpFoundation/autoload.php': 'php-symfony-http-foundation',
    '/usr/share/php/Symfony/Component/Security/Core/autoload.php': 'php-symfony-security-core',
  });
  const server = await startPhpServer(
    'symfony-app.php',
    { 'session.gc_maxlifetime': String(PHP_GC_MAXLIFETIME), display_errors: 'stderr' },
    { REDIS_PORT: String(redisPort) },
  );
  return phpApp('symfony', server, 'sf_s', (user) => `user=${encodeURIComponent(user)}`);
}

export interface LaravelApp extends PhpApp {
  /** APP_KEY as the app's .env holds it (base64:...). */
  appKey: string;
}

/**
 * Laravel 8.83 (Debian php-laravel-framework) wired by hand with phpredis (test/fixtures/php/laravel-app.php):
 * sessions under laravel_database_laravel_cache:, encrypted when `encrypt`; the laravel_session
 * cookie encrypted by EncryptCookies with a fresh APP_KEY. The users are alice (1001), bob (1002),
 * carol (1003) and dave (1004).
 */
export async function startLaravelApp(redisPort: number, opts: { encrypt?: boolean } = {}): Promise<LaravelApp> {
  requirePhp(['redis']);
  requireFiles({ '/usr/share/php/Illuminate/autoload.php': 'php-laravel-framework' });
  const appKey = `base64:${randomBytes(32).toString('base64')}`;
  const server = await startPhpServer(
    'laravel-app.php',
    { display_errors: 'stderr' },
    { REDIS_PORT: String(redisPort), APP_KEY: appKey, SESSION_ENCRYPT: opts.encrypt === true ? '1' : '0' },
  );
  // The session id behind an encrypted cookie, as the app's own EncryptCookies reads it.
  const idOf = async (cookie: string) => {
    const res = await fetch(`${server.base}/session-id`, { headers: { cookie } });
    return ((await res.json()) as { id: string }).id;
  };
  const app = phpApp(
    `laravel${opts.encrypt === true ? ' (encrypted)' : ''}`,
    server,
    'laravel_database_laravel_cache:',
    (user) => `user=${encodeURIComponent(user)}`,
    'laravel_session',
    idOf,
  );
  return { ...app, appKey };
}
