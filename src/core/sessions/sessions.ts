/**
 * Sessions in Redis, as connect-redis stores them: a string key `<prefix><id>` with a TTL.
 * Listing and bulk revocation stream over SCAN with a bounded number of batches in flight,
 * so memory stays flat and the server is never blocked.
 */
import { runScript, script } from '../redis/scripts.js';
import { createHash } from 'node:crypto';
import { BadDataError, ConflictError, NegativeAnswer } from '../errors.js';
import { bytesView } from '../redis/bytes.js';
import type { Keyed } from '../redis/connection.js';
import { scanAndProcess, type NodePace } from '../walk/bulk.js';
import { PREFETCH_BYTES, readPart, valueParts, type NodeReader } from '../walk/fetch-values.js';
import { opsFor } from '../walk/node-ops.js';
import type { MasterNode, Topology } from '../redis/topology.js';
import type { LineInfo, SessionLayout, SessionRecord } from './layout.js';

export interface SessionScope {
  /** How the application keeps its sessions (layout.ts). */
  layout: SessionLayout;
  prefix: string;
  userFields: readonly string[];
}

/** Sessions whose first present user field held a value naming no user (see sessionUser). */
export interface OddUsers {
  oddUser: number;
  /** The field and what it held, in the first such session: for the hint. */
  oddUserField?: string;
  oddUserShape?: string;
}

export interface ListStats extends OddUsers {
  scanned: number;
  listed: number;
  unreadable: number;
  /** Keys under the prefix that are not strings (not sessions); skipped. */
  wrongType: number;
}

/** What names one session's key: the layout and the prefix. */
export type KeyScope = Pick<SessionScope, 'layout' | 'prefix'>;

export interface ListOptions extends SessionScope {
  /** Only sessions of this user (exact match). */
  user?: string;
  limit?: number;
  stats?: ListStats;
  /** Called after every SCAN batch, listed or not (a --user scan may list none for seconds). */
  onScanned?: (stats: ListStats) => void;
}

export function emptyStats(): ListStats {
  return { scanned: 0, listed: 0, unreadable: 0, wrongType: 0, oddUser: 0 };
}

function countOdd(into: OddUsers, info: LineInfo): void {
  if (info.oddUserField === undefined) return;
  into.oddUser += 1;
  into.oddUserField ??= info.oddUserField;
  into.oddUserShape ??= info.oddUserShape;
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

/** The walk shared by listSessions and listSessionLines: scan, read values and TTLs, build, count. */
async function* walkSessions<T>(topology: Topology, opts: ListOptions, build: Build<T>): AsyncGenerator<T[]> {
  const stats = opts.stats ?? emptyStats();
  const limit = opts.limit ?? Infinity;
  if (limit <= 0) return;
  const ops = opsFor(topology);
  const { layout, prefix } = opts;
  const idOf = layout.idOf(prefix);
  const needle = layout.userPrefilter(opts.user);
  const reader = (node: MasterNode, pace: NodePace): NodeReader => ({ ops, client: node.client, budget: pace.budget, needle, ttls: true });
  const info: LineInfo = { readable: true };
  // Each batch reads ahead up to PREFETCH_BYTES of values; the loop below reads the rest.
  const work = (node: MasterNode, keys: Buffer[], pace: NodePace) => readPart(reader(node, pace), keys, 0, PREFETCH_BYTES);
  for await (const { node, pace, keys, result } of scanAndProcess(topology, { match: layout.match(prefix), readAhead: 1 }, work, {
    depth: LIST_DEPTH,
  })) {
    stats.scanned += keys.length;
    const now = Date.now();
    let out: T[] = [];
    let outBytes = 0;
    parts: for await (const { start, end, pttls, raws } of valueParts(reader(node, pace), keys, result)) {
      for (let i = start; i < end; i += 1) {
        // Let replies in and the next reads out now and then: the bytes in flight are few
        // (fetch-values.ts), so the server idles while we hold the event loop for long.
        if ((i & 127) === 127) await new Promise<void>((resume) => setImmediate(resume));
        const raw = raws[i - start];
        const pttl = pttls[i - start] ?? -2;
        if (raw === undefined) continue; // cannot be the user's
        if (raw === null) {
          // No value but the key exists: it is not a string. (-2: it expired meanwhile.)
          if (pttl !== -2) stats.wrongType += 1;
          continue;
        }
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
    if (out.length > 0) yield out;
    if (stats.listed >= limit) return;
  }
}

/** Every session under the prefix (optionally of one user), streamed one batch at a time. */
export function listSessions(topology: Topology, opts: ListOptions): AsyncGenerator<SessionRecord[]> {
  return walkSessions(topology, opts, (id, raw, pttl, now, info) => {
    const record = opts.layout.record(id, raw, pttl, opts.userFields, now, info);
    return opts.user !== undefined && record.user !== opts.user ? undefined : record;
  });
}

/**
 * The same sessions as listSessions, as their NDJSON lines (`recordJsonLine` of each record),
 * built straight from the stored JSON: the fast path of `session list --json`.
 */
export function listSessionLines(topology: Topology, opts: ListOptions): AsyncGenerator<string[]> {
  return walkSessions(topology, opts, (id, raw, pttl, now, info) =>
    opts.layout.jsonLine(id, raw, pttl, opts.userFields, now, opts.user, info),
  );
}

export interface RevokeProgress extends OddUsers {
  scanned: number;
  matched: number;
  revoked: number;
  /** True when a stop was requested (Ctrl-C) and the walk ended early. */
  interrupted: boolean;
}

export interface BulkRevokeOptions extends SessionScope {
  /** Revoke only this user's sessions; undefined means every session under the prefix. */
  user?: string;
  dryRun: boolean;
  /** Checked between batches: once aborted, the batches in flight finish and the walk stops. */
  signal?: AbortSignal;
  /** Called after each batch with the ids that were (or, dry-run, would be) revoked. */
  onBatch?: (ids: string[], progress: RevokeProgress) => void;
}

/**
 * Revoke a user's sessions, or all of them. Deletes with UNLINK (freeing happens off the
 * main thread); `revoked` counts keys UNLINK actually removed, so a session that expired
 * in between is not counted.
 */
export async function revokeMatching(topology: Topology, opts: BulkRevokeOptions): Promise<RevokeProgress> {
  const progress: RevokeProgress = { scanned: 0, matched: 0, revoked: 0, interrupted: false, oddUser: 0 };
  const ops = opsFor(topology);
  const { layout, prefix, user } = opts;
  const idOf = layout.idOf(prefix);
  const needle = layout.userPrefilter(user);
  const info: LineInfo = { readable: true };
  const belongs = (raw: Buffer | null | undefined): boolean => {
    if (!raw) return false;
    const owner = layout.record('', raw, -1, opts.userFields, 0, info).user;
    countOdd(progress, info);
    return owner === user;
  };

  // One batch: pick the targets, delete them. Runs with a few batches in flight. Values are
  // read in byte-bounded parts (fetch-values.ts), prefiltered by the server, dropped once matched.
  const work = async (node: MasterNode, keys: Buffer[], pace: NodePace) => {
    let targets = keys;
    if (user !== undefined) {
      targets = [];
      for await (const { start, end, raws } of valueParts({ ops, client: node.client, budget: pace.budget, needle, ttls: false }, keys)) {
        for (let i = start; i < end; i += 1) if (belongs(raws[i - start])) targets.push(keys[i] as Buffer);
      }
    }
    const removed = targets.length === 0 || opts.dryRun ? 0 : await ops.unlink(node.client, targets);
    return { targets, removed };
  };
  // Revoking everything needs no values: let the server keep only strings.
  const scan = { match: layout.match(prefix), ...(user === undefined ? { type: layout.keyType } : {}) };
  // On abort, scanAndProcess starts no new batch but still hands over those in flight, whose
  // UNLINKs may have run: counting them keeps `revoked` exactly what is gone.
  // Revoking everything frees each batch as it goes, more than the walk takes: it keeps its
  // pace near maxmemory (headroom.ts), where an incident needs it most.
  const walk = { stop: opts.signal, ignoreHeadroom: user === undefined };
  for await (const { keys, result } of scanAndProcess(topology, scan, work, walk)) {
    progress.scanned += keys.length;
    progress.matched += result.targets.length;
    progress.revoked += result.removed;
    opts.onBatch?.(result.targets.map(idOf), progress);
  }
  progress.interrupted = opts.signal?.aborted === true;
  return progress;
}

export interface IdRevokeResult {
  revoked: string[];
  missing: string[];
  /** Keys that exist but are not strings, so not sessions: left alone. */
  notSessions: string[];
}

/** UNLINK only a key of the layout's type (ARGV[1]). 1 = revoked, 0 = no such key, -1 = another type (kept). */
const UNLINK_SESSION = script(`
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then return 0 end
if t ~= ARGV[1] then return -1 end
return redis.call('UNLINK', KEYS[1])`);

/** With dryRun, the same answer without deleting. */
const PROBE_SESSION = script(`
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then return 0 end
if t ~= ARGV[1] then return -1 end
return 1`);

export async function revokeIds(redis: Keyed, scope: KeyScope, ids: string[], dryRun: boolean): Promise<IdRevokeResult> {
  const probe = dryRun ? PROBE_SESSION : UNLINK_SESSION;
  const found = await Promise.all(
    ids.map(async (id) => Number(await runScript(redis, probe, [scope.layout.key(scope.prefix, id)], [scope.layout.keyType]))),
  );
  return {
    revoked: ids.filter((_, i) => found[i] === 1),
    missing: ids.filter((_, i) => found[i] === 0),
    notSessions: ids.filter((_, i) => found[i] === -1),
  };
}

export interface TtlInfo {
  id: string;
  ttlSeconds: number;
  expiresAt: string | null;
}

/** "session X not found": naming the key looked for, so a wrong --session-prefix shows. */
export function notFound(prefix: string, id: string): NegativeAnswer {
  return new NegativeAnswer(`session ${id} not found (no key ${prefix}${id})`, {
    hint: 'check --session-prefix (REDIS_ACCOUNTS_SESSION_PREFIX) and --url',
  });
}

export function notASession(scope: KeyScope, id: string, type: string): BadDataError {
  return new BadDataError(`${scope.prefix}${id} is a ${type}, not a session (a ${scope.layout.keyType})`);
}

export async function getTtl(redis: Keyed, scope: KeyScope, id: string): Promise<TtlInfo> {
  const { layout, prefix } = scope;
  const key = layout.key(prefix, id);
  const [type, pttlReply] = await Promise.all([redis.type(key), redis.pTTL(key)]);
  const pttl = Number(pttlReply);
  if (type === 'none' || pttl === -2) throw notFound(prefix, id);
  if (type !== layout.keyType) throw notASession(scope, id, type);
  return {
    id,
    ttlSeconds: pttl < 0 ? -1 : Math.ceil(pttl / 1000),
    expiresAt: pttl < 0 ? null : new Date(Date.now() + pttl).toISOString(),
  };
}

/**
 * Compare-and-set of a session's value and TTL: applies only if the value is still the one
 * we read (same SHA-1), never creates the key. 1 = set, 0 = changed meanwhile, -2 = gone.
 * ARGV[2] empty means "not an express-session object: change only the TTL".
 */
const SET_LIFETIME = script(`
local v = redis.call('GET', KEYS[1])
if not v then return -2 end
if redis.sha1hex(v) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1`);

const SET_TTL_ATTEMPTS = 5;

export interface SetTtlResult extends TtlInfo {
  /** Whether cookie.expires/originalMaxAge were rewritten (an express-session value). */
  cookieUpdated: boolean;
}

/**
 * Give a session a new lifetime that survives the user's next request (see withLifetime).
 * Retries when the application writes the session in between; exit 4 if it keeps doing so.
 */
export async function setTtl(redis: Keyed, scope: KeyScope, id: string, seconds: number): Promise<SetTtlResult> {
  const { layout, prefix } = scope;
  const key = layout.key(prefix, id);
  const ttlMs = seconds * 1000;
  // Bytes in, bytes out: the digest must be of the bytes Redis holds, and the rewrite keeps
  // every byte but the cookie's two values (a value need not be UTF-8).
  const bytes = bytesView(redis);
  for (let attempt = 0; attempt < SET_TTL_ATTEMPTS; attempt += 1) {
    let raw: Buffer | null;
    try {
      raw = (await bytes.get(key)) as unknown as Buffer | null;
    } catch (err) {
      if (err instanceof Error && /^WRONGTYPE/.test(err.message)) throw notASession(scope, id, String(await redis.type(key)));
      throw err;
    }
    if (raw === null) throw notFound(prefix, id);
    const now = Date.now();
    const next = layout.withLifetime(raw, ttlMs, now);
    const digest = createHash('sha1').update(raw).digest('hex');
    const result = await runScript(redis, SET_LIFETIME, [key], [digest, next ?? '', String(ttlMs)]);
    if (result === -2) throw notFound(prefix, id);
    if (result === 1) {
      return { id, ttlSeconds: seconds, expiresAt: new Date(now + ttlMs).toISOString(), cookieUpdated: next !== undefined };
    }
  }
  throw new ConflictError(`session ${id} kept changing while its TTL was being set; nothing was written`, { hint: 'try again' });
}
