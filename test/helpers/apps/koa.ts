/**
 * koa 3 + koa-session 7 with koa-redis 4 as its external store, on a loopback port. Options are
 * koa-session's defaults except `maxAge` (one hour): keys are bare random UUIDs (no prefix),
 * `rolling` is false (a request that does not change the session writes nothing), the cookie is
 * signed (koa's cookies: a second `koa.sess.sig` cookie), and koa-session adds `_expire` and
 * `_maxAge` to the stored JSON, saving it with a TTL of maxAge + 10 s. koa-redis talks to Redis
 * through its own ioredis 4 client. Login sets `passport: { user }` as koa-passport would.
 */
import Koa from 'koa';
import redisStore from 'koa-redis';
import session from 'koa-session';
import { createServer } from 'node:http';
import { closeServer, cookieValue, listenLoopback, meResult, setCookiePair } from './http.js';
import { HOUR_MS, type NodeApp } from './types.js';

/** The keys koa signs its cookies with (app.keys). */
export const KOA_KEYS = ['redis-accounts-koa-test-key'];
/** koa-session's default cookie name; the signature travels as `koa.sess.sig`. */
const COOKIE = 'koa.sess';

interface AppContext {
  session: { passport?: { user: string } } | null;
}

/** koa-redis's key for a cookie's session: the cookie value itself, a bare UUID. */
export function koaSessionKey(cookie: string): string {
  return decodeURIComponent(cookieValue(cookie, COOKIE));
}

export async function startKoaApp(redisUrl: string): Promise<NodeApp> {
  const store = redisStore({ url: redisUrl, maxRetriesPerRequest: 1 });
  // koa-redis re-emits the client's errors; unheard, one would crash the test process.
  store.on('error', () => undefined);
  const app = new Koa<Koa.DefaultState, AppContext>();
  app.keys = KOA_KEYS;
  app.use(session({ store, maxAge: HOUR_MS }, app));
  app.use(async (ctx) => {
    if (ctx.method === 'POST' && ctx.path === '/login') {
      const user = typeof ctx.query['user'] === 'string' ? ctx.query['user'] : '';
      if (user === '' || ctx.session === null) {
        ctx.status = 400;
        return;
      }
      ctx.session.passport = { user };
      ctx.body = { user };
    } else if (ctx.method === 'GET' && ctx.path === '/me') {
      const user = ctx.session?.passport?.user;
      ctx.status = user === undefined ? 401 : 200;
      ctx.body = user === undefined ? { error: 'not logged in' } : { user };
    } else {
      ctx.status = 404;
    }
  });
  const server = createServer(app.callback());
  const base = await listenLoopback(server);

  return {
    name: 'koa',
    base,
    cookieName: COOKIE,
    async login(user) {
      const res = await fetch(`${base}/login?user=${encodeURIComponent(user)}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`koa login answered ${res.status}`);
      const pairs = [setCookiePair(res, COOKIE), setCookiePair(res, `${COOKIE}.sig`)];
      if (pairs.some((p) => p === undefined)) throw new Error(`koa login set ${res.headers.getSetCookie().join(' | ')}`);
      return pairs.join('; ');
    },
    async me(cookie) {
      return meResult(await fetch(`${base}/me`, { headers: { cookie } }));
    },
    async sessionKey(cookie) {
      return koaSessionKey(cookie);
    },
    async close() {
      await closeServer(server);
      await store.quit();
    },
  };
}
