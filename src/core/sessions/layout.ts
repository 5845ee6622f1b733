/**
 * What the session commands need to know about how one framework keeps its sessions in Redis.
 * A layout declares; the walker (core/walk) and the session commands do every Redis call, the
 * batching and the topology. A layout's decoders take bytes and never throw: a value they
 * cannot read is a record marked unreadable. One folder per layout under layouts/; adding a
 * framework means adding a folder, not editing the walker (docs/development.md).
 *
 * What a layout may need and connect-redis does not (side keys fetched per session, per-user
 * index sets to clean on revoke, a hash instead of a string) joins this interface with the first
 * layout that needs it, so that nothing here is declared and never called.
 */
import type { Needle } from '../walk/prefilter.js';

export interface SessionRecord {
  id: string;
  /** The user the session belongs to, or null when none of the user fields is present. */
  user: string | null;
  /** Seconds left; -1 when the key has no expiry. */
  ttlSeconds: number;
  /** When Redis will drop the key (ISO 8601), or null without expiry. */
  expiresAt: string | null;
  /** false when the layout cannot read the value; user and extra are then null. */
  readable: boolean;
  /** What the session holds beyond its user and lifetime (e.g. ip, userAgent), when anything. */
  extra: Record<string, unknown> | null;
  /** Why the value is unreadable (only on unreadable records; not a --json field of the listing). */
  unreadable?: string;
}

/**
 * Set by the record builders for their caller's statistics (an out-parameter: no object per
 * session in a listing of millions).
 */
export interface LineInfo {
  readable: boolean;
  /** Why not, when `readable` is false. */
  unreadable?: string;
  /** The user field that held a value naming no user (see sessionUser), if any. */
  oddUserField?: string;
  /** What that field held ("an object", ...). */
  oddUserShape?: string;
}

/** The framework's session cookie: what a responder may paste to name a session (--cookie). */
export interface SessionCookie {
  /** Whether pasted text (trimmed, without a `Cookie:` prefix) is this cookie's bare value rather than a header. */
  isBareValue(text: string): boolean;
  /**
   * The session a cookie value as sent (URL-encoded or not) names, and a check of its signature
   * against the application's secrets (NegativeAnswer when none signed it). UsageError when the
   * value is not such a cookie.
   */
  read(value: string): { id: string; verify(secrets: string[]): void };
}

export interface SessionLayout {
  /** As `--layout` will name it. */
  readonly name: string;
  /** The Redis type of a session key: SCAN's TYPE filter, and what a key of another type is not. */
  readonly keyType: 'string';
  /** The key of a session id (its shown form, see redis/keys.ts showId) under `prefix`. */
  key(prefix: string, id: string): Buffer;
  /** SCAN MATCH pattern for every session key under `prefix` (user input escaped). */
  match(prefix: string): string;
  /** How the application's session cookie names a session. */
  readonly cookie: SessionCookie;
  /**
   * The session id (shown form) of a key that `match(prefix)` matched: made once per walk and
   * called once per key (a listing calls it a million times).
   */
  idOf(prefix: string): (key: Buffer) => string;
  /** A stored value as a session record; sets `info` for the caller's counts. */
  record(id: string, raw: Buffer, pttlMs: number, userFields: readonly string[], now: number, info?: LineInfo): SessionRecord;
  /**
   * The NDJSON line of `record(...)` built straight from the bytes (the listing's fast path,
   * a million times per listing), or undefined when `onlyUser` is given and not its user.
   */
  jsonLine(
    id: string,
    raw: Buffer,
    pttlMs: number,
    userFields: readonly string[],
    now: number,
    onlyUser: string | undefined,
    info: LineInfo,
  ): string | undefined;
  /** The whole stored session for `session show`, or undefined when it cannot be read. */
  content(raw: Buffer): Record<string, unknown> | undefined;
  /**
   * A cheap byte test for `--user`, run by the server before the full decode: it must never
   * reject a value whose `record` names `user` (walk/prefilter.ts). NO_PREFILTER when none.
   */
  userPrefilter(user: string | undefined): Needle;
  /**
   * The stored value with a new lifetime of `ttlMs`, written together with the key's TTL so
   * the application's next request does not undo it; undefined when only the TTL can change.
   */
  withLifetime(raw: Buffer, ttlMs: number, now: number): Buffer | undefined;
  /**
   * Whether a stored session no longer has the lifetime `ttlMs` that was set: a request that
   * began before the change wrote back the old one (`session ttl --hold` sets it again).
   */
  lifetimeUndone(raw: Buffer, pttlMs: number, ttlMs: number): boolean;
  /** Keyevents the application's write-back of a session publishes (`--hold` listens for them). */
  readonly writeEvents: readonly string[];
  /** notify-keyspace-events classes that publish `writeEvents` (with E, or A for all). */
  readonly writeEventClasses: string;
  /** Keyevents of a touch: the application renews a session's TTL without writing it. */
  readonly touchEvents: readonly string[];
  readonly touchEventClasses: string;
}
