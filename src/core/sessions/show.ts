/** One session in full, as `session show` prints it. */
import type { Keyed } from '../redis/connection.js';
import type { SessionRecord } from './layout.js';
import { readSession } from './lifetime.js';
import { keyText, type SessionScope } from './scope.js';

export interface SessionDetail extends SessionRecord {
  /** The whole stored session, parsed; null when it is unreadable (then `raw` has the text). */
  session: Record<string, unknown> | null;
  /** The stored value as text (bytes that are not UTF-8 read as U+FFFD), when unreadable. */
  raw?: string;
}

export async function showSession(redis: Keyed, scope: SessionScope, id: string): Promise<SessionDetail> {
  const { layout } = scope;
  const { raw, pttl } = await readSession(redis, scope, id);
  const record = { ...layout.record(id, raw, pttl, scope.userFields, Date.now()), layout: layout.name, key: keyText(scope, id) };
  const session = layout.content(raw);
  return session === undefined ? { ...record, session: null, raw: raw.toString('utf8') } : { ...record, session };
}
