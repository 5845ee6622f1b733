/**
 * `session revoke --hold <duration>`: keep revoked sessions revoked.
 *
 * A request already in flight when its session is revoked ends with express-session saving
 * the session again (a plain SET; connect-redis's maintainers call this a known limitation),
 * which brings a revoked session back. For the hold time we watch the revoked ids and delete
 * any that reappear: through keyspace notifications when the server publishes them (a SET is
 * caught within milliseconds), otherwise by sweeping them with UNLINK a few times a second.
 * A final sweep at the end catches anything a dropped notification missed.
 */
import type { Redis } from './connection.js';
import { disconnect, openClient } from './connection.js';
import { sessionKey } from './keys.js';
import type { Topology } from './topology.js';

export interface HoldResult {
  /** Revoked sessions that were written again during the hold and deleted again. */
  caught: number;
  mode: 'notifications' | 'polling';
}

export interface HoldOptions {
  prefix: string;
  ids: ReadonlySet<string>;
  durationMs: number;
  signal?: AbortSignal;
  onCatch?: (id: string) => void;
}

const SWEEP_INTERVAL_MS = 250;
const SWEEP_BATCH = 500;

/** UNLINK every held key once; returns how many were back. */
async function sweep(keyed: Redis, opts: HoldOptions): Promise<number> {
  let caught = 0;
  const ids = [...opts.ids];
  for (let i = 0; i < ids.length; i += SWEEP_BATCH) {
    const batch = ids.slice(i, i + SWEEP_BATCH);
    // One key per UNLINK: on a Cluster each goes to the node that owns it.
    const removed = await Promise.all(batch.map((id) => keyed.unlink(sessionKey(opts.prefix, id))));
    removed.forEach((n, j) => {
      if (Number(n) > 0) {
        caught += 1;
        opts.onCatch?.(batch[j] as string);
      }
    });
  }
  return caught;
}

/** Which keyspace events the server publishes for SETs, if any ("" when none or not allowed to ask). */
async function notificationClasses(redis: Redis): Promise<string> {
  try {
    const reply = (await redis.configGet('notify-keyspace-events')) as Record<string, string>;
    return reply['notify-keyspace-events'] ?? '';
  } catch {
    return '';
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

export async function holdRevoked(topology: Topology, opts: HoldOptions): Promise<HoldResult> {
  const deadline = Date.now() + opts.durationMs;
  const [node] = await topology.masters();
  const classes = topology.kind === 'cluster' || node === undefined ? '' : await notificationClasses(node.client);
  // Keyevent notifications (E) for string commands ($, or A for all).
  const notified = classes.includes('E') && (classes.includes('$') || classes.includes('A'));
  let caught = 0;

  if (notified && node !== undefined) {
    const db = Number(node.settings.url.pathname.replace('/', '') || 0);
    const subscriber = await openClient(node.settings);
    const pending: Array<Promise<unknown>> = [];
    try {
      await subscriber.subscribe(`__keyevent@${db}__:set`, (key) => {
        if (!key.startsWith(opts.prefix) || !opts.ids.has(key.slice(opts.prefix.length))) return;
        pending.push(
          topology.keyed.unlink(key).then((n) => {
            if (Number(n) > 0) {
              caught += 1;
              opts.onCatch?.(key.slice(opts.prefix.length));
            }
          }),
        );
      });
      // Anything re-saved between the revoke and the subscription.
      caught += await sweep(topology.keyed, opts);
      await sleep(Math.max(0, deadline - Date.now()), opts.signal);
    } finally {
      await disconnect(subscriber);
    }
    await Promise.all(pending);
    caught += await sweep(topology.keyed, opts);
    return { caught, mode: 'notifications' };
  }

  while (Date.now() < deadline && !opts.signal?.aborted) {
    caught += await sweep(topology.keyed, opts);
    await sleep(Math.min(SWEEP_INTERVAL_MS, Math.max(0, deadline - Date.now())), opts.signal);
  }
  caught += await sweep(topology.keyed, opts);
  return { caught, mode: 'polling' };
}
