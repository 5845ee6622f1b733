/** `session revoke <id...> | --user <name> | --all`: delete sessions and say how many went. */
import { withTopology, wantsJson, type CommandContext } from '../../context.js';
import { progressLine, stopOnInterrupt } from '../../progress.js';
import { ExitCode, UsageError } from '../../errors.js';
import { toAppError } from '../../core/redis-errors.js';
import { validateSessionId } from '../../core/keys.js';
import { revokeIds, revokeMatching } from '../../core/sessions.js';
import { say } from '../../io.js';
import { sessionPrefix, userFields } from '../../options.js';
import { plural, printJson, printable } from '../../output.js';
import { confirm } from '../../prompt.js';
import { validateSessionUser } from './scope.js';

export async function run(ids: string[], ctx: CommandContext): Promise<number> {
  const { io, opts } = ctx;
  const user = opts['user'] === undefined ? undefined : validateSessionUser(String(opts['user']));
  const all = opts['all'] === true;
  const dryRun = opts['dryRun'] === true;
  const modes = [ids.length > 0, user !== undefined, all].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('give session ids, or --user <name>, or --all (exactly one of them)');
  ids.forEach(validateSessionId);
  const prefix = sessionPrefix(opts);
  const json = wantsJson(ctx);

  if (all && !dryRun && opts['yes'] !== true) {
    if (io.stdin.isTTY !== true) throw new UsageError('--all deletes every session; add --yes to confirm when not on a terminal');
    if (!(await confirm(io, `Revoke EVERY session under "${prefix}"?`))) {
      say(io, 'Nothing revoked.');
      return 0;
    }
  }

  return withTopology(ctx, async (topology) => {
    if (ids.length > 0) {
      const result = await revokeIds(topology.keyed, prefix, ids, dryRun);
      if (json) printJson(io.stdout, { dryRun, revoked: result.revoked.length, ids: result.revoked, missing: result.missing, notSessions: result.notSessions });
      else {
        if (dryRun) result.revoked.forEach((id) => io.stdout.write(`${printable(id)}\n`));
        for (const id of result.missing) say(io, `Session ${id} not found.`);
        for (const id of result.notSessions) say(io, `${prefix}${id} is not a session (not a string key); left alone.`);
        say(io, `${dryRun ? 'Would revoke' : 'Revoked'} ${result.revoked.length} of ${plural(ids.length, 'session')}.`);
      }
      // Unusable data outranks a mere "not found".
      return result.notSessions.length > 0 ? ExitCode.badData : result.missing.length > 0 ? ExitCode.negative : ExitCode.ok;
    }
    const display = progressLine(io, dryRun ? 'Scanning' : 'Revoking');
    const interrupt = stopOnInterrupt();
    let progress;
    let latest = { scanned: 0, matched: 0, revoked: 0 };
    try {
      progress = await revokeMatching(topology, {
        prefix,
        userFields: userFields(opts),
        user,
        dryRun,
        signal: interrupt.signal,
        onBatch: (batch, p) => {
          if (dryRun && !json) io.stdout.write(batch.map((id) => `${printable(id)}\n`).join(''));
          latest = { scanned: p.scanned, matched: p.matched, revoked: p.revoked };
          display.update(latest);
        },
      });
    } catch (err) {
      // Say, in the one error line, what was already done; a rerun finishes the job.
      const failure = toAppError(err) ?? err;
      if (failure instanceof Error && latest.scanned > 0 && !dryRun) {
        failure.message += ` (after revoking ${plural(latest.revoked, 'session')} of ${plural(latest.scanned, 'key')} scanned; run again to finish)`;
      }
      throw failure;
    } finally {
      interrupt.release();
      display.done();
    }
    const count = dryRun ? progress.matched : progress.revoked;
    if (json) {
      printJson(io.stdout, { dryRun, revoked: count, scanned: progress.scanned, ...(user === undefined ? {} : { user }), ...(progress.interrupted ? { interrupted: true } : {}) });
    }
    if (progress.interrupted) {
      say(io, `Interrupted: ${dryRun ? 'found' : 'revoked'} ${plural(count, 'session')} before stopping (${plural(progress.scanned, 'key')} scanned). Run the command again to finish.`);
      return ExitCode.interrupted;
    }
    if (!json) say(io, `${dryRun ? 'Would revoke' : 'Revoked'} ${plural(count, 'session')}${user === undefined ? '' : ` of ${printable(user)}`} (${plural(progress.scanned, 'key')} scanned).`);
    return 0;
  });
}
