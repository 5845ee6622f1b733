/**
 * The engine under every bulk command: SCAN each master, hand each batch of keys to a
 * worker with a fixed number of batches in flight, and yield results in order. Memory is
 * bounded by depth x batch size whatever the key count; the server sees only short commands.
 */
import { scanAhead, type ScanOptions } from './scan.js';
import type { Topology, MasterNode } from './topology.js';

/** Batches in flight per master: enough to overlap network, server and parsing. */
export const DEFAULT_DEPTH = 4;

export interface BatchResult<T> {
  node: MasterNode;
  keys: string[];
  result: T;
}

export async function* scanAndProcess<T>(
  topology: Topology,
  scan: ScanOptions,
  work: (node: MasterNode, keys: string[]) => Promise<T>,
  depth = DEFAULT_DEPTH,
): AsyncGenerator<BatchResult<T>> {
  for (const node of await topology.masters()) {
    const queue: Array<Promise<BatchResult<T>>> = [];
    try {
      for await (const scanned of scanAhead(node.settings, scan)) {
        // On a cluster, a key in a slot being migrated can show up on two masters: keep it
        // only where it is owned now, so merged results have no duplicates.
        const keys = node.owns ? scanned.filter(node.owns) : scanned;
        if (keys.length === 0) continue;
        const pending = work(node, keys).then((result) => ({ node, keys, result }));
        // Awaited later, in order; this only stops an early failure counting as unhandled.
        pending.catch(() => undefined);
        queue.push(pending);
        if (queue.length >= depth) yield await (queue.shift() as Promise<BatchResult<T>>);
      }
      while (queue.length > 0) yield await (queue.shift() as Promise<BatchResult<T>>);
    } finally {
      queue.length = 0;
    }
  }
  // A failover or resharding during the walk may have hidden keys: say so, never pass a short result.
  await topology.assertUnchanged();
}
