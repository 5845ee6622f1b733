/**
 * Flask-Session's Redis interface: one string per session under `<SESSION_KEY_PREFIX><sid>`
 * (`session:` by default), the session dict pickled (0.3 to 0.6) or in msgpack or JSON (0.7 and
 * later), told apart per value (read.ts). The user is Flask-Login's `_user_id`
 * (login_user: `session["_user_id"] = user.get_id()`).
 *
 * Lifetime: Flask-Session writes the session back with the app's PERMANENT_SESSION_LIFETIME
 * as its TTL (0.3 sessions.py save_session: `self.redis.setex(..., time=total_seconds(
 * app.permanent_session_lifetime))` on every request; 0.7+ redis.py `_upsert_session`:
 * `set(..., ex=...)` whenever the session changed or SESSION_REFRESH_EACH_REQUEST, Flask's
 * default, is on): a new TTL lasts until the user's next request, and the tool says so.
 *
 * Revoking: 0.3 gives every visitor a key (an anonymous session is `{"_permanent": True}`),
 * and after a DEL re-creates the same sid as a new, anonymous session (open_session keeps the
 * cookie's sid when the key is missing): the user is logged out all the same. 0.7+ issues a new
 * sid instead ("Prevent session identifier reuse on storage miss").
 *
 * `session:` is a prefix other applications use too: only values that read as a session dict
 * are sessions (isSessionValue), so `revoke --all` leaves other keys alone.
 */
import { escapeGlob, showId } from '../../../redis/keys.js';
import { fieldsFor, pyContent, pyExtra, pyUser, pyUserPrefilter } from '../../decode/py-session.js';
import { idAfter, sessionKey } from '../../ids.js';
import { ttlRecord, noteReadable, lineOfRecord, unreadableRecord } from '../../records.js';
import { readHandoff } from '../../read-handoff.js';
import type { LineInfo, SessionLayout, SessionRecord } from '../../layout.js';
import { flaskCookie } from './cookie.js';
import { readFlask } from './read.js';

/** Flask-Login's session key of the user id (flask_login/login_manager.py, utils.py login_user). */
const USER_FIELD = '_user_id';
const OWN_FIELDS = Object.freeze([USER_FIELD]);
/** Keys only Flask and Flask-Login write: what `session layouts` looks for. */
const FLASK_KEYS = ['_permanent', '_user_id', '_fresh'];
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** secrets.token_urlsafe(32): 43 URL-safe base64 characters. */
const TOKEN = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}$/;

const NOTE =
  "Flask-Session writes a session back with the app's PERMANENT_SESSION_LIFETIME (31 days by default) as its TTL on its user's next request (0.3 to 0.6 on every request; 0.7+ whenever the session changed or SESSION_REFRESH_EACH_REQUEST, Flask's default, is on): this TTL lasts until then. --hold sets it again for as long as the hold runs; session revoke ends a session for good.";

/** The listing checks each value with isSessionValue before building from it: one decode for both. */
const checked = readHandoff(readFlask);

function toRecord(id: string, raw: Buffer, pttlMs: number, fields: readonly string[], now: number, info?: LineInfo): SessionRecord {
  const read = checked.take(raw);
  if (typeof read === 'string') return unreadableRecord(id, pttlMs, now, read, info);
  const found = pyUser(read.dict, fieldsFor(fields, OWN_FIELDS));
  noteReadable(info, found?.user === null ? found : undefined);
  const skip = new Set<string>();
  if (found?.user !== null && found !== undefined) skip.add(found.field.split('.')[0] as string);
  return ttlRecord(id, found?.user ?? null, pttlMs, now, pyExtra(read.dict, skip));
}

export const flask: SessionLayout = {
  name: 'flask',
  idLength: 43, // secrets.token_urlsafe(32)
  defaultPrefix: 'session:',
  keyType: 'string',
  key: sessionKey,
  match: (prefix) => `${escapeGlob(prefix)}*`,
  idOf: idAfter,
  isSessionValue: (raw) => typeof checked.check(raw) !== 'string',
  cookie: flaskCookie,
  record: toRecord,
  jsonLine: lineOfRecord(toRecord),
  content(raw) {
    const read = readFlask(raw);
    return typeof read === 'string' ? undefined : { serializer: read.format, data: pyContent(read.dict, new Set()) };
  },
  userPrefilter: pyUserPrefilter,
  withLifetime: (_raw, ttlMs) => ({ ttlMs, side: [], note: NOTE }),
  lifetimeUndone: (_raw, pttlMs, ttlMs) => pttlMs < 0 || pttlMs > ttlMs + 1000,
  detect(key, raw) {
    const text = key.toString('latin1');
    const m = UUID.exec(text) ?? TOKEN.exec(text);
    if (m === null) return undefined;
    const read = readFlask(raw);
    if (typeof read === 'string' || !FLASK_KEYS.some((k) => read.dict.get(k) !== undefined)) return undefined;
    return { prefix: key.subarray(0, m.index).toString('utf8'), id: showId(key.subarray(m.index)) };
  },
  // Flask-Session saves with SETEX (0.3) or SET ... EX (0.7+): a set event.
  writeEvents: ['set'],
  writeEventClasses: '$',
  touchEvents: ['expire'],
  touchEventClasses: 'g',
};
