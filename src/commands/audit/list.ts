/**
 * `audit list [--since <time>] [--limit N] [--oldest-first]`: what the tool changed, who
 * changed it, when and why. Always printed in time order; --limit keeps the newest N (a tail),
 * or with --oldest-first the oldest N from --since on.
 */
import { auditKey } from '../../audited.js';
import { withRedis, wantsJson, type CommandContext } from '../../context.js';
import { readAudit, readNewestAudit, type AuditEntry } from '../../core/audit.js';
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../errors.js';
import { say } from '../../io.js';
import { parseInteger } from '../../options.js';
import { createRowPrinter, plural, printJson } from '../../output.js';

const COLUMNS = [
  { header: 'Time', width: 24 },
  { header: 'Actor', width: 24 },
  { header: 'Command', width: 16 },
  { header: 'Target', width: 28 },
  { header: 'Count', width: 8 },
  { header: 'Outcome', width: 11 },
  { header: 'Reason', width: 30 },
  { header: 'Error', width: 40 },
];

/** `--since`: an ISO time or date, or a duration back from now (30m, 12h, 7d). */
export function parseSince(text: string | undefined, now = Date.now()): number {
  if (text === undefined) return 0;
  if (/^[0-9]+[smhdw]?$/.test(text)) return now - parseDuration(text) * 1000;
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
  return withRedis(ctx, async (redis) => {
    const key = auditKey(opts);
    // Without --limit (or with --oldest-first) the trail streams forward in pages; the newest N
    // are read backwards and turned around.
    const entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry> =
      limit === undefined || oldestFirst ? readAudit(redis, key, since) : await readNewestAudit(redis, key, since, limit);
    const table = json ? undefined : await createRowPrinter(io, COLUMNS);
    let n = 0;
    for await (const e of entries) {
      if (json) printJson(io.stdout, e);
      else table?.row([e.time, e.actor, e.command, e.target, String(e.count), e.outcome, e.reason, e.error]);
      n += 1;
      if (limit !== undefined && n >= limit) break;
      if (ctx.readerGone.aborted) return 0;
    }
    table?.flush();
    say(io, `${plural(n, 'entry', 'entries')}.`);
    return 0;
  });
}
