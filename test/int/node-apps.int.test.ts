/**
 * Four real Node applications (test/helpers/apps) against a throwaway redis-server: what each
 * framework writes to Redis when users log in, what a later request changes, how the session
 * cookie names the key, and what deleting the key (a revoke) does to the user's next request.
 * These pin the layouts the tool's session commands read (shared/layouts.md §12-15): when a
 * framework upgrade changes a shape, this file says which.
 */
import { describe, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import type { RedisClientType } from 'redis';
import { authjsEmail, startAuthjsApp } from '../helpers/apps/authjs.js';
import { BETTER_AUTH_SECRET, betterAuthEmail, startBetterAuthApp } from '../helpers/apps/better-auth.js';
import { FASTIFY_SECRET, startFastifyApp } from '../helpers/apps/fastify.js';
import { KOA_KEYS, startKoaApp } from '../helpers/apps/koa.js';
import { cookieValue } from '../helpers/apps/http.js';
import { HOUR_MS, type NodeApp } from '../helpers/apps/types.js';
import { useTestRedis } from '../helpers/fixture.js';
import type { RedisServer } from '../helpers/redis-server.js';

/** One key as the test reads it back: type, PTTL (-1: none) and, for strings, the value. */
interface Stored {
  type: string;
  pttl: number;
  value: string | null;
}

const DAY_MS = 24 * HOUR_MS;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('real Node applications and what they keep in Redis', () => {
  let server: RedisServer;
  let redis: RedisClientType;
  useTestRedis((t) => ({ server, redis } = t));

  /** Every key in the server with its type, TTL and value. */
  async function dump(): Promise<Map<string, Stored>> {
    const out = new Map<string, Stored>();
    for (const key of (await redis.keys('*')).sort()) {
      const type = await redis.type(key);
      out.set(key, { type, pttl: await redis.pTTL(key), value: type === 'string' ? await redis.get(key) : null });
    }
    return out;
  }

  function stored(keys: Map<string, Stored>, key: string): Stored {
    const s = keys.get(key);
    if (s === undefined) throw new Error(`no key ${key}; keys: ${[...keys.keys()].join(', ')}`);
    return s;
  }

  const json = (s: Stored): Record<string, unknown> => {
    expect(s.type).toBe('string');
    return JSON.parse(s.value ?? 'null') as Record<string, unknown>;
  };

  /** Rewrite a key's JSON value, keeping its TTL: a stored expiry moved by hand. */
  async function rewrite(key: string, change: (v: Record<string, unknown>) => void): Promise<void> {
    const value = JSON.parse((await redis.get(key)) ?? 'null') as Record<string, unknown>;
    change(value);
    await redis.set(key, JSON.stringify(value), { expiration: 'KEEPTTL' });
  }

  async function withApp(start: (url: string) => Promise<NodeApp>, body: (app: NodeApp) => Promise<void>): Promise<void> {
    const app = await start(server.url);
    try {
      await body(app);
    } finally {
      await app.close();
    }
  }

  /** alice and bob log in; each cookie answers for its own user. */
  async function loginTwo(app: NodeApp): Promise<{ alice: string; bob: string }> {
    const alice = await app.login('alice');
    const bob = await app.login('bob');
    expect(await app.me(alice)).toEqual({ status: 200, user: 'alice' });
    expect(await app.me(bob)).toEqual({ status: 200, user: 'bob' });
    return { alice, bob };
  }

  test('fastify + @fastify/session + connect-redis: sess:<id> with a TTL from cookie.expires, refreshed on every request', async () => {
    await withApp(startFastifyApp, async (app) => {
      const loginAt = Date.now();
      const alice = await app.login('alice');
      const bob = await app.login('bob');
      const [aliceKey, bobKey] = [await app.sessionKey(alice), await app.sessionKey(bob)];

      // The cookie is `<id>.<signature>`: base64 HMAC-SHA256 of the id under the secret, padding
      // stripped, sent as is ('+' and '/' unencoded); the key is `sess:` + the id.
      for (const [cookie, key] of [
        [alice, aliceKey],
        [bob, bobKey],
      ] as const) {
        const [, id, sig] = /^sessionId=([A-Za-z0-9_-]{32})\.([A-Za-z0-9+/]{43})$/.exec(cookie) ?? [];
        expect(key).toBe(`sess:${id}`);
        expect(sig).toBe(createHmac('sha256', FASTIFY_SECRET).update(String(id)).digest('base64').replace(/=+$/, ''));
      }

      let keys = await dump();
      expect([...keys.keys()]).toEqual([aliceKey, bobKey].sort());
      for (const [key, user] of [
        [aliceKey, 'alice'],
        [bobKey, 'bob'],
      ] as const) {
        const s = stored(keys, key);
        const v = json(s);
        // express-session's shape; no originalExpires yet on a new session.
        expect(v).toEqual({
          cookie: {
            expires: expect.stringMatching(ISO_DATE),
            originalMaxAge: HOUR_MS,
            sameSite: null,
            secure: false,
            path: '/',
            httpOnly: true,
            domain: null,
          },
          passport: { user },
        });
        const expires = Date.parse((v['cookie'] as { expires: string }).expires);
        expect(expires - loginAt).toBeGreaterThanOrEqual(HOUR_MS);
        expect(expires - loginAt).toBeLessThan(HOUR_MS + 4000);
        // connect-redis sets the TTL from cookie.expires (SET ... EX ceil(seconds left)).
        expect(Math.abs(s.pttl - (expires - Date.now()))).toBeLessThan(2000);
      }

      // A later request (rolling: true): the session is saved again, cookie.expires moves to now +
      // 1 h, the previous one is kept as originalExpires, and the TTL starts over.
      const before = json(stored(keys, aliceKey));
      await redis.pExpire(aliceKey, 300000);
      expect(await app.me(alice)).toEqual({ status: 200, user: 'alice' });
      keys = await dump();
      const after = json(stored(keys, aliceKey)) as { cookie: { expires: string; originalExpires: string } };
      expect(stored(keys, aliceKey).pttl).toBeGreaterThan(HOUR_MS - 5000);
      expect(after.cookie.originalExpires).toBe((before['cookie'] as { expires: string }).expires);
      expect(Date.parse(after.cookie.expires)).toBeGreaterThanOrEqual(Date.parse(after.cookie.originalExpires));

      // DEL is a revoke: alice is logged out, bob is not. With saveUninitialized at its default
      // (true) the 401 leaves a new anonymous session behind, and its cookie replaces hers.
      await redis.del(aliceKey);
      const res = await fetch(`${app.base}/me`, { headers: { cookie: alice } });
      expect(res.status).toBe(401);
      const fresh = res.headers.getSetCookie().find((c) => c.startsWith('sessionId='));
      expect(fresh).toBeDefined();
      expect(await app.me(bob)).toEqual({ status: 200, user: 'bob' });
      keys = await dump();
      const anonymous = [...keys.keys()].filter((k) => k !== bobKey);
      expect(anonymous).toEqual([await app.sessionKey(String(fresh).split(';')[0] as string)]);
      expect(Object.keys(json(stored(keys, anonymous[0] as string)))).toEqual(['cookie']);
    });
  });

  test('koa + koa-session + koa-redis: bare UUID keys, _expire and _maxAge in the value, TTL maxAge + 10 s, not refreshed', async () => {
    await withApp(startKoaApp, async (app) => {
      const loginAt = Date.now();
      const { alice, bob } = await loginTwo(app);
      const [aliceKey, bobKey] = [await app.sessionKey(alice), await app.sessionKey(bob)];

      // Two cookies: koa.sess=<key>, and koa.sess.sig = keygrip's HMAC-SHA1 of "koa.sess=<key>"
      // (base64, '/'->'_', '+'->'-', '=' dropped). The value is the Redis key itself.
      for (const cookie of [alice, bob]) {
        const id = cookieValue(cookie, 'koa.sess');
        expect(id).toMatch(UUID);
        const sig = createHmac('sha1', KOA_KEYS[0] as string)
          .update(`koa.sess=${id}`)
          .digest('base64')
          .replace(/\//g, '_')
          .replace(/\+/g, '-')
          .replace(/=+$/, '');
        expect(cookieValue(cookie, 'koa.sess.sig')).toBe(sig);
      }

      let keys = await dump();
      expect([...keys.keys()]).toEqual([aliceKey, bobKey].sort());
      for (const [key, user] of [
        [aliceKey, 'alice'],
        [bobKey, 'bob'],
      ] as const) {
        const s = stored(keys, key);
        const v = json(s);
        expect(v).toEqual({ passport: { user }, _expire: expect.any(Number), _maxAge: HOUR_MS });
        expect((v['_expire'] as number) - loginAt).toBeGreaterThanOrEqual(HOUR_MS);
        expect((v['_expire'] as number) - loginAt).toBeLessThan(HOUR_MS + 4000);
        // SETEX with maxAge + 10 s ("ensure store expired after cookie").
        expect(s.pttl).toBeGreaterThan(HOUR_MS + 10000 - 5000);
        expect(s.pttl).toBeLessThanOrEqual(HOUR_MS + 10000);
      }

      // A later request that does not change the session writes nothing (rolling: false).
      const before = stored(keys, aliceKey).value;
      await redis.pExpire(aliceKey, 300000);
      expect(await app.me(alice)).toEqual({ status: 200, user: 'alice' });
      keys = await dump();
      expect(stored(keys, aliceKey).value).toBe(before);
      expect(stored(keys, aliceKey).pttl).toBeLessThanOrEqual(300000);

      // DEL is a revoke, and the 401 writes no new session.
      await redis.del(aliceKey);
      expect(await app.me(alice)).toEqual({ status: 401 });
      expect(await app.me(bob)).toEqual({ status: 200, user: 'bob' });
      expect([...(await dump()).keys()]).toEqual([bobKey]);

      // The stored _expire decides, whatever the TTL: a past one logs bob out; the key stays.
      await rewrite(bobKey, (v) => (v['_expire'] = Date.now() - 1000));
      expect(await app.me(bob)).toEqual({ status: 401 });
      expect([...(await dump()).keys()]).toEqual([bobKey]);
    });
  });

  test('Better Auth secondaryStorage: bare-token keys with {session, user}, active-sessions-<userId>, no refresh within 1 h', async () => {
    await withApp(startBetterAuthApp, async (app) => {
      const loginAt = Date.now();
      const { alice, bob } = await loginTwo(app);
      const [aliceKey, bobKey] = [await app.sessionKey(alice), await app.sessionKey(bob)];

      // better-auth.session_token = URL-encoded `<token>.<base64 HMAC-SHA256 of the token>` (with
      // padding); the key is the token itself.
      for (const [cookie, key] of [
        [alice, aliceKey],
        [bob, bobKey],
      ] as const) {
        expect(key).toMatch(/^[A-Za-z0-9]{32}$/);
        const sig = createHmac('sha256', BETTER_AUTH_SECRET).update(key).digest('base64');
        expect(cookie).toBe(`better-auth.session_token=${encodeURIComponent(`${key}.${sig}`)}`);
      }

      let keys = await dump();
      const userIds: Record<string, string> = {};
      for (const [key, user] of [
        [aliceKey, 'alice'],
        [bobKey, 'bob'],
      ] as const) {
        const s = stored(keys, key);
        const v = json(s) as { session: Record<string, unknown>; user: Record<string, unknown> };
        expect(v).toEqual({
          session: {
            id: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
            ipAddress: '127.0.0.1',
            userAgent: 'node',
            expiresAt: expect.stringMatching(ISO_DATE),
            userId: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
            token: key,
            createdAt: expect.stringMatching(ISO_DATE),
            updatedAt: expect.stringMatching(ISO_DATE),
          },
          user: {
            id: v.session['userId'],
            name: user,
            email: betterAuthEmail(user),
            emailVerified: false,
            createdAt: expect.stringMatching(ISO_DATE),
            updatedAt: expect.stringMatching(ISO_DATE),
          },
        });
        userIds[user] = v.session['userId'] as string;
        const expiresAt = Date.parse(v.session['expiresAt'] as string);
        // expiresIn is 1 h (expiresAt is computed a moment before createdAt).
        const lifetime = expiresAt - Date.parse(v.session['createdAt'] as string);
        expect(lifetime).toBeGreaterThan(HOUR_MS - 1000);
        expect(lifetime).toBeLessThanOrEqual(HOUR_MS);
        expect(expiresAt).toBeGreaterThan(loginAt);
        // The TTL is the seconds left until session.expiresAt.
        expect(Math.abs(s.pttl - (expiresAt - Date.now()))).toBeLessThan(2000);

        // The per-user list: [{token, expiresAt (ms)}], with a TTL to its latest expiresAt.
        const list = stored(keys, `active-sessions-${userIds[user]}`);
        expect(json(list)).toEqual([{ token: key, expiresAt }]);
        expect(Math.abs(list.pttl - (expiresAt - Date.now()))).toBeLessThan(2000);
      }
      const aliceList = `active-sessions-${userIds['alice']}`;
      const bobList = `active-sessions-${userIds['bob']}`;
      // Nothing else: with secondaryStorage, sessions are not in the database at all.
      expect([...keys.keys()]).toEqual([aliceKey, bobKey, aliceList, bobList].sort());

      // A later request changes nothing: updateAge (default 1 day) exceeds expiresIn (1 h), so
      // getSession never extends the session; its TTL keeps running down.
      const before = stored(keys, aliceKey).value;
      await redis.pExpire(aliceKey, 300000);
      expect(await app.me(alice)).toEqual({ status: 200, user: 'alice' });
      keys = await dump();
      expect(stored(keys, aliceKey).value).toBe(before);
      expect(stored(keys, aliceKey).pttl).toBeLessThanOrEqual(300000);

      // DEL is a revoke (cookieCache is off by default); alice's list still names the token.
      await redis.del(aliceKey);
      expect(await app.me(alice)).toEqual({ status: 401 });
      expect(await app.me(bob)).toEqual({ status: 200, user: 'bob' });
      keys = await dump();
      expect([...keys.keys()]).toEqual([bobKey, aliceList, bobList].sort());
      expect(json(stored(keys, aliceList))).toEqual([{ token: aliceKey, expiresAt: expect.any(Number) }]);

      // The stored session.expiresAt decides, whatever the TTL: a past one is a 401, and Better
      // Auth deletes the session and its now-empty list.
      await rewrite(bobKey, (v) => ((v['session'] as Record<string, unknown>)['expiresAt'] = new Date(Date.now() - 1000).toISOString()));
      expect(await app.me(bob)).toEqual({ status: 401 });
      expect([...(await dump()).keys()]).toEqual([aliceList]);
    });
  });

  test('Better Auth with cookieCache on: a deleted session stays logged in while the cache cookie lasts', async () => {
    await withApp(
      (url) => startBetterAuthApp(url, { cookieCacheSeconds: 300 }),
      async (app) => {
        const alice = await app.login('alice');
        // Sign-in set both cookies; the cache cookie holds signed session data, not a key.
        expect(alice).toMatch(/^better-auth\.session_token=[^;]+; better-auth\.session_data=.+$/);
        const token = await app.sessionKey(alice);
        expect(await app.me(alice)).toEqual({ status: 200, user: 'alice' });

        await redis.del(token);
        expect(await redis.exists(token)).toBe(0);
        expect(await app.me(alice)).toEqual({ status: 200, user: 'alice' });
        // Without the cache cookie, the deleted key is a 401 as before.
        const tokenOnly = alice.split('; ')[0] as string;
        expect(await app.me(tokenOnly)).toEqual({ status: 401 });
      },
    );
  });

  test('Auth.js + unstorage Redis driver: user:session:<token> JSON without a TTL, one by-user-id pointer per user', async () => {
    await withApp(startAuthjsApp, async (app) => {
      const loginAt = Date.now();
      const { alice, bob } = await loginTwo(app);
      const [aliceKey, bobKey] = [await app.sessionKey(alice), await app.sessionKey(bob)];

      // The cookie holds the bare session token (a UUID), unsigned; the key is user:session:<token>.
      for (const [cookie, key] of [
        [alice, aliceKey],
        [bob, bobKey],
      ] as const) {
        const token = cookieValue(cookie, 'authjs.session-token');
        expect(token).toMatch(UUID);
        expect(cookie).toBe(`authjs.session-token=${token}`);
        expect(key).toBe(`user:session:${token}`);
      }

      const keys = await dump();
      const userIds: Record<string, string> = {};
      for (const [key, user] of [
        [aliceKey, 'alice'],
        [bobKey, 'bob'],
      ] as const) {
        const session = json(stored(keys, key));
        const userId = session['userId'] as string;
        userIds[user] = userId;
        expect(session).toEqual({
          sessionToken: key.slice('user:session:'.length),
          userId: expect.stringMatching(UUID),
          expires: expect.stringMatching(ISO_DATE),
        });
        // Auth.js's default maxAge: 30 days.
        expect(Date.parse(session['expires'] as string) - loginAt).toBeGreaterThanOrEqual(30 * DAY_MS);
        expect(Date.parse(session['expires'] as string) - loginAt).toBeLessThan(30 * DAY_MS + 4000);
        // The user record and the email index the email sign-in created.
        expect(json(stored(keys, `user:${userId}`))).toEqual({
          id: userId,
          email: authjsEmail(user),
          emailVerified: expect.stringMatching(ISO_DATE),
        });
        expect(stored(keys, `user:email:${authjsEmail(user)}`).value).toBe(userId);
        // by-user-id holds the session's key as a plain string.
        expect(stored(keys, `user:session:by-user-id:${userId}`).value).toBe(key);
      }
      const aliceIndex = `user:session:by-user-id:${userIds['alice']}`;
      // Nothing else (the one-time verification token was consumed), and nothing has a TTL.
      expect([...keys.keys()]).toEqual(
        [
          aliceKey,
          bobKey,
          aliceIndex,
          `user:session:by-user-id:${userIds['bob']}`,
          `user:${userIds['alice']}`,
          `user:${userIds['bob']}`,
          `user:email:${authjsEmail('alice')}`,
          `user:email:${authjsEmail('bob')}`,
        ].sort(),
      );
      for (const s of keys.values()) expect({ type: s.type, pttl: s.pttl }).toEqual({ type: 'string', pttl: -1 });

      // A second login of alice: a second session, and by-user-id now names only that one.
      const alice2 = await app.login('alice');
      const alice2Key = await app.sessionKey(alice2);
      expect(await redis.get(aliceIndex)).toBe(alice2Key);
      expect(await app.me(alice)).toEqual({ status: 200, user: 'alice' });

      // A later request within updateAge (1 day) writes nothing; once the session's expires is
      // more than a day old (here: moved to 28 days ahead), core writes now + 30 days through
      // adapter.updateSession. Still no TTL, and updateSession rewrites by-user-id too: the pointer
      // names the session written last, not the one created last.
      const before = await redis.get(aliceKey);
      expect(await app.me(alice)).toEqual({ status: 200, user: 'alice' });
      expect(await redis.get(aliceKey)).toBe(before);
      await rewrite(aliceKey, (v) => (v['expires'] = new Date(Date.now() + 28 * DAY_MS).toISOString()));
      const touchAt = Date.now();
      expect(await app.me(alice)).toEqual({ status: 200, user: 'alice' });
      const touched = JSON.parse((await redis.get(aliceKey)) ?? 'null') as { expires: string };
      expect(Date.parse(touched.expires) - touchAt).toBeGreaterThanOrEqual(30 * DAY_MS);
      expect(await redis.pTTL(aliceKey)).toBe(-1);
      expect(await redis.get(aliceIndex)).toBe(aliceKey);

      // DEL is a revoke for that one session: alice's other session and bob's still work.
      await redis.del(alice2Key);
      expect(await app.me(alice2)).toEqual({ status: 401 });
      expect(await app.me(alice)).toEqual({ status: 200, user: 'alice' });
      expect(await app.me(bob)).toEqual({ status: 200, user: 'bob' });

      // Deleting the session the pointer names leaves the pointer naming a missing key.
      await redis.del(aliceKey);
      expect(await app.me(alice)).toEqual({ status: 401 });
      expect(await redis.get(aliceIndex)).toBe(aliceKey);
      expect(await redis.exists(aliceKey)).toBe(0);

      // The stored expires decides (there is no TTL at all): a past one is a 401, and core deletes
      // the session key but not the by-user-id pointer.
      await rewrite(bobKey, (v) => (v['expires'] = new Date(Date.now() - 1000).toISOString()));
      expect(await app.me(bob)).toEqual({ status: 401 });
      expect(await redis.exists(bobKey)).toBe(0);
      expect(await redis.get(`user:session:by-user-id:${userIds['bob']}`)).toBe(bobKey);
    });
  });
});
