/** `user add <name>`: create a user with an argon2id hash of a password read safely. */
import { audited, auditFields } from '../../cli/audited.js';
import { withRedis, wantsJson, type CommandContext } from '../../cli/context.js';
import { BadDataError, ConflictError } from '../../core/errors.js';
import { hashPassword, preparePassword } from '../../core/users/hashing.js';
import { userKey, validateNewUsername } from '../../core/users/names.js';
import { createUser } from '../../core/users/store.js';
import { say } from '../../cli/io.js';
import { hashPolicy, parseInteger, userPrefix } from '../../cli/options.js';
import { printJson } from '../../cli/output.js';
import { readPassword } from '../../cli/prompt.js';

export async function run(given: string, ctx: CommandContext): Promise<number> {
  const { io, opts } = ctx;
  // Validate everything before asking for a password or touching Redis. NFD input is
  // stored in NFC: `name` is the normalized form from here on.
  const name = validateNewUsername(given);
  const policy = hashPolicy(opts);
  const minChars = parseInteger(String(opts['minLength']), '--min-length', 1, 1024);
  const key = userKey(userPrefix(opts), name);
  auditFields(ctx);

  return withRedis(ctx, (redis) => audited(ctx, redis, { command: 'user add', target: `user ${name}` }, async () => {
    // Fail fast on a taken name, before the operator types a password for nothing.
    // The atomic check is createUser(); this one is only a courtesy. A key of another type
    // under the user's name is unusable stored data (exit 5), not an existing user.
    const type = String(await redis.type(key));
    if (type === 'hash') throw new ConflictError(`user ${name} already exists`);
    if (type !== 'none') throw new BadDataError(`${key} holds a ${type}, not a user record (hash); nothing was written`);
    const password = await readPassword(io, { fromStdin: opts['passwordStdin'] === true, confirm: true, message: `Password for ${name}:` });
    const bytes = preparePassword(password, minChars);
    const phc = await hashPassword(bytes, policy);
    bytes.fill(0);
    if (!(await createUser(redis, key, phc, new Date()))) throw new ConflictError(`user ${name} already exists`);
    if (wantsJson(ctx)) printJson(io.stdout, { user: name, key, created: true });
    else say(io, `Created user ${name} (${key}).`);
    return { count: 1 };
  })).then(() => 0);
}
