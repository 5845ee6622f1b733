/**
 * koa-redis 4.0.1 ships no types (and @types/koa-redis is written against koa-session 6 and the
 * redis 2 client): the part of its lib/index.js the koa app uses. The generator methods are wrapped
 * by co-wrap-all, so each returns a promise.
 */
declare module 'koa-redis' {
  interface KoaRedisStore {
    /** GET key, JSON.parse'd; null when missing or unparsable. */
    get(sid: string): Promise<unknown>;
    /** SETEX key ceil(ttlMs / 1000) JSON, or SET without a TTL when ttlMs is falsy. */
    set(sid: string, sess: unknown, ttlMs?: number): Promise<void>;
    destroy(sid: string): Promise<void>;
    /** QUIT on the ioredis 4 client. */
    quit(): Promise<void>;
    on(event: 'error', listener: (err: Error) => void): this;
  }
  /** With `url`, koa-redis creates its own ioredis 4 client; other options go to ioredis. */
  function redisStore(options: { url?: string; [ioredisOption: string]: unknown }): KoaRedisStore;
  export = redisStore;
}
