/**
 * PHP 8.2 on its own sessions with phpredis 5.3 as the save handler (`session.save_handler=redis`),
 * served by `php -S` (test/fixtures/php/session-app.php). The serializer is the one asked for
 * (`php`, `php_serialize`, or `igbinary` from php-igbinary); `session.gc_maxlifetime` is an hour;
 * strict mode is PHP's default, off. Login sets `user_id`, `username`, `roles` and `login_at`,
 * as a PHP login page does; /me answers 200 with the username while the session holds one.
 */
import { cookieValue, meResult, requireSetCookie } from './http.js';
import { requirePhp, startPhpServer } from '../php.js';

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
  return {
    name: `php (${serializer})`,
    base: server.base,
    cookieName: 'PHPSESSID',
    async login(user) {
      const res = await fetch(`${server.base}/login?user=${encodeURIComponent(user)}&id=${PHP_USER_IDS[user] ?? 0}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`php login answered ${res.status}:\n${server.log()}`);
      // session_regenerate_id sets the cookie again: the last Set-Cookie is the session's.
      const pairs = res.headers.getSetCookie().filter((c) => c.startsWith('PHPSESSID='));
      return (pairs.at(-1) ?? requireSetCookie(res, 'PHPSESSID')).split(';')[0] as string;
    },
    async me(cookie) {
      return meResult(await fetch(`${server.base}/me`, { headers: { cookie } }));
    },
    async sessionKey(cookie) {
      return `PHPREDIS_SESSION:${cookieValue(cookie, 'PHPSESSID')}`;
    },
    log: server.log,
    close: server.close,
  };
}
