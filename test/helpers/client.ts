/** A plain node-redis client for tests to seed and inspect a test server. */
import { createClient, type RedisClientType } from 'redis';

export async function adminClient(url: string, extra: { username?: string; password?: string } = {}): Promise<RedisClientType> {
  const client = createClient({ url, ...extra, socket: { reconnectStrategy: false } }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A session as express-session + connect-redis store it. */
export function sessionJson(user: Record<string, unknown> | null, maxAgeMs = 86400000, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    cookie: { originalMaxAge: maxAgeMs, expires: new Date(Date.now() + maxAgeMs).toISOString(), secure: false, httpOnly: true, path: '/' },
    ...(user ?? {}),
    ...extra,
  });
}
