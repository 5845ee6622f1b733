/**
 * `session index prune [--dry-run]`: remove the per-user index members that name no session of
 * that user (Spring's principal sets keep the ids of sessions that expired while the
 * application missed the keyspace event, and grow without bound).
 */
import { audited } from '../../cli/audited.js';
import { withTopology, wantsJson, type CommandContext } from '../../cli/context.js';
import { say, type Io } from '../../cli/io.js';
import type { AuditFlags, SessionFlags } from '../../cli/options.js';
import { plural, printJson } from '../../cli/output.js';
import { UsageError } from '../../core/errors.js';
import { pruneIndexes, type PruneResult } from '../../core/sessions/user-index.js';
import { sessionScope } from './scope.js';

export interface PruneFlags extends SessionFlags, AuditFlags {
  dryRun?: true;
}

export async function run(ctx: CommandContext<PruneFlags>): Promise<number> {
  const { io, opts } = ctx;
  const scope = await sessionScope(opts);
  if (scope.layout.userIndex === undefined)
    throw new UsageError(`the ${scope.layout.name} layout keeps no per-user index`, { hint: 'give --layout spring' });
  const dryRun = opts.dryRun === true;
  const result = await withTopology(ctx, async (topology) => {
    if (dryRun) return pruneIndexes(topology, scope, true);
    const done = await audited(
      ctx,
      topology.keyed,
      { command: 'session index prune', target: `${scope.layout.name} indexes` },
      async () => {
        const pruned = await pruneIndexes(topology, scope, false);
        return { count: pruned.pruned, result: pruned };
      },
    );
    return done.result;
  });
  printPrune(io, result, dryRun, wantsJson(ctx));
  return 0;
}

export function printPrune(io: Io, result: PruneResult, dryRun: boolean, json: boolean): void {
  if (json) printJson(io.stdout, { ...result, dryRun });
  const verb = dryRun ? 'would remove' : 'removed';
  say(
    io,
    `${plural(result.indexes, 'index', 'indexes')}, ${plural(result.members, 'member')}: ${verb} ${plural(result.pruned, 'stale member')}.`,
  );
}
