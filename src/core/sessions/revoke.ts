/**
 * Revoking sessions: by id, a user's, or all of them. The session key goes first, with UNLINK
 * (freed off the main thread); then what the framework keeps beside it (layout.revokeSide: a
 * shadow key, index members), so that nothing brings the session back or lies about it. A
 * failure in between leaves at worst a stale index member, which the frameworks already treat
 * as a hint and `revoke` prunes; never a live session missing from its user's index.
 */
import type { Keyed } from '../redis/connection.js';
import { readValue } from '../redis/hash-value.js';
import { runScript, script } from '../redis/scripts.js';
import type { MasterNode, Topology } from '../redis/topology.js';
import { scanAndProcess, type NodePace } from '../walk/bulk.js';
import { valueParts } from '../walk/fetch-values.js';
import { opsFor } from '../walk/node-ops.js';
import { paceOldGeneration } from '../walk/gc-pacing.js';
import type { LineInfo, SideOp } from './layout.js';
import { countOdd, isUsers, type KeyScope, type OddUsers, type SessionScope } from './scope.js';
import { applySide } from './side-ops.js';
import { indexedSessions, userIndexOf, type IndexWalkStats } from './user-index.js';

export interface RevokeProgress extends OddUsers {
  scanned: number;
  matched: number;
  revoked: number;
  /** True when a stop was requested (Ctrl-C) and the walk ended early. */
  interrupted: boolean;
  /** Set when the user's sessions were found through the layout's index rather than a scan. */
  index?: IndexWalkStats;
}

export interface BulkRevokeOptions extends SessionScope {
  /** Revoke only this user's sessions; undefined means every session under the prefix. */
  user?: string;
  /** Find the user's sessions by scanning even where the layout keeps an index (--scan). */
  scan?: boolean;
  dryRun: boolean;
  /** Checked between batches: once aborted, the batches in flight finish and the walk stops. */
  signal?: AbortSignal;
  /** Called after each batch with the ids that were (or, dry-run, would be) revoked. */
  onBatch?: (ids: string[], progress: RevokeProgress) => void;
}

/**
 * Revoke a user's sessions, or all of them. `revoked` counts session keys UNLINK actually
 * removed, so a session that expired in between is not counted.
 */
export async function revokeMatching(topology: Topology, opts: BulkRevokeOptions): Promise<RevokeProgress> {
  const progress: RevokeProgress = { scanned: 0, matched: 0, revoked: 0, interrupted: false, oddUser: 0 };
  const { layout, prefix, user } = opts;
  const info: LineInfo = { readable: true };
  /** Whether a value read is a session of `user` (undefined: unreadable, so it cannot be told). */
  const isTarget = (raw: Buffer): boolean | undefined => {
    if (layout.isSessionValue?.(raw) === false) return false;
    if (user === undefined) return true;
    const record = layout.record('', raw, -1, opts.userFields, 0, info);
    countOdd(progress, info);
    return record.readable ? isUsers(record, user) : undefined;
  };
  const index = opts.scan === true ? undefined : await userIndexOf(topology.keyed, opts, user);
  if (index !== undefined) {
    progress.index = { members: 0, pruned: 0 };
    for await (const found of indexedSessions(topology.keyed, opts, index, isTarget, { dryRun: opts.dryRun, stats: progress.index })) {
      if (opts.signal?.aborted === true) break;
      progress.scanned = progress.index.members;
      progress.matched += found.length;
      if (!opts.dryRun) {
        const removed = await Promise.all(found.map((s) => topology.keyed.unlink(s.key)));
        progress.revoked += removed.reduce<number>((n, r) => n + Number(r), 0);
        await applySide(
          topology.keyed,
          found.flatMap((s) => layout.revokeSide?.(prefix, s.id, s.raw) ?? []),
        );
      }
      opts.onBatch?.(
        found.map((s) => s.id),
        progress,
      );
    }
    progress.scanned = progress.index.members;
    progress.interrupted = opts.signal?.aborted === true;
    return progress;
  }

  const ops = opsFor(topology);
  const idOf = layout.idOf(prefix);
  const needle = layout.userPrefilter(user);
  // One batch: pick the targets, delete them and what goes with them. Runs with a few batches
  // in flight. Values are read in byte-bounded parts (fetch-values.ts), prefiltered by the
  // server, dropped once matched.
  const work = async (node: MasterNode, keys: Buffer[], pace: NodePace) => {
    let targets = keys;
    const side: SideOp[] = [];
    // A user's sessions are told by their values; so are all sessions of a layout whose keys
    // have no prefix of their own (another application's key may have the same shape).
    if (user !== undefined || layout.isSessionValue !== undefined) {
      targets = [];
      const reader = { ops, client: node.client, kind: layout.keyType, budget: pace.budget, needle, ttls: false };
      for await (const { start, end, raws } of valueParts(reader, keys)) {
        for (let i = start; i < end; i += 1) {
          const raw = raws[i - start];
          if (!raw || isTarget(raw) !== true) continue;
          const key = keys[i] as Buffer;
          targets.push(key);
          if (layout.revokeSide) side.push(...layout.revokeSide(prefix, idOf(key), raw));
        }
      }
    } else if (layout.revokeSide) {
      for (const key of keys) side.push(...layout.revokeSide(prefix, idOf(key), undefined));
    }
    if (targets.length === 0 || opts.dryRun) return { targets, removed: 0 };
    const removed = await ops.unlink(node.client, targets);
    await applySide(topology.keyed, side);
    return { targets, removed };
  };
  // Revoking everything needs no values: let the server keep only keys of the layout's type.
  const scan = { match: layout.match(prefix), ...(user === undefined ? { type: layout.keyType } : {}) };
  // On abort, scanAndProcess starts no new batch but still hands over those in flight, whose
  // UNLINKs may have run: counting them keeps `revoked` exactly what is gone.
  // Revoking everything frees each batch as it goes, more than the walk takes: it keeps its
  // pace near maxmemory (headroom.ts), where an incident needs it most.
  const walk = { stop: opts.signal, ignoreHeadroom: user === undefined, keep: layout.isSession?.(prefix) };
  paceOldGeneration(layout.keyType);
  for await (const { keys, result } of scanAndProcess(topology, scan, work, walk)) {
    progress.scanned += keys.length;
    progress.matched += result.targets.length;
    progress.revoked += result.removed;
    opts.onBatch?.(result.targets.map(idOf), progress);
  }
  progress.interrupted = opts.signal?.aborted === true;
  // Every session gone: the framework's indexes of them are stale as a whole.
  if (user === undefined && !opts.dryRun && !progress.interrupted) await dropIndexes(topology, opts);
  return progress;
}

/** After `revoke --all`: unlink the layout's index keys (layout.indexMatches). */
async function dropIndexes(topology: Topology, scope: KeyScope): Promise<void> {
  const matches = scope.layout.indexMatches?.(scope.prefix) ?? [];
  const ops = opsFor(topology);
  for (const match of matches) {
    for await (const batch of scanAndProcess(topology, { match }, (node, keys) => ops.unlink(node.client, keys), {
      ignoreHeadroom: true,
    })) {
      void batch;
    }
  }
}

export interface IdRevokeResult {
  revoked: string[];
  missing: string[];
  /** Keys that exist but are not of the layout's type, so not sessions: left alone. */
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

/**
 * Revoke one session by id: 1 revoked, 0 no such key, -1 a key of another type (kept). A
 * layout with side keys reads the session first: what goes with it is named inside it.
 */
export async function revokeOne(redis: Keyed, scope: KeyScope, id: string, dryRun: boolean, applied?: SideOp[]): Promise<number> {
  const { layout, prefix } = scope;
  const key = layout.key(prefix, id);
  const raw = layout.revokeSide && !dryRun ? await readValue(redis, key, layout.keyType).catch(() => null) : null;
  const found = Number(await runScript(redis, dryRun ? PROBE_SESSION : UNLINK_SESSION, [key], [layout.keyType]));
  if (found === 1 && !dryRun && layout.revokeSide) {
    const side = layout.revokeSide(prefix, id, raw ?? undefined);
    await applySide(redis, side);
    applied?.push(...side);
  }
  return found;
}

export async function revokeIds(redis: Keyed, scope: KeyScope, ids: string[], dryRun: boolean): Promise<IdRevokeResult> {
  const found = await Promise.all(ids.map((id) => revokeOne(redis, scope, id, dryRun)));
  return {
    revoked: ids.filter((_, i) => found[i] === 1),
    missing: ids.filter((_, i) => found[i] === 0),
    notSessions: ids.filter((_, i) => found[i] === -1),
  };
}
