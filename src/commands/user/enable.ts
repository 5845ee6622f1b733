/**
 * `user enable <name>`: mark a disabled account active again. Its sessions stay revoked and
 * sessions_valid_after stays as the disable set it, so a token issued before the disable does
 * not come back to life with the account.
 */
import { audited } from '../../cli/audited.js';
import { withRedis, wantsJson, type CommandContext } from '../../cli/context.js';
import { say } from '../../cli/io.js';
import type { AuditFlags, UserFlags } from '../../cli/options.js';
import { printable, printJson } from '../../cli/output.js';
import { NegativeAnswer } from '../../core/errors.js';
import { userKey, validateUsername } from '../../core/users/names.js';
import { setStatus, STATUS_ACTIVE, type StateChange } from '../../core/users/store.js';

export interface EnableFlags extends UserFlags, AuditFlags {}

export async function run(given: string, ctx: CommandContext<EnableFlags>): Promise<number> {
  const { io, opts } = ctx;
  const name = validateUsername(given);
  const key = userKey(opts.userPrefix, name);
  let change: StateChange | undefined;
  await withRedis(ctx, (redis) =>
    audited(
      ctx,
      redis,
      { command: 'user enable', target: `user ${name}`, detail: () => ({ before: change?.before, after: change?.after }) },
      async () => {
        change = await setStatus(redis, key, { status: STATUS_ACTIVE, reason: opts.reason ?? '', now: new Date() });
        if (change === undefined) throw new NegativeAnswer(`no user ${name}; nothing was changed`);
        return { count: change.changed ? 1 : 0 };
      },
    ),
  );
  const changed = (change as StateChange).changed;
  if (wantsJson(ctx)) printJson(io.stdout, { user: name, status: STATUS_ACTIVE, changed });
  else say(io, changed ? `Enabled ${printable(name)}.` : `${printable(name)} was already active; nothing was changed.`);
  return 0;
}
