/**
 * What `session revoke` prints: its results as text (stderr, ids on stdout for a dry run) or
 * JSON (stdout). The command (revoke.ts) computes; these only print.
 */
import type { Io } from '../../cli/io.js';
import { say } from '../../cli/io.js';
import { jsonLine, plural, printable, printJson } from '../../cli/output.js';
import { holdSummary, type HoldResult } from '../../core/sessions/hold.js';
import type { IdRevokeResult, RevokeProgress } from '../../core/sessions/revoke.js';
import { keyText, type KeyScope } from '../../core/sessions/scope.js';
import { oddUserNote } from './scope.js';

/** What a revoke was asked to do, as the printers need it. */
export interface RevokeAsked extends KeyScope {
  ids: string[];
  user: string | undefined;
  dryRun: boolean;
  json: boolean;
}

export interface IdsOutcome {
  result: IdRevokeResult;
  held: HoldResult | undefined;
}

export interface BulkOutcome {
  progress: RevokeProgress;
  held: HoldResult | undefined;
}

/** The ids a dry run found in one batch, as they are found: one per line, or one {"id"} line each with --json. */
export function printDryRunBatch(io: Io, json: boolean, ids: string[]): void {
  io.stdout.write(ids.map((id) => (json ? jsonLine({ id }) : `${printable(id)}\n`)).join(''));
}

/** The hold's own line (text only: with --json the summary carries `held`). */
export function printHold(io: Io, asked: RevokeAsked, held: HoldResult): void {
  if (!asked.json)
    say(
      io,
      holdSummary(
        `Hold over: ${plural(held.caught, 'revoked session')} came back and ${held.caught === 1 ? 'was' : 'were'} deleted again`,
        held,
      ),
    );
}

export function printIdsOutcome(io: Io, asked: RevokeAsked, { result: r, held }: IdsOutcome): void {
  if (asked.json) {
    printJson(io.stdout, {
      dryRun: asked.dryRun,
      revoked: r.revoked.length,
      ids: r.revoked,
      missing: r.missing,
      notSessions: r.notSessions,
      ...(held ? { held } : {}),
    });
    return;
  }
  if (asked.dryRun) r.revoked.forEach((id) => io.stdout.write(`${printable(id)}\n`));
  for (const id of r.missing) say(io, `Session ${printable(id)} not found.`);
  for (const id of r.notSessions)
    say(io, `${printable(keyText(asked, id))} is not a session (not a ${asked.layout.keyType} key); left alone.`);
  say(io, `${asked.dryRun ? 'Would revoke' : 'Revoked'} ${r.revoked.length} of ${plural(asked.ids.length, 'session')}.`);
}

/** How the sessions were found: keys scanned, or the user's index and its stale members. */
function walked(p: RevokeProgress, dryRun: boolean): string {
  if (p.index === undefined) return `${plural(p.scanned, 'key')} scanned`;
  const stale = p.index.pruned === 0 ? '' : `, ${p.index.pruned} stale ${dryRun ? 'to remove' : 'removed'}`;
  return `through the user's index: ${plural(p.index.members, 'member')}${stale}`;
}

export function printBulkOutcome(io: Io, asked: RevokeAsked, { progress: p, held }: BulkOutcome): void {
  const count = asked.dryRun ? p.matched : p.revoked;
  if (asked.json) {
    printJson(io.stdout, {
      dryRun: asked.dryRun,
      // A dry run revoked nothing: its count is named for what it is.
      ...(asked.dryRun ? { wouldRevoke: count } : { revoked: count }),
      scanned: p.scanned,
      ...(p.index === undefined ? {} : { index: p.index }),
      ...(asked.user === undefined ? {} : { user: asked.user }),
      ...(p.interrupted ? { interrupted: true } : {}),
      ...(held ? { held } : {}),
    });
  }
  if (p.interrupted) {
    say(
      io,
      `Interrupted: ${asked.dryRun ? 'found' : 'revoked'} ${plural(count, 'session')} before stopping (${plural(p.scanned, 'key')} scanned). Run the command again to finish.`,
    );
    return;
  }
  if (!asked.json)
    say(
      io,
      `${asked.dryRun ? 'Would revoke' : 'Revoked'} ${plural(count, 'session')}${asked.user === undefined ? '' : ` of ${printable(asked.user)}`} (${walked(p, asked.dryRun)}).${oddUserNote(p)}`,
    );
  else if (p.oddUser > 0) say(io, oddUserNote(p).trim());
}
