/** One session in full, as `session show` prints it. */
import { BadDataError, NegativeAnswer } from '../errors.js';
import type { Redis } from './connection.js';
import { sessionKey } from './keys.js';
import { parseSessionJson, toSessionRecord, type SessionRecord } from './session-record.js';
import type { SessionScope } from './sessions.js';

export interface SessionDetail extends SessionRecord {
  /** The whole stored session, parsed; null when it is not JSON (then `raw` has the text). */
  session: Record<string, unknown> | null;
  raw?: string;
}

export async function showSession(redis: Redis, scope: SessionScope, id: string): Promise<SessionDetail> {
  const key = sessionKey(scope.prefix, id);
  const [type, pttl] = await Promise.all([redis.type(key), redis.pTTL(key)]);
  if (type === 'none') throw new NegativeAnswer(`session ${id} not found`);
  if (type !== 'string') throw new BadDataError(`${key} is a ${type}, not a session`);
  const raw = await redis.get(key);
  if (raw === null) throw new NegativeAnswer(`session ${id} not found`);
  const record = toSessionRecord(id, raw, Number(pttl), scope.userFields, Date.now());
  const session = parseSessionJson(raw) ?? null;
  return { ...record, session, ...(session === null ? { raw } : {}) };
}
