/**
 * Auth.js database sessions through its unstorage or Upstash Redis adapters: a string
 * `user:session:<sessionToken>` holding `{"sessionToken","userId","expires"}` with no Redis TTL
 * (the adapters never set one: `expires` alone decides), and `user:session:by-user-id:<userId>`
 * naming one session key of the user, the one written last (updateSession rewrites it too).
 * On a request Auth.js extends a session to now + maxAge (30 days by default) once updateAge (1
 * day) has passed since its last extension, so a shortened lifetime comes back: `ttl` says so.
 */
import { escapeGlob, showId } from '../../../redis/keys.js';
import { script } from '../../../redis/scripts.js';
import { UsageError } from '../../../errors.js';
import { NO_PREFILTER } from '../../../walk/prefilter.js';
import { prefilterNeedle } from '../../decode/json-prefilter.js';
import { decodeSession, setMembers, type JsonObject } from '../../decode/json-session.js';
import { idAfter, sessionKey, validateSessionId } from '../../ids.js';
import { isoTime, noteReadable, noteUnreadable, parseTime, storedTtlSeconds, unreadableRecord } from '../../records.js';
import { terminalSafe } from '../../../json-safe.js';
import { quote, unreadableLine } from '../../json-line.js';
import type { LineInfo, SessionLayout, SessionRecord, SideOp } from '../../layout.js';

const BY_USER = 'by-user-id:';

interface Read {
  doc: JsonObject;
  bytes: Buffer;
  userId: string;
  expires: number;
}

function readAuthjs(raw: Buffer): Read | string {
  const decoded = decodeSession(raw);
  if (typeof decoded === 'string') return decoded;
  const { sessionToken, userId, expires } = decoded.session;
  const at = typeof expires === 'string' ? parseTime(expires) : NaN;
  if (typeof sessionToken !== 'string' || typeof userId !== 'string' || Number.isNaN(at)) return 'no sessionToken, userId and expires';
  return { doc: decoded.session, bytes: decoded.bytes, userId, expires: at };
}

function toRecord(id: string, raw: Buffer, pttlMs: number, now: number, info?: LineInfo): SessionRecord {
  const read = readAuthjs(raw);
  if (typeof read === 'string') return unreadableRecord(id, pttlMs, now, read, info);
  noteReadable(info);
  return {
    id,
    user: read.userId,
    ttlSeconds: storedTtlSeconds(read.expires, now),
    expiresAt: new Date(read.expires).toISOString(),
    readable: true,
    extra: null,
    expiresBy: 'expires',
  };
}

/**
 * The listing's line: recordLine(toRecord(...)) written straight from the parsed value, without
 * the record or its Date (json-line.ts); undefined when `onlyUser` is given and not its user.
 */
const jsonLine: SessionLayout['jsonLine'] = (id, raw, pttlMs, _fields, now, onlyUser, info, tail = '') => {
  const read = readAuthjs(raw);
  if (typeof read === 'string') {
    noteUnreadable(info, read);
    return onlyUser === undefined ? unreadableLine(id, raw, pttlMs, now, tail) : undefined;
  }
  noteReadable(info);
  if (onlyUser !== undefined && read.userId !== onlyUser) return undefined;
  // read.expires came from parseTime (Date.parse): an integer within Date's range, which isoTime formats as toISOString does.
  const ttlSeconds = storedTtlSeconds(read.expires, now);
  return terminalSafe(
    `{"id":${quote(id)},"user":${quote(read.userId)},"ttlSeconds":${ttlSeconds},"expiresAt":"${isoTime(read.expires)}",` +
      `"readable":true,"extra":null,"expiresBy":"expires"${tail}}`,
    raw,
  );
};

/** Delete the by-user-id pointer (KEYS[1]) only while it names the revoked session (ARGV[1]). */
const CLEAR_POINTER = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

const pointerKey = (prefix: string, userId: string) => Buffer.from(`${prefix}${BY_USER}${userId}`, 'utf8');
const clearPointer = (prefix: string, userId: string, sessionKeyText: Buffer): SideOp => ({
  op: 'script',
  key: pointerKey(prefix, userId),
  script: CLEAR_POINTER,
  args: [sessionKeyText],
});

/** The layout's `record` (this layout reads no user fields: the user is where the store puts it). */
const recordOf: SessionLayout['record'] = (id, raw, pttlMs, _fields, now, info) => toRecord(id, raw, pttlMs, now, info);

export const authjs: SessionLayout = {
  name: 'authjs',
  idLength: 36, // crypto.randomUUID()
  defaultPrefix: 'user:session:',
  keyType: 'string',
  expiryRule: "Auth.js's expires (its keys have no TTL)",
  key: sessionKey,
  match: (prefix) => `${escapeGlob(prefix)}*`,
  isSession(prefix) {
    const length = Buffer.byteLength(prefix);
    return (key) => key.subarray(length, length + BY_USER.length).toString('latin1') !== BY_USER;
  },
  idOf: idAfter,
  cookie: {
    defaultName: 'authjs.session-token',
    isBareValue: (text) => /^"?[A-Za-z0-9_-]{16,}"?$/.test(text),
    read(value) {
      const id = value.replace(/^"|"$/g, '');
      validateSessionId(id);
      return {
        id,
        verify() {
          throw new UsageError("Auth.js's database session cookie is not signed: --cookie-secret-file does not apply to --layout authjs");
        },
      };
    },
  },
  record: recordOf,
  jsonLine,
  content(raw) {
    const read = readAuthjs(raw);
    return typeof read === 'string' ? undefined : read.doc;
  },
  userPrefilter: (user) => (user === undefined ? NO_PREFILTER : prefilterNeedle(user)),
  withLifetime(raw, ttlMs, now, at) {
    const read = readAuthjs(raw);
    if (typeof read === 'string') return undefined;
    const value = setMembers(read.bytes, [], [['expires', JSON.stringify(new Date(now + ttlMs).toISOString())]]);
    if (value === undefined) return undefined;
    return {
      value,
      ttlMs,
      // The adapters set no TTL; one added here would be a lifetime the app never set.
      keepTtl: at.pttlMs === -1,
      side: [],
      note: "Auth.js extends a session to now + maxAge (30 days by default) on a request once updateAge (1 day by default) has passed since its last extension: a shorter lifetime is undone by the user's next request; session revoke ends a session for good.",
    };
  },
  lifetimeUndone(raw, _pttlMs, ttlMs) {
    const read = readAuthjs(raw);
    return typeof read !== 'string' && read.expires > Date.now() + ttlMs + 1000;
  },
  revokeSide(prefix, id, raw) {
    const read = raw === undefined ? undefined : readAuthjs(raw);
    if (read === undefined || typeof read === 'string') return [];
    return [clearPointer(prefix, read.userId, sessionKey(prefix, id))];
  },
  indexMatches: (prefix) => [`${escapeGlob(prefix)}${BY_USER}*`],
  indexOwner(prefix, key) {
    const start = Buffer.from(`${prefix}${BY_USER}`);
    return key.subarray(0, start.length).equals(start) ? key.subarray(start.length).toString('utf8') : undefined;
  },
  userIndex: (prefix, user) => ({
    key: pointerKey(prefix, user),
    idOf(member) {
      const head = Buffer.from(prefix);
      return member.subarray(0, head.length).equals(head) ? showId(member.subarray(head.length)) : undefined;
    },
    value: {
      members: (raw) => [raw],
      remove: (members) => ({ op: 'script', key: pointerKey(prefix, user), script: CLEAR_POINTER, args: [members[0] ?? Buffer.alloc(0)] }),
    },
    // One session of the user's (the last written): --user finds the others only by scanning.
    partial: true,
  }),
  detect(key, raw) {
    const read = readAuthjs(raw);
    if (typeof read === 'string') return undefined;
    const token = Buffer.from(String(read.doc['sessionToken']));
    if (key.length < token.length || !key.subarray(key.length - token.length).equals(token)) return undefined;
    return { prefix: key.subarray(0, key.length - token.length).toString('utf8'), id: showId(token) };
  },
  writeEvents: ['set'],
  writeEventClasses: '$',
  touchEvents: [],
  touchEventClasses: '',
};
