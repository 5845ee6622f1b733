/**
 * Better Auth with `secondaryStorage` on Redis (better-auth's internal-adapter): one string per
 * session keyed by the session token itself, no prefix, holding `{"session":{...},"user":{...}}`
 * with a TTL up to `session.expiresAt`; and per user a JSON list `active-sessions-<userId>` of
 * `{token, expiresAt}` entries (TTL: the latest expiry). Better Auth rejects a session whose
 * `session.expiresAt` has passed, so that field decides expiry, and on a request it extends a
 * session by `expiresIn` once `updateAge` has passed since the last extension (unless the app
 * sets `disableSessionRefresh`): a shortened lifetime can come back, which `ttl` says.
 *
 * The user is `session.userId`, and `user.email` beside it (`--user` matches either; only a
 * userId finds the per-user list, an email scans).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { escapeGlob } from '../../../redis/keys.js';
import { script } from '../../../redis/scripts.js';
import { decodedCookieValue } from '../../cookie.js';
import { NegativeAnswer, UsageError } from '../../../errors.js';
import { NO_PREFILTER } from '../../../walk/prefilter.js';
import { prefilterNeedle } from '../../decode/json-prefilter.js';
import { decodeSession, setMembers, type JsonObject } from '../../decode/json-session.js';
import { idAfter, sessionKey, validateSessionId } from '../../ids.js';
import { isoOrNull, noteReadable, noteUnreadable, parseTime, storedIso, storedTtlSeconds, unreadableRecord } from '../../records.js';
import { extraJson, isoJson, quote, unreadableLine } from '../../json-line.js';
import { terminalSafe } from '../../../json-safe.js';
import { readHandoff } from '../../read-handoff.js';
import type { LineInfo, SessionLayout, SessionRecord, SideOp } from '../../layout.js';

const LIST = 'active-sessions-';
/** Better Auth's tokens: 32 letters and digits (generateId(32)). */
const TOKEN = /^[A-Za-z0-9]{32}$/;

interface Read {
  doc: JsonObject;
  session: JsonObject;
  user: JsonObject | undefined;
  bytes: Buffer;
  token: string;
  userId: string;
  expiresAt: number;
}

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
// parseTime and storedIso rather than a Date per call: three times per session in a listing of millions.
const time = (v: unknown): number | undefined =>
  typeof v === 'string' ? parseTime(v) : typeof v === 'number' ? new Date(v).getTime() : undefined;
const shownTime = (v: unknown): string | null => (typeof v === 'string' ? storedIso(v) : isoOrNull(time(v)));

function readBetterAuth(raw: Buffer): Read | string {
  const decoded = decodeSession(raw);
  if (typeof decoded === 'string') return decoded;
  const { session, user } = decoded.session;
  if (!isObject(session)) return 'no session object';
  const { token, userId } = session;
  const expiresAt = time(session['expiresAt']);
  if (typeof token !== 'string' || typeof userId !== 'string' || expiresAt === undefined || Number.isNaN(expiresAt))
    return 'no session token, userId and expiresAt';
  return { doc: decoded.session, session, user: isObject(user) ? user : undefined, bytes: decoded.bytes, token, userId, expiresAt };
}

/** What the listing shows beside the user: the session's own fields but its token, ids and times. */
const SHOWN_ELSEWHERE = new Set(['id', 'token', 'userId', 'expiresAt', 'createdAt', 'updatedAt']);

/** The listing checks each value with isSessionValue before building from it: one parse for both. */
const checked = readHandoff(readBetterAuth);

/** The name shown beside the user id: the stored user's email, when it has one. */
function userNameOf(read: Read): string | null {
  const email = read.user?.['email'];
  return typeof email === 'string' ? email : null;
}

function toRecord(id: string, raw: Buffer, pttlMs: number, now: number, info?: LineInfo): SessionRecord {
  const read = checked.take(raw);
  if (typeof read === 'string') return unreadableRecord(id, pttlMs, now, read, info);
  noteReadable(info);
  let extra: JsonObject | null = null;
  // for...in rather than Object.entries: no array per member (a parsed object has only its own).
  for (const k in read.session) {
    if (SHOWN_ELSEWHERE.has(k)) continue;
    extra ??= {};
    extra[k] = read.session[k];
  }
  return {
    id,
    user: read.userId,
    userName: userNameOf(read),
    ttlSeconds: storedTtlSeconds(read.expiresAt, now),
    expiresAt: isoOrNull(read.expiresAt),
    readable: true,
    extra,
    createdAt: shownTime(read.session['createdAt']),
    lastAccessedAt: shownTime(read.session['updatedAt']),
    expiresBy: 'session.expiresAt',
  };
}

/**
 * The listing's line: recordLine(toRecord(...)) written straight from the parsed value, without
 * the record or its extra object (json-line.ts); undefined when `onlyUser` is given and is
 * neither its userId nor its email.
 */
const jsonLine: SessionLayout['jsonLine'] = (id, raw, pttlMs, _fields, now, onlyUser, info, tail = '') => {
  const read = checked.take(raw);
  if (typeof read === 'string') {
    noteUnreadable(info, read);
    return onlyUser === undefined ? unreadableLine(id, raw, pttlMs, now, tail) : undefined;
  }
  noteReadable(info);
  const userName = userNameOf(read);
  if (onlyUser !== undefined && read.userId !== onlyUser && userName !== onlyUser) return undefined;
  const ttlSeconds = storedTtlSeconds(read.expiresAt, now);
  return terminalSafe(
    `{"id":${quote(id)},"user":${quote(read.userId)},"userName":${userName === null ? 'null' : quote(userName)},` +
      `"ttlSeconds":${ttlSeconds},"expiresAt":${isoJson(isoOrNull(read.expiresAt))},"readable":true,` +
      `"extra":${extraJson(read.session, SHOWN_ELSEWHERE)},"createdAt":${isoJson(shownTime(read.session['createdAt']))},` +
      `"lastAccessedAt":${isoJson(shownTime(read.session['updatedAt']))},"expiresBy":"session.expiresAt"${tail}}`,
    raw,
  );
};

/**
 * The user's active-sessions list, rewritten on the server: ARGV[1] the token, ARGV[2] its new
 * expiresAt (ms), or '' to remove it; ARGV[3] now (ms). The list keeps Better Auth's TTL rule
 * (until its latest entry expires) and goes when empty, as Better Auth leaves it.
 */
const UPDATE_LIST = script(`local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, list = pcall(cjson.decode, v)
if not ok or type(list) ~= 'table' then return -1 end
local out, latest = {}, 0
for _, e in ipairs(list) do
  if type(e) == 'table' and e.token == ARGV[1] then
    if ARGV[2] ~= '' then e.expiresAt = tonumber(ARGV[2]) else e = nil end
  end
  if e ~= nil then
    out[#out + 1] = e
    if type(e.expiresAt) == 'number' and e.expiresAt > latest then latest = e.expiresAt end
  end
end
if #out == 0 then return redis.call('DEL', KEYS[1]) end
local ttl = latest - tonumber(ARGV[3])
if ttl <= 0 then return redis.call('DEL', KEYS[1]) end
-- cjson writes integers up to 14 digits exactly; expiresAt in ms has 13.
redis.call('SET', KEYS[1], cjson.encode(out), 'PX', math.floor(ttl))
return 1`);

/** Remove tokens from the list (ARGV: now, then the tokens). */
const PRUNE_LIST = script(`local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, list = pcall(cjson.decode, v)
if not ok or type(list) ~= 'table' then return -1 end
local drop = {}
for i = 2, #ARGV do drop[ARGV[i]] = true end
local out, latest = {}, 0
for _, e in ipairs(list) do
  if not (type(e) == 'table' and drop[e.token]) then
    out[#out + 1] = e
    if type(e) == 'table' and type(e.expiresAt) == 'number' and e.expiresAt > latest then latest = e.expiresAt end
  end
end
if #out == 0 then return redis.call('DEL', KEYS[1]) end
local ttl = latest - tonumber(ARGV[1])
if ttl <= 0 then return redis.call('DEL', KEYS[1]) end
redis.call('SET', KEYS[1], cjson.encode(out), 'PX', math.floor(ttl))
return 1`);

const listKey = (prefix: string, userId: string) => Buffer.from(`${prefix}${LIST}${userId}`, 'utf8');
const listSide = (prefix: string, read: Read, expiresAt: number | undefined): SideOp => ({
  op: 'script',
  key: listKey(prefix, read.userId),
  script: UPDATE_LIST,
  args: [read.token, expiresAt === undefined ? '' : String(expiresAt), String(Date.now())],
});

function verifySignature(token: string, signature: string, secrets: string[]): void {
  const given = Buffer.from(signature, 'base64');
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(token).digest();
    if (given.length === expected.length && timingSafeEqual(given, expected)) return;
  }
  throw new NegativeAnswer("the cookie's signature matches none of the secrets: not a cookie this app signed");
}

export const betterAuth: SessionLayout = {
  name: 'better-auth',
  idLength: 32, // generateId(32)
  defaultPrefix: '',
  keyType: 'string',
  expiryRule: "Better Auth's session.expiresAt",
  // Listed sessions are readable (isSessionValue) and expire by session.expiresAt: no PTTLs read.
  listsWithoutKeyTtl: true,
  key: sessionKey,
  match: (prefix) => `${escapeGlob(prefix)}${'?'.repeat(32)}`,
  idOf: idAfter,
  isSessionValue: (raw) => typeof checked.check(raw) !== 'string',
  cookie: {
    defaultName: 'better-auth.session_token',
    isBareValue: (text) => /^"?[A-Za-z0-9]{32}(?:\.|%2E)/i.test(text),
    read(value) {
      const text = decodedCookieValue(value);
      const dot = text.indexOf('.');
      const token = dot < 0 ? text : text.slice(0, dot);
      if (!TOKEN.test(token)) throw new UsageError('--cookie is not a Better Auth session cookie (<token>.<signature>)');
      validateSessionId(token);
      return { id: token, verify: (secrets) => verifySignature(token, dot < 0 ? '' : text.slice(dot + 1), secrets) };
    },
  },
  record: (id, raw, pttlMs, _fields, now, info) => toRecord(id, raw, pttlMs, now, info),
  jsonLine,
  content(raw) {
    const read = readBetterAuth(raw);
    return typeof read === 'string' ? undefined : read.doc;
  },
  // The user id and the email are both JSON strings in the value.
  userPrefilter: (user) => (user === undefined ? NO_PREFILTER : prefilterNeedle(user)),
  withLifetime(raw, ttlMs, now, at) {
    const read = readBetterAuth(raw);
    if (typeof read === 'string') return undefined;
    const expiresAt = now + ttlMs;
    const value = setMembers(read.bytes, ['session'], [['expiresAt', JSON.stringify(new Date(expiresAt).toISOString())]]);
    if (value === undefined) return undefined;
    return {
      value,
      ttlMs,
      side: [listSide(at.prefix, read, expiresAt)],
      note: 'Better Auth extends a session by its expiresIn on a request once updateAge has passed since it was last extended (1 day by default), unless the app sets disableSessionRefresh: a shorter lifetime may not last; session revoke ends a session for good.',
    };
  },
  lifetimeUndone(raw, pttlMs, ttlMs) {
    const read = readBetterAuth(raw);
    if (typeof read === 'string') return false;
    return pttlMs < 0 || pttlMs > ttlMs + 1000 || read.expiresAt > Date.now() + ttlMs + 1000;
  },
  revokeSide(prefix, _id, raw) {
    const read = raw === undefined ? undefined : readBetterAuth(raw);
    return read === undefined || typeof read === 'string' ? [] : [listSide(prefix, read, undefined)];
  },
  indexMatches: (prefix) => [`${escapeGlob(prefix)}${LIST}*`],
  indexOwner(prefix, key) {
    const start = Buffer.from(`${prefix}${LIST}`);
    return key.subarray(0, start.length).equals(start) ? key.subarray(start.length).toString('utf8') : undefined;
  },
  userIndex: (prefix, user) => ({
    key: listKey(prefix, user),
    idOf: (member) => member.toString('utf8'),
    value: {
      members(raw) {
        try {
          const list: unknown = JSON.parse(raw.toString('utf8'));
          if (!Array.isArray(list)) return [];
          return list.flatMap((e: unknown) => (isObject(e) && typeof e['token'] === 'string' ? [Buffer.from(e['token'])] : []));
        } catch {
          return [];
        }
      },
      remove: (members) => ({
        op: 'script',
        key: listKey(prefix, user),
        script: PRUNE_LIST,
        args: [String(Date.now()), ...members],
      }),
    },
  }),
  detect(key, raw) {
    const read = readBetterAuth(raw);
    if (typeof read === 'string') return undefined;
    const token = Buffer.from(read.token);
    if (key.length < token.length || !key.subarray(key.length - token.length).equals(token)) return undefined;
    return { prefix: key.subarray(0, key.length - token.length).toString('utf8'), id: read.token };
  },
  writeEvents: ['set'],
  writeEventClasses: '$',
  touchEvents: ['expire'],
  touchEventClasses: 'g',
};
