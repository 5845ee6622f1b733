/**
 * `user passwd <name>`: set a new password, as an operator resets a forgotten or compromised one
 * (no current password needed, unlike `user rehash`). The new password is asked twice without
 * echo, read from stdin with --password-stdin, or made with --random (printed once on stdout, and
 * marked as one the user must change: ASVS 5.0 6.4.1). It must meet the password rules
 * (core/users/policy.ts).
 *
 * The write is a compare-and-set against the hash read before the password was asked for: a
 * change made meanwhile (another passwd, the user's own) is never overwritten unseen (exit 4).
 * Then every session of the user is revoked (ASVS 5.0 7.4.3), unless --keep-sessions, and
 * sessions_valid_after is set to the time of the change for applications whose tokens cannot be
 * deleted (ASVS 5.0 7.4.1).
 */
import { audited } from '../../cli/audited.js';
import { withTopology, wantsJson, type CommandContext } from '../../cli/context.js';
import { say, type Io } from '../../cli/io.js';
import type { NewPasswordFlags } from '../../cli/options.js';
import { printable, printJson } from '../../cli/output.js';
import { readPassword } from '../../cli/prompt.js';
import { ConflictError, ExitCode, NegativeAnswer, UsageError } from '../../core/errors.js';
import type { SessionScope } from '../../core/sessions/scope.js';
import { hashNewPassword } from '../../core/users/pepper.js';
import { checkBlocklistFile, randomPassword, type PasswordRules } from '../../core/users/policy.js';
import { changePassword, FIELD_SESSIONS_VALID_AFTER, getUser, principalOf, type PasswordChange } from '../../core/users/store.js';
import { sessionScopes } from '../session/scope.js';
import { printSessionsRevoked, revokeSessionsOf, sessionsJson, type SessionsRevoked, type UserSessionsFlags } from './sessions.js';
import { readPepper, userTarget, type UserCommandFlags } from './target.js';

export interface PasswdFlags extends UserCommandFlags, NewPasswordFlags, UserSessionsFlags {
  random?: true;
  keepSessions?: true;
}

type Changed = Extract<PasswordChange, { result: 'changed' }>;

export async function run(given: string, ctx: CommandContext<PasswdFlags>): Promise<number> {
  const { io, opts } = ctx;
  // 'existing': whatever name a record may have; a policy above the caps is refused, as the hash it
  // makes would be refused by `user verify`.
  const { name, key, policy } = userTarget(given, opts, 'existing');
  const random = opts.random === true;
  if (random && opts.passwordStdin === true) throw new UsageError('--random makes the password: give it without --password-stdin');
  const keep = opts.keepSessions === true;
  const scopes: SessionScope[] = keep ? [] : await sessionScopes(opts);
  await checkBlocklistFile(opts.blocklist);
  const pepper = await readPepper(io, opts.pepperFile);
  const rules: PasswordRules = {
    username: name,
    minChars: opts.minLength,
    ...(opts.blocklist === undefined ? {} : { blocklistFile: opts.blocklist }),
  };

  let change: Changed | undefined;
  let revoked = 0;
  let sessions: SessionsRevoked | undefined;
  let password: string | undefined;
  await withTopology(ctx, (topology) =>
    audited(
      ctx,
      topology.keyed,
      {
        command: 'user passwd',
        target: `user ${name}`,
        doneSoFar: () => (change === undefined ? 0 : 1),
        detail: () => ({ before: change?.before, after: change?.after, ...(keep ? {} : { sessionsRevoked: revoked }) }),
      },
      async () => {
        const redis = topology.keyed;
        // Read first: an unknown user is told before a password is typed for nothing, and the
        // hash read here is what the compare-and-set expects.
        const record = await getUser(redis, key);
        if (record === undefined) throw new NegativeAnswer(`no user ${name}; nothing was written`);
        password = random
          ? randomPassword(rules)
          : await readPassword(io, { fromStdin: opts.passwordStdin === true, confirm: true, message: `New password for ${name}:` });
        const next = await hashNewPassword(password, rules, policy, pepper);
        const now = new Date();
        const result = await changePassword(redis, key, {
          expected: record.passwordHash,
          next: next.phc,
          pepperId: next.pepperId,
          now,
          mustChange: random,
          ...(keep ? {} : { sessionsValidAfter: now }),
        });
        if (result.result === 'gone')
          throw new ConflictError(`user ${name} was deleted while its password was being changed; nothing was written`);
        if (result.result === 'conflict')
          throw new ConflictError(`the password of ${name} was changed by someone else meanwhile; nothing was written`, {
            hint: 'run it again if this change should replace that one',
          });
        change = result;
        // Shown at once: should the revocation fail, the operator still has the new password.
        if (random && !wantsJson(ctx)) io.stdout.write(`${password}\n`);
        if (!keep) {
          const what = `the password of ${name} was changed`;
          try {
            sessions = await revokeSessionsOf(topology, ctx, scopes, principalOf(result.after, name), what, (n) => (revoked = n));
          } catch (err) {
            // The password is set: a script reading --json must still get it, or nobody knows it.
            if (random && wantsJson(ctx)) printJson(io.stdout, { user: name, changed: true, mustChange: true, password });
            throw err;
          }
        }
        return { count: 1, interrupted: sessions?.interrupted === true };
      },
    ),
  );
  printChanged(io, name, change as Changed, sessions, random ? password : undefined, wantsJson(ctx));
  return sessions?.interrupted === true ? ExitCode.interrupted : ExitCode.ok;
}

function printChanged(
  io: Io,
  name: string,
  change: Changed,
  sessions: SessionsRevoked | undefined,
  random: string | undefined,
  json: boolean,
): void {
  if (json) {
    printJson(io.stdout, {
      user: name,
      changed: true,
      mustChange: random !== undefined,
      sessionsValidAfter: change.after[FIELD_SESSIONS_VALID_AFTER] ?? null,
      sessionsKept: sessions === undefined,
      ...(sessions === undefined ? {} : sessionsJson(sessions)),
      ...(random === undefined ? {} : { password: random }),
    });
    if (sessions?.interrupted === true) printSessionsRevoked(io, name, sessions);
    return;
  }
  say(
    io,
    random === undefined
      ? `Changed the password of ${printable(name)}.`
      : `Changed the password of ${printable(name)} to the random one printed above (shown once); ${printable(name)} must change it at the next login.`,
  );
  if (sessions === undefined) say(io, `Sessions of ${printable(name)} kept (--keep-sessions).`);
  else printSessionsRevoked(io, name, sessions);
}
