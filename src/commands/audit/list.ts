/**
 * `audit list [--since <time>] [--limit N] [--oldest-first]`: what the tool changed, who
 * changed it, when and why. Always printed in time order; --limit keeps the newest N (a tail),
 * or with --oldest-first the oldest N from --since on.
 */
import { auditKey } from '../../cli/audited.js';
import { withRedis, wantsJson, type CommandContext } from '../../cli/context.js';
import { readAudit, readNewestAudit, type AuditEntry } from '../../core/audit.js';
import { durationMs, MAX_DURATION_SECONDS } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { say } from '../../cli/io.js';
import { parseInteger } from '../../cli/options.js';
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

/** `--since`: an ISO time or date, or a duration back from now (30m, 12h, 7d). */
export function parseSince(text: string | undefined, now = Date.now()): number {
  if (text === undefined) return 0;
  const ago = durationMs(text);
  if (ago !== undefined) {
    if (ago / 1000 > MAX_DURATION_SECONDS) throw new UsageError('--since is longer than ten years ago');
    return now - ago;
  }
  const ms = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(ms)) {
    throw new UsageError(`invalid --since "${text.slice(0, 40)}"`, { hint: 'use an ISO time (2026-11-28T10:00:00Z), a date, or a duration ago (12h, 7d)' });
  }
  return ms;
}

export async function run(ctx: CommandContext): Promise<number> {
  const { io, opts } = ctx;
  const since = parseSince(typeof opts['since'] === 'string' ? opts['since'] : undefined);
  const limit = opts['limit'] === undefined ? undefined : parseInteger(String(opts['limit']), '--limit', 1, Number.MAX_SAFE_INTEGER);
  const oldestFirst = opts['oldestFirst'] === true;
  if (oldestFirst && limit === undefined) throw new UsageError('--oldest-first chooses which entries --limit keeps; give --limit <n> too');
  const json = wantsJson(ctx);
  const key = auditKey(opts);
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
