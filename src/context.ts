/** What a command module receives: its streams, its parsed options, and a way to reach Redis. */
import { connect, disconnect, type Redis } from './core/connection.js';
import { toAppError } from './core/redis-errors.js';
import { say, type Io } from './io.js';
import { connectionOptions, type RawOptions } from './options.js';

export interface CommandContext {
  io: Io;
  opts: RawOptions;
  /** Where commander found --url: 'cli', 'env' or 'default'. */
  urlSource: string | undefined;
}

/** Connect, run `fn`, always disconnect. Redis failures inside `fn` become typed errors. */
export async function withRedis<T>(ctx: CommandContext, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = await connect(connectionOptions(ctx.opts, ctx.urlSource, ctx.io.env), (line) => say(ctx.io, line));
  try {
    return await fn(redis);
  } catch (err) {
    throw toAppError(err) ?? err;
  } finally {
    await disconnect(redis);
  }
}

export function wantsJson(ctx: CommandContext): boolean {
  return ctx.opts['json'] === true;
}
