/**
 * fastify 5 + @fastify/cookie + @fastify/session 11 with connect-redis 9's RedisStore, on a loopback
 * port. Options are the plugin's defaults except the secret, a one-hour cookie and `secure: false`
 * (the default `secure: true` makes @fastify/session skip saving over plain HTTP). So `rolling`
 * (true: every request with a session re-saves it, and the store resets the TTL from the new
 * cookie.expires) and `saveUninitialized` (true: a request without a valid session leaves a new,
 * empty one in Redis) are left as a stock app has them. Login stores `passport: { user }`, the
 * shape @fastify/passport gives `request.session`.
 */
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { RedisStore } from 'connect-redis';
import Fastify from 'fastify';
import type { RedisClientType } from 'redis';
import { adminClient } from '../client.js';
import { cookieValue, meResult, requireSetCookie } from './http.js';
import { HOUR_MS, type NodeApp } from './types.js';

declare module 'fastify' {
  interface Session {
    passport?: { user: string };
  }
}

/** @fastify/session wants at least 32 characters. */
export const FASTIFY_SECRET = 'redis-accounts-fastify-test-secret-0123456789';
/** @fastify/session's default cookie name. */
const COOKIE = 'sessionId';

/** connect-redis's key for the session a cookie names: `sess:` + the id before the signature. */
export function fastifySessionKey(cookie: string): string {
  // The cookie is `<id>.<base64 HMAC-SHA256, no padding>`, URL-encoded by @fastify/cookie.
  const value = decodeURIComponent(cookieValue(cookie, COOKIE));
  const dot = value.lastIndexOf('.');
  if (dot <= 0) throw new Error(`not a signed @fastify/session cookie: ${cookie}`);
  return `sess:${value.slice(0, dot)}`;
}

export async function startFastifyApp(redisUrl: string): Promise<NodeApp> {
  const appRedis: RedisClientType = await adminClient(redisUrl);
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: FASTIFY_SECRET,
    store: new RedisStore({ client: appRedis }),
    cookie: { maxAge: HOUR_MS, secure: false },
  });
  app.post('/login', async (request, reply) => {
    const user = (request.query as { user?: string }).user ?? '';
    if (user === '') return reply.code(400).send({ error: 'no user' });
    request.session.set('passport', { user });
    return { user };
  });
  app.get('/me', async (request, reply) => {
    const user = request.session.get('passport')?.user;
    if (user === undefined) return reply.code(401).send({ error: 'not logged in' });
    return { user };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error(`fastify listens on ${String(address)}`);
  const base = `http://127.0.0.1:${address.port}`;

  return {
    name: 'fastify',
    base,
    cookieName: COOKIE,
    async login(user) {
      const res = await fetch(`${base}/login?user=${encodeURIComponent(user)}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`fastify login answered ${res.status}`);
      return requireSetCookie(res, COOKIE);
    },
    async me(cookie) {
      return meResult(await fetch(`${base}/me`, { headers: { cookie } }));
    },
    async sessionKey(cookie) {
      return fastifySessionKey(cookie);
    },
    async close() {
      await app.close();
      await appRedis.close();
    },
  };
}
