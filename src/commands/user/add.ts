/** `user add <name>`: create a user with an argon2id hash of a password read safely. */
import { audited } from '../../cli/audited.js';
import { withRedis, wantsJson, type CommandContext } from '../../cli/context.js';
import { BadDataError, ConflictError } from '../../core/errors.js';
import { hashNewPassword } from '../../core/users/pepper.js';
import { checkBlocklistFile } from '../../core/users/policy.js';
import { createUser, type RecordState } from '../../core/users/store.js';
import type { NewPasswordFlags } from '../../cli/options.js';
import { say, type Io } from '../../cli/io.js';
import { printJson } from '../../cli/output.js';
import { readPassword } from '../../cli/prompt.js';
import { readPepper, userTarget, type UserCommandFlags } from './target.js';

export interface AddFlags extends UserCommandFlags, NewPasswordFlags {
  /** The application's id for the user in its sessions, when it is not the name (options.ts parsePrincipal). */
  principal?: string;
}

export async function run(given: string, ctx: CommandContext<AddFlags>): Promise<number> {
  const { io, opts } = ctx;
  // Everything is checked before asking for a password or touching Redis (the options as the
  // command line was read). NFD input is stored in NFC: `name` is the normalized form.
  const { name, key, policy } = userTarget(given, opts, 'new');
  const rules = { username: name, minChars: opts.minLength, ...(opts.blocklist === undefined ? {} : { blocklistFile: opts.blocklist }) };
  await checkBlocklistFile(opts.blocklist);
  const pepper = await readPepper(io, opts.pepperFile);

  let created: RecordState | undefined;
  const detail = () => (created === undefined ? {} : { before: null, after: created });
  await withRedis(ctx, (redis) =>
    audited(ctx, redis, { command: 'user add', target: `user ${name}`, detail }, async () => {
      // Fail fast on a taken name, before the operator types a password for nothing.
      // The atomic check is createUser(); this one is only a courtesy. A key of another type
      // under the user's name is unusable stored data (exit 5), not an existing user.
      const type = String(await redis.type(key));
      if (type === 'hash') throw new ConflictError(`user ${name} already exists`);
      if (type !== 'none') throw new BadDataError(`${key} holds a ${type}, not a user record (hash); nothing was written`);
      const password = await readPassword(io, { fromStdin: opts.passwordStdin === true, confirm: true, message: `Password for ${name}:` });
      // The password rules of policy.ts, as `user passwd` applies them.
      const next = await hashNewPassword(password, rules, policy, pepper);
      created = await createUser(redis, key, next.phc, new Date(), opts.principal, next.pepperId);
      if (created === undefined) throw new ConflictError(`user ${name} already exists`);
      return { count: 1 };
    }),
  );
  printCreated(io, { user: name, key, created: true }, wantsJson(ctx));
  return 0;
}

/** A created user; its --json shape. */
export interface Created {
  user: string;
  key: string;
  created: true;
}

export function printCreated(io: Io, created: Created, json: boolean): void {
  if (json) printJson(io.stdout, created);
  else say(io, `Created user ${created.user} (${created.key}).`);
}
