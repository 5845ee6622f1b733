/**
 * Better Auth 1.x with its memory database adapter and `secondaryStorage` on a node-redis client,
 * written as its docs show (get; set with `EX ttl` when a TTL is given; del; and, required since
 * 1.7, getAndDelete and increment), on a loopback port.
 * Email and password sign-up and sign-in are on; `session.expiresIn` is one hour, `updateAge` and
 * `cookieCache` (off) are left at their defaults, unless a test asks for the cookie cache. With
 * secondaryStorage the sessions live only in Redis (the memory database holds users and accounts):
 * the key is the bare session token, the value JSON {session, user}, and the per-user list
 * `active-sessions-<userId>` names the user's tokens. `autoSignIn` is off so that sign-up creates
 * no session of its own: each login() is exactly one sign-in, so one new session.
 */
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { fromNodeHeaders, toNodeHandler } from 'better-auth/node';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { RedisClientType } from 'redis';
import { adminClient } from '../client.js';
import { closeServer, cookieValue, listenLoopback, meResult, requireSetCookie, setCookiePair } from './http.js';
import type { NodeApp } from './types.js';

export const BETTER_AUTH_SECRET = 'redis-accounts-better-auth-test-secret-0123456789';
/** The default cookie name over plain HTTP (HTTPS adds the `__Secure-` prefix). */
const COOKIE = 'better-auth.session_token';
/** The cookie cache's cookie (only with `cookieCache` on). */
const DATA_COOKIE = 'better-auth.session_data';
const PASSWORD = 'correct horse battery staple';

export interface BetterAuthOptions {
  /** Turn on `session.cookieCache` (signed session data in a `better-auth.session_data` cookie) with this maxAge in seconds. */
  cookieCacheSeconds?: number;
}

/** The email a user name signs up with. */
export const betterAuthEmail = (user: string): string => `${user}@example.com`;

/** The secondaryStorage key of a cookie's session: the token before the signature. */
export function betterAuthSessionKey(cookie: string): string {
  // better-call signs as `<token>.<base64 HMAC-SHA256>` and URL-encodes the whole value.
  const value = decodeURIComponent(cookieValue(cookie, COOKIE));
  const dot = value.lastIndexOf('.');
  if (dot <= 0) throw new Error(`not a signed Better Auth session cookie: ${cookie}`);
  return value.slice(0, dot);
}

export async function startBetterAuthApp(redisUrl: string, opts: BetterAuthOptions = {}): Promise<NodeApp> {
  const redis: RedisClientType = await adminClient(redisUrl);
  // Better Auth needs the base URL, known only once the server listens: requests wait for `handle`.
  let handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  const base = await listenLoopback(server);

  const auth = betterAuth({
    baseURL: base,
    secret: BETTER_AUTH_SECRET,
    telemetry: { enabled: false },
    database: memoryAdapter({ user: [], session: [], account: [], verification: [] }),
    secondaryStorage: {
      get: async (key) => await redis.get(key),
      set: async (key, value, ttl) => {
        if (ttl) await redis.set(key, value, { EX: ttl });
        else await redis.set(key, value);
      },
      delete: async (key) => {
        await redis.del(key);
      },
      // Required since 1.7 (one-time verification values; rate limiting, which is off outside production).
      getAndDelete: async (key) => await redis.getDel(key),
      increment: async (key, ttl) => {
        // The TTL is set only when INCR creates the key, as the SecondaryStorage contract says.
        const [count] = await redis.multi().incr(key).expire(key, ttl, 'NX').exec();
        return Number(count);
      },
    },
    emailAndPassword: { enabled: true, autoSignIn: false },
    session: {
      expiresIn: 3600,
      ...(opts.cookieCacheSeconds === undefined ? {} : { cookieCache: { enabled: true, maxAge: opts.cookieCacheSeconds } }),
    },
  });
  const authHandler = toNodeHandler(auth);
  handle = async (req, res) => {
    if (req.url?.startsWith('/api/auth/')) return authHandler(req, res);
    if (req.method === 'GET' && req.url === '/me') {
      // What a protected route of the app does: ask Better Auth for the request's session.
      const { headers, response } = await auth.api.getSession({ headers: fromNodeHeaders(req.headers), returnHeaders: true });
      for (const c of headers.getSetCookie()) res.appendHeader('set-cookie', c);
      res.setHeader('content-type', 'application/json');
      res.statusCode = response === null ? 401 : 200;
      res.end(JSON.stringify(response === null ? { error: 'not logged in' } : { user: response.user.name }));
      return;
    }
    res.statusCode = 404;
    res.end();
  };

  const signedUp = new Set<string>();
  const post = (path: string, body: unknown) =>
    fetch(`${base}/api/auth/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify(body),
    });
  return {
    name: 'better-auth',
    base,
    cookieName: COOKIE,
    async login(user) {
      const email = betterAuthEmail(user);
      if (!signedUp.has(user)) {
        const up = await post('sign-up/email', { name: user, email, password: PASSWORD });
        if (up.status !== 200) throw new Error(`better-auth sign-up answered ${up.status}: ${await up.text()}`);
        signedUp.add(user);
      }
      const res = await post('sign-in/email', { email, password: PASSWORD });
      if (res.status !== 200) throw new Error(`better-auth sign-in answered ${res.status}: ${await res.text()}`);
      // With the cookie cache on, sign-in also sets the signed session data cookie; a browser sends both.
      const data = setCookiePair(res, DATA_COOKIE);
      return [requireSetCookie(res, COOKIE), ...(data === undefined ? [] : [data])].join('; ');
    },
    async me(cookie) {
      return meResult(await fetch(`${base}/me`, { headers: { cookie } }));
    },
    async sessionKey(cookie) {
      return betterAuthSessionKey(cookie);
    },
    async close() {
      await closeServer(server);
      await redis.close();
    },
  };
}
