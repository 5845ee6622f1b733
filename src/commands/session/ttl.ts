/**
 * `session ttl <id> [duration] [--hold <d>]`: read, or set so that it sticks, a session's
 * remaining lifetime; with --hold, set it again whenever a request that was in flight
 * writes the session back with its old lifetime.
 */
import { scopeOfId, sessionScopes } from './scope.js';
import { audited } from '../../cli/audited.js';
import { withTopology, wantsJson, type CommandContext } from '../../cli/context.js';
import { formatTtl, parseDuration } from '../../core/duration.js';
import { holdLifetime, holdSummary, type LifetimeHoldResult } from '../../core/sessions/hold.js';
import { validateSessionId } from '../../core/sessions/ids.js';
import { getTtl, setTtl, type SetTtlResult, type TtlInfo } from '../../core/sessions/lifetime.js';
import type { KeyScope } from '../../core/sessions/scope.js';
import type { Topology } from '../../core/redis/topology.js';
import { UsageError } from '../../core/errors.js';
import { say, type Io } from '../../cli/io.js';
import { type AuditFlags, type SessionFlags } from '../../cli/options.js';
import { plural, printJson } from '../../cli/output.js';
import { stopOnInterrupt } from '../../cli/progress.js';

export interface TtlFlags extends SessionFlags, AuditFlags {
  /** Milliseconds (options.ts parseHold). */
  hold?: number;
}

export async function run(id: string, duration: string | undefined, ctx: CommandContext<TtlFlags>): Promise<number> {
  const { io, opts } = ctx;
  validateSessionId(id);
  const seconds = duration === undefined ? undefined : parseDuration(duration);
  const holdMs = opts.hold;
  if (holdMs !== undefined && seconds === undefined)
    throw new UsageError('--hold guards a new lifetime: give one (session ttl <id> <duration> --hold <d>)');
  const scopes = await sessionScopes(opts);
  const result = await withTopology(ctx, async (topology): Promise<TtlOutcome> => {
    const redis = topology.keyed;
    const scope = await scopeOfId(redis, scopes, id);
    if (seconds === undefined) return { layout: scope.layout.name, info: await getTtl(redis, scope, id), held: undefined };
    const set = await audited(ctx, redis, { command: 'session ttl', target: `session ${id}` }, async () => ({
      count: 1,
      result: await setTtl(redis, scope, id, seconds),
    }));
    let info: TtlInfo | SetTtlResult = set.result;
    const held = holdMs === undefined ? undefined : await hold(topology, ctx, { ...scope, id, seconds, holdMs }, (again) => (info = again));
    return { layout: scope.layout.name, info, held };
  });
  printTtl(io, result, wantsJson(ctx));
  return 0;
}

/** A session's lifetime as read or set, and what a --hold saw. */
export interface TtlOutcome {
  layout: string;
  info: TtlInfo | SetTtlResult;
  held: LifetimeHoldResult | undefined;
}

export function printTtl(io: Io, { layout, info, held }: TtlOutcome, json: boolean): void {
  const set = 'valueUpdated' in info ? info : undefined;
  if (json) {
    // cookieUpdated: connect-redis's name for valueUpdated, from before there were other layouts.
    const compat = set !== undefined && layout === 'connect-redis' ? { cookieUpdated: set.valueUpdated } : {};
    printJson(io.stdout, { ...info, ...compat, ...(held === undefined ? {} : { held }) });
    return;
  }
  io.stdout.write(
    `${info.ttlSeconds < 0 ? 'none (no expiry)' : `${formatTtl(info.ttlSeconds)} (${info.ttlSeconds}s)`}${info.expiresAt ? `  expires ${info.expiresAt}` : ''}\n`,
  );
  if (set !== undefined && !set.valueUpdated && set.note === undefined)
    say(io, `Note: not a session value of the ${layout} layout that can be rewritten; only the key TTL was changed.`);
  if (set?.note !== undefined) say(io, `Note: ${set.note}`);
  if (held !== undefined) {
    const summary =
      held.reapplied === 0
        ? 'Hold over: nothing wrote the old lifetime back'
        : `Hold over: the session was written back with its old lifetime and the new one re-applied ${plural(held.reapplied, 'time')}`;
    say(io, holdSummary(summary, held));
  }
}

/** Keep the new lifetime for --hold; the result says how often the app undid it. */
async function hold(
  topology: Topology,
  ctx: CommandContext,
  what: KeyScope & { id: string; seconds: number; holdMs: number },
  onReapply: (result: SetTtlResult) => void,
): Promise<LifetimeHoldResult> {
  const { io } = ctx;
  if (io.stderr.isTTY === true) say(io, `Holding the new lifetime for ${Math.round(what.holdMs / 1000)}s (Ctrl-C ends the hold early) ...`);
  const interrupt = stopOnInterrupt();
  try {
    return await holdLifetime(topology, {
      layout: what.layout,
      prefix: what.prefix,
      id: what.id,
      seconds: what.seconds,
      durationMs: what.holdMs,
      signal: interrupt.signal,
      onReapply,
    });
  } finally {
    interrupt.release();
  }
}
