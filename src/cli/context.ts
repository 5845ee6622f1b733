/** What a command module receives: its streams, its parsed options, and a way to reach Redis. */
import type { Keyed } from '../core/redis/connection.js';
import { toAppError } from '../core/redis/redis-errors.js';
import type { Topology } from '../core/redis/topology.js';
import { say, type Io } from './io.js';
import { connectionOptions, type ConnectionFlags } from './options.js';

/** `O`: the command's options as parsed (options.ts: the groups it adds, and its own). */
export interface CommandContext<O extends ConnectionFlags = ConnectionFlags> {
  io: Io;
  opts: O;
  /** Where commander found --url: 'cli', 'env' or 'default'. */
  urlSource: string | undefined;
  /** Aborted when stdout's reader has gone away (`| head`): listings stop early and quietly. */
  readerGone: AbortSignal;
}

/**
 * Connect (single server, Cluster or via Sentinel), run `fn`, always disconnect. `again`: a
 * second connection of the same command, whose warnings (a password in argv) were printed once.
 */
export async function withTopology<T>(
  ctx: CommandContext<ConnectionFlags>,
  fn: (topology: Topology) => Promise<T>,
  again = false,
): Promise<T> {
  const { openTopology } = await import('../core/redis/topology.js');
  const topology = await openTopology(
    connectionOptions(ctx.opts, ctx.urlSource, ctx.io.env),
    again ? () => undefined : (line) => say(ctx.io, line),
  );
  try {
    return await fn(topology);
  } catch (err) {
    throw toAppError(err) ?? err;
  } finally {
    await topology.close();
  }
}

/** For commands that only touch keys they name: the client that routes by key. */
export async function withRedis<T>(ctx: CommandContext<ConnectionFlags>, fn: (redis: Keyed) => Promise<T>): Promise<T> {
  return withTopology(ctx, (topology) => fn(topology.keyed));
}

export function wantsJson(ctx: CommandContext<ConnectionFlags>): boolean {
  return ctx.opts.json === true;
}
