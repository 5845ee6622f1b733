/**
 * The CLI against sessions written by a real application: express 5 + express-session +
 * connect-redis 9 on a loopback port, backed by a throwaway redis-server. Users log in over
 * HTTP; the CLI then lists, reads, shortens and revokes their sessions, and the app must see
 * the effect on the next request.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RedisClientType } from 'redis';
import { ndjson, runCli } from '../helpers/cli.js';
import { adminClient } from '../helpers/client.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

declare module 'express-session' {
  interface SessionData {
    passport?: { user: string };
    visits?: number;
  }
}

const DAY_MS = 24 * 3600 * 1000;

describe('with a real express-session + connect-redis application', () => {
  let server: RedisServer;
  /** The application's own client (what connect-redis uses). */
  let appRedis: RedisClientType;
  /** The test's client, to inspect what is stored. */
  let redis: RedisClientType;
  let http: Server;
  let base: string;

  beforeAll(async () => {
    server = await startRedis();
    appRedis = await adminClient(server.url);
    redis = await adminClient(server.url);

    const app = express();
    app.use(
      session({
        store: new RedisStore({ client: appRedis }),
        secret: 'test',
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

    http = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    await appRedis?.close();
    await redis?.close();
    await server?.stop();
  });

  const cli = (args: string[]) => runCli(args, { env: { REDIS_URL: server.url } });

  /** `connect.sid=<value>` from a response, for the Cookie header of later requests. */
  function sessionCookie(res: Response): string {
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('connect.sid='));
    if (cookie === undefined) throw new Error(`no session cookie in ${res.status} response`);
    return cookie.split(';')[0] as string;
  }

  /** The session id inside a cookie: `connect.sid=` + URL-encoded `s:<id>.<signature>`. */
  function sessionId(cookie: string): string {
    const value = decodeURIComponent(cookie.slice('connect.sid='.length));
    expect(value.startsWith('s:')).toBe(true);
    return value.slice(2, value.lastIndexOf('.'));
  }

  async function login(user: string): Promise<string> {
    const res = await fetch(`${base}/login?user=${encodeURIComponent(user)}`, { method: 'POST' });
    expect(res.status).toBe(200);
    return sessionCookie(res);
  }

  async function me(cookie: string): Promise<{ status: number; user?: string }> {
    const res = await fetch(`${base}/me`, { headers: { cookie } });
    const body = (await res.json()) as { user?: string };
    return { status: res.status, ...(body.user === undefined ? {} : { user: body.user }) };
  }

  async function pttl(id: string): Promise<number> {
    return Number(await redis.pTTL(`sess:${id}`));
  }

  test('list, ttl, shorten and revoke sessions the app created, and the app obeys', async () => {
    const alice1 = await login('alice');
    const alice2 = await login('alice');
    const bob = await login('bob');
    const [alice1Id, alice2Id, bobId] = [alice1, alice2, bob].map(sessionId) as [string, string, string];
    expect(new Set([alice1Id, alice2Id, bobId]).size).toBe(3);
    expect(await me(alice1)).toEqual({ status: 200, user: 'alice' });
    expect(await me(bob)).toEqual({ status: 200, user: 'bob' });
    expect(await me('connect.sid=nope')).toEqual({ status: 401 });
    // What connect-redis stored is what the CLI expects to read.
    const stored = JSON.parse((await redis.get(`sess:${bobId}`)) ?? 'null') as { cookie: { originalMaxAge: number }; passport: { user: string } };
    expect(stored.cookie.originalMaxAge).toBe(DAY_MS);
    expect(stored.passport).toEqual({ user: 'bob' });

    // list --user alice: exactly her two sessions, nothing else.
    const list = await cli(['session', 'list', '--user', 'alice', '--json']);
    expect(list.code).toBe(0);
    const records = ndjson(list.stdout);
    expect(records.map((r) => r['id']).sort()).toEqual([alice1Id, alice2Id].sort());
    for (const r of records) {
      expect(r).toMatchObject({ user: 'alice', readable: true, extra: null });
      expect(r['ttlSeconds']).toBeGreaterThan(86300);
      expect(r['ttlSeconds']).toBeLessThanOrEqual(86400);
    }
    const everyone = await cli(['session', 'list', '--json']);
    expect(ndjson(everyone.stdout).map((r) => r['id']).sort()).toEqual([alice1Id, alice2Id, bobId].sort());

    // ttl <id>: the lifetime the app gave the session.
    const ttl = await cli(['session', 'ttl', alice1Id, '--json']);
    expect(ttl.code).toBe(0);
    const ttlOut = JSON.parse(ttl.stdout) as { id: string; ttlSeconds: number };
    expect(ttlOut.id).toBe(alice1Id);
    expect(ttlOut.ttlSeconds).toBeGreaterThan(86300);
    expect(ttlOut.ttlSeconds).toBeLessThanOrEqual(86400);

    // revoke --user alice: both her cookies stop working, bob's still works.
    const revoke = await cli(['session', 'revoke', '--user', 'alice', '--json']);
    expect(revoke.code).toBe(0);
    expect(JSON.parse(revoke.stdout)).toMatchObject({ dryRun: false, revoked: 2, user: 'alice' });
    expect(await me(alice1)).toEqual({ status: 401 });
    expect(await me(alice2)).toEqual({ status: 401 });
    expect(await me(bob)).toEqual({ status: 200, user: 'bob' });
    // With saveUninitialized: false the 401s left no new sessions behind.
    expect((await redis.keys('sess:*')).sort()).toEqual([`sess:${bobId}`]);

    // ttl <bob> 10m, then bob keeps using the app: his session must stay on the 10-minute
    // lifetime. express-session resets cookie.expires to now + cookie.originalMaxAge on every
    // request, and connect-redis derives the key's TTL from cookie.expires (EXPIRE on touch,
    // SET EX on save), so only a rewritten originalMaxAge makes the new lifetime stick.
    const shorten = await cli(['session', 'ttl', bobId, '10m', '--json']);
    expect(shorten.code).toBe(0);
    expect(JSON.parse(shorten.stdout)).toMatchObject({ id: bobId, ttlSeconds: 600, cookieUpdated: true });
    expect(await pttl(bobId)).toBeGreaterThan(590000);
    expect(await pttl(bobId)).toBeLessThanOrEqual(600000);

    // Pretend five minutes have passed (no sleeping), so that a request that rewrites the
    // TTL is told apart from one that leaves it alone.
    await redis.pExpire(`sess:${bobId}`, 300000);

    // An unmodified session (resave: false): express-session calls connect-redis touch().
    expect(await me(bob)).toEqual({ status: 200, user: 'bob' });
    let left = await pttl(bobId);
    expect(left).toBeGreaterThan(590000); // the app did refresh it ...
    expect(left).toBeLessThanOrEqual(600000); // ... to 10 minutes, not back to 24 h

    await redis.pExpire(`sess:${bobId}`, 300000);

    // A modified session: express-session saves it with store.set().
    const visit = await fetch(`${base}/visit`, { method: 'POST', headers: { cookie: bob } });
    expect(visit.status).toBe(200);
    expect(await visit.json()).toEqual({ visits: 1 });
    left = await pttl(bobId);
    expect(left).toBeGreaterThan(590000);
    expect(left).toBeLessThanOrEqual(600000);
    // The cookie the app sends back now expires in 10 minutes too.
    const setCookie = visit.headers.getSetCookie().find((c) => c.startsWith('connect.sid='));
    const cookieExpires = Date.parse(/Expires=([^;]+)/i.exec(setCookie ?? '')?.[1] ?? '');
    expect(Math.abs(cookieExpires - (Date.now() + 600000))).toBeLessThan(60000);
    const saved = JSON.parse((await redis.get(`sess:${bobId}`)) ?? 'null') as { cookie: { originalMaxAge: number; expires: string }; passport: unknown; visits: number };
    expect(saved.cookie.originalMaxAge).toBe(600000);
    expect(saved.passport).toEqual({ user: 'bob' });
    expect(saved.visits).toBe(1);

    // And the CLI reads the same.
    const after = JSON.parse((await cli(['session', 'ttl', bobId, '--json'])).stdout) as { ttlSeconds: number };
    expect(after.ttlSeconds).toBeGreaterThan(590);
    expect(after.ttlSeconds).toBeLessThanOrEqual(600);
    expect(await me(bob)).toEqual({ status: 200, user: 'bob' });

    // Revoking by id ends bob's session in the app too.
    const byId = await cli(['session', 'revoke', bobId]);
    expect(byId.code).toBe(0);
    expect(await me(bob)).toEqual({ status: 401 });
    expect(await redis.keys('sess:*')).toEqual([]);
  });
});
