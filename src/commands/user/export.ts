/**
 * `user export [--include-hashes]`: every user record as one line of JSON (JSONL), streamed over
 * SCAN on every master, in the form `user import --format jsonl` reads back (record-json.ts). The
 * hashes only with --include-hashes, and then a warning on stderr first. A record that cannot be
 * read is named on stderr and left out, the export goes on, and the exit code is 5.
 */
import { withTopology, type CommandContext } from '../../cli/context.js';
import { say } from '../../cli/io.js';
import type { ProgressFlag, UserFlags } from '../../cli/options.js';
import { incomplete, jsonLine, ndjson, plural, printable, pump, type Written } from '../../cli/output.js';
import { progressLine } from '../../cli/progress.js';
import { ExitCode } from '../../core/errors.js';
import { scanRecords, type ScannedRecord } from '../../core/users/records.js';
import { FIELD_HASH } from '../../core/users/store.js';
import { LISTED_FIELDS, recordJson } from './record-json.js';

export interface ExportFlags extends UserFlags, ProgressFlag {
  includeHashes?: true;
}

export async function run(ctx: CommandContext<ExportFlags>): Promise<number> {
  const { io, opts } = ctx;
  const withHashes = opts.includeHashes === true;
  if (withHashes)
    say(
      io,
      'warning: the export holds password hashes: anyone who reads it can try to guess the passwords offline. Keep it as secret as the database, and delete it once imported.',
    );
  return withTopology(ctx, async (topology) => {
    const counts = { exported: 0, unreadable: 0, skipped: 0 };
    const progress = progressLine(io, 'Exporting', opts.progress === true);
    const written: Written = { rows: 0 };
    const write = (batch: ScannedRecord[]): number => {
      const lines: string[] = [];
      for (const record of batch) {
        if (record.kind === 'skipped') counts.skipped += 1;
        else if (record.kind === 'unreadable') {
          counts.unreadable += 1;
          progress.clear();
          say(io, `${printable(record.key)} left out: ${record.reason}`);
        } else {
          const line = recordJson(record);
          if (withHashes && record.hash !== undefined) line[FIELD_HASH] = record.hash;
          lines.push(jsonLine(line).slice(0, -1));
        }
      }
      counts.exported += lines.length;
      progress.update({ scanned: counts.exported + counts.unreadable, exported: counts.exported });
      if (lines.length > 0) {
        progress.beforeData();
        io.stdout.write(ndjson(lines));
      }
      return lines.length;
    };
    const fields = withHashes ? LISTED_FIELDS : LISTED_FIELDS.filter((f) => f !== FIELD_HASH);
    let complete: boolean;
    try {
      complete = await pump(ctx, scanRecords(topology, { prefix: opts.userPrefix, fields, stop: ctx.readerGone }), written, write);
    } catch (err) {
      throw incomplete(err, written.rows, 'user');
    } finally {
      progress.clear();
    }
    if (!complete) return 0;
    const left = counts.unreadable > 0 ? ` ${plural(counts.unreadable, 'unreadable record')} left out (named above).` : '';
    const skipped = counts.skipped > 0 ? ` ${plural(counts.skipped, 'key')} skipped (not a user record).` : '';
    say(io, `${plural(counts.exported, 'user')} exported${withHashes ? ' with their password hashes' : ''}.${left}${skipped}`);
    return counts.unreadable > 0 ? ExitCode.badData : ExitCode.ok;
  });
}
