/**
 * What the session commands need to know about how one framework keeps its sessions in Redis.
 * A layout declares; the walker (core/walk) and the session commands do every Redis call, the
 * batching and the topology. A layout's decoders take bytes and never throw: a value they
 * cannot read is a record marked unreadable. One folder per layout under layouts/; adding a
 * framework means adding a folder, not editing the walker (docs/development.md).
 *
 * A session is one key: a string, or a hash that reaches the layout packed into one value
 * (redis/hash-value.ts). What else a framework keeps beside it (Spring's shadow `expires:` keys,
 * expiration and principal index sets) the layout names as side operations, which the caller
 * applies after the session key's own atomic change (on a Cluster they live in other slots).
 */
import type { ValueKind } from '../redis/hash-value.js';
import type { Script } from '../redis/scripts.js';
import type { Needle } from '../walk/prefilter.js';

export interface SessionRecord {
  id: string;
  /** The user the session belongs to, or null when none of the user fields is present. */
  user: string | null;
  /** Where the layout stores one beside an opaque user id (Better Auth: the user's email): --user matches it too. */
  userName?: string | null;
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
  /** When the layout stores them (Spring): when the session was created and last used (ISO 8601). */
  createdAt?: string | null;
  lastAccessedAt?: string | null;
  /** When stored fields rather than the key's TTL decide expiry: which (Spring: "lastAccessedTime + maxInactiveInterval"). */
  expiresBy?: string;
  /** Set by the listing and show (not by the layouts): the layout's name and the session's key (shown form). */
  layout?: string;
  key?: string;
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
  /** The cookie's name when the application keeps the framework's default (--cookie-name). */
  readonly defaultName: string;
  /** Whether pasted text (trimmed, without a `Cookie:` prefix) is this cookie's bare value rather than a header. */
  isBareValue(text: string): boolean;
  /**
   * The session a cookie value as sent (URL-encoded or not) names, and a check of its signature
   * against the application's secrets (NegativeAnswer when none signed it). UsageError when the
   * value is not such a cookie.
   */
  read(value: string): { id: string; verify(secrets: string[]): void };
  /**
   * For a cookie that only the application's secrets fully read: gorilla's securecookie (its
   * MAC covers the cookie's name, and with a block key the id is encrypted) and Rails'
   * encrypted cookie jar. Undefined when the value is not such a cookie (then `read` and
   * `verify` apply); else the cookie's shape checked at once (UsageError), the id when it can
   * be read without the secrets, and `open`, which checks or decrypts it with one of the
   * secrets under the cookie's `name` (NegativeAnswer when none opens it) and returns the id.
   */
  readSealed?(value: string, name: string): { id: string | undefined; open(secrets: string[]): string } | undefined;
}

/**
 * A change to a key beside the session's own, applied after it, each on its own (the keys may
 * live on other Cluster nodes). Each is harmless when the key is already gone.
 */
export type SideOp =
  | { op: 'unlink'; key: Buffer }
  | { op: 'srem'; key: Buffer; member: Buffer }
  /** Add to a set and give the set a TTL (Spring's per-minute expiration sets). */
  | { op: 'sadd'; key: Buffer; member: Buffer; pexpireMs: number }
  /** A new TTL for a key that exists (PEXPIRE does nothing to a missing key). */
  | { op: 'pexpire'; key: Buffer; ms: number }
  /** A Lua script on one key (a read-modify-write of a JSON index, atomic on the server). */
  | { op: 'script'; key: Buffer; script: Script; args: Array<string | Buffer> };

/**
 * What a lifetime change writes, atomically with the key's TTL (`ttlMs`) and only if the
 * session is still the one read: a whole new string value, or hash fields to set. Then the
 * side operations (a shadow key's TTL, an expiration set's member).
 */
export interface LifetimePlan {
  value?: Buffer;
  fields?: Array<[field: Buffer, value: Buffer]>;
  /** The session key's new TTL; may exceed the lifetime (Spring's indexed repository keeps 5 minutes more). */
  ttlMs: number;
  /** Leave the key's TTL as it is (Auth.js sets none: adding one would be a lifetime the app never set). */
  keepTtl?: boolean;
  side: SideOp[];
  /** What the command's output should say about the change (e.g. which stored fields changed). */
  note?: string;
}

/**
 * A per-user index the framework keeps (Spring's principal set): a set whose members name the
 * user's sessions. Members are hints: a member whose session is gone or belongs to someone
 * else is stale, and is removed.
 */
export interface UserIndex {
  key: Buffer;
  /** The session id a member names, or undefined when the member cannot be read. */
  idOf(member: Buffer): string | undefined;
  /**
   * An index that is one stored value rather than a set (Better Auth's JSON list, Auth.js's
   * pointer): its members, and how to remove some (atomically, on the server).
   */
  value?: { members(raw: Buffer): Buffer[]; remove(members: Buffer[]): SideOp };
  /**
   * The index names some of the user's sessions, not all (Auth.js's pointer names the one
   * written last): revoke clears it and `session index prune` prunes it, but `--user` scans.
   */
  partial?: true;
}

/** Where a session was read: its prefix, id and the key's PTTL then. */
export interface StoredAt {
  prefix: string;
  id: string;
  pttlMs: number;
}

export interface SessionLayout {
  /** As `--layout` names it. */
  readonly name: string;
  /** Sessions' key prefix (or namespace) when --session-prefix is not given. */
  readonly defaultPrefix: string;
  /**
   * Characters in the session ids the framework makes by default (in their shown form): the
   * table's ID column is this wide, so an id an operator copies from it is never cut.
   */
  readonly idLength: number;
  /** The Redis type of a session key: SCAN's TYPE filter, and what a key of another type is not. */
  readonly keyType: ValueKind;
  /**
   * Every session the listing shows takes its expiry from the stored value, never from the
   * key's TTL: a readable value carries it, and isSessionValue leaves the others out as other
   * applications' keys. The listing then reads no PTTLs, which cost the server about a third of
   * its reads (Better Auth's 1M listing: 7.7-8.7 -> 7.1-7.4 s of wall time, interleaved).
   */
  readonly listsWithoutKeyTtl?: boolean;
  /** When stored fields rather than the key's TTL decide expiry: the rule, as the listing states it. */
  readonly expiryRule?: string;
  /**
   * Whether a key `match(prefix)` matched is a session rather than the layout's own bookkeeping
   * (Spring's `sessions:expires:<id>` shadow keys): others are skipped and not counted. Absent:
   * every matched key is a session (or a key of another type, counted as such).
   */
  isSession?(prefix: string): (key: Buffer) => boolean;
  /**
   * For layouts whose keys carry no prefix of their own (koa's UUIDs, Better Auth's tokens):
   * whether a value read is one of this layout's sessions. Others are another application's
   * keys of the same shape: skipped and not counted, and `revoke --all` reads every value to
   * delete only sessions.
   */
  isSessionValue?(raw: Buffer): boolean;
  /**
   * What else goes when a session goes, from the session as read (`raw`, a packed hash for a
   * hash layout) or, undefined, from its id alone (`revoke --all` does not read values).
   */
  revokeSide?(prefix: string, id: string, raw: Buffer | undefined): SideOp[];
  /**
   * Why deleting the sessions under `prefix` does not log their users out, when it does not
   * (Django's cached_db rebuilds a deleted session from SQL); undefined when deleting revokes.
   * `session revoke` then refuses before it deletes anything (exit 5) unless
   * --allow-ineffective-revoke is given.
   */
  revokeIneffective?(prefix: string): string | undefined;
  /** MATCH patterns of the index keys `revoke --all` deletes once the sessions are gone. */
  indexMatches?(prefix: string): string[];
  /**
   * `session layouts`: whether a key and its value (read as keyType) look like one of this
   * layout's sessions, whatever the prefix; then the prefix and the id. A heuristic on shape
   * and content: a prefix may be reported wrongly, never a key of another layout as a session.
   */
  detect(key: Buffer, raw: Buffer): { prefix: string; id: string } | undefined;
  /** The user an index key of `userIndex` indexes (`session index prune`), or undefined for another key. */
  indexOwner?(prefix: string, key: Buffer): string | undefined;
  /**
   * The layout with the application's secrets (--cookie-secret-file, one per line), for layouts
   * that can read more with them (Laravel: sessions stored encrypted with APP_KEY).
   */
  withSecrets?(secrets: string[]): SessionLayout;
  /** The index of a user's sessions, when the framework keeps one. */
  userIndex?(prefix: string, user: string): UserIndex;
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
    /** JSON members to end the object with (`,"layout":...,"key":...`), written before its closing brace. */
    tail?: string,
  ): string | undefined;
  /** The whole stored session for `session show`, or undefined when it cannot be read. */
  content(raw: Buffer): Record<string, unknown> | undefined;
  /**
   * A cheap byte test for `--user`, run by the server before the full decode: it must never
   * reject a value whose `record` names `user` (walk/prefilter.ts). NO_PREFILTER when none.
   */
  userPrefilter(user: string | undefined): Needle;
  /**
   * What to write for a new lifetime of `ttlMs` from `now`, so that the application's next
   * request does not undo it; `at` names the session and its key's TTL as read. Undefined when
   * the value is not one the layout can rewrite: then only the key's TTL changes.
   */
  withLifetime(raw: Buffer, ttlMs: number, now: number, at: StoredAt): LifetimePlan | undefined;
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
