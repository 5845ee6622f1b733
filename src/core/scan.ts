/** SCAN, never KEYS: an async stream of key batches that never blocks the server. */
import type { Redis } from './connection.js';

export interface ScanOptions {
  /** A glob pattern; callers escape any user-supplied part with escapeGlob(). */
  match: string;
  count?: number;
  type?: string;
}

export const DEFAULT_SCAN_COUNT = 1000;

/**
 * Yields the keys of each SCAN reply (possibly with duplicates, as SCAN guarantees only
 * that every key present throughout is returned at least once). The next SCAN is sent
 * before the current batch is handed over, so the server walks while we fetch.
 */
export async function* scanBatches(redis: Redis, opts: ScanOptions): AsyncGenerator<string[]> {
  const args = { MATCH: opts.match, COUNT: opts.count ?? DEFAULT_SCAN_COUNT, ...(opts.type ? { TYPE: opts.type } : {}) };
  let pending = redis.scan('0', args);
  try {
    for (;;) {
      const { cursor, keys } = await pending;
      const done = String(cursor) === '0';
      if (!done) pending = redis.scan(cursor, args);
      if (keys.length > 0) yield keys;
      if (done) return;
    }
  } finally {
    // If the consumer stopped early, a prefetched SCAN may still fail; nobody awaits it.
    pending.catch(() => undefined);
  }
}
