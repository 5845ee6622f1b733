/**
 * koa-session with koa-redis: one string per session, keyed by the session's external key (a
 * UUID, with no prefix unless the app sets koa-session's `prefix`), holding the session as JSON
 * plus koa-session's `_expire` (epoch ms) and `_maxAge` (ms). koa-redis stores it with
 * `SETEX maxAge + 10 s` ("ensure store expired after cookie"); koa-session rejects a session
 * whose `_expire` has passed, so that field, not the TTL, decides expiry. `rolling` is off by
 * default: a request writes the session back only when it changed, with `_expire` = now +
 * the `_maxAge` it loaded.
 *
 * Keys carry no prefix of their own: SCAN matches the UUID's shape and a value must be a JSON
 * object with a numeric `_expire` to be a session (another application's UUID key is skipped).
 */
import { escapeGlob, showId } from '../../../redis/keys.js';
import { UsageError } from '../../../errors.js';
import { prefilterNeedle } from '../../decode/json-prefilter.js';
import { decodeSession, sessionUser, setMembers, userRootOf, type JsonObject } from '../../decode/json-session.js';
import { idAfter, sessionKey, validateSessionId } from '../../ids.js';
import { isoOrNull, noteReadable, noteUnreadable, storedTtlSeconds, unreadableRecord } from '../../records.js';
import { readHandoff } from '../../read-handoff.js';
import { terminalSafe } from '../../../json-safe.js';
import { extraJson, isoJson, quote, unreadableLine } from '../../json-line.js';
import type { LineInfo, SessionLayout, SessionRecord } from '../../layout.js';

/** koa-redis keeps the key this much longer than `_maxAge` (koa-session's context.js: `maxAge += 10000`). */
const STORE_MARGIN_MS = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_GLOB = '????????-????-????-????-????????????';

/** A koa session: a JSON object with koa-session's numeric `_expire`. */
function readKoa(raw: Buffer): { session: JsonObject; bytes: Buffer; expire: number } | string {
  const decoded = decodeSession(raw);
  if (typeof decoded === 'string') return decoded;
  const expire = decoded.session['_expire'];
  if (typeof expire !== 'number' || !Number.isFinite(expire)) return 'no _expire';
  return { session: decoded.session, bytes: decoded.bytes, expire };
}

/** The listing checks each value with isSessionValue before building from it: one parse for both. */
const checked = readHandoff(readKoa);

function toRecord(id: string, raw: Buffer, pttlMs: number, fields: readonly string[], now: number, info?: LineInfo): SessionRecord {
  const read = checked.take(raw);
  if (typeof read === 'string') return unreadableRecord(id, pttlMs, now, read, info);
  const found = sessionUser(read.session, fields, read.bytes);
  noteReadable(info, found?.user === null ? found : undefined);
  const userRoot = userRootOf(fields, found);
  let extra: JsonObject | null = null;
  for (const k of Object.keys(read.session)) {
    if (k === '_expire' || k === '_maxAge' || k === userRoot) continue;
    extra ??= {};
    extra[k] = read.session[k];
  }
  return {
    id,
    user: found?.user ?? null,
    ttlSeconds: storedTtlSeconds(read.expire, now),
    expiresAt: isoOrNull(read.expire),
    readable: true,
    extra,
    expiresBy: '_expire',
  };
}

/** koa-session's own members, shown as ttlSeconds and expiresAt rather than in `extra`. */
const KOA_MEMBERS: ReadonlySet<string> = new Set(['_expire', '_maxAge']);

/**
 * The listing's line: recordLine(toRecord(...)) written straight from the parsed value, without
 * the record (json-line.ts); undefined when `onlyUser` is given and not its user.
 */
const jsonLine: SessionLayout['jsonLine'] = (id, raw, pttlMs, fields, now, onlyUser, info, tail = '') => {
  const read = checked.take(raw);
  if (typeof read === 'string') {
    noteUnreadable(info, read);
    return onlyUser === undefined ? unreadableLine(id, raw, pttlMs, now, tail) : undefined;
  }
  const found = sessionUser(read.session, fields, read.bytes);
  noteReadable(info, found?.user === null ? found : undefined);
  const user = found?.user ?? null;
  if (onlyUser !== undefined && user !== onlyUser) return undefined;
  const ttlSeconds = storedTtlSeconds(read.expire, now);
  const extra = extraJson(read.session, KOA_MEMBERS, userRootOf(fields, found));
  return terminalSafe(
    `{"id":${quote(id)},"user":${user === null ? 'null' : quote(user)},"ttlSeconds":${ttlSeconds},"expiresAt":${isoJson(isoOrNull(read.expire))},` +
      `"readable":true,"extra":${extra},"expiresBy":"_expire"${tail}}`,
    raw,
  );
};

export const koa: SessionLayout = {
  name: 'koa',
  idLength: 36, // a UUID
  // koa-session's `prefix` option is unset by default: keys are the bare external key.
  defaultPrefix: '',
  keyType: 'string',
  expiryRule: "koa-session's _expire",
  key: sessionKey,
  match: (prefix) => `${escapeGlob(prefix)}${UUID_GLOB}`,
  idOf: idAfter,
  isSessionValue: (raw) => typeof checked.check(raw) !== 'string',
  cookie: {
    defaultName: 'koa.sess',
    isBareValue: (text) => UUID.test(text.replace(/^"|"$/g, '')),
    read(value) {
      const id = value.replace(/^"|"$/g, '');
      if (!UUID.test(id)) throw new UsageError('--cookie is not a koa-session cookie (its external key, a UUID)');
      validateSessionId(id);
      return {
        id,
        verify() {
          throw new UsageError(
            'koa signs its session cookie in a second cookie (koa.sess.sig): --cookie-secret-file does not apply to --layout koa',
          );
        },
      };
    },
  },
  record: toRecord,
  jsonLine,
  content(raw) {
    const read = readKoa(raw);
    return typeof read === 'string' ? undefined : read.session;
  },
  userPrefilter: prefilterNeedle,
  withLifetime(raw, ttlMs, now) {
    const read = readKoa(raw);
    if (typeof read === 'string') return undefined;
    const value = setMembers(
      read.bytes,
      [],
      [
        ['_expire', String(now + ttlMs)],
        ['_maxAge', String(ttlMs)],
      ],
    );
    return value === undefined ? undefined : { value, ttlMs: ttlMs + STORE_MARGIN_MS, side: [] };
  },
  lifetimeUndone(raw, pttlMs, ttlMs) {
    const read = readKoa(raw);
    if (typeof read === 'string') return false;
    return read.session['_maxAge'] !== ttlMs || pttlMs < 0 || pttlMs > ttlMs + STORE_MARGIN_MS + 1000;
  },
  detect(key, raw) {
    if (key.length < 36 || !UUID.test(key.subarray(key.length - 36).toString('latin1'))) return undefined;
    const read = readKoa(raw);
    if (typeof read === 'string' || typeof read.session['_maxAge'] !== 'number') return undefined;
    return { prefix: key.subarray(0, key.length - 36).toString('utf8'), id: showId(key.subarray(key.length - 36)) };
  },
  // koa-redis saves with SETEX (a set and an expire event).
  writeEvents: ['set'],
  writeEventClasses: '$',
  touchEvents: ['expire'],
  touchEventClasses: 'g',
};
