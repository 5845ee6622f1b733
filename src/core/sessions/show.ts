/** One session in full, as `session show` prints it. */
import { bytesView } from '../redis/bytes.js';
import type { Keyed } from '../redis/connection.js';
import type { SessionRecord } from './layout.js';
import { notASession, notFound, type SessionScope } from './sessions.js';

export interface SessionDetail extends SessionRecord {
  /** The whole stored session, parsed; null when it is unreadable (then `raw` has the text). */
  session: Record<string, unknown> | null;
  /** The stored value as text (bytes that are not UTF-8 read as U+FFFD), when unreadable. */
  raw?: string;
}

export async function showSession(redis: Keyed, scope: SessionScope, id: string): Promise<SessionDetail> {
  const { layout, prefix } = scope;
  const key = layout.key(prefix, id);
  const [type, pttl] = await Promise.all([redis.type(key), redis.pTTL(key)]);
  if (type === 'none') throw notFound(prefix, id);
  if (type !== layout.keyType) throw notASession(scope, id, type);
  const raw = (await bytesView(redis).get(key)) as unknown as Buffer | null;
  if (raw === null) throw notFound(prefix, id);
  const record = layout.record(id, raw, Number(pttl), scope.userFields, Date.now());
  const session = layout.content(raw);
  return session === undefined ? { ...record, session: null, raw: raw.toString('utf8') } : { ...record, session };
}
