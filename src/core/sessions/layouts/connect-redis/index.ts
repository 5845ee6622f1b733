/**
 * express-session with connect-redis: one string key `<prefix><id>` per session, holding the
 * session as JSON, with the TTL connect-redis derives from cookie.expires.
 */
import { DEFAULT_SESSION_PREFIX } from '../../../defaults.js';
import { escapeGlob, showId } from '../../../redis/keys.js';
import { idAfter, sessionKey } from '../../ids.js';
import type { SessionLayout } from '../../layout.js';
import { expressSessionCookie } from './cookie.js';
import { prefilterNeedle } from '../../decode/json-prefilter.js';
import { decodeSession } from '../../decode/json-session.js';
import { lifetimeUndone, sessionJsonLine, toSessionRecord, withLifetime } from './record.js';

export const connectRedis: SessionLayout = {
  name: 'connect-redis',
  idLength: 32, // uid-safe, 24 bytes in base64url
  defaultPrefix: DEFAULT_SESSION_PREFIX,
  keyType: 'string',
  key: sessionKey,
  match: (prefix) => `${escapeGlob(prefix)}*`,
  cookie: expressSessionCookie,
  idOf: idAfter,
  record: toSessionRecord,
  jsonLine: sessionJsonLine,
  content(raw) {
    const decoded = decodeSession(raw);
    return typeof decoded === 'string' ? undefined : decoded.session;
  },
  userPrefilter: prefilterNeedle,
  detect(key, raw) {
    // express-session always stores its cookie object; its ids (uid-safe) hold no ':', so a
    // custom prefix is everything up to the last one.
    const decoded = decodeSession(raw);
    if (typeof decoded === 'string') return undefined;
    const cookie = decoded.session['cookie'];
    if (cookie === null || typeof cookie !== 'object' || !('originalMaxAge' in cookie)) return undefined;
    const colon = key.lastIndexOf(0x3a);
    return { prefix: key.subarray(0, colon + 1).toString('utf8'), id: showId(key.subarray(colon + 1)) };
  },
  withLifetime(raw, ttlMs, now) {
    const value = withLifetime(raw, ttlMs, now);
    return value === undefined ? undefined : { value, ttlMs, side: [] };
  },
  lifetimeUndone,
  // A save is a SET of the whole value, its TTL with it (SET ... EX); a touch is an EXPIRE.
  writeEvents: ['set'],
  writeEventClasses: '$',
  touchEvents: ['expire'],
  touchEventClasses: 'g',
};
