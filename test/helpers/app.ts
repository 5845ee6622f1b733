/**
 * A small real application for tests: express 5 + express-session + connect-redis 9 on a
 * loopback port, with the routes a login flow needs, plus a slow route that holds a request
 * in flight (as a slow upload or report would) until the test releases it.
 */
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RedisClientType } from 'redis';
import { adminClient } from './client.js';
import { useServer, type TestRedis } from './fixture.js';

declare module 'express-session' {
  interface SessionData {
    passport?: { user: string };
    visits?: number;
  }
}

export const DAY_MS = 24 * 3600 * 1000;
export const APP_SECRET = 'test';

export interface TestApp {
  base: string;
  login(user: string): Promise<string>;
  me(cookie: string): Promise<{ status: number; user?: string }>;
  /** Start a request that loads the session and waits; the returned function lets it finish. */
  slowRequest(cookie: string): Promise<{ release: () => void; done: Promise<number> }>;
  close(): Promise<void>;
}

/** `connect.sid=<value>` from a response, for the Cookie header of later requests. */
export function sessionCookie(res: Response): string {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('connect.sid='));
  if (cookie === undefined) throw new Error(`no session cookie in ${res.status} response`);
  return cookie.split(';')[0] as string;
}

/** The session id inside a cookie: `connect.sid=` + URL-encoded `s:<id>.<signature>`. */
export function sessionId(cookie: string): string {
  const value = decodeURIComponent(cookie.slice('connect.sid='.length));
  if (!value.startsWith('s:')) throw new Error(`not a signed session cookie: ${cookie}`);
  return value.slice(2, value.lastIndexOf('.'));
}

export async function startApp(redisUrl: string): Promise<TestApp> {
  const appRedis: RedisClientType = await adminClient(redisUrl);
  const gates = new Map<string, () => void>();
  const arrived = new Map<string, () => void>();
  const app = express();
  app.use(
    session({
      store: new RedisStore({ client: appRedis }),
      secret: APP_SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: DAY_MS },
    }),
  );
  app.post('/login', (req, res) => {
    const user = String(req.query['user'] ?? '');
    if (user === '') {
      res.status(400).end();
      return;
    }
    req.session.passport = { user };
    res.json({ user });
  });
  app.get('/me', (req, res) => {
    const user = req.session.passport?.user;
    if (user === undefined) res.status(401).json({ error: 'not logged in' });
    else res.json({ user });
  });
  // A request that modifies the session: express-session then saves it (store.set).
  app.post('/visit', (req, res) => {
    if (req.session.passport === undefined) {
      res.status(401).end();
      return;
    }
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.json({ visits: req.session.visits });
  });
  // Loaded the session, then waits for the test; on release it modifies and so re-saves it.
  app.post('/slow', async (req, res) => {
    const tag = String(req.query['tag']);
    await new Promise<void>((resolve) => {
      gates.set(tag, resolve);
      arrived.get(tag)?.();
    });
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.json({ visits: req.session.visits });
  });

  const http = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  let tags = 0;
  return {
    base,
    async login(user) {
      const res = await fetch(`${base}/login?user=${encodeURIComponent(user)}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`login answered ${res.status}`);
      return sessionCookie(res);
    },
    async me(cookie) {
      const res = await fetch(`${base}/me`, { headers: { cookie } });
      const body = (await res.json()) as { user?: string };
      return { status: res.status, ...(body.user === undefined ? {} : { user: body.user }) };
    },
    async slowRequest(cookie) {
      const tag = String((tags += 1));
      const inside = new Promise<void>((resolve) => arrived.set(tag, resolve));
      const done = fetch(`${base}/slow?tag=${tag}`, { method: 'POST', headers: { cookie } }).then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      });
      await inside; // the session is loaded and the request is parked
      return { release: () => gates.get(tag)?.(), done };
    },
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await appRedis.close();
    },
  };
}

/** useServer plus the express app on that server, started after it and closed before it stops. */
export function useTestApp(ready: (t: TestRedis & { app: TestApp }) => void): void {
  let app: TestApp;
  useServer((t) => ready({ ...t, app }), { also: async (t) => ((app = await startApp(t.server.url)), () => app.close()) });
}
