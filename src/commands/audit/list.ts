/** `audit list [--since <time>]`: what the tool changed, who changed it, when and why. */
import { auditKey } from '../../audited.js';
import { withRedis, wantsJson, type CommandContext } from '../../context.js';
import { readAudit } from '../../core/audit.js';
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
  { header: 'Reason', width: 40 },
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
  const limit = opts['limit'] === undefined ? Infinity : parseInteger(String(opts['limit']), '--limit', 1, Number.MAX_SAFE_INTEGER);
  const json = wantsJson(ctx);
  return withRedis(ctx, async (redis) => {
    const table = json ? undefined : await createRowPrinter(io, COLUMNS);
    let n = 0;
    for await (const e of readAudit(redis, auditKey(opts), since)) {
      if (json) printJson(io.stdout, e);
      else table?.row([e.time, e.actor, e.command, e.target, String(e.count), e.outcome, e.error ? `${e.reason} [${e.error}]`.trim() : e.reason]);
      n += 1;
      if (n >= limit) break;
      if (ctx.readerGone.aborted) return 0;
    }
    table?.flush();
    say(io, `${plural(n, 'entry', 'entries')}.`);
    return 0;
  });
}
