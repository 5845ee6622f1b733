/**
 * The engine under every bulk command: SCAN each master, hand each batch of keys (at most
 * MAX_BATCH) to a worker with a fixed number of batches in flight, and yield results in
 * order. Memory is bounded by depth x batch size whatever the key count; the server sees
 * only short commands.
 */
import { scanAhead, scanBatches, type ScanOptions } from './scan.js';
import { ByteBudget, IN_FLIGHT_BYTES, ROOMY_IN_FLIGHT } from './fetch-values.js';
import { isRoomy, isTight, memoryHeadroom, TIGHT_IN_FLIGHT, TIGHT_SCAN_COUNT } from './headroom.js';
import { TopologyChangedError } from '../errors.js';
import type { Topology, MasterNode } from '../redis/topology.js';
import { commandsOut } from '../redis/connection.js';

/**
 * Keys per command (MGET, the PTTL script, UNLINK); a longer SCAN reply is split. Measured
 * on 1M sessions: server CPU per key is the same from 250 to 2000 keys per command, but a
 * 1000-key MGET or PTTL script took 1.5-3 ms and showed up in SLOWLOG above 10 ms when the
 * server got descheduled on a busy machine; 500 keys take ~0.7-0.9 ms.
 */
export const MAX_BATCH = 500;

/**
 * Batches in flight per master: enough that the server always has the next one queued while
 * we parse the last (so it never idles), few enough that memory stays flat (~3000 values).
 */
export const DEFAULT_DEPTH = 6;

/**
 * What every batch of the walk on one node shares: the byte budget of the replies in flight on
 * its connection (fetch-values.ts), IN_FLIGHT_BYTES, or (headroom.ts) ROOMY_IN_FLIGHT far from
 * maxmemory and TIGHT_IN_FLIGHT near it.
 */
export interface NodePace {
  budget: ByteBudget;
}

export interface BatchResult<T> {
  node: MasterNode;
  pace: NodePace;
  /** Key names as bytes, as SCAN returned them. */
  keys: Buffer[];
  result: T;
}

export interface WalkOptions {
  /** Batches in flight per master (DEFAULT_DEPTH). */
  depth?: number;
  /**
   * Once aborted, no new batch is started, but the batches already in flight are still
   * yielded: their work (an UNLINK, say) has been sent and may have happened, so the caller
   * must be able to count it.
   */
  stop?: AbortSignal;
  /**
   * Walk every node at full pace, however close to maxmemory: for a walk whose every batch
   * frees more than it takes (revoke --all deletes each batch it scans).
   */
  ignoreHeadroom?: boolean;
  /** Which scanned keys to process (others are the layout's own bookkeeping: skipped, not counted). */
  keep?: (key: Buffer) => boolean;
}

export type Work<T> = (node: MasterNode, keys: Buffer[], pace: NodePace) => Promise<T>;

export async function* scanAndProcess<T>(
  topology: Topology,
  scan: ScanOptions,
  work: Work<T>,
  opts: WalkOptions = {},
): AsyncGenerator<BatchResult<T>> {
  const stop = opts.stop;
  try {
    yield* walk(topology, scan, work, opts);
  } catch (err) {
    // A failover mid-walk usually surfaces as a lost connection: say what happened, if we can tell.
    try {
      await topology.assertUnchanged();
    } catch (changed) {
      if (changed instanceof TopologyChangedError) throw changed;
    }
    throw err;
  }
  // A failover or resharding during the walk may have hidden keys: say so, never pass a short result.
  if (stop?.aborted !== true) await topology.assertUnchanged();
}

async function* walk<T>(topology: Topology, scan: ScanOptions, work: Work<T>, opts: WalkOptions): AsyncGenerator<BatchResult<T>> {
  const stop = opts.stop;
  for (const node of await topology.masters()) {
    const queue: Array<Promise<BatchResult<T>>> = [];
    // Near maxmemory, take no more of the server's memory than a connection already holds:
    // no second connection, short SCAN replies, one batch at a time.
    const headroom = await memoryHeadroom(node.client);
    const tight = opts.ignoreHeadroom !== true && isTight(headroom);
    const pace: NodePace = { budget: new ByteBudget(tight ? TIGHT_IN_FLIGHT : isRoomy(headroom) ? ROOMY_IN_FLIGHT : IN_FLIGHT_BYTES) };
    const batches = tight ? scanBatches(node.client, { ...scan, count: TIGHT_SCAN_COUNT }) : scanAhead(node.settings, scan);
    const inFlight = tight ? 1 : (opts.depth ?? DEFAULT_DEPTH);
    try {
      scanning: for await (const scanned of batches) {
        // On a cluster, a key in a slot being migrated can show up on two masters: keep it
        // only where it is owned now, so merged results have no duplicates.
        const owned = node.owns || opts.keep ? scanned.filter((key) => (node.owns?.(key) ?? true) && (opts.keep?.(key) ?? true)) : scanned;
        for (let start = 0; start < owned.length; start += MAX_BATCH) {
          if (stop?.aborted === true) break scanning;
          const keys = owned.length <= MAX_BATCH ? owned : owned.slice(start, start + MAX_BATCH);
          const pending = work(node, keys, pace).then((result) => ({ node, pace, keys, result }));
          // Awaited later, in order; this only stops an early failure counting as unhandled.
          pending.catch(() => undefined);
          queue.push(pending);
          // Out now, not after the consumer has worked through the batches already in: a 1M-user
          // listing took 8.2-8.6 s of wall without this, 6.5-7.1 s with it.
          await commandsOut();
          if (queue.length >= inFlight) yield await (queue.shift() as Promise<BatchResult<T>>);
        }
      }
      while (queue.length > 0) yield await (queue.shift() as Promise<BatchResult<T>>);
    } finally {
      queue.length = 0;
    }
    if (stop?.aborted === true) return; // stopped early: the result is partial anyway
  }
}
