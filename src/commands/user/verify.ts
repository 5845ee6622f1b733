/** `user verify <name>`: exit 0 if the password matches, 1 if not or if there is no such user. */
import { audited } from '../../cli/audited.js';
import { withRedis, wantsJson, type CommandContext } from '../../cli/context.js';
import { decoyHash, preparePassword, verifyPassword, weaknesses, type HashPolicy } from '../../core/users/hashing.js';
import type { Keyed } from '../../core/redis/connection.js';
import { hashWithPepper, onOldPepper, pepperShortfalls, storedHashInput, type PepperKeys } from '../../core/users/pepper.js';
import { FIELD_PEPPER_ID, getUser, isActive, replaceHash, type RecordState } from '../../core/users/store.js';
import { say, type Io } from '../../cli/io.js';
import { printJson } from '../../cli/output.js';
import { readPassword } from '../../cli/prompt.js';
import { readFirebaseParams, readPepper, userTarget, type UserCommandFlags } from './target.js';

export interface VerifyFlags extends UserCommandFlags {
  rehash?: true;
}

export async function run(given: string, ctx: CommandContext<VerifyFlags>): Promise<number> {
  const { io, opts } = ctx;
  const { name, key, policy, caps } = userTarget(given, opts, 'existing');
  const firebase = await readFirebaseParams(opts.firebaseParams);
  const pepper = await readPepper(io, opts.pepperFile);
  const password = await readPassword(io, { fromStdin: opts.passwordStdin === true, confirm: false, message: `Password for ${name}:` });
  // Only the normalization rule applies here, not the minimum length of new passwords:
  // a too-long or control-character password is refused (exit 2) before any hashing.
  const bytes = preparePassword(password, 0);

  return withRedis(ctx, async (redis) => {
    const record = await getUser(redis, key);
    // An unknown user costs one hash too, so timing does not reveal which names exist.
    const stored = record?.passwordHash ?? decoyHash(policy);
    // Peppered with the key the record names (exit 5 if it was not given), else the password as is.
    const pepperId = record?.state[FIELD_PEPPER_ID];
    const input = record === undefined ? bytes : storedHashInput(bytes, pepperId, pepper, name);
    const match = (await verifyPassword(input, stored, caps, { firebase })) && record !== undefined;
    if (input !== bytes) input.fill(0);
    // A disabled account is refused after the same one hash, so it takes as long as a wrong
    // password; and only the right password learns that it is disabled, so the answer tells
    // no more than a wrong password's about which names exist.
    if (match && !isActive(record.state)) {
      bytes.fill(0);
      printVerdict(io, { user: name, match: false, outdated: false, reasons: [], rehashed: false, disabled: true }, wantsJson(ctx));
      return 1;
    }
    // Every family but argon2id at the policy is outdated, and with --pepper-file a hash not made
    // with its current key. A replacement hashes the whole password, also where the old hash
    // read only part of it (bcrypt's first 72 bytes), peppered with the current key.
    const outdated = match ? [...weaknesses(stored, policy), ...pepperShortfalls(pepperId, pepper).reasons] : [];
    // A hash on an old pepper key is replaced even without --rehash: that is how a new pepper
    // rolls out (README: Pepper). Other upgrades wait for --rehash.
    const repepper = match && onOldPepper(pepperId, pepper);
    let rehashed = false;
    if (match && outdated.length > 0 && (opts.rehash === true || repepper)) {
      rehashed = await replaceVerified(ctx, redis, { name, key, stored, bytes, policy, pepper });
    }
    bytes.fill(0);
    const verdict: Verdict = { user: name, match, outdated: outdated.length > 0, reasons: outdated, rehashed };
    printVerdict(io, verdict, wantsJson(ctx));
    return match ? 0 : 1;
  });
}

/**
 * Replace a verified hash with one at the policy and the current pepper: a compare-and-set
 * against the hash just verified, audited with the lifecycle fields (pepper_id) before and after.
 * A hash changed or deleted meanwhile is left alone and said so; the verdict stands.
 */
async function replaceVerified(
  ctx: CommandContext<VerifyFlags>,
  redis: Keyed,
  target: { name: string; key: string; stored: string; bytes: Buffer; policy: HashPolicy; pepper: PepperKeys | undefined },
): Promise<boolean> {
  const next = await hashWithPepper(target.bytes, target.policy, target.pepper);
  let change: { before: RecordState; after: RecordState } | undefined;
  const command = ctx.opts.rehash === true ? 'user verify --rehash' : 'user verify';
  const detail = () => (change === undefined ? {} : change);
  await audited(ctx, redis, { command, target: `user ${target.name}`, detail }, async () => {
    const result = await replaceHash(redis, target.key, target.stored, next.phc, new Date(), next.pepperId);
    if (result.result === 'replaced') change = result;
    else say(ctx.io, `Not rehashed: the stored hash ${result.result === 'gone' ? 'is gone' : 'changed meanwhile'}.`);
    return { count: change === undefined ? 0 : 1 };
  });
  return change !== undefined;
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
