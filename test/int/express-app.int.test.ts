/**
 * The CLI against sessions written by a real application: express 5 + express-session +
 * connect-redis 9 on a loopback port, backed by a throwaway redis-server. Users log in over
 * HTTP; the CLI then lists, reads, shortens and revokes their sessions, and the app must see
 * the effect on the next request.
 */
import { describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { DAY_MS, sessionId, useTestApp, type TestApp } from '../helpers/app.js';
import { ndjson, runCli } from '../helpers/cli.js';
import type { RedisServer } from '../helpers/redis-server.js';

describe('with a real express-session + connect-redis application', () => {
  let server: RedisServer;
  /** The test's client, to inspect what is stored. */
  let redis: RedisClientType;
  let app: TestApp;

  useTestApp((t) => {
    ({ server, redis, app } = t);
  });

  const cli = (args: string[]) => runCli(args, { env: { REDIS_URL: server.url } });
  const login = (user: string) => app.login(user);
  const me = (cookie: string) => app.me(cookie);

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
    const stored = JSON.parse((await redis.get(`sess:${bobId}`)) ?? 'null') as {
      cookie: { originalMaxAge: number };
      passport: { user: string };
    };
    // express-session derives originalMaxAge from expires and a second Date.now(): on a loaded
    // machine it is a millisecond short (CI got 86399999).
    expect(Math.abs(stored.cookie.originalMaxAge - DAY_MS)).toBeLessThan(1000);
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
    expect(
      ndjson(everyone.stdout)
        .map((r) => r['id'])
        .sort(),
    ).toEqual([alice1Id, alice2Id, bobId].sort());

    // Real session ids (uid-safe, base64url) can start with '-': '--' ends the options, as for any CLI.
    // ttl <id>: the lifetime the app gave the session.
    const ttl = await cli(['session', 'ttl', '--json', '--', alice1Id]);
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
    const shorten = await cli(['session', 'ttl', '--json', '--', bobId, '10m']);
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
    const visit = await fetch(`${app.base}/visit`, { method: 'POST', headers: { cookie: bob } });
    expect(visit.status).toBe(200);
    expect(await visit.json()).toEqual({ visits: 1 });
    left = await pttl(bobId);
    expect(left).toBeGreaterThan(590000);
    expect(left).toBeLessThanOrEqual(600000);
    // The cookie the app sends back now expires in 10 minutes too.
    const setCookie = visit.headers.getSetCookie().find((c) => c.startsWith('connect.sid='));
    const cookieExpires = Date.parse(/Expires=([^;]+)/i.exec(setCookie ?? '')?.[1] ?? '');
    expect(Math.abs(cookieExpires - (Date.now() + 600000))).toBeLessThan(60000);
    const saved = JSON.parse((await redis.get(`sess:${bobId}`)) ?? 'null') as {
      cookie: { originalMaxAge: number; expires: string };
      passport: unknown;
      visits: number;
    };
    // express-session derives originalMaxAge from expires and Date.now() (two clock reads): on a
    // loaded machine the millisecond between them shows (599999; once in CI, 2026-12-04).
    expect(saved.cookie.originalMaxAge).toBeGreaterThan(599000);
    expect(saved.cookie.originalMaxAge).toBeLessThanOrEqual(600000);
    expect(saved.passport).toEqual({ user: 'bob' });
    expect(saved.visits).toBe(1);

    // And the CLI reads the same.
    const after = JSON.parse((await cli(['session', 'ttl', '--json', '--', bobId])).stdout) as { ttlSeconds: number };
    expect(after.ttlSeconds).toBeGreaterThan(590);
    expect(after.ttlSeconds).toBeLessThanOrEqual(600);
    expect(await me(bob)).toEqual({ status: 200, user: 'bob' });

    // Revoking by id ends bob's session in the app too.
    const byId = await cli(['session', 'revoke', '--', bobId]);
    expect(byId.code).toBe(0);
    expect(await me(bob)).toEqual({ status: 401 });
    expect(await redis.keys('sess:*')).toEqual([]);
  });
});
