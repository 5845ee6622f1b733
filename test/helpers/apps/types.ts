/** What every real Node application in test/helpers/apps offers a test, whatever its framework. */
export interface NodeApp {
  name: 'fastify' | 'koa' | 'better-auth' | 'authjs';
  /** http://127.0.0.1:<port> */
  base: string;
  /** The session cookie's name. */
  cookieName: string;
  /** Logs `user` in (creating it if needed) and returns the Cookie header value for its new session (`name=value`, or more pairs where the framework needs them). */
  login(user: string): Promise<string>;
  /** 200 with the user's name when the cookie's session is logged in, else 401: decided by the framework's own session loading and expiry checks. */
  me(cookie: string): Promise<{ status: number; user?: string }>;
  /** The Redis key of that session, computed from the cookie as the store does (for tests to compare). */
  sessionKey(cookie: string): Promise<string>;
  close(): Promise<void>;
}

/** One hour, the session lifetime these apps configure where the brief asks for one. */
export const HOUR_MS = 3600 * 1000;
