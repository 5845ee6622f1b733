/**
 * The engine under every bulk command: SCAN each master, hand each batch of keys (at most
 * MAX_BATCH) to a worker with a fixed number of batches in flight, and yield results in
 * order. Memory is bounded by depth x batch size whatever the key count; the server sees
 * only short commands.
 */
import { scanAhead, type ScanOptions } from './scan.js';
import { TopologyChangedError } from '../errors.js';
import type { Topology, MasterNode } from './topology.js';

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

export interface BatchResult<T> {
  node: MasterNode;
  /** Key names as bytes, as SCAN returned them. */
  keys: Buffer[];
  result: T;
}

/**
 * `stop`: once aborted, no new batch is started, but the batches already in flight are
 * still yielded: their work (an UNLINK, say) has been sent and may have happened, so the
 * caller must be able to count it.
 */
export async function* scanAndProcess<T>(
  topology: Topology,
  scan: ScanOptions,
  work: (node: MasterNode, keys: Buffer[]) => Promise<T>,
  depth = DEFAULT_DEPTH,
  stop?: AbortSignal,
): AsyncGenerator<BatchResult<T>> {
  try {
    yield* walk(topology, scan, work, depth, stop);
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

async function* walk<T>(topology: Topology, scan: ScanOptions, work: (node: MasterNode, keys: Buffer[]) => Promise<T>, depth: number, stop?: AbortSignal): AsyncGenerator<BatchResult<T>> {
  for (const node of await topology.masters()) {
    const queue: Array<Promise<BatchResult<T>>> = [];
    try {
      scanning: for await (const scanned of scanAhead(node.settings, scan)) {
        // On a cluster, a key in a slot being migrated can show up on two masters: keep it
        // only where it is owned now, so merged results have no duplicates.
        const owned = node.owns ? scanned.filter(node.owns) : scanned;
        for (let start = 0; start < owned.length; start += MAX_BATCH) {
          if (stop?.aborted === true) break scanning;
          const keys = owned.length <= MAX_BATCH ? owned : owned.slice(start, start + MAX_BATCH);
          const pending = work(node, keys).then((result) => ({ node, keys, result }));
          // Awaited later, in order; this only stops an early failure counting as unhandled.
          pending.catch(() => undefined);
          queue.push(pending);
          if (queue.length >= depth) yield await (queue.shift() as Promise<BatchResult<T>>);
        }
      }
      while (queue.length > 0) yield await (queue.shift() as Promise<BatchResult<T>>);
    } finally {
      queue.length = 0;
    }
    if (stop?.aborted === true) return; // stopped early: the result is partial anyway
  }
}
