/**
 * `audit list [--since <time>] [--limit N] [--oldest-first]`: what the tool changed, who
 * changed it, when and why. Always printed in time order; --limit keeps the newest N (a tail),
 * or with --oldest-first the oldest N from --since on.
 */
import { withRedis, wantsJson, type CommandContext } from '../../cli/context.js';
import { readAudit, readNewestAudit, type AuditEntry } from '../../core/audit.js';
import { UsageError } from '../../core/errors.js';
import { say } from '../../cli/io.js';
import type { ConnectionFlags } from '../../cli/options.js';
import { createRowPrinter, incomplete, plural, printJson, tableTime, type Column } from '../../cli/output.js';

/**
 * On a narrow terminal the padding of Command and Count goes first, then Reason and Error
 * narrow together, then Actor and Target; below the minimums Reason, Error and Count are
 * left out, in that order (--json has every field).
 */
const COLUMNS: Column[] = [
  { header: 'Time', width: 20 },
  { header: 'Actor', width: 24, min: 8, shrink: 2 },
  { header: 'Command', width: 16, min: 14, shrink: 0 },
  { header: 'Target', width: 28, min: 11, shrink: 2 },
  { header: 'Count', width: 8, min: 7, shrink: 0, optional: 3 },
  { header: 'Outcome', width: 11 },
  { header: 'Reason', width: 30, min: 8, shrink: 1, optional: 1 },
  { header: 'Error', width: 40, min: 10, shrink: 1, optional: 2 },
];

export interface AuditListFlags extends ConnectionFlags {
  /** Milliseconds since the epoch (options.ts parseSince). */
  since?: number;
  limit?: number;
  oldestFirst?: true;
  auditKey: string;
}

export async function run(ctx: CommandContext<AuditListFlags>): Promise<number> {
  const { io, opts } = ctx;
  const since = opts.since ?? 0;
  const { limit } = opts;
  const oldestFirst = opts.oldestFirst === true;
  if (oldestFirst && limit === undefined) throw new UsageError('--oldest-first chooses which entries --limit keeps; give --limit <n> too');
  const json = wantsJson(ctx);
  const key = opts.auditKey;
  return withRedis(ctx, async (redis) => {
    // Without --limit (or with --oldest-first) the trail streams forward in pages; the newest N
    // are read backwards and turned around.
    const entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry> =
      limit === undefined || oldestFirst ? readAudit(redis, key, since) : await readNewestAudit(redis, key, since, limit);
    const table = json ? undefined : await createRowPrinter(io, COLUMNS);
    let n = 0;
    try {
      for await (const e of entries) {
        if (json) printJson(io.stdout, e);
        else table?.row([tableTime(e.time, ''), e.actor, e.command, e.target, String(e.count), e.outcome, e.reason, e.error]);
        n += 1;
        if (limit !== undefined && n >= limit) break;
        if (ctx.readerGone.aborted) return 0;
      }
    } catch (err) {
      table?.flush(); // the entries read before the failure, then the line saying they are not all
      throw incomplete(err, n, 'entry', 'entries');
    }
    table?.flush();
    say(io, `${plural(n, 'entry', 'entries')}.`);
    return 0;
  });
}
