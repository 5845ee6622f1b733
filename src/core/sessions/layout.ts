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
import type { LineInfo, SessionRecord } from './layouts/connect-redis/record.js';

export type { LineInfo, SessionRecord };

export interface SessionLayout {
  /** As `--layout` will name it. */
  readonly name: string;
  /** The Redis type of a session key: SCAN's TYPE filter, and what a key of another type is not. */
  readonly keyType: 'string';
  /** The key of a session id (its shown form, see redis/keys.ts showId) under `prefix`. */
  key(prefix: string, id: string): Buffer;
  /** SCAN MATCH pattern for every session key under `prefix` (user input escaped). */
  match(prefix: string): string;
  /** The session id (shown form) of a key that `match` matched. */
  id(prefix: string, key: Buffer): string;
  /** A stored value as a session record; sets `info` for the caller's counts. */
  record(id: string, raw: Buffer, pttlMs: number, userFields: readonly string[], now: number, info?: LineInfo): SessionRecord;
  /**
   * The NDJSON line of `record(...)` built straight from the bytes (the listing's fast path,
   * a million times per listing), or undefined when `onlyUser` is given and not its user.
   */
  jsonLine(id: string, raw: Buffer, pttlMs: number, userFields: readonly string[], now: number, onlyUser: string | undefined, info: LineInfo): string | undefined;
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
  /** Keyevents the application's write-back of a session publishes (`--hold` listens for them). */
  readonly writeEvents: readonly string[];
  /** notify-keyspace-events classes that publish `writeEvents` (with E, or A for all). */
  readonly writeEventClasses: string;
}
