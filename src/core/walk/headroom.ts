/**
 * How close a node is to its maxmemory. What a walk has asked for and not yet read sits in the
 * server's client output buffers, which count as used memory: past maxmemory, Redis evicts
 * keys (sessions) or, under noeviction, refuses the application's writes. A walk's usual
 * footprint (a second connection for the SCAN, COUNT 1000 replies, IN_FLIGHT_BYTES of values)
 * is about 300 KB; on a node with less room than TIGHT_BELOW the walk takes only what a
 * connection already holds (its 16 KB reply buffer): SCAN on the one connection, small
 * replies, one read at a time (docs/performance.md, change 25).
 */
import type { Redis } from '../redis/connection.js';

/** Headroom below which a walk runs tight: four times the measured usual footprint. */
export const TIGHT_BELOW = 1024 * 1024;
/**
 * Headroom above which (or no maxmemory at all) a walk keeps more in flight (fetch-values.ts,
 * ROOMY_IN_FLIGHT: a footprint of ~1.5 MB, a fortieth of this).
 */
export const ROOMY_ABOVE = 64 * 1024 * 1024;
/** Bytes of values in flight (and per read) on a tight node: within the reply buffer. */
export const TIGHT_IN_FLIGHT = 8 * 1024;
/** SCAN COUNT on a tight node: a reply of ~100 key names, as redis-cli --scan asks for 10. */
export const TIGHT_SCAN_COUNT = 100;

/** Bytes left before maxmemory; Infinity when none is set or INFO is denied (ACL). */
export async function memoryHeadroom(client: Redis): Promise<number> {
  let info: string;
  try {
    info = String(await client.info('memory'));
  } catch {
    return Infinity; // an ACL user without INFO: nothing to go by, walk as usual
  }
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  const max = field('maxmemory');
  const used = field('used_memory');
  if (!(max > 0) || Number.isNaN(used)) return Infinity;
  return Math.max(0, max - used);
}

export function isTight(headroom: number): boolean {
  return headroom < TIGHT_BELOW;
}

export function isRoomy(headroom: number): boolean {
  return headroom >= ROOMY_ABOVE;
}
