/**
 * gorilla/sessions with boj/redistore: one string per session at `session_<id>` (redistore's
 * keyPrefix; SetKeyPrefix changes it), the id being 32 random bytes in base32 without padding,
 * 52 characters (redistore.go Save: `strings.TrimRight(base32.StdEncoding.EncodeToString(
 * securecookie.GenerateRandomKey(32)), "=")`). The value is session.Values in gob, or JSON with
 * redistore's JSONSerializer (record.ts); the cookie is gorilla's securecookie (cookie.ts).
 *
 * Lifetime: redistore writes a session only when the app saves it, `SETEX <prefix><id> <age>`
 * with age the session's Options.MaxAge (its DefaultMaxAge, 20 minutes, when that is 0), and
 * never touches it on a read (redistore.go save, load). Nothing in the value records a
 * lifetime, so `ttl` changes the TTL alone, and the app's next save of that session puts its
 * MaxAge back: the plan's note says so and points to --hold.
 *
 * Revoke: the key goes. redistore's New then finds no data for the cookie's id and hands the app
 * a new, empty session (IsNew) under that same id, which a save stores again, anonymous: the
 * user is logged out.
 */
import { escapeGlob, showId } from '../../../redis/keys.js';
import { prefilterNeedle } from '../../decode/json-prefilter.js';
import { idAfter, sessionKey } from '../../ids.js';
import type { SessionLayout } from '../../layout.js';
import { lineOfRecord } from '../../records.js';
import { gorillaCookie } from './cookie.js';
import { readGorilla, toGorillaRecord, VALUES_TYPE } from './record.js';

const DEFAULT_PREFIX = 'session_';
const ID_LENGTH = 52;
const ID = /^[A-Z2-7]{52}$/;

export const gorilla: SessionLayout = {
  name: 'gorilla',
  idLength: 52, // 32 random bytes in base32, unpadded
  defaultPrefix: DEFAULT_PREFIX,
  keyType: 'string',
  key: sessionKey,
  // Only redistore's own ids: another key under the same prefix (a counter, say) is not a session.
  match: (prefix) => `${escapeGlob(prefix)}${'[A-Z2-7]'.repeat(ID_LENGTH)}`,
  idOf: idAfter,
  cookie: gorillaCookie,
  record: toGorillaRecord,
  jsonLine: lineOfRecord(toGorillaRecord),
  content(raw) {
    const read = readGorilla(raw);
    return typeof read === 'string' ? undefined : read.values;
  },
  // A gob string is its UTF-8 bytes as they are; JSON may escape them (a backslash then).
  // Numbers have other bytes than their digits in both: prefilterNeedle gives them none.
  userPrefilter: prefilterNeedle,
  withLifetime(raw, ttlMs) {
    if (typeof readGorilla(raw) === 'string') return undefined;
    return {
      ttlMs,
      side: [],
      note: "redistore stores a session with SETEX of the app's MaxAge each time the app saves it (session.Save), and keeps no lifetime in the value: the TTL alone changed, and the app's next save of this session sets its MaxAge again (--hold re-applies the new lifetime for a while; session revoke ends a session for good).",
    };
  },
  lifetimeUndone: (_raw, pttlMs, ttlMs) => pttlMs < 0 || pttlMs > ttlMs + 1000,
  detect(key, raw) {
    if (key.length < ID_LENGTH) return undefined;
    const id = key.subarray(key.length - ID_LENGTH);
    if (!ID.test(id.toString('latin1'))) return undefined;
    const prefix = key.subarray(0, key.length - ID_LENGTH).toString('utf8');
    const read = readGorilla(raw);
    if (typeof read === 'string') return undefined;
    // A gob map[interface{}]interface{} is redistore's; a JSON object only under its own prefix.
    if (read.serializer === 'gob' ? read.type !== VALUES_TYPE : !prefix.endsWith(DEFAULT_PREFIX)) return undefined;
    return { prefix, id: showId(id) };
  },
  // A save is SETEX (a set and an expire event); redistore never renews a TTL without writing.
  writeEvents: ['set'],
  writeEventClasses: '$',
  touchEvents: ['expire'],
  touchEventClasses: 'g',
};
