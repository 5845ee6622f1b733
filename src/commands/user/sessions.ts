/**
 * The sessions of a user whose account changed (`user passwd`, `user disable`, `user delete`):
 * revoked through the session revoke core, in the layout of --layout (every layout with
 * --layout auto), as `session revoke --user <principal>` would, with its progress line and
 * Ctrl-C. The principal is the record's `principal` field when set, else the username
 * (store.ts principalOf).
 */
import type { CommandContext } from '../../cli/context.js';
import { say, type Io } from '../../cli/io.js';
import type { ProgressFlag, SessionFlags } from '../../cli/options.js';
import { plural, printable } from '../../cli/output.js';
import { progressLine, stopOnInterrupt } from '../../cli/progress.js';
import { toAppError } from '../../core/redis/redis-errors.js';
import type { Topology } from '../../core/redis/topology.js';
import { revokeMatching, type RevokeProgress } from '../../core/sessions/revoke.js';
import type { OddUsers, SessionScope } from '../../core/sessions/scope.js';
import { oddUserNote } from '../session/scope.js';

/** The options of a user command that revokes the user's sessions. */
export interface UserSessionsFlags extends SessionFlags, ProgressFlag {}

export interface SessionsRevoked extends OddUsers {
  /** Whose sessions: the record's principal, or the username. */
  principal: string;
  revoked: number;
  /** Keys looked at (or index members, where the layout keeps a per-user index). */
  scanned: number;
  /** Ctrl-C stopped the walk: some sessions may be left. */
  interrupted: boolean;
}

/**
 * Revoke every session of `principal` in each scope in turn. `onRevoked` hears the running count
 * (the audit entry of a failure records it). A failure midway says in its message how many were
 * revoked and how to finish: `what` is what was already done to the account ("the password of
 * alice was changed").
 */
export async function revokeSessionsOf(
  topology: Topology,
  ctx: CommandContext<UserSessionsFlags>,
  scopes: SessionScope[],
  principal: string,
  what: string,
  onRevoked: (revoked: number) => void = () => undefined,
): Promise<SessionsRevoked> {
  const total: SessionsRevoked = { principal, revoked: 0, scanned: 0, interrupted: false, oddUser: 0 };
  try {
    return await walkSessionsOf(topology, ctx, scopes, total, false, () => onRevoked(total.revoked));
  } catch (err) {
    // Say, in the one error line, what was done and how to finish: a rerun of the account
    // command would change it again (or, after a delete, find no user).
    const failure = toAppError(err) ?? err;
    if (failure instanceof Error)
      failure.message += ` (${what}, but revoking the sessions of ${principal} failed after ${plural(total.revoked, 'session')}: run session revoke --user ${principal} with the same session options to finish)`;
    throw failure;
  }
}

/**
 * How many sessions `principal` has, found as revokeSessionsOf finds them (a dry run of the same
 * walk, which changes nothing): `revoked` is then the count of sessions found.
 */
export async function countSessionsOf(
  topology: Topology,
  ctx: CommandContext<UserSessionsFlags>,
  scopes: SessionScope[],
  principal: string,
): Promise<SessionsRevoked> {
  return walkSessionsOf(topology, ctx, scopes, { principal, revoked: 0, scanned: 0, interrupted: false, oddUser: 0 }, true);
}

/**
 * The user's sessions in each scope in turn, revoked or (dryRun) counted into `total`, with the
 * progress line and Ctrl-C; `onCount` hears each change of the count.
 */
async function walkSessionsOf(
  topology: Topology,
  ctx: CommandContext<UserSessionsFlags>,
  scopes: SessionScope[],
  total: SessionsRevoked,
  dryRun: boolean,
  onCount: () => void = () => undefined,
): Promise<SessionsRevoked> {
  const display = progressLine(ctx.io, dryRun ? 'Counting sessions' : 'Revoking sessions', ctx.opts.progress === true);
  const interrupt = stopOnInterrupt();
  // A dry run counts what it found; a revocation, what UNLINK removed.
  const count = (p: RevokeProgress) => (dryRun ? p.matched : p.revoked);
  try {
    for (const scope of scopes) {
      const before = { ...total };
      const done = await revokeMatching(topology, {
        ...scope,
        user: total.principal,
        dryRun,
        signal: interrupt.signal,
        onBatch: (_ids, p) => {
          total.revoked = before.revoked + count(p);
          total.scanned = before.scanned + p.scanned;
          onCount();
          display.update({ scanned: total.scanned, [dryRun ? 'found' : 'revoked']: total.revoked });
        },
      });
      total.revoked = before.revoked + count(done);
      total.scanned = before.scanned + done.scanned;
      total.oddUser = before.oddUser + done.oddUser;
      total.oddUserField ??= done.oddUserField;
      total.oddUserShape ??= done.oddUserShape;
      onCount();
      if (done.interrupted) {
        total.interrupted = true;
        break;
      }
    }
    return total;
  } finally {
    interrupt.release();
    display.clear();
  }
}

/** The summary line of the revocation (stderr), and what an interruption left to do. */
export function printSessionsRevoked(io: Io, name: string, s: SessionsRevoked): void {
  const whose = s.principal === name ? printable(name) : `${printable(name)} (principal ${printable(s.principal)})`;
  if (s.interrupted) {
    say(
      io,
      `Interrupted: revoked ${plural(s.revoked, 'session')} of ${whose} before stopping; run session revoke --user ${printable(s.principal)} to finish.`,
    );
    return;
  }
  say(io, `Revoked ${plural(s.revoked, 'session')} of ${whose}.${oddUserNote(s)}`);
}

/** The --json fields of the revocation. */
export function sessionsJson(s: SessionsRevoked): Record<string, unknown> {
  return { principal: s.principal, sessionsRevoked: s.revoked, ...(s.interrupted ? { interrupted: true } : {}) };
}
