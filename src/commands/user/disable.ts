/**
 * `user disable <name> [--reason <text>]`: mark the account disabled (status, reason, time and
 * sessions_valid_after, one Lua script), then revoke its sessions (ASVS 5.0 7.4.2). The status
 * comes first, so that an application honouring it refuses a login made while the sessions are
 * being revoked. A disabled account stays disabled when run again, and its sessions are
 * revoked again (an application that ignores the status may have logged it in meanwhile).
 */
import { audited } from '../../cli/audited.js';
import { withTopology, wantsJson, type CommandContext } from '../../cli/context.js';
import { say, type Io } from '../../cli/io.js';
import type { AuditFlags, UserFlags } from '../../cli/options.js';
import { printable, printJson } from '../../cli/output.js';
import { ExitCode, NegativeAnswer } from '../../core/errors.js';
import { userKey, validateUsername } from '../../core/users/names.js';
import {
  FIELD_SESSIONS_VALID_AFTER,
  FIELD_STATUS_CHANGED,
  FIELD_STATUS_REASON,
  principalOf,
  setStatus,
  STATUS_DISABLED,
  type StateChange,
} from '../../core/users/store.js';
import { sessionScopes } from '../session/scope.js';
import { printSessionsRevoked, revokeSessionsOf, sessionsJson, type SessionsRevoked, type UserSessionsFlags } from './sessions.js';

export interface DisableFlags extends UserFlags, AuditFlags, UserSessionsFlags {}

export async function run(given: string, ctx: CommandContext<DisableFlags>): Promise<number> {
  const { io, opts } = ctx;
  const name = validateUsername(given);
  const key = userKey(opts.userPrefix, name);
  const scopes = await sessionScopes(opts);
  let change: StateChange | undefined;
  let revoked = 0;
  let sessions: SessionsRevoked | undefined;
  await withTopology(ctx, (topology) =>
    audited(
      ctx,
      topology.keyed,
      {
        command: 'user disable',
        target: `user ${name}`,
        doneSoFar: () => (change === undefined ? 0 : 1),
        detail: () => ({ before: change?.before, after: change?.after, sessionsRevoked: revoked }),
      },
      async () => {
        const now = new Date();
        // The reason is --reason, which the audit entry records too.
        change = await setStatus(topology.keyed, key, { status: STATUS_DISABLED, reason: opts.reason ?? '', now, sessionsValidAfter: now });
        if (change === undefined) throw new NegativeAnswer(`no user ${name}; nothing was changed`);
        const what = `${name} was disabled`;
        sessions = await revokeSessionsOf(topology, ctx, scopes, principalOf(change.after, name), what, (n) => (revoked = n));
        return { count: 1, interrupted: sessions.interrupted };
      },
    ),
  );
  printDisabled(io, name, change as StateChange, sessions as SessionsRevoked, wantsJson(ctx));
  return sessions?.interrupted === true ? ExitCode.interrupted : ExitCode.ok;
}

function printDisabled(io: Io, name: string, change: StateChange, sessions: SessionsRevoked, json: boolean): void {
  const after = change.after;
  const reason = after[FIELD_STATUS_REASON] ?? '';
  if (json) {
    printJson(io.stdout, {
      user: name,
      status: STATUS_DISABLED,
      changed: change.changed,
      reason,
      sessionsValidAfter: after[FIELD_SESSIONS_VALID_AFTER] ?? null,
      ...sessionsJson(sessions),
    });
  } else if (change.changed) {
    say(io, `Disabled ${printable(name)}${reason === '' ? '' : ` (reason: ${printable(reason)})`}.`);
  } else {
    const since = after[FIELD_STATUS_CHANGED];
    say(
      io,
      `${printable(name)} was already disabled${since === undefined ? '' : ` (since ${since}${reason === '' ? '' : `, reason: ${printable(reason)}`})`}; its sessions are revoked again.`,
    );
  }
  if (!json || sessions.interrupted) printSessionsRevoked(io, name, sessions);
}
