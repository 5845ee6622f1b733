/**
 * Auth.js (@auth/core) with @auth/unstorage-adapter on unstorage's Redis driver (ioredis), served
 * by a plain node:http server on a loopback port, with database sessions (the default when an
 * adapter is set; the Credentials provider cannot create them). Users sign in through Auth.js's
 * own email ("magic link") flow, end to end over HTTP: csrf, POST /auth/signin/email, then the
 * link's callback, whose handler creates the user (first time) and the session through the
 * adapter. The provider's sendVerificationRequest keeps the link instead of mailing it: nothing
 * leaves the machine. Session maxAge and updateAge are Auth.js's defaults (30 days, 1 day).
 * `me` is an app route that asks Auth.js for the session, as `auth()` does in a framework: core
 * loads it with adapter.getSessionAndUser, rejects (and deletes) it when `expires` is past, and
 * writes a new `expires` when updateAge has passed.
 */
import { Auth, type AuthConfig } from '@auth/core';
import type { EmailConfig } from '@auth/core/providers/email';
import { UnstorageAdapter } from '@auth/unstorage-adapter';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createStorage } from 'unstorage';
import redisDriver from 'unstorage/drivers/redis';
import { closeServer, cookieValue, listenLoopback, meResult, requireSetCookie, setCookiePair } from './http.js';
import type { NodeApp } from './types.js';

export const AUTHJS_SECRET = 'redis-accounts-authjs-test-secret-0123456789';
/** Auth.js's session cookie over plain HTTP (HTTPS adds `__Secure-`). Its value is the bare session token: not signed. */
const COOKIE = 'authjs.session-token';
const CSRF_COOKIE = 'authjs.csrf-token';

/** The email a user name signs in with (Auth.js lower-cases emails). */
export const authjsEmail = (user: string): string => `${user.toLowerCase()}@example.com`;

/** The adapter's key for a cookie's session: `user:session:` + the token the cookie holds. */
export function authjsSessionKey(cookie: string): string {
  return `user:session:${decodeURIComponent(cookieValue(cookie, COOKIE))}`;
}

async function toWebRequest(req: IncomingMessage, base: string): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && chunks.length > 0;
  return new Request(new URL(req.url ?? '/', base), { method: req.method, headers, ...(hasBody ? { body: Buffer.concat(chunks) } : {}) });
}

async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  for (const c of response.headers.getSetCookie()) res.appendHeader('set-cookie', c);
  res.end(Buffer.from(await response.arrayBuffer()));
}

export async function startAuthjsApp(redisUrl: string): Promise<NodeApp> {
  const storage = createStorage({ driver: redisDriver({ url: redisUrl, maxRetriesPerRequest: 1 }) });
  const links = new Map<string, string>();
  const email: EmailConfig = {
    id: 'email',
    type: 'email',
    name: 'Email',
    from: 'app@example.com',
    maxAge: 600,
    async sendVerificationRequest({ identifier, url }) {
      links.set(identifier, url);
    },
  };
  const config: AuthConfig = {
    adapter: UnstorageAdapter(storage),
    providers: [email],
    secret: AUTHJS_SECRET,
    trustHost: true,
    basePath: '/auth',
    session: { strategy: 'database' },
    logger: { error: () => undefined, warn: () => undefined, debug: () => undefined },
  };

  let base = '';
  const server = createServer((req, res) => {
    const handle = async () => {
      if (req.url?.startsWith('/auth/')) return sendWebResponse(res, await Auth(await toWebRequest(req, base), config));
      if (req.method === 'GET' && req.url === '/me') {
        // What a protected route does: ask Auth.js for the session with the request's cookies.
        const request = new Request(`${base}/auth/session`, { headers: { cookie: req.headers.cookie ?? '' } });
        const response = await Auth(request, config);
        const session = (await response.json()) as { user?: { email?: string } } | null;
        for (const c of response.headers.getSetCookie()) res.appendHeader('set-cookie', c);
        const user = session?.user?.email?.split('@')[0];
        res.setHeader('content-type', 'application/json');
        res.statusCode = user === undefined ? 401 : 200;
        res.end(JSON.stringify(user === undefined ? { error: 'not logged in' } : { user }));
        return;
      }
      res.statusCode = 404;
      res.end();
    };
    handle().catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  base = await listenLoopback(server);

  return {
    name: 'authjs',
    base,
    cookieName: COOKIE,
    async login(user) {
      const address = authjsEmail(user);
      const csrfRes = await fetch(`${base}/auth/csrf`);
      const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
      const csrfCookie = requireSetCookie(csrfRes, CSRF_COOKIE);
      const signin = await fetch(`${base}/auth/signin/email`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
        body: new URLSearchParams({ email: address, csrfToken, callbackUrl: `${base}/` }),
      });
      await signin.arrayBuffer();
      const link = links.get(address);
      links.delete(address);
      if (link === undefined)
        throw new Error(`Auth.js sent no sign-in link for ${address} (signin answered ${signin.status} ${signin.headers.get('location')})`);
      const callback = await fetch(link, { redirect: 'manual', headers: { cookie: csrfCookie } });
      await callback.arrayBuffer();
      const pair = setCookiePair(callback, COOKIE);
      if (pair === undefined)
        throw new Error(`Auth.js callback answered ${callback.status} ${callback.headers.get('location')} without a session cookie`);
      return pair;
    },
    async me(cookie) {
      return meResult(await fetch(`${base}/me`, { headers: { cookie } }));
    },
    async sessionKey(cookie) {
      return authjsSessionKey(cookie);
    },
    async close() {
      await closeServer(server);
      await storage.dispose();
    },
  };
}
