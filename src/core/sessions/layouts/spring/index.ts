/**
 * Spring Session Data Redis: RedisSessionRepository (Spring Boot's default) and
 * RedisIndexedSessionRepository, one hash per session under `<namespace>sessions:<id>` (keys.ts),
 * its values JDK-serialized or JSON (values.ts), its expiry in its fields (record.ts).
 *
 * A lifetime change writes `lastAccessedTime` (now) and `maxInactiveInterval` (the new
 * lifetime) with the key's TTL in one compare-and-set, since Spring itself rejects a session
 * whose fields say it expired, whatever the TTL (MapSession.isExpired), and slides it by
 * maxInactiveInterval on every request. For the indexed repository it also moves the shadow
 * key's TTL and the expiration-set entry, as the repository's own save does.
 *
 * A revoke deletes the hash at once (Spring's own deleteById leaves it 5 minutes for its
 * SessionDeletedEvent; a revoke must be sure the session is gone), then the shadow key, the
 * expiration-set entry and the principal-index member, so nothing names the session again.
 */
import { escapeGlob, showId } from '../../../redis/keys.js';
import type { LifetimePlan, SessionLayout, SideOp, StoredAt } from '../../layout.js';
import { NO_PREFILTER, type Needle } from '../../../walk/prefilter.js';
import { lineOfRecord } from '../../records.js';
import { springCookie } from './cookie.js';
import {
  DEFAULT_NAMESPACE,
  expirationMember,
  expirationsKeyOf,
  expiresKeyOf,
  isShadow,
  PRINCIPAL_INDEX_NAME,
  principalKeyOf,
  sessionKeyOf,
  sessionsPrefix,
} from './keys.js';
import { readSpringSession, springContent, springExpiry, toSpringRecord, type SpringSession } from './record.js';
import { decodeString, encodeInteger, encodeLong, encodeString } from './values.js';

/** How much longer than the session the indexed repository keeps the hash (RedisIndexedSessionRepository: 5 minutes). */
const INDEXED_MARGIN_MS = 5 * 60_000;

/**
 * Whether a session was saved by the indexed repository: its hash outlives the session by the
 * 5-minute margin (the default repository expires the hash with the session). Half the margin
 * tells them apart whatever the clocks of the application, Redis and this tool disagree by.
 */
function isIndexed(session: SpringSession, pttlMs: number, now: number): boolean {
  const expiry = springExpiry(session);
  return expiry !== null && pttlMs >= 0 && now + pttlMs - expiry > INDEXED_MARGIN_MS / 2;
}

/** Where the indexed repository keeps a session besides its hash, as of its stored fields. */
function indexedSide(ns: string, id: string, session: SpringSession | undefined): SideOp[] {
  const side: SideOp[] = [{ op: 'unlink', key: expiresKeyOf(ns, id) }];
  if (session === undefined) return side;
  const expiry = springExpiry(session);
  if (expiry !== null) {
    side.push({ op: 'srem', key: expirationsKeyOf(ns, expiry), member: encodeString(expirationMember(id), session.serializer) });
  }
  if (session.principal !== null) {
    side.push({ op: 'srem', key: principalKeyOf(ns, session.principal), member: encodeString(id, session.serializer) });
  }
  return side;
}

function withLifetime(raw: Buffer, ttlMs: number, now: number, at: StoredAt): LifetimePlan | undefined {
  const session = readSpringSession(raw);
  if (typeof session === 'string') return undefined;
  const seconds = Math.ceil(ttlMs / 1000);
  const fields: Array<[Buffer, Buffer]> = [
    [Buffer.from('lastAccessedTime'), encodeLong(now, session.serializer)],
    [Buffer.from('maxInactiveInterval'), encodeInteger(seconds, session.serializer)],
  ];
  const note = `Spring counts a session's lifetime from its last access: lastAccessedTime is now and maxInactiveInterval ${seconds}s, by which each request extends it.`;
  if (!isIndexed(session, at.pttlMs, now)) return { fields, ttlMs, side: [], note };
  // As the indexed repository's save does (onExpirationUpdated): the shadow key carries the
  // lifetime, and the session moves to the expiration set of its new minute.
  const ns = at.prefix;
  const side: SideOp[] = [{ op: 'pexpire', key: expiresKeyOf(ns, at.id), ms: ttlMs }];
  const member = encodeString(expirationMember(at.id), session.serializer);
  const before = springExpiry(session);
  if (before !== null) side.push({ op: 'srem', key: expirationsKeyOf(ns, before), member });
  side.push({ op: 'sadd', key: expirationsKeyOf(ns, now + ttlMs), member, pexpireMs: ttlMs + INDEXED_MARGIN_MS });
  return { fields, ttlMs: ttlMs + INDEXED_MARGIN_MS, side, note };
}

/** The layout's `record` (this layout reads no user fields: the user is where the store puts it). */
const recordOf: SessionLayout['record'] = (id, raw, pttlMs, _fields, now, info) => toSpringRecord(id, raw, pttlMs, now, info);

export const spring: SessionLayout = {
  name: 'spring',
  idLength: 36, // a UUID
  defaultPrefix: DEFAULT_NAMESPACE,
  keyType: 'hash',
  expiryRule: "Spring's lastAccessedTime + maxInactiveInterval",
  key: sessionKeyOf,
  match: (ns) => `${escapeGlob(sessionsPrefix(ns))}*`,
  isSession(ns) {
    const length = Buffer.byteLength(sessionsPrefix(ns));
    return (key) => !isShadow(key.subarray(length));
  },
  idOf(ns) {
    const length = Buffer.byteLength(sessionsPrefix(ns));
    return (key) => showId(key.subarray(length));
  },
  cookie: springCookie,
  record: recordOf,
  jsonLine: lineOfRecord(recordOf),
  content: springContent,
  userPrefilter(user): Needle {
    if (user === undefined) return NO_PREFILTER;
    // A JDK string is modified UTF-8: the same bytes as UTF-8 but for U+0000 and characters
    // beyond the BMP; JSON may escape any character. Those get no prefilter.
    // eslint-disable-next-line no-control-regex -- U+0000 is the character that differs
    if (/[\u0000\ud800-\udfff"\\]/.test(user) || user.includes('\ufffd')) return NO_PREFILTER;
    return [Buffer.from(user, 'utf8'), Buffer.from('\\u')];
  },
  withLifetime,
  lifetimeUndone(raw, pttlMs, ttlMs) {
    const session = readSpringSession(raw);
    if (typeof session === 'string') return false;
    const expiry = springExpiry(session);
    if (session.maxInactiveInterval !== Math.ceil(ttlMs / 1000) || expiry === null) return true;
    // A request that loaded the session before the change saves it with the old
    // maxInactiveInterval in memory: its EXPIRE puts the old TTL back on the hash.
    const now = Date.now();
    const least = expiry - now - 2000;
    return pttlMs >= 0 && pttlMs < least;
  },
  revokeSide: (ns, id, raw) => {
    const session = raw === undefined ? undefined : readSpringSession(raw);
    return indexedSide(ns, id, typeof session === 'string' ? undefined : session);
  },
  indexMatches: (ns) => [`${escapeGlob(ns)}index:*`, `${escapeGlob(ns)}expirations:*`],
  detect(key, raw) {
    const at = key.lastIndexOf('sessions:');
    if (at < 0 || isShadow(key.subarray(at + 'sessions:'.length))) return undefined;
    const session = readSpringSession(raw);
    if (typeof session === 'string') return undefined;
    return { prefix: key.subarray(0, at).toString('utf8'), id: showId(key.subarray(at + 'sessions:'.length)) };
  },
  indexOwner(ns, key) {
    const start = Buffer.from(`${ns}index:${PRINCIPAL_INDEX_NAME}:`);
    return key.subarray(0, start.length).equals(start) ? key.subarray(start.length).toString('utf8') : undefined;
  },
  userIndex: (ns, user) => ({ key: principalKeyOf(ns, user), idOf: (member) => decodeString(member) }),
  // A save is HSET (HMSET) of the changed fields, then EXPIRE or EXPIREAT of the hash.
  writeEvents: ['hset'],
  writeEventClasses: 'h',
  touchEvents: ['expire'],
  touchEventClasses: 'g',
};
