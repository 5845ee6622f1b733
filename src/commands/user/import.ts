/**
 * `user import <file|-> --format <format>`: users from another system's export (or this tool's
 * own), their hashes stored as they are. Each rejected record is reported with its line and
 * why, and the import goes on; one audit entry counts what the run wrote.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { audited, type RecordAlso } from '../../cli/audited.js';
import { withTopology, wantsJson, type CommandContext } from '../../cli/context.js';
import {
  costCaps,
  type AuditFlags,
  type FirebaseParamsFlag,
  type CapsFlags,
  type ProgressFlag,
  type UserFlags,
} from '../../cli/options.js';
import { say, type Io } from '../../cli/io.js';
import { jsonLine, plural, printable } from '../../cli/output.js';
import { progressLine, stopOnInterrupt } from '../../cli/progress.js';
import { ConflictError, ExitCode, UsageError } from '../../core/errors.js';
import type { Keyed } from '../../core/redis/connection.js';
import { readRecords, type ImportFormat, type Rejected } from '../../core/users/import/formats.js';
import { importUsers, type ConflictMode, type ImportSummary, type OverwrittenUser } from '../../core/users/import/import.js';
import { readFirebaseParams } from './target.js';

export interface ImportFlags extends UserFlags, CapsFlags, AuditFlags, FirebaseParamsFlag, ProgressFlag {
  /** Checked when the command line is read (options.ts parseImportFormat, parseConflictMode). */
  format: ImportFormat;
  onConflict: ConflictMode;
  dryRun?: true;
}

/** The input: a file (opened now, so a wrong path fails before connecting), or stdin for '-'. */
async function openInput(io: Io, source: string): Promise<{ stream: Readable; close: () => Promise<void> }> {
  if (source === '-') return { stream: io.stdin, close: async () => undefined };
  let handle: FileHandle;
  try {
    handle = await open(source, 'r');
  } catch (err) {
    throw new UsageError(`cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const stream = handle.createReadStream({ highWaterMark: 256 * 1024 });
  return { stream, close: () => handle.close().catch(() => undefined) };
}

/** Where in the input: `line 7`, or for a JSON document `record 3 (line 7)`. */
function where(r: { line: number; record?: number }): string {
  return r.record === undefined ? `line ${r.line}` : `record ${r.record} (line ${r.line})`;
}

/** A name from the input, shown: never more than 100 characters, nothing that drives a terminal. */
const shown = (name: string) => printable(name.length > 100 ? `${name.slice(0, 100)}…` : name);

export async function run(source: string, ctx: CommandContext<ImportFlags>): Promise<number> {
  const { io, opts } = ctx;
  const json = wantsJson(ctx);
  const firebase = await readFirebaseParams(opts.firebaseParams);
  if (opts.format === 'firebase' && firebase === undefined) {
    throw new UsageError("--format firebase needs the project's password hash parameters", {
      hint: 'give them with --firebase-params <file> (REDIS_ACCOUNTS_FIREBASE_PARAMS), as for user verify',
    });
  }
  const caps = costCaps(opts);
  const input = await openInput(io, source);
  const display = progressLine(io, 'Importing', opts.progress === true);
  const onRejected = (r: Rejected) => {
    display.clear();
    say(io, `${where(r)}${r.name === undefined ? '' : ` (${shown(r.name)})`}: ${printable(r.reason)}`);
    if (json) {
      display.beforeData();
      io.stdout.write(
        jsonLine({
          type: 'rejected',
          line: r.line,
          ...(r.record === undefined ? {} : { record: r.record }),
          ...(r.name === undefined ? {} : { user: r.name }),
          reason: r.reason,
        }),
      );
    }
  };
  const interrupt = stopOnInterrupt();
  let summary: ImportSummary | undefined;
  let progress: ImportSummary | undefined;
  const importAll = (redis: Keyed, oneNode: boolean, also?: RecordAlso) =>
    importUsers(redis, readRecords(input.stream, opts.format, firebase === undefined ? {} : { firebase }), {
      prefix: opts.userPrefix,
      mode: opts.onConflict,
      dryRun: opts.dryRun === true,
      oneNode,
      caps,
      now: new Date(),
      signal: interrupt.signal,
      onRejected,
      // Each overwritten user is a change of its own: an entry with its fields before and after.
      ...(also === undefined ? {} : { onOverwritten: (users) => overwrittenEntries(also, users) }),
      onProgress: (s) => {
        progress = s;
        display.update({ scanned: s.read, imported: s.imported + s.overwritten, skipped: s.skipped, rejected: s.rejected });
      },
    });
  // An error that ends the import (a cut document, Redis gone) comes after what was written
  // before it: say how far it got first.
  const stoppedBy = async (work: Promise<ImportSummary>): Promise<ImportSummary> => {
    try {
      return await work;
    } catch (err) {
      display.clear();
      if (progress !== undefined) printSummary(io, opts, progress, json, 'Stopped: ');
      throw err;
    }
  };
  try {
    await withTopology(ctx, async (topology) => {
      const redis = topology.keyed;
      const oneNode = topology.kind !== 'cluster';
      if (opts.dryRun === true) {
        summary = await stoppedBy(importAll(redis, oneNode));
        return;
      }
      const target = `users of ${source === '-' ? 'stdin' : printable(source).slice(0, 200)} (--format ${opts.format})`;
      const done = () => (progress === undefined ? 0 : progress.imported + progress.overwritten);
      await audited(ctx, redis, { command: 'user import', target, doneSoFar: done }, async (also) => {
        summary = await stoppedBy(importAll(redis, oneNode, also));
        if (summary.stoppedAt !== undefined) {
          printSummary(io, opts, summary, json);
          const { name } = summary.stoppedAt;
          throw new ConflictError(
            `user ${shown(name)} exists already (${where(summary.stoppedAt)}): the import stopped there (--on-conflict fail); nothing after it was written`,
          );
        }
        return { count: summary.imported + summary.overwritten, interrupted: summary.interrupted };
      });
    });
  } finally {
    interrupt.release();
    display.clear();
    await input.close();
  }
  const result = summary as ImportSummary;
  if (opts.dryRun === true && result.stoppedAt !== undefined) {
    printSummary(io, opts, result, json);
    throw new ConflictError(
      `user ${shown(result.stoppedAt.name)} exists already (${where(result.stoppedAt)}): the import would stop there (--on-conflict fail)`,
    );
  }
  printSummary(io, opts, result, json);
  if (result.interrupted) return ExitCode.interrupted;
  return result.rejected > 0 ? ExitCode.badData : ExitCode.ok;
}

/** The audit entries of users a batch overwrote: `user import`, target `user <name>`, count 1, before and after. */
async function overwrittenEntries(also: RecordAlso, users: OverwrittenUser[]): Promise<void> {
  await Promise.all(
    users.map((u) => also({ command: 'user import', target: `user ${u.name}`, detail: () => ({ before: u.before, after: u.after }) }, 1)),
  );
}

function printSummary(io: Io, opts: ImportFlags, s: ImportSummary, json: boolean, stopped = ''): void {
  const dryRun = opts.dryRun === true;
  if (json) {
    io.stdout.write(
      jsonLine({
        type: 'summary',
        format: opts.format,
        dryRun,
        read: s.read,
        imported: s.imported,
        overwritten: s.overwritten,
        skipped: s.skipped,
        rejected: s.rejected,
        families: s.families,
        interrupted: s.interrupted,
        ...(s.stoppedAt === undefined
          ? {}
          : {
              stoppedAt: {
                line: s.stoppedAt.line,
                ...(s.stoppedAt.record === undefined ? {} : { record: s.stoppedAt.record }),
                user: s.stoppedAt.name,
              },
            }),
      }),
    );
  }
  const families = Object.entries(s.families)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([family, n]) => `${family} ${n}`)
    .join(', ');
  const would = dryRun ? 'would be ' : '';
  const written = [
    `${plural(s.imported, 'user')} ${would}imported`,
    ...(s.overwritten > 0 || opts.onConflict === 'overwrite' ? [`${s.overwritten} ${would}overwritten`] : []),
  ].join(', ');
  const rest = [...(s.skipped > 0 ? [`${s.skipped} skipped (exist already)`] : []), ...(s.rejected > 0 ? [`${s.rejected} rejected`] : [])];
  const parts = [`${written}${families === '' ? '' : ` (${families})`}`, ...rest];
  const head = stopped !== '' ? stopped : dryRun ? 'Dry run, nothing written: ' : s.interrupted ? 'Interrupted: ' : '';
  say(io, `${head}${plural(s.read, 'record')} read; ${parts.join('; ')}.`);
}
