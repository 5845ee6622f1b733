/**
 * Rails 6.1 sessions on the cache store (`config.session_store :cache_store`) over
 * RedisCacheStore: one string per session at `[<namespace>:]_session_id:2::<SHA-256 of the
 * cookie's id>` (actionpack session/cache_store.rb cache_key; RedisCacheStore's namespace_key
 * joins a namespace with `:`), holding `Marshal.dump` of an ActiveSupport::Cache::Entry:
 * `@value` the session Hash (Zlib-deflated Marshal with `@compressed` when its Marshal is 1 KB
 * or more: Entry#compress!), `@created_at` (epoch seconds, a Float) and `@expires_in` (seconds,
 * a Float, or nil), written with `SET ... PX expires_in`. The cache rejects an Entry whose
 * `@created_at + @expires_in` has passed (Entry#expired?), whatever the key's TTL, so that
 * decides expiry, and `ttl` rewrites those two Floats (only their bytes) with the TTL.
 *
 * Rails 6.1 writes the whole Entry again on each request that loads the session (with
 * `expire_after`, every request: Rack forces the write), from the app's configuration: the
 * `ttl` note says so. Rails 7's cache formats (its 7.0 and 7.1 coders) are not read.
 */
import { inflateSync } from 'node:zlib';
import { escapeGlob, showId } from '../../../redis/keys.js';
import { decodeMarshal, isMarshal, MARSHAL_LIMITS, type MarshalValue, type MObject } from '../../decode/marshal.js';
import { marshalFloat } from '../../decode/marshal-write.js';
import { idAfter, sessionKey } from '../../ids.js';
import { isoOrNull, keyExpiresAt, keyTtlSeconds, lineOfRecord, noteReadable, storedTtlSeconds, unreadableRecord } from '../../records.js';
import type { LineInfo, SessionLayout, SessionRecord } from '../../layout.js';
import { railsCookie } from './cookie.js';
import { privateKeyAt } from './keys.js';
import { asHash, railsContent, railsExtra, railsPrefilter, railsUser, readRailsSession, type RailsSession } from './session.js';

const ENTRY = 'ActiveSupport::Cache::Entry';
const COMPRESSED = Buffer.from('@compressed', 'latin1');

interface CacheEntry {
  session: RailsSession;
  /** Epoch seconds. */
  createdAt: number | undefined;
  /** Seconds; null: the Entry never expires. */
  expiresIn: number | null | undefined;
  version: MarshalValue | undefined;
  compressed: boolean;
  /** Where @created_at's and @expires_in's values sit in the stored bytes. */
  spans: Map<string, [number, number]>;
}

function ivar(obj: MObject, name: string): MarshalValue | undefined {
  for (const [n, v] of obj.ivars) if (n === name) return v;
  return undefined;
}

/** The session Hash of a compressed Entry: Zlib-inflated (bounded as the reader bounds a value), then Marshal. */
function inflated(value: MarshalValue | undefined): RailsSession | string {
  const bytes =
    typeof value === 'string'
      ? Buffer.from(value, 'latin1')
      : value !== null && typeof value === 'object' && value.kind === 'bytes'
        ? value.bytes
        : undefined;
  if (bytes === undefined) return 'a compressed Entry whose @value is not bytes';
  let plain: Buffer;
  try {
    plain = inflateSync(bytes, { maxOutputLength: MARSHAL_LIMITS.maxBytes });
  } catch {
    return `a compressed Entry that does not inflate (to at most ${MARSHAL_LIMITS.maxBytes} bytes)`;
  }
  if (!isMarshal(plain)) return 'a compressed Entry that is not Marshal';
  return readRailsSession(plain);
}

function readEntry(raw: Buffer): CacheEntry | string {
  if (!isMarshal(raw)) return 'not Ruby Marshal (Rails 7 cache formats are not read)';
  const decoded = decodeMarshal(raw);
  if (!decoded.ok) return `Marshal: ${decoded.reason}`;
  const obj = decoded.value;
  if (obj === null || typeof obj !== 'object' || obj.kind !== 'object' || obj.className !== ENTRY) return `not an ${ENTRY}`;
  const compressedFlag = ivar(obj, '@compressed');
  const compressed = compressedFlag !== undefined && compressedFlag !== null && compressedFlag !== false;
  let session: RailsSession | string;
  if (compressed) session = inflated(ivar(obj, '@value'));
  else {
    const hash = asHash(ivar(obj, '@value'));
    session = hash === undefined ? 'an Entry whose @value is not a Hash' : { serializer: 'marshal', hash };
  }
  if (typeof session === 'string') return session;
  const createdAt = ivar(obj, '@created_at');
  const expiresIn = ivar(obj, '@expires_in');
  const spans = new Map<string, [number, number]>();
  obj.ivars.forEach(([name], i) => spans.set(name, obj.spans[i] as [number, number]));
  return {
    session,
    createdAt: typeof createdAt === 'number' && Number.isFinite(createdAt) ? createdAt : undefined,
    expiresIn: expiresIn === null ? null : typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? expiresIn : undefined,
    version: ivar(obj, '@version'),
    compressed,
    spans,
  };
}

/** When the cache considers the Entry expired (epoch ms), or null when it never does. */
function entryExpiry(e: CacheEntry): number | null {
  return e.createdAt === undefined || typeof e.expiresIn !== 'number' ? null : (e.createdAt + e.expiresIn) * 1000;
}

function toRecord(id: string, raw: Buffer, pttlMs: number, fields: readonly string[], now: number, info?: LineInfo): SessionRecord {
  const e = readEntry(raw);
  if (typeof e === 'string') return unreadableRecord(id, pttlMs, now, e, info);
  const found = railsUser(e.session.hash, fields);
  noteReadable(info, found?.user === null ? found : undefined);
  const expiry = entryExpiry(e);
  const byTtl = expiry === null;
  return {
    id,
    user: found?.user ?? null,
    ttlSeconds: byTtl ? keyTtlSeconds(pttlMs) : storedTtlSeconds(expiry, now),
    expiresAt: byTtl ? keyExpiresAt(now, pttlMs) : isoOrNull(expiry),
    readable: true,
    extra: railsExtra(e.session.hash, found?.user === null ? undefined : found?.key),
    createdAt: isoOrNull(e.createdAt === undefined ? null : e.createdAt * 1000),
    ...(byTtl ? {} : { expiresBy: '@created_at + @expires_in' }),
  };
}

/** The stored bytes with the values at some spans replaced, every other byte kept. */
function splice(raw: Buffer, edits: Array<[span: [number, number], bytes: Buffer]>): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (const [[start, end], bytes] of [...edits].sort((a, b) => a[0][0] - b[0][0])) {
    parts.push(raw.subarray(from, start), bytes);
    from = end;
  }
  parts.push(raw.subarray(from));
  return Buffer.concat(parts);
}

const NOTE =
  "Rails 6.1's cache store writes the whole Entry back on each request that loads the session (with expire_after, every request), @created_at now and @expires_in and the TTL the app's expire_after: the new lifetime lasts until the user's next request (session ttl --hold re-applies it while it holds); session revoke ends a session for good.";

export const railsCache: SessionLayout = {
  name: 'rails-cache',
  idLength: 64, // the SHA-256 of the cookie's id, in hex
  defaultPrefix: '_session_id:2::',
  keyType: 'string',
  expiryRule: "the cache Entry's @created_at + @expires_in",
  key: sessionKey,
  match: (prefix) => `${escapeGlob(prefix)}*`,
  idOf: idAfter,
  cookie: railsCookie,
  record: toRecord,
  jsonLine: lineOfRecord(toRecord),
  content(raw) {
    const e = readEntry(raw);
    if (typeof e === 'string') return undefined;
    return {
      entry: {
        class: ENTRY,
        createdAt: isoOrNull(e.createdAt === undefined ? null : e.createdAt * 1000),
        expiresIn: e.expiresIn ?? null,
        compressed: e.compressed,
      },
      session: railsContent(e.session.hash),
    };
  },
  userPrefilter(user) {
    const needle = railsPrefilter(user);
    // A compressed Entry keeps the session deflated: its bytes show only that it is compressed.
    return needle.length === 0 ? needle : [...needle, COMPRESSED];
  },
  withLifetime(raw, ttlMs, now) {
    const e = readEntry(raw);
    if (typeof e === 'string') return undefined;
    const created = e.spans.get('@created_at');
    const expires = e.spans.get('@expires_in');
    if (created === undefined || expires === undefined || created[0] < 0 || expires[0] < 0) return undefined;
    const value = splice(raw, [
      [created, marshalFloat(now / 1000)],
      [expires, marshalFloat(ttlMs / 1000)],
    ]);
    return { value, ttlMs, side: [], note: NOTE };
  },
  lifetimeUndone(raw, pttlMs, ttlMs) {
    const e = readEntry(raw);
    if (typeof e === 'string') return false;
    return e.expiresIn !== ttlMs / 1000 || pttlMs < 0 || pttlMs > ttlMs + 1000;
  },
  detect(key, raw) {
    const at = privateKeyAt(key);
    if (at === undefined || typeof readEntry(raw) === 'string') return undefined;
    return { prefix: key.subarray(0, at).toString('utf8'), id: showId(key.subarray(at)) };
  },
  // RedisCacheStore writes with SET ... PX (a set and an expire event).
  writeEvents: ['set'],
  writeEventClasses: '$',
  touchEvents: [],
  touchEventClasses: '',
};
