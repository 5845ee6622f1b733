/**
 * Listing sessions: stream over SCAN with a bounded number of batches in flight, so memory
 * stays flat and the server is never blocked; a user's sessions through the layout's index
 * when the framework keeps one (user-index.ts).
 */
import { commandsOut, type Keyed } from '../redis/connection.js';
import { showId } from '../redis/keys.js';
import { safeJson } from '../json-safe.js';
import { scanAndProcess, type NodePace } from '../walk/bulk.js';
import { PREFETCH_BYTES, readPart, valueParts, type NodeReader } from '../walk/fetch-values.js';
import { opsFor } from '../walk/node-ops.js';
import { paceOldGeneration } from '../walk/gc-pacing.js';
import type { MasterNode, Topology } from '../redis/topology.js';
import type { LineInfo, SessionRecord, UserIndex } from './layout.js';
import { countOdd, isUsers, type OddUsers, type SessionScope } from './scope.js';
import { indexedSessions, userIndexOf, type IndexWalkStats } from './user-index.js';

export interface ListStats extends OddUsers {
  scanned: number;
  listed: number;
  unreadable: number;
  /** Keys under the prefix that are not of the layout's type (not sessions); skipped. */
  wrongType: number;
  /** Set when the user's sessions were found through the layout's index rather than a scan. */
  index?: IndexWalkStats;
  /** The layouts that listed a session (--layout auto walks several). */
  layouts?: Set<string>;
}

export interface ListOptions extends SessionScope {
  /** Only sessions of this user (exact match). */
  user?: string;
  /** Find the user's sessions by scanning even where the layout keeps an index (--scan). */
  scan?: boolean;
  limit?: number;
  stats?: ListStats;
  /** Called after every SCAN batch, listed or not (a --user scan may list none for seconds). */
  onScanned?: (stats: ListStats) => void;
}

export function emptyStats(): ListStats {
  return { scanned: 0, listed: 0, unreadable: 0, wrongType: 0, oddUser: 0 };
}

/**
 * Turns one stored session into what the caller streams (a record, an NDJSON line), or
 * undefined to leave it out (another user's); sets `info`.
 */
type Build<T> = (id: string, raw: Buffer, pttl: number, now: number, info: LineInfo) => T | undefined;

/**
 * Batches a listing reads ahead. The reads themselves are bounded by bytes (fetch-values.ts);
 * what is read ahead waits for the consumer, and past 4 batches it lived long enough to be
 * promoted to V8's old generation (peak RSS, docs/performance.md change 23).
 */
const LIST_DEPTH = 4;

/** The walk shared by listSessions and listSessionLines: scan (or the user's index), read values and TTLs, build, count. */
async function* walkSessions<T>(topology: Topology, opts: ListOptions, build: Build<T>): AsyncGenerator<T[]> {
  const stats = opts.stats ?? emptyStats();
  const limit = opts.limit ?? Infinity;
  if (limit <= 0) return;
  const index = opts.scan === true ? undefined : await userIndexOf(topology.keyed, opts, opts.user);
  if (index !== undefined) {
    yield* walkIndex(topology.keyed, opts, index, build, stats);
    return;
  }
  const ops = opsFor(topology);
  const { layout, prefix } = opts;
  paceOldGeneration(layout.keyType);
  const idOf = layout.idOf(prefix);
  const needle = layout.userPrefilter(opts.user);
  const isSessionValue = layout.isSessionValue?.bind(layout);
  const reader = (node: MasterNode, pace: NodePace): NodeReader => ({
    ops,
    client: node.client,
    kind: layout.keyType,
    budget: pace.budget,
    needle,
    ttls: layout.listsWithoutKeyTtl !== true,
  });
  const info: LineInfo = { readable: true };
  // Each batch reads ahead up to PREFETCH_BYTES of values; the loop below reads the rest.
  const work = (node: MasterNode, keys: Buffer[], pace: NodePace) => readPart(reader(node, pace), keys, 0, PREFETCH_BYTES);
  // A hash layout's keys share their pattern with its bookkeeping (Spring's expires: strings):
  // the server leaves those out (SCAN TYPE), so they cost neither a reply nor a read.
  const scan = { match: layout.match(prefix), readAhead: 1, ...(layout.keyType === 'hash' ? { type: 'hash' } : {}) };
  for await (const { node, pace, keys, result } of scanAndProcess(topology, scan, work, {
    depth: LIST_DEPTH,
    keep: layout.isSession?.(prefix),
  })) {
    stats.scanned += keys.length;
    const now = Date.now();
    let out: T[] = [];
    let outBytes = 0;
    parts: for await (const { start, end, pttls, raws } of valueParts(reader(node, pace), keys, result)) {
      for (let i = start; i < end; i += 1) {
        // Let replies in and the next reads out now and then: the bytes in flight are few
        // (fetch-values.ts), so the server idles while we hold the event loop for long.
        if ((i & 127) === 127) await commandsOut();
        const raw = raws[i - start];
        const pttl = pttls[i - start] ?? -2;
        if (raw === undefined) continue; // cannot be the user's
        if (raw === null) {
          // No value but the key exists: it is not of the layout's type. (-2: it expired meanwhile.)
          if (pttl !== -2) stats.wrongType += 1;
          continue;
        }
        if (isSessionValue !== undefined && !isSessionValue(raw)) continue; // another application's key
        const item = build(idOf(keys[i] as Buffer), raw, pttl, now, info);
        countOdd(stats, info);
        if (item === undefined) continue;
        if (!info.readable) stats.unreadable += 1;
        out.push(item);
        if (stats.listed + out.length >= limit) break parts;
        // Large values: hand over what is built before reading on, so memory stays flat.
        outBytes += raw.length;
        if (outBytes >= PREFETCH_BYTES) {
          stats.listed += out.length;
          yield out;
          out = [];
          outBytes = 0;
        }
      }
    }
    stats.listed += out.length;
    opts.onScanned?.(stats);
    if (out.length > 0) {
      (stats.layouts ??= new Set()).add(layout.name);
      yield out;
    }
    if (stats.listed >= limit) return;
  }
}

/** A user's sessions through the index. A listing only reads: stale members stay (revoke and `session index prune` remove them). */
async function* walkIndex<T>(redis: Keyed, opts: ListOptions, index: UserIndex, build: Build<T>, stats: ListStats): AsyncGenerator<T[]> {
  const limit = opts.limit ?? Infinity;
  const { layout } = opts;
  const info: LineInfo = { readable: true };
  const indexStats: IndexWalkStats = (stats.index = { members: 0, pruned: 0 });
  const belongs = (raw: Buffer) => {
    if (layout.isSessionValue?.(raw) === false) return false;
    const record = layout.record('', raw, -1, opts.userFields, 0, info);
    return record.readable ? isUsers(record, opts.user as string) : undefined;
  };
  for await (const found of indexedSessions(redis, opts, index, belongs, { dryRun: true, stats: indexStats })) {
    stats.scanned = indexStats.members;
    const now = Date.now();
    const out: T[] = [];
    for (const s of found) {
      const item = build(s.id, s.raw, s.pttl, now, info);
      countOdd(stats, info);
      if (item === undefined) continue;
      out.push(item);
      if (stats.listed + out.length >= limit) break;
    }
    stats.listed += out.length;
    opts.onScanned?.(stats);
    if (out.length > 0) {
      (stats.layouts ??= new Set()).add(layout.name);
      yield out;
    }
    if (stats.listed >= limit) return;
  }
  stats.scanned = indexStats.members;
}

/** A session's key as shown (redis/keys.ts showId), from its id: the shown prefix part once per walk. */
function keyTexts(scope: SessionScope): (id: string) => string {
  const head = showId(scope.layout.key(scope.prefix, ''));
  return (id) => `${head}${id}`;
}

/** Every session under the prefix (optionally of one user), streamed one batch at a time, each with its layout and key. */
export function listSessions(topology: Topology, opts: ListOptions): AsyncGenerator<SessionRecord[]> {
  const keyOf = keyTexts(opts);
  return walkSessions(topology, opts, (id, raw, pttl, now, info) => {
    const record = opts.layout.record(id, raw, pttl, opts.userFields, now, info);
    if (opts.user !== undefined && !isUsers(record, opts.user)) return undefined;
    record.layout = opts.layout.name;
    record.key = keyOf(id);
    return record;
  });
}

/**
 * The same sessions as listSessions, as their NDJSON lines (`recordJsonLine` of each record),
 * built straight from the stored value: the fast path of `session list --json`.
 */
export function listSessionLines(topology: Topology, opts: ListOptions): AsyncGenerator<string[]> {
  // The two members every layout's lines end with: the layout, and the key, whose prefix part
  // is quoted once (safe for a terminal: json-safe.ts) and whose id (in its shown form, showId:
  // no control or format characters) needs quoting only for a quote or backslash.
  const head = JSON.stringify(showId(opts.layout.key(opts.prefix, '')));
  const tail = safeJson(`,"layout":${JSON.stringify(opts.layout.name)},"key":${head.slice(0, -1)}`);
  return walkSessions(topology, opts, (id, raw, pttl, now, info) =>
    opts.layout.jsonLine(
      id,
      raw,
      pttl,
      opts.userFields,
      now,
      opts.user,
      info,
      `${tail}${PLAIN_ID.test(id) ? id : JSON.stringify(id).slice(1, -1)}"`,
    ),
  );
}

/** An id JSON quotes as it is. */
const PLAIN_ID = /^[^"\\]*$/;
