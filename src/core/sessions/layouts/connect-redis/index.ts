/**
 * express-session with connect-redis: one string key `<prefix><id>` per session, holding the
 * session as JSON, with the TTL connect-redis derives from cookie.expires.
 */
import { DEFAULT_SESSION_PREFIX } from '../../../defaults.js';
import { escapeGlob, showId } from '../../../redis/keys.js';
import { sessionKey } from '../../ids.js';
import type { SessionLayout } from '../../layout.js';
import { expressSessionCookie } from './cookie.js';
import { prefilterNeedle } from './prefilter.js';
import { decodeSession, lifetimeUndone, sessionJsonLine, toSessionRecord, withLifetime } from './record.js';

export const connectRedis: SessionLayout = {
  name: 'connect-redis',
  defaultPrefix: DEFAULT_SESSION_PREFIX,
  keyType: 'string',
  key: sessionKey,
  match: (prefix) => `${escapeGlob(prefix)}*`,
  cookie: expressSessionCookie,
  idOf(prefix) {
    const length = Buffer.byteLength(prefix);
    return (key) => showId(key.subarray(length));
  },
  record: toSessionRecord,
  jsonLine: sessionJsonLine,
  content(raw) {
    const decoded = decodeSession(raw);
    return typeof decoded === 'string' ? undefined : decoded.session;
  },
  userPrefilter: prefilterNeedle,
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
