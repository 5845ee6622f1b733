/**
 * How soon V8 collects its old generation during a walk. A walk's values live from their read
 * until their line is written, long enough to survive two scavenges, so V8 promotes them to the
 * old generation, with the Buffers that hold the socket's 64 KB reads. V8 then lets the old
 * generation grow to about three times what survived the last full collection before the next
 * one (its default growing factor for a heap this small), and the 1M listings peaked 20-40 MB
 * above the 100k ones: 1.2-1.4x, where the rest of the walk is flat.
 *
 * A growing factor of 1.75 bounds that: measured on 1M and 100k sessions (docs/performance.md,
 * change 32), Better Auth 147 -> 117 MB at 1M (1.38x -> 1.07x of 100k), Flask 143 -> 116 MB
 * (1.20x -> 1.06x), Symfony 167 -> 127 MB, at the same CPU within the runs' spread (Flask's
 * CPU +0-5%; a factor of 1.5 cost it ~9%). V8 reads this flag at every full collection, so it
 * can be set once the process runs; Node leaves its flags writable (--no-freeze-flags-after-init)
 * for v8.setFlagsFromString.
 *
 * Only the session walks (list.ts, revoke.ts) of string layouts pace: short commands never
 * reach a full collection, and Spring's hashes were already flat (1.03-1.06x of 100k) while its
 * JDK reader promotes so much that collecting sooner cost its listing 6-10% of CPU (median of 6
 * interleaved runs on 300k: 6.5 -> 7.2 s at 75%; 6.6 s at 100% and 150%; 6.2 s at 200%), on a
 * speed target it meets by a few percent. User walks read a few fields a record and stay flat.
 */
import { setFlagsFromString } from 'node:v8';
import type { ValueKind } from '../redis/hash-value.js';

/** Percent the old generation may grow past what survived a full collection. */
const OLD_GENERATION_GROWTH_PERCENT = 75;

let paced = false;

/** Once per process, for a walk over values of `kind`: keep the old generation near what the walk holds (not for hashes: above). */
export function paceOldGeneration(kind: ValueKind): void {
  if (paced || kind !== 'string') return;
  paced = true;
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
}
