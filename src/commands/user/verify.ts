/** `user verify <name>`: exit 0 if the password matches, 1 if not or if there is no such user. */
import { audited } from '../../cli/audited.js';
import { withRedis, wantsJson, type CommandContext } from '../../cli/context.js';
import { decoyHash, hashPassword, preparePassword, verifyPassword, weaknesses } from '../../core/users/hashing.js';
import { getUser, isActive, replaceHash } from '../../core/users/store.js';
import { say, type Io } from '../../cli/io.js';
import { printJson } from '../../cli/output.js';
import { readPassword } from '../../cli/prompt.js';
import { readFirebaseParams, userTarget, type UserCommandFlags } from './target.js';

export interface VerifyFlags extends UserCommandFlags {
  rehash?: true;
}

export async function run(given: string, ctx: CommandContext<VerifyFlags>): Promise<number> {
  const { io, opts } = ctx;
  const { name, key, policy, caps } = userTarget(given, opts, 'existing');
  const firebase = await readFirebaseParams(opts.firebaseParams);
  const password = await readPassword(io, { fromStdin: opts.passwordStdin === true, confirm: false, message: `Password for ${name}:` });
  // Only the normalization rule applies here, not the minimum length of new passwords:
  // a too-long or control-character password is refused (exit 2) before any hashing.
  const bytes = preparePassword(password, 0);

  return withRedis(ctx, async (redis) => {
    const record = await getUser(redis, key);
    // An unknown user costs one hash too, so timing does not reveal which names exist.
    const stored = record?.passwordHash ?? decoyHash(policy);
    const match = (await verifyPassword(bytes, stored, caps, { firebase })) && record !== undefined;
    // A disabled account is refused after the same one hash, so it takes as long as a wrong
    // password; and only the right password learns that it is disabled, so the answer tells
    // no more than a wrong password's about which names exist.
    if (match && !isActive(record.state)) {
      bytes.fill(0);
      printVerdict(io, { user: name, match: false, outdated: false, reasons: [], rehashed: false, disabled: true }, wantsJson(ctx));
      return 1;
    }
    // Any family but argon2id at the policy is outdated. A replacement hashes the whole
    // password, also where the old hash read only part of it (bcrypt's first 72 bytes).
    const outdated = match ? weaknesses(stored, policy) : [];
    let rehashed = false;
    if (match && outdated.length > 0 && opts.rehash === true) {
      const next = await hashPassword(bytes, policy);
      await audited(ctx, redis, { command: 'user verify --rehash', target: `user ${name}` }, async () => {
        const result = await replaceHash(redis, key, stored, next, new Date());
        rehashed = result === 'replaced';
        if (!rehashed) say(io, `Not rehashed: the stored hash ${result === 'gone' ? 'is gone' : 'changed meanwhile'}.`);
        return { count: rehashed ? 1 : 0 };
      });
    }
    bytes.fill(0);
    const verdict: Verdict = { user: name, match, outdated: outdated.length > 0, reasons: outdated, rehashed };
    printVerdict(io, verdict, wantsJson(ctx));
    return match ? 0 : 1;
  });
}

/** What `user verify` found; its --json shape. */
export interface Verdict {
  user: string;
  match: boolean;
  outdated: boolean;
  reasons: string[];
  rehashed: boolean;
  /** Only when true: the password is right but the account is disabled (store.ts isActive), so not accepted. */
  disabled?: true;
}

export function printVerdict(io: Io, v: Verdict, json: boolean): void {
  if (json) {
    printJson(io.stdout, v);
    return;
  }
  if (v.disabled === true) {
    say(io, `The account ${v.user} is disabled: the password is not accepted.`);
    return;
  }
  say(io, v.match ? `Password matches for ${v.user}.` : `Password does not match, or there is no user ${v.user}.`);
  if (v.outdated) {
    say(
      io,
      `Hash is outdated: ${v.reasons.join(', ')}.${v.rehashed ? ' Rehashed at the current policy.' : ' Run with --rehash to upgrade it.'}`,
    );
  }
}
