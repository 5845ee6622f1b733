/**
 * `user rehash <name>`: re-hash one user's password at the current policy (compare-and-set).
 * `user rehash --check`: report every user whose stored hash is weaker than the policy.
 */
import { audited } from '../../cli/audited.js';
import { withRedis, withTopology, wantsJson, type CommandContext } from '../../cli/context.js';
import { ConflictError, NegativeAnswer, UsageError } from '../../core/errors.js';
import { costCaps, hashPolicy, type ProgressFlag } from '../../cli/options.js';
import { decoyHash, preparePassword, verifyPassword, weaknesses } from '../../core/users/hashing.js';
import { hashWithPepper, pepperShortfalls, storedHashInput, type PepperKeys } from '../../core/users/pepper.js';
import { FIELD_HASH, FIELD_PEPPER_ID, getUser, replaceHash, type RecordState } from '../../core/users/store.js';
import { hashShortfalls, scanRecords } from '../../core/users/records.js';
import { say, type Io } from '../../cli/io.js';
import { createRowPrinter, plural, printJson, type Column } from '../../cli/output.js';
import { progressLine } from '../../cli/progress.js';
import { readPassword } from '../../cli/prompt.js';
import type { Topology } from '../../core/redis/topology.js';
import type { CostCaps, HashPolicy } from '../../core/users/hashing.js';
import { readFirebaseParams, readPepper, userTarget, type UserCommandFlags } from './target.js';

export interface RehashFlags extends UserCommandFlags, ProgressFlag {
  force?: true;
  check?: true;
}

type RehashContext = CommandContext<RehashFlags>;

export async function run(name: string | undefined, ctx: RehashContext): Promise<number> {
  const { opts } = ctx;
  if (opts.check === true) {
    if (name !== undefined) throw new UsageError('--check scans every user; give no name with it');
    const policy = hashPolicy(opts);
    const caps = costCaps(opts);
    const prefix = opts.userPrefix;
    const pepper = await readPepper(ctx.io, opts.pepperFile);
    return withTopology(ctx, (topology) => check(topology, ctx, prefix, { policy, caps, pepper }));
  }
  if (name === undefined) throw new UsageError('name a user, or use --check to scan them all');
  return rehashOne(name, ctx);
}

async function rehashOne(given: string, ctx: RehashContext): Promise<number> {
  const { io, opts } = ctx;
  const { name, key, policy, caps } = userTarget(given, opts, 'existing');
  const force = opts.force === true;
  const firebase = await readFirebaseParams(opts.firebaseParams);
  const pepper = await readPepper(io, opts.pepperFile);
  let change: { before: RecordState; after: RecordState } | undefined;
  const detail = () => (change === undefined ? {} : change);
  const { outcome } = await withRedis(ctx, (redis) =>
    audited(
      ctx,
      redis,
      { command: 'user rehash', target: `user ${name}`, detail },
      async (): Promise<{ count: number; outcome: Rehashed }> => {
        const record = await getUser(redis, key);
        const password = await readPassword(io, {
          fromStdin: opts.passwordStdin === true,
          confirm: false,
          message: `Password for ${name}:`,
        });
        const bytes = preparePassword(password, 0);
        try {
          // The password is always checked first, whatever the hash. As in `user verify`, an
          // unknown user costs one hash too and gets the same answer as a wrong password, so
          // neither the output nor the timing reveals which names exist.
          const stored = record?.passwordHash ?? decoyHash(policy);
          // Peppered with the key the record names (exit 5 if it was not given), as verify does.
          const pepperId = record?.state[FIELD_PEPPER_ID];
          const input = record === undefined ? bytes : storedHashInput(bytes, pepperId, pepper, name);
          const match = (await verifyPassword(input, stored, caps, { firebase })) && record !== undefined;
          if (input !== bytes) input.fill(0);
          if (!match) throw new NegativeAnswer(`password does not match, or there is no user ${name}; nothing was written`);
          const reasons = [...weaknesses(stored, policy), ...pepperShortfalls(pepperId, pepper).reasons];
          if (reasons.length === 0 && !force) return { count: 0, outcome: { user: name, rehashed: false, reasons } };
          const next = await hashWithPepper(bytes, policy, pepper);
          const result = await replaceHash(redis, key, stored, next.phc, new Date(), next.pepperId);
          if (result.result !== 'replaced') {
            throw new ConflictError(
              `the hash of ${name} ${result.result === 'gone' ? 'was deleted' : 'changed'} while rehashing; nothing was written`,
            );
          }
          change = result;
          return { count: 1, outcome: { user: name, rehashed: true, reasons } };
        } finally {
          bytes.fill(0);
        }
      },
    ),
  );
  printRehashed(io, outcome, wantsJson(ctx));
  return 0;
}

/** What `user rehash <name>` did; its --json shape. */
export interface Rehashed {
  user: string;
  rehashed: boolean;
  /** Why the old hash fell short of the policy (none with --force on a hash that met it). */
  reasons: string[];
}

export function printRehashed(io: Io, r: Rehashed, json: boolean): void {
  if (json) printJson(io.stdout, r);
  else if (r.rehashed) say(io, `Rehashed ${r.user} at the current policy.`);
  else say(io, `Password checked; the hash of ${r.user} meets the policy, nothing to do (--force rehashes anyway).`);
}

/** What --check holds a stored hash to: the policy, the caps, and with --pepper-file its current key. */
interface CheckRules {
  policy: HashPolicy;
  caps: CostCaps;
  pepper: PepperKeys | undefined;
}

/** On a narrow terminal Why narrows first, then User. */
const CHECK_COLUMNS: Column[] = [
  { header: 'User', width: 32, min: 16, shrink: 2 },
  { header: 'Why', width: 60, min: 20, shrink: 1 },
];

/** Exit 0 when every hash meets the policy, 1 when some do not (so CI can gate on it). */
async function check(topology: Topology, ctx: RehashContext, prefix: string, rules: CheckRules): Promise<number> {
  const { io } = ctx;
  const json = wantsJson(ctx);
  const display = progressLine(io, 'Checking', ctx.opts.progress === true);
  const table = json ? undefined : await createRowPrinter(io, CHECK_COLUMNS, () => display.beforeData());
  // Counted, not remembered: a set of the names seen would grow with the users (1M: +65 MB of
  // peak RSS). So a key SCAN returns twice (while Redis resizes its table) counts twice, as
  // user list lists it twice (README).
  let checked = 0;
  let skipped = 0;
  let outdated = 0;
  let unusable = 0;
  try {
    for await (const batch of scanRecords(topology, {
      prefix,
      fields: rules.pepper === undefined ? [FIELD_HASH] : [FIELD_HASH, FIELD_PEPPER_ID],
    })) {
      for (const user of batch) {
        // Keys that are not records: another type, a name that is not UTF-8, not `{<name>}`.
        if (user.kind === 'skipped' || user.name === undefined || (user.kind === 'unreadable' && user.type !== undefined)) {
          skipped += 1;
          continue;
        }
        checked += 1;
        display.update({ scanned: checked, outdated });
        const { reasons, usable } = hashShortfalls(user, rules.policy, rules.caps, rules.pepper);
        if (!usable) unusable += 1;
        if (reasons.length === 0) continue;
        outdated += 1;
        if (json) {
          display.beforeData();
          printJson(io.stdout, { user: user.name, reasons });
        } else table?.row([user.name, reasons.join('; ')]);
        if (ctx.readerGone.aborted) return outdated === 0 ? 0 : 1;
      }
    }
  } finally {
    display.clear();
  }
  table?.flush();
  // Keys that look like records but are not (another type, or not `{<name>}`) are counted,
  // as `session list` counts what it skips, so none is silently left out.
  const notes = skipped > 0 ? ` ${plural(skipped, 'key')} skipped (not a user record).` : '';
  say(
    io,
    `${plural(checked, 'user')} checked, ${outdated} with outdated or unusable hashes${unusable > 0 ? ` (${unusable} unusable)` : ''}.${notes}`,
  );
  return outdated === 0 ? 0 : 1;
}
