/**
 * `--hold <duration>`: keep a change from being undone by a request already in flight.
 *
 * A request that loaded its session before the change ends with express-session saving the
 * session again (a plain SET, or EXPIRE on a touch; connect-redis's maintainers call this a
 * known limitation). That brings a revoked session back, and puts back the old lifetime of a
 * session whose TTL was just changed. For the hold time we watch the keys and put the change
 * back whenever they are written: through keyspace notifications when the server publishes
 * them (caught within milliseconds), otherwise by checking them a few times a second. A final
 * check at the end catches anything a dropped notification missed.
 *
 * If the notification connection drops (CLIENT KILL, the server's pubsub output-buffer limit),
 * the hold checks at once and goes on polling for the rest of the time, and says so.
 */
import type { Redis } from '../redis/connection.js';
import { databaseOf, disconnect, openClient } from '../redis/connection.js';
import { ConflictError, NegativeAnswer } from '../errors.js';
import { readValue } from '../redis/hash-value.js';
import { setTtl, type SetTtlResult } from './lifetime.js';
import { revokeOne } from './revoke.js';
import type { SideOp } from './layout.js';
import { applySide } from './side-ops.js';
import type { KeyScope } from './scope.js';
import type { Topology } from '../redis/topology.js';

export type HoldMode = 'notifications' | 'polling' | 'notifications, then polling';

/** How a hold watched: by notifications, by polling, or both when the notifications dropped. */
export interface HoldReport {
  mode: HoldMode;
  /** Why notifications stopped (with mode "notifications, then polling"). */
  fallbackReason?: string;
}

export interface HoldResult extends HoldReport {
  /** Revoked sessions that were written again during the hold and deleted again. */
  caught: number;
}

export interface HoldOptions extends KeyScope {
  ids: ReadonlySet<string>;
  durationMs: number;
  signal?: AbortSignal;
  onCatch?: (id: string) => void;
}

const SWEEP_INTERVAL_MS = 250;
const SWEEP_BATCH = 500;

/** What a hold guards: which events to hear, and how to put the change back. */
interface Watch {
  /** Keyevent names to subscribe to (`set`, `expire`). */
  events: readonly string[];
  /** Whether notify-keyspace-events publishes all of them. */
  published(classes: string): boolean;
  /** A notification named this key: put it right if needed; how many were put right. */
  onKey(key: Buffer): Promise<number>;
  /** Check every guarded key; how many were put right. */
  sweep(): Promise<number>;
}

/** Which keyspace events the server publishes, if any ("" when none or not allowed to ask). */
async function notificationClasses(redis: Redis): Promise<string> {
  try {
    const reply = (await redis.configGet('notify-keyspace-events')) as Record<string, string>;
    return reply['notify-keyspace-events'] ?? '';
  } catch {
    return '';
  }
}

/** Wait `ms`, or less if `signal` aborts; leaves no listener behind either way. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function guard(
  topology: Topology,
  watch: Watch,
  durationMs: number,
  signal: AbortSignal | undefined,
): Promise<HoldReport & { fixed: number }> {
  const deadline = Date.now() + durationMs;
  const [node] = await topology.masters();
  // On a Cluster each node publishes only its own keys' events: poll there.
  const classes = topology.kind === 'cluster' || node === undefined ? '' : await notificationClasses(node.client);
  let fixed = 0;
  let fallbackReason: string | undefined;

  if (node !== undefined && watch.published(classes)) {
    const db = databaseOf(node.settings.url);
    const subscriber = await openClient(node.settings);
    const pending: Array<Promise<void>> = [];
    let failure: unknown;
    // With no reconnect strategy, a dropped connection emits 'error' (and 'end' on a close):
    // either one ends the notifications, unless we are closing it ourselves.
    let closing = false;
    let onDrop: (reason: string) => void = () => undefined;
    const dropped = new Promise<string>((resolve) => (onDrop = resolve));
    subscriber.on(
      'error',
      (err: unknown) => closing || onDrop(err instanceof Error && err.message !== '' ? err.message : 'connection lost'),
    );
    subscriber.on('end', () => closing || onDrop('connection closed'));
    try {
      await subscriber.subscribe(
        watch.events.map((event) => `__keyevent@${db}__:${event}`),
        (key: Buffer) => {
          pending.push(
            watch.onKey(key).then(
              (n) => void (fixed += n),
              (err: unknown) => void (failure ??= err),
            ),
          );
        },
        true, // key names as bytes: one that is not UTF-8 must still match
      );
      // Anything written between the change and the subscription. (Not `fixed += await ...`:
      // that reads `fixed` before the await, and would drop what a notification counted meanwhile.)
      const swept = await watch.sweep();
      fixed += swept;
      fallbackReason = await Promise.race([sleep(Math.max(0, deadline - Date.now()), signal).then(() => undefined), dropped]);
    } finally {
      closing = true;
      await disconnect(subscriber);
    }
    await Promise.all(pending);
    if (failure !== undefined) throw failure;
    if (fallbackReason === undefined) {
      const swept = await watch.sweep();
      fixed += swept;
      return { fixed, mode: 'notifications' };
    }
  }

  // Polling (from the start, or for the rest of the hold once notifications dropped: at once).
  while (Date.now() < deadline && signal?.aborted !== true) {
    const swept = await watch.sweep();
    fixed += swept;
    await sleep(Math.min(SWEEP_INTERVAL_MS, Math.max(0, deadline - Date.now())), signal);
  }
  const swept = await watch.sweep();
  fixed += swept;
  return fallbackReason === undefined ? { fixed, mode: 'polling' } : { fixed, mode: 'notifications, then polling', fallbackReason };
}

function hasClasses(classes: string, needed: string): boolean {
  return classes.includes('E') && (classes.includes('A') || [...needed].every((c) => classes.includes(c)));
}

/** `session revoke --hold`: delete any revoked session that is written again. */
export async function holdRevoked(topology: Topology, opts: HoldOptions): Promise<HoldResult> {
  const { layout } = opts;
  const idOf = layout.idOf(opts.prefix);
  const prefix = Buffer.from(opts.prefix, 'utf8');
  const caught = (id: string) => {
    opts.onCatch?.(id);
    return 1;
  };
  // What went with each session revoked again: a request in flight saves the index and
  // expiry entries after the session itself (Spring: HMSET, then APPEND and SADD), so they
  // are removed once more when the hold ends.
  const sides: SideOp[] = [];
  const watch: Watch = {
    events: layout.writeEvents,
    published: (classes) => hasClasses(classes, layout.writeEventClasses),
    async onKey(key) {
      if (!key.subarray(0, prefix.length).equals(prefix)) return 0;
      const id = idOf(key);
      if (!opts.ids.has(id)) return 0;
      return (await revokeOne(topology.keyed, opts, id, false, sides)) === 1 ? caught(id) : 0;
    },
    async sweep() {
      let n = 0;
      const ids = [...opts.ids];
      for (let i = 0; i < ids.length; i += SWEEP_BATCH) {
        const batch = ids.slice(i, i + SWEEP_BATCH);
        // One key per call: on a Cluster each goes to the node that owns it.
        const removed = await Promise.all(batch.map((id) => revokeOne(topology.keyed, opts, id, false, sides)));
        removed.forEach((r, j) => {
          if (r === 1) n += caught(batch[j] as string);
        });
      }
      return n;
    },
  };
  const { fixed, ...report } = await guard(topology, watch, opts.durationMs, opts.signal);
  await applySide(topology.keyed, sides);
  return { caught: fixed, ...report };
}

export interface LifetimeHoldOptions extends KeyScope {
  id: string;
  /** The lifetime that was set, in seconds. */
  seconds: number;
  durationMs: number;
  signal?: AbortSignal;
  /** Called with each re-applied lifetime (its new expiry). */
  onReapply?: (result: SetTtlResult) => void;
}

export interface LifetimeHoldResult extends HoldReport {
  /** How many times the app wrote the session back with another lifetime and it was set again. */
  reapplied: number;
}

/** `session ttl <id> <duration> --hold`: set the lifetime again whenever the app undoes it. */
export async function holdLifetime(topology: Topology, opts: LifetimeHoldOptions): Promise<LifetimeHoldResult> {
  const redis = topology.keyed;
  const { layout } = opts;
  const key = layout.key(opts.prefix, opts.id);
  const ttlMs = opts.seconds * 1000;
  const check = async (): Promise<number> => {
    const [raw, pttl] = await Promise.all([readValue(redis, key, layout.keyType).catch(() => null), redis.pTTL(key)]);
    if (raw === null || !layout.lifetimeUndone(raw, Number(pttl), ttlMs)) return 0;
    try {
      opts.onReapply?.(await setTtl(redis, opts, opts.id, opts.seconds));
      return 1;
    } catch (err) {
      // Gone (revoked, expired): nothing left to hold. Still changing: the next check retries.
      if (err instanceof NegativeAnswer || err instanceof ConflictError) return 0;
      throw err;
    }
  };
  // One check at a time: our own SET raises a notification too, and must not race the next.
  let queue: Promise<number> = Promise.resolve(0);
  const serial = (): Promise<number> => (queue = queue.then(check, check));
  const watch: Watch = {
    // A save writes the value; a touch (an unmodified session) renews only the TTL.
    events: [...layout.writeEvents, ...layout.touchEvents],
    published: (classes) => hasClasses(classes, layout.writeEventClasses + layout.touchEventClasses),
    onKey: (k) => (k.equals(key) ? serial() : Promise.resolve(0)),
    sweep: serial,
  };
  const { fixed, ...report } = await guard(topology, watch, opts.durationMs, opts.signal);
  return { reapplied: fixed, ...report };
}

/** A hold's summary sentence: `what` (e.g. "Hold over: ..."), then how it watched. */
export function holdSummary(what: string, report: HoldReport): string {
  if (report.mode !== 'notifications, then polling') return `${what} (${report.mode}).`;
  return `${what}. The notification connection dropped (${report.fallbackReason ?? 'no reason given'}) and polling took over for the rest of the hold.`;
}
