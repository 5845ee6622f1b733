/**
 * SCAN, never KEYS: an async stream of key batches that never blocks the server. Keys come as
 * bytes (Buffers): a key name need not be UTF-8, and one decoded lossily could not be named again.
 */
import { bytesView } from '../redis/bytes.js';
import { disconnect, openClient, type NodeSettings, type Redis } from '../redis/connection.js';

export interface ScanOptions {
  /** A glob pattern; callers escape any user-supplied part with escapeGlob(). */
  match: string;
  count?: number;
  type?: string;
  /** SCAN replies that may wait for the consumer (READ_AHEAD when not given). */
  readAhead?: number;
}

/**
 * A trade-off, measured on 1M sessions (docs/performance.md): SCAN MATCH costs the server
 * ~1.1 us per key, and SCAN is a chain of dependent round trips, so a walk that does little
 * per key (revoke --user, revoke --all) is bound by the chain. COUNT 1000 against 500:
 * revoke --user 2.9 s instead of 3.2 s (1.18-1.21x the server's CPU instead of 1.35-1.38x),
 * revoke --all 3.5 s instead of 4.0 s; those SCANs took 1.1 ms (median), 3.3 ms (p99) and
 * 5.0 ms at most in SLOWLOG, under the 10 ms limit (a busier machine showed 7-9 ms peaks;
 * larger counts would put the limit at risk). Values are still fetched at most MAX_BATCH
 * (bulk.ts) per command.
 */
export const DEFAULT_SCAN_COUNT = 1000;
/**
 * How many SCAN replies may wait for the consumer. Keys waiting longer than two scavenges are
 * promoted to V8's old generation and raise the peak RSS: with 8, a 1M listing peaked at
 * 117-126 MB against 108-110 MB with 4 (change 17); once keys became Buffers and values came
 * in byte-bounded reads (issue 13), the consumer took longer per key and 4 peaked at 122-137 MB.
 * Listings, which build a line or a record per key, wait with 1 (107-114 MB, the speed of 2);
 * the revokes keep 2, which their SCAN-bound walks need (docs/performance.md, change 23).
 */
const READ_AHEAD = 2;

function scanArgs(opts: ScanOptions) {
  return { MATCH: opts.match, COUNT: opts.count ?? DEFAULT_SCAN_COUNT, ...(opts.type ? { TYPE: opts.type } : {}) };
}

/**
 * Yields the keys of each SCAN reply (possibly with duplicates, as SCAN guarantees only
 * that every key present throughout is returned at least once). The next SCAN is sent
 * before the current batch is handed over.
 */
export async function* scanBatches(client: Redis, opts: ScanOptions): AsyncGenerator<Buffer[]> {
  const args = scanArgs(opts);
  const redis = bytesView(client);
  const scan = (cursor: string | Buffer) => redis.scan(cursor as string, args) as unknown as Promise<{ cursor: Buffer; keys: Buffer[] }>;
  // The next SCAN is in flight while the consumer holds this batch, maybe for long (it waits
  // on a full read-ahead buffer): a lost connection rejects it then, before anyone awaits it.
  // Handled at once so that counts as a failure of the walk (awaited below, or dropped when
  // the consumer stopped early), never as an unhandled rejection that crashes the process.
  const send = (cursor: string | Buffer) => {
    const reply = scan(cursor);
    reply.catch(() => undefined);
    return reply;
  };
  let pending = send('0');
  for (;;) {
    const { cursor, keys } = await pending;
    const done = String(cursor) === '0';
    if (!done) pending = send(cursor);
    if (keys.length > 0) yield keys;
    if (done) return;
  }
}

/**
 * Like scanBatches, but on a connection of its own that runs up to READ_AHEAD replies
 * ahead: SCAN replies never queue behind the (larger) replies of the value fetches on the
 * main connection, so the server walks the keyspace while we parse. Measured: 2x faster.
 */
export async function* scanAhead(settings: NodeSettings, opts: ScanOptions): AsyncGenerator<Buffer[]> {
  const client = await openClient(settings);
  const buffer: Buffer[][] = [];
  let finished = false;
  let failure: unknown;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  let stopped = false;
  const producer = (async () => {
    try {
      for await (const keys of scanBatches(client, opts)) {
        if (stopped) return;
        buffer.push(keys);
        wakeConsumer?.();
        while (buffer.length >= (opts.readAhead ?? READ_AHEAD) && !stopped) await new Promise<void>((r) => (wakeProducer = r));
      }
    } catch (err) {
      failure = err;
    } finally {
      finished = true;
      wakeConsumer?.();
    }
  })();
  try {
    for (;;) {
      const next = buffer.shift();
      if (next !== undefined) {
        wakeProducer?.();
        yield next;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (finished) return;
      await new Promise<void>((r) => (wakeConsumer = r));
      wakeConsumer = undefined;
    }
  } finally {
    stopped = true;
    wakeProducer?.();
    await producer;
    await disconnect(client);
  }
}
