/**
 * Rails sessions in Redis through redis-actionpack / redis-rack (`config.session_store
 * :redis_store`) and redis-session-store (`:redis_session_store`): one string per session at
 * `<namespace>:2::<SHA-256 of the cookie's id>` (redis-rack: namespace `rack:session` by default,
 * redis-store's Namespace joins it with `:`) or `<key_prefix>2::<SHA-256>` (redis-session-store:
 * key_prefix empty by default), holding the session Hash in Ruby Marshal, or JSON
 * (redis-session-store's `:json` and `:hybrid` serializers). The layout's prefix is everything
 * before the hash, `2::` included: `rack:session:2::` by default, `2::` for redis-session-store.
 *
 * The lifetime is the key's TTL alone: both stores write the session back with
 * `SETEX expire_after` (redis-store's ttl.rb; redis-session-store's set_session) on every request
 * that has one (Rack's force_options? includes :expire_after), so a changed TTL lasts until the
 * user's next request, which the `ttl` note says. A revoke deletes the key: the next request with
 * that cookie finds no session and starts an anonymous one (redis-rack find_session).
 */
import { escapeGlob, showId } from '../../../redis/keys.js';
import { idAfter, sessionKey } from '../../ids.js';
import { ttlRecord, noteReadable, lineOfRecord, unreadableRecord } from '../../records.js';
import type { LineInfo, SessionLayout, SessionRecord } from '../../layout.js';
import { railsCookie } from './cookie.js';
import { privateKeyAt } from './keys.js';
import { railsContent, railsExtra, railsPrefilter, railsUser, readRailsSession } from './session.js';

function toRecord(id: string, raw: Buffer, pttlMs: number, fields: readonly string[], now: number, info?: LineInfo): SessionRecord {
  const session = readRailsSession(raw);
  if (typeof session === 'string') return unreadableRecord(id, pttlMs, now, session, info);
  const found = railsUser(session.hash, fields);
  noteReadable(info, found?.user === null ? found : undefined);
  return ttlRecord(id, found?.user ?? null, pttlMs, now, railsExtra(session.hash, found?.user === null ? undefined : found?.key));
}

const NOTE =
  "Rails' Redis session stores write a session back on each request that loads it, with the app's expire_after as its TTL (none without one): the new lifetime lasts until the user's next request (session ttl --hold re-applies it while it holds); session revoke ends a session for good.";

export const rails: SessionLayout = {
  name: 'rails',
  idLength: 64, // the SHA-256 of the cookie's id, in hex
  defaultPrefix: 'rack:session:2::',
  keyType: 'string',
  key: sessionKey,
  match: (prefix) => `${escapeGlob(prefix)}*`,
  idOf: idAfter,
  cookie: railsCookie,
  record: toRecord,
  jsonLine: lineOfRecord(toRecord),
  content(raw) {
    const session = readRailsSession(raw);
    return typeof session === 'string' ? undefined : railsContent(session.hash);
  },
  userPrefilter: railsPrefilter,
  withLifetime(raw, ttlMs) {
    // Nothing in the value says when it expires: the plan is the TTL alone, and what the app does next.
    return typeof readRailsSession(raw) === 'string' ? undefined : { ttlMs, side: [], note: NOTE };
  },
  lifetimeUndone: (_raw, pttlMs, ttlMs) => pttlMs < 0 || pttlMs > ttlMs + 1000,
  detect(key, raw) {
    const at = privateKeyAt(key);
    if (at === undefined) return undefined;
    if (typeof readRailsSession(raw) === 'string') return undefined;
    return { prefix: key.subarray(0, at).toString('utf8'), id: showId(key.subarray(at)) };
  },
  // redis-store and redis-session-store save with SETEX (a set and an expire event).
  writeEvents: ['set'],
  writeEventClasses: '$',
  touchEvents: [],
  touchEventClasses: '',
};
