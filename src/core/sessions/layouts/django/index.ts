/**
 * Django's `cache` and `cached_db` session backends on django-redis: one string per session,
 * the pickled session dict (read.ts), under the cache key Django builds from the backend's
 * KEY_PREFIX (contrib/sessions/backends/cache.py `django.contrib.sessions.cache`, cached_db.py
 * `django.contrib.sessions.cached_db`) and the session key, with the cache's
 * `<KEY_PREFIX>:<VERSION>:` before it (core/cache/backends/base.py default_key_func):
 * `:1:django.contrib.sessions.cache<key>` by default. The prefix names the backend: the
 * default is `cache`'s; `--session-prefix :1:django.contrib.sessions.cached_db` reads cached_db's
 * (`session layouts` names both). Session keys are 32 characters of a-z0-9 (base.py
 * `get_random_string(32, VALID_KEY_CHARS)`); the `sessionid` cookie is the key itself.
 *
 * The user is django.contrib.auth's `_auth_user_id` (the user's primary key as a string). The
 * lifetime is the key's TTL, which Django sets on save (expiry.ts). Deleting a `cache`
 * session logs its user out; deleting a `cached_db` one does not: Django rebuilds it from the
 * SQL table on the next request, so `session revoke` refuses it (revokeIneffective).
 */
import { showId, escapeGlob } from '../../../redis/keys.js';
import { decodedCookieValue } from '../../cookie.js';
import { UsageError } from '../../../errors.js';
import { pyUserPrefilter } from '../../decode/py-session.js';
import { idAfter, sessionKey, validateSessionId } from '../../ids.js';
import { lineOfRecord } from '../../records.js';
import type { SessionLayout } from '../../layout.js';
import { CACHED_DB, djangoLifetimeUndone, djangoWithLifetime } from './expiry.js';
import { djangoContent, readDjango, toDjangoRecord } from './read.js';

const CACHE_MARK = 'django.contrib.sessions.cache';
/** What may follow the prefix: Django's session keys (a-z0-9, at least 8: base.py _validate_session_key). */
const SESSION_KEY = /^[a-z0-9]{8,}$/;
/** SCAN's pattern for it: `cached_db<key>` keys do not match the `cache` prefix's (`d_db` is not 8 of a-z0-9). */
const KEY_GLOB = '[a-z0-9]'.repeat(8) + '*';

export const django: SessionLayout = {
  name: 'django',
  idLength: 32, // get_random_string(32)
  defaultPrefix: `:1:${CACHE_MARK}`,
  keyType: 'string',
  key: sessionKey,
  match: (prefix) => `${escapeGlob(prefix)}${KEY_GLOB}`,
  isSession(prefix) {
    const length = Buffer.byteLength(prefix);
    return (key) => SESSION_KEY.test(key.toString('latin1', length));
  },
  idOf: idAfter,
  cookie: {
    defaultName: 'sessionid',
    isBareValue: (text) => SESSION_KEY.test(text.replace(/^"|"$/g, '')),
    read(value) {
      const id = decodedCookieValue(value);
      if (!SESSION_KEY.test(id)) throw new UsageError('--cookie is not a Django sessionid cookie (a session key: a-z and 0-9)');
      validateSessionId(id);
      return {
        id,
        verify() {
          throw new UsageError(
            "Django's sessionid cookie is the session key itself, not signed: --cookie-secret-file does not apply to --layout django",
          );
        },
      };
    },
  },
  record: toDjangoRecord,
  jsonLine: lineOfRecord(toDjangoRecord),
  content: djangoContent,
  userPrefilter: pyUserPrefilter,
  withLifetime: djangoWithLifetime,
  lifetimeUndone: djangoLifetimeUndone,
  revokeIneffective(prefix) {
    if (!prefix.endsWith(CACHED_DB)) return undefined;
    return "Django's cached_db backend reloads a session whose cached copy is gone from its SQL table (django_session), so deleting the Redis key does not log the user out";
  },
  detect(key, raw) {
    const text = key.toString('latin1');
    const at = text.lastIndexOf(CACHE_MARK);
    if (at < 0) return undefined;
    const end = text.startsWith(CACHED_DB, at) ? at + CACHED_DB.length : at + CACHE_MARK.length;
    if (!SESSION_KEY.test(text.slice(end)) || typeof readDjango(raw) === 'string') return undefined;
    return { prefix: key.subarray(0, end).toString('utf8'), id: showId(key.subarray(end)) };
  },
  // django-redis saves with SET ... PX (a set event; a touch is an EXPIRE).
  writeEvents: ['set'],
  writeEventClasses: '$',
  touchEvents: ['expire'],
  touchEventClasses: 'g',
};
