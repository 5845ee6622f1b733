/**
 * Reading many session values without swelling the server. A reply waiting to be read sits in
 * the server's client output buffer, which counts as used memory: at maxmemory with an eviction
 * policy, six 500-value MGETs of 1 KB sessions in flight (3 MB) made Redis evict sessions that
 * `redis-cli --scan` left alone, and a 500-key MGET of 8 MB values built a 4 GB reply that
 * timed out. So values are read by a script that stops before its reply passes READ_BYTES
 * (node-ops' read), the reads in flight on a node reserve at most IN_FLIGHT_BYTES together, a
 * value larger than READ_BYTES is fetched by itself once nothing else is in flight, and a batch
 * stops reading ahead once it holds PREFETCH_BYTES: its consumer reads the rest as it gets there.
 *
 * Measured (docs/performance.md, changes 23 and 25): 20,000 1 KB sessions, allkeys-lru, a
 * listing evicts nothing with 256 KB of headroom or more, where it evicted hundreds before.
 * Closer to maxmemory than 1 MB a walk runs tight (headroom.ts: one read of 8 KB at a time).
 * 64/128 KB kept the 1M listing's speed; 32/64 KB cost it ~15%. A node with room to spare
 * (headroom.ts: ROOMY_ABOVE) gets 256 KB reads and 1 MB in flight: 64 KB is only ~60 of
 * Spring's 1 KB hashes, and the 1M Spring listing took 27.5 s instead of 31 (change 26).
 */
import type { Redis } from '../redis/connection.js';
import type { ValueKind } from '../redis/hash-value.js';
import { SKIPPED, WRONG_TYPE, type NodeOps } from './node-ops.js';
import { prefilterPasses, type Needle } from './prefilter.js';

/** Bytes of values one read may return at the usual pace (a larger single value is fetched alone). */
export const READ_BYTES = 64 * 1024;
/** The same for a read with the --user prefilter, whose replies are mostly empty. */
export const FILTERED_READ_BYTES = 16 * 1024;
/** Bytes of replies requested and not yet read, per node, at the usual pace. */
export const IN_FLIGHT_BYTES = 128 * 1024;
/** The same on a node with room to spare (headroom.ts). */
export const ROOMY_IN_FLIGHT = 1024 * 1024;
/**
 * Keys one read is given. The script's time grows with them (a GET and a search each), and a
 * read rarely gets through more: 256 keeps the slowest read near 5 ms on a busy 2-CPU machine
 * where 500 reached 9.4 ms (SLOWLOG, docs/performance.md), under the 10 ms the bench allows.
 */
export const READ_KEYS = 256;
/** A batch stops reading ahead once it holds this many bytes of values. */
export const PREFETCH_BYTES = 1024 * 1024;

/** A first-come, first-served allowance of bytes; a request larger than the limit waits until it is alone. */
export class ByteBudget {
  /**
   * Bytes per value of the unfiltered reads on this node so far (0: none yet). A read sends
   * every key it is given, and the keys a byte-capped read did not reach go again in the next:
   * with 1 KB hashes a 64 KB read answers ~60 of 256 keys. So a read is given about as many keys
   * as its cap will take (keysFor).
   */
  perValue = 0;
  private used = 0;
  private readonly queue: Array<{ bytes: number; grant: () => void }> = [];

  /** Bytes of values one unfiltered read may return: READ_BYTES, a quarter of a larger budget, or all of a smaller one. */
  readonly readBytes: number;

  constructor(readonly limit = IN_FLIGHT_BYTES) {
    this.readBytes = Math.min(limit, Math.max(READ_BYTES, limit / 4));
  }

  acquire(bytes: number): Promise<void> {
    return new Promise((grant) => {
      this.queue.push({ bytes, grant });
      this.pump();
    });
  }

  release(bytes: number): void {
    this.used -= bytes;
    this.pump();
  }

  /** Run `fn` with `bytes` reserved. */
  async with<T>(bytes: number, fn: () => Promise<T>): Promise<T> {
    await this.acquire(bytes);
    try {
      return await fn();
    } finally {
      this.release(bytes);
    }
  }

  private pump(): void {
    for (let next = this.queue[0]; next !== undefined; next = this.queue[0]) {
      if (this.used > 0 && this.used + next.bytes > this.limit) return;
      this.queue.shift();
      this.used += next.bytes;
      next.grant();
    }
  }
}

/** Values of keys[start..end), by position from `start`. */
export interface ValuePart {
  start: number;
  end: number;
  pttls: number[];
  /** The value; null: none (no such key when its PTTL is -2, else a key of another type); undefined: skipped by the prefilter. */
  raws: Array<Buffer | null | undefined>;
}

/**
 * What reads a batch's values on one node: its operations and connection, the byte budget it
 * shares with the other reads on that node (NodePace), the --user prefilter (may be empty,
 * applied by the server) and whether PTTLs are read too.
 */
export interface NodeReader {
  ops: NodeOps;
  /** What the session keys hold (the layout's keyType). */
  kind: ValueKind;
  client: Redis;
  budget: ByteBudget;
  needle: Needle;
  ttls: boolean;
}

/** Read keys[from..] in order until every key is read or the part holds `hold` bytes of values. */
export async function readPart(reader: NodeReader, keys: Buffer[], from: number, hold: number): Promise<ValuePart> {
  const { ops, client, kind, budget, needle, ttls } = reader;
  const part: ValuePart = { start: from, end: from, pttls: [], raws: [] };
  let held = 0;
  while (part.end < keys.length && (part.end === from || held < hold)) {
    const at = part.end;
    // With a prefilter most values stay on the server: a smaller cap lets more reads (of as
    // many keys) be in flight for the same bytes.
    // A budget smaller than a read (a node near maxmemory) caps the read too.
    const cap = needle.length > 0 ? Math.min(FILTERED_READ_BYTES, budget.limit) : budget.readBytes;
    const count = keysFor(budget, cap, needle.length > 0);
    const ask = at === 0 && keys.length <= count ? keys : keys.slice(at, at + count);
    const reply = await budget.with(cap, () => ops.read(client, ask, kind, cap, needle, ttls));
    const heldBefore = held;
    let answered = 0;
    for (let j = 0; j < reply.values.length; j += 1) {
      const value = reply.values[j] ?? null;
      let pttl = reply.pttls[j] ?? -2;
      let raw: Buffer | null | undefined;
      if (typeof value !== 'number') raw = value;
      else if (value === WRONG_TYPE) raw = null;
      else if (value === SKIPPED) raw = undefined;
      else {
        // Too large to share a reply: fetched by itself, once the node has nothing else in flight.
        raw = (await budget.with(value, () => ops.values(client, [keys[at + j] as Buffer], kind)))[0] ?? null;
        if (raw === null)
          pttl = -2; // gone (or retyped) since its length was read
        else if (!prefilterPasses(raw, needle)) raw = undefined;
      }
      if (raw) {
        held += raw.length;
        answered += 1;
      }
      part.pttls.push(pttl);
      part.raws.push(raw);
    }
    part.end += reply.values.length;
    if (needle.length === 0 && answered > 0) learnValueSize(budget, (held - heldBefore) / answered);
  }
  return part;
}

/** Keys to give a read of `cap` bytes: as many as the node's values so far fill, with a margin, at most READ_KEYS. */
function keysFor(budget: ByteBudget, cap: number, filtered: boolean): number {
  // With a prefilter the values mostly stay on the server: their size says nothing of the reply's.
  if (filtered || budget.perValue === 0) return READ_KEYS;
  return Math.min(READ_KEYS, Math.max(8, Math.ceil((cap / budget.perValue) * 1.25)));
}

function learnValueSize(budget: ByteBudget, average: number): void {
  budget.perValue = budget.perValue === 0 ? average : (3 * budget.perValue + average) / 4;
}

/**
 * A batch's values part by part: `first` is what was read ahead (when given), then the rest is
 * read as the caller gets to it, each part at most PREFETCH_BYTES (or one value).
 */
export async function* valueParts(reader: NodeReader, keys: Buffer[], first?: ValuePart): AsyncGenerator<ValuePart> {
  let part = first ?? (await readPart(reader, keys, 0, PREFETCH_BYTES));
  for (;;) {
    yield part;
    if (part.end >= keys.length) return;
    part = await readPart(reader, keys, part.end, PREFETCH_BYTES);
  }
}
