/** `session list`: stream sessions as a table, tab-separated lines, or NDJSON (--json). */
import { withTopology, wantsJson, type CommandContext } from '../../cli/context.js';
import { formatTtl } from '../../core/duration.js';
import { emptyStats, listSessionLines, listSessions, type ListOptions, type ListStats } from '../../core/sessions/list.js';
import type { Topology } from '../../core/redis/topology.js';
import type { SessionRecord } from '../../core/sessions/layout.js';
import { say } from '../../cli/io.js';
import type { ProgressFlag, SecretFlag, SessionFlags } from '../../cli/options.js';
import { createRowPrinter, incomplete, ndjson, plural, pump, tableTime, type Column, type Written } from '../../cli/output.js';
import { progressLine, type Progress } from '../../cli/progress.js';
import { oddUserNote, sessionScopes } from './scope.js';

/**
 * On a narrow terminal Details narrows first (and is left out below 12), then User, then
 * Expires at is left out. The ID column is as wide as the longest ids the listed layouts'
 * frameworks make (32 for express-session, 36 for a UUID, 64 for Rails' private ids) and never
 * narrows: a cut id is of no use to the operator who copies it into `session revoke`.
 */
const OTHER_COLUMNS: Column[] = [
  { header: 'User', width: 20, min: 8, shrink: 2 },
  { header: 'TTL', width: 8 },
  { header: 'Expires at', width: 20, optional: 2 },
  { header: 'Details', width: 50, min: 12, shrink: 1, optional: 1 },
];

function idColumn(listings: readonly ListOptions[]): Column {
  const width = Math.max(...listings.map((l) => l.layout.idLength));
  return { header: 'ID', width, min: width };
}

/** A one-line summary of what a session records beyond its cookie and user. */
function details(record: SessionRecord): string {
  if (!record.readable) return `(unreadable: ${record.unreadable ?? 'not JSON'})`;
  if (record.extra === null) return '';
  return Object.entries(record.extra)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** With --layout auto: the column that says whose each session is, after the id. */
const LAYOUT_COLUMN: Column = { header: 'Layout', width: 14 };

/** Each listing's batches in turn: one per layout with --layout auto. */
async function* chained<T>(listings: ListOptions[], list: (listing: ListOptions) => AsyncGenerator<T[]>): AsyncGenerator<T[]> {
  for (const listing of listings) {
    yield* list(listing);
    if (listing.limit !== undefined && (listing.stats?.listed ?? 0) >= listing.limit) return;
  }
}

/**
 * NDJSON built straight from the stored JSON (no record objects), one write per batch: a
 * million small writes cost more than the scan itself.
 */
function writeLines(
  ctx: CommandContext,
  topology: Topology,
  listings: ListOptions[],
  progress: Progress,
  written: Written,
): Promise<boolean> {
  return pump(
    ctx,
    chained(listings, (listing) => listSessionLines(topology, listing)),
    written,
    (lines) => {
      progress.beforeData();
      ctx.io.stdout.write(ndjson(lines));
    },
  );
}

/** A table on a terminal, tab-separated in a pipe. */
async function writeRows(
  ctx: CommandContext,
  topology: Topology,
  listings: ListOptions[],
  progress: Progress,
  written: Written,
): Promise<boolean> {
  const several = listings.length > 1;
  const columns = [idColumn(listings), ...(several ? [LAYOUT_COLUMN] : []), ...OTHER_COLUMNS];
  const table = await createRowPrinter(ctx.io, columns, () => progress.beforeData());
  return pump(
    ctx,
    chained(listings, (listing) => listSessions(topology, listing)),
    written,
    (batch) => {
      for (const s of batch) {
        const cells = [s.user ?? '-', s.ttlSeconds < 0 ? 'none' : formatTtl(s.ttlSeconds), tableTime(s.expiresAt), details(s)];
        table.row(several ? [s.id, s.layout ?? '', ...cells] : [s.id, ...cells]);
      }
      table.flush();
    },
  );
}

export interface ListFlags extends SessionFlags, SecretFlag, ProgressFlag {
  user?: string;
  scan?: true;
  limit?: number;
}

export async function run(ctx: CommandContext<ListFlags>): Promise<number> {
  const { io, opts } = ctx;
  const { user, limit } = opts;
  const scopes = await sessionScopes(opts);
  const write = wantsJson(ctx) ? writeLines : writeRows;

  return withTopology(ctx, async (topology) => {
    const stats = emptyStats();
    // Drawn only on a terminal's stderr (an operator waiting on a long scan, also with stdout
    // redirected to a file), and with stdout a pipe only if asked (--progress); with stderr
    // a pipe it gets only the summary.
    const progress = progressLine(io, 'Listing', opts.progress === true);
    const onScanned = (s: ListStats) => progress.update({ scanned: s.scanned, listed: s.listed });
    const written: Written = { rows: 0 };
    let complete: boolean;
    try {
      const listings = scopes.map((scope) => ({ ...scope, user, scan: opts.scan === true, limit, stats, onScanned }));
      complete = await write(ctx, topology, listings, progress, written);
    } catch (err) {
      throw incomplete(err, written.rows, 'session');
    } finally {
      progress.clear();
    }
    // `| head` went away: stop, with no summary (how many it read is not ours to know).
    if (!complete) return 0;
    const notes = [
      stats.unreadable > 0 ? `${stats.unreadable} unreadable` : '',
      stats.wrongType > 0 ? `${stats.wrongType} skipped (not a ${[...new Set(scopes.map((s) => s.layout.keyType))].join(' or ')} key)` : '',
      stats.index === undefined ? '' : `found through the user's index, ${plural(stats.index.members, 'member')}`,
      stats.index === undefined || stats.index.pruned === 0
        ? ''
        : `${stats.index.pruned} stale, which revoke --user or session index prune removes`,
    ]
      .filter(Boolean)
      .join(', ');
    // The rules of the layouts that listed a session (with --layout auto, not every layout's).
    const rules = scopes.flatMap((s) =>
      s.layout.expiryRule === undefined || (scopes.length > 1 && stats.layouts?.has(s.layout.name) !== true) ? [] : [s.layout.expiryRule],
    );
    const rule = rules.length === 0 ? '' : ` Expiry is ${rules.join('; ')}, not the key's TTL.`;
    // The summary goes to stderr even with --json: scripts read counts there, data on stdout.
    say(io, `${plural(stats.listed, 'session')}${notes ? ` (${notes})` : ''}.${oddUserNote(stats)}${rule}`);
    return 0;
  });
}
