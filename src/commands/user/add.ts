/** `user add <name>`: create a user with an argon2id hash of a password read safely. */
import { audited } from '../../cli/audited.js';
import { withRedis, wantsJson, type CommandContext } from '../../cli/context.js';
import { BadDataError, ConflictError } from '../../core/errors.js';
import { hashPassword, preparePassword } from '../../core/users/hashing.js';
import { createUser } from '../../core/users/store.js';
import { say, type Io } from '../../cli/io.js';
import { printJson } from '../../cli/output.js';
import { readPassword } from '../../cli/prompt.js';
import { userTarget, type UserCommandFlags } from './target.js';

export interface AddFlags extends UserCommandFlags {
  minLength: number;
}

export async function run(given: string, ctx: CommandContext<AddFlags>): Promise<number> {
  const { io, opts } = ctx;
  // Everything is checked before asking for a password or touching Redis (the options as the
  // command line was read). NFD input is stored in NFC: `name` is the normalized form.
  const { name, key, policy } = userTarget(given, opts, 'new');
  const minChars = opts.minLength;

  await withRedis(ctx, (redis) =>
    audited(ctx, redis, { command: 'user add', target: `user ${name}` }, async () => {
      // Fail fast on a taken name, before the operator types a password for nothing.
      // The atomic check is createUser(); this one is only a courtesy. A key of another type
      // under the user's name is unusable stored data (exit 5), not an existing user.
      const type = String(await redis.type(key));
      if (type === 'hash') throw new ConflictError(`user ${name} already exists`);
      if (type !== 'none') throw new BadDataError(`${key} holds a ${type}, not a user record (hash); nothing was written`);
      const password = await readPassword(io, { fromStdin: opts.passwordStdin === true, confirm: true, message: `Password for ${name}:` });
      const bytes = preparePassword(password, minChars);
      const phc = await hashPassword(bytes, policy);
      bytes.fill(0);
      if (!(await createUser(redis, key, phc, new Date()))) throw new ConflictError(`user ${name} already exists`);
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
