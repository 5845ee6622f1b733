/**
 * `user delete <name>`: remove the record (one Lua script, which also returns its principal),
 * then revoke the user's sessions (ASVS 5.0 7.4.2). The record goes first: a login after it
 * finds no user, and the revocation then catches every session made before. The audit entry
 * keeps the fact, with the record's fields as they were (never its hash).
 *
 * It asks on a terminal and needs --yes otherwise: without a terminal it never waits on a
 * prompt.
 */
import { audited } from '../../cli/audited.js';
import { withRedis, withTopology, wantsJson, type CommandContext } from '../../cli/context.js';
import { say } from '../../cli/io.js';
import type { AuditFlags, UserFlags } from '../../cli/options.js';
import { printable, printJson } from '../../cli/output.js';
import { confirm } from '../../cli/prompt.js';
import { ExitCode, NegativeAnswer, UsageError } from '../../core/errors.js';
import { userKey, validateUsername } from '../../core/users/names.js';
import { deleteUser, FIELD_CREATED, FIELD_STATUS, getUserState, principalOf, type RecordState } from '../../core/users/store.js';
import { sessionScopes } from '../session/scope.js';
import { printSessionsRevoked, revokeSessionsOf, sessionsJson, type SessionsRevoked, type UserSessionsFlags } from './sessions.js';

export interface DeleteFlags extends UserFlags, AuditFlags, UserSessionsFlags {
  yes?: true;
}

function noSuchUser(name: string): NegativeAnswer {
  return new NegativeAnswer(`no user ${name}; nothing was deleted`, {
    hint: `session revoke --user ${name} revokes sessions left behind by a user deleted before`,
  });
}

export async function run(given: string, ctx: CommandContext<DeleteFlags>): Promise<number> {
  const { io, opts } = ctx;
  const name = validateUsername(given);
  const key = userKey(opts.userPrefix, name);
  const scopes = await sessionScopes(opts);
  const ask = opts.yes !== true;
  if (ask) {
    if (io.stdin.isTTY !== true) throw new UsageError(`user delete removes ${name} for good; add --yes to confirm when not on a terminal`);
    // Read over a connection of its own, closed while the operator reads the question (as
    // session revoke --all does): a server's idle timeout cannot break the delete after it.
    const state = await withRedis(ctx, (redis) => getUserState(redis, key));
    if (state === undefined) throw noSuchUser(name);
    if (!(await confirm(io, `Delete user ${printable(name)} (${describe(state, name)}) and revoke their sessions?`))) {
      say(io, 'Nothing deleted.');
      return ExitCode.ok;
    }
  }
  let before: RecordState | undefined;
  let revoked = 0;
  let sessions: SessionsRevoked | undefined;
  await withTopology(
    ctx,
    (topology) =>
      audited(
        ctx,
        topology.keyed,
        {
          command: 'user delete',
          target: `user ${name}`,
          doneSoFar: () => (before === undefined ? 0 : 1),
          // after: null, the record is gone (only once it is).
          detail: () => ({ before, ...(before === undefined ? {} : { after: null }), sessionsRevoked: revoked }),
        },
        async () => {
          before = await deleteUser(topology.keyed, key);
          if (before === undefined) throw noSuchUser(name);
          sessions = await revokeSessionsOf(topology, ctx, scopes, principalOf(before, name), `${name} was deleted`, (n) => (revoked = n));
          return { count: 1, interrupted: sessions.interrupted };
        },
      ),
    ask,
  );
  const s = sessions as SessionsRevoked;
  if (wantsJson(ctx)) printJson(io.stdout, { user: name, deleted: true, ...sessionsJson(s) });
  else say(io, `Deleted user ${printable(name)}.`);
  if (!wantsJson(ctx) || s.interrupted) printSessionsRevoked(io, name, s);
  return s.interrupted ? ExitCode.interrupted : ExitCode.ok;
}

/** What the question shows of the record: its status, when it was created, its principal. */
function describe(state: RecordState, name: string): string {
  const principal = principalOf(state, name);
  return [
    state[FIELD_STATUS] ?? 'active',
    ...(state[FIELD_CREATED] === undefined ? [] : [`created ${state[FIELD_CREATED]}`]),
    ...(principal === name ? [] : [`principal ${principal}`]),
  ]
    .map(printable)
    .join(', ');
}
