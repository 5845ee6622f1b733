/**
 * `user import`'s work: every record of the input is checked (its name, its hash's family,
 * structure and costs, a name given twice) and written whole by one script (store.ts
 * importUser), or rejected and reported while the import goes on. Hashes are stored as the
 * source wrote them, never re-hashed. Writes are batched: IMPORT_BATCH users a script on a single
 * server (one per user on a Cluster, pipelined), four batches in flight, each user written whole
 * or not at all; `fail` writes one
 * at a time, so that nothing after the first existing user is written.
 */
import { commandsOut, type Keyed } from '../../redis/connection.js';
import { AppError } from '../../errors.js';
import { checkStoredHash, type CostCaps } from '../families/index.js';
import { userKey, validateUsername } from '../names.js';
import { FIELD_CREATED, FIELD_HASH, FIELD_UPDATED, importUsers as writeUsers, type ImportResult, type RecordState } from '../store.js';
import type { CONFLICT_MODES } from '../../defaults.js';
import type { Candidate, InputRecord, Position, Rejected } from './formats.js';

export type ConflictMode = (typeof CONFLICT_MODES)[number];

/** Users per batch (skip and overwrite; four in flight): enough to keep the server busy over a round trip, few enough that a batch's script stays a few milliseconds. */
export const IMPORT_BATCH = 128;

export interface ImportOptions {
  prefix: string;
  mode: ConflictMode;
  dryRun: boolean;
  caps: CostCaps;
  /** The import's time: created_at of users whose source has none, updated_at of all (but jsonl's). */
  now: Date;
  signal?: AbortSignal;
  /** Users per batch (default IMPORT_BATCH). */
  batch?: number;
  /**
   * Whether one script may write a whole batch: its keys on one node. Not on a Cluster, where
   * each user's key is in a slot of its own: there each user has a script, pipelined.
   */
  oneNode: boolean;
  onRejected(rejected: Rejected): void;
  /**
   * Called with the users a batch overwrote (--on-conflict overwrite), their lifecycle fields
   * before and after (never the hash), once the batch is written: for the audit trail. The
   * import waits for it before the batch counts as done.
   */
  onOverwritten?(users: OverwrittenUser[]): Promise<void>;
  /** Called after each chunk of the input, with the counts so far. */
  onProgress?(summary: ImportSummary): void;
}

export interface ImportSummary {
  /** Records read (blank lines and comments are none). */
  read: number;
  /** Written as new users (with --dry-run: would be). */
  imported: number;
  /** Existing users replaced (--on-conflict overwrite). */
  overwritten: number;
  /** Existing users left as they were (--on-conflict skip). */
  skipped: number;
  rejected: number;
  /** Users written (imported or overwritten) by hash family. */
  families: Record<string, number>;
  /** --on-conflict fail: the existing user the import stopped at. */
  stoppedAt?: Position & { name: string };
  /** Ctrl-C: stopped after the writes in flight. */
  interrupted: boolean;
}

export interface OverwrittenUser {
  name: string;
  before: RecordState;
  after: RecordState;
}

/** Batches sent before the oldest is waited for: the client checks the next while the server writes these. */
const IN_FLIGHT = 4;

/** A UTF-16 surrogate without its other half. */
const LONE_SURROGATE = /\p{Cs}/u;

/** The message of a check that failed, as a reason (never a stack, never the input's text). */
function reasonOf(err: unknown): string {
  // checkStoredHash speaks of the stored hash; here it is the input's.
  if (err instanceof AppError) return err.message.replace(/^stored password hash/, 'the password hash');
  throw err;
}

interface Checked {
  at: Position;
  name: string;
  key: string;
  family: string;
  fields: string[];
}

/** A record's rejection: `name` as far as it got (the input's, or the name once checked). */
const rejectedAt = (at: Position, name: string, reason: string): Rejected => ({ kind: 'rejected', ...at, name, reason });

/** A user record ready to write, or why not. `seen`: names so far, with the line of each. */
function check(c: Candidate, opts: ImportOptions & { stamp: string }, seen: Map<string, number>): Checked | Rejected {
  const at: Position = c.record === undefined ? { line: c.line } : { line: c.line, record: c.record };
  let name: string;
  try {
    name = validateUsername(c.name);
  } catch (err) {
    return rejectedAt(at, c.name, reasonOf(err));
  }
  const first = seen.get(name);
  if (first !== undefined) return rejectedAt(at, name, `the name was given before, at line ${first}`);
  seen.set(name, c.line);
  let family: string;
  try {
    family = checkStoredHash(c.hash, opts.caps);
  } catch (err) {
    return rejectedAt(at, name, reasonOf(err));
  }
  const fields = [FIELD_HASH, c.hash];
  const stamp = opts.stamp;
  if (!c.verbatim && c.fields[FIELD_CREATED] === undefined) fields.push(FIELD_CREATED, stamp);
  // for...in, not Object.entries: no array of pairs per user (the fields are a plain object's own).
  for (const field in c.fields) {
    const value = c.fields[field as keyof RecordState];
    if (value === undefined) continue;
    // A JSON input may spell half a surrogate pair (\ud800): no UTF-8 holds it, and writing it
    // would store other text than the input's (or, in the batch's JSON, fail the whole batch).
    if (LONE_SURROGATE.test(value)) return rejectedAt(at, name, `its ${field} is not valid Unicode (half a surrogate pair)`);
    fields.push(field, value);
  }
  if (!c.verbatim) fields.push(FIELD_UPDATED, stamp);
  return { at, name, key: userKey(opts.prefix, name), family, fields };
}

export async function importUsers(redis: Keyed, batches: AsyncIterable<InputRecord[]>, opts: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { read: 0, imported: 0, overwritten: 0, skipped: 0, rejected: 0, families: {}, interrupted: false };
  const seen = new Map<string, number>();
  const checking = { ...opts, stamp: opts.now.toISOString() };
  // Scripts are sent a batch at a time (one write to the socket), the next batch while the last
  // is in flight; `fail` sends one script at a time.
  const batchSize = opts.mode === 'fail' ? 1 : Math.max(1, opts.batch ?? IMPORT_BATCH);
  let batch: Checked[] = [];
  /** Batches sent and not yet answered, oldest first (at most IN_FLIGHT). */
  const inFlight: Array<Promise<void>> = [];
  let failure: { error: unknown } | undefined;

  const rejected = (r: Rejected) => {
    summary.rejected += 1;
    opts.onRejected(r);
  };
  const written = (user: Checked, how: 'imported' | 'overwritten') => {
    summary[how] += 1;
    summary.families[user.family] = (summary.families[user.family] ?? 0) + 1;
  };
  /** What happened to a user: written, found existing, or a key of another `type`. */
  const settle = (user: Checked, outcome: string) => {
    if (outcome === 'created') written(user, 'imported');
    else if (outcome === 'overwritten') written(user, 'overwritten');
    else if (outcome === 'exists') {
      if (opts.mode === 'fail') summary.stoppedAt ??= { ...user.at, name: user.name };
      else summary.skipped += 1;
    } else rejected({ kind: 'rejected', ...user.at, name: user.name, reason: `${user.key} holds a ${outcome}, not a user record (hash)` });
  };
  const outcome = (r: ImportResult) => (r.result === 'wrong-type' ? r.type : r.result);
  /** What the write would find: each key's type, read only. */
  const dryWrite = async (user: Checked): Promise<void> => {
    const type = String(await redis.type(user.key));
    settle(user, type === 'none' ? 'created' : type === 'hash' ? (opts.mode === 'overwrite' ? 'overwritten' : 'exists') : type);
  };
  const mode = opts.mode === 'overwrite' ? 'overwrite' : 'create';
  const write = async (users: Checked[]): Promise<void> => {
    if (opts.dryRun) {
      await Promise.all(users.map(dryWrite));
      return;
    }
    const groups = opts.oneNode ? [users] : users.map((u) => [u]);
    const overwritten: OverwrittenUser[] = [];
    await Promise.all(
      groups.map(async (group) =>
        (await writeUsers(redis, mode, group)).forEach((r, i) => {
          const user = group[i] as Checked;
          settle(user, outcome(r));
          if (r.result === 'overwritten') overwritten.push({ name: user.name, before: r.before, after: r.after });
        }),
      ),
    );
    if (overwritten.length > 0) await opts.onOverwritten?.(overwritten);
  };
  /** Send the batch; wait for the oldest once IN_FLIGHT are out. */
  const send = async () => {
    const sending = write(batch).then(
      () => undefined,
      (error: unknown) => {
        failure ??= { error };
      },
    );
    batch = [];
    inFlight.push(sending);
    // Out now, not once IN_FLIGHT are out and the client waits: the server works while we check the next.
    await commandsOut();
    if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
    if (opts.mode === 'fail') await sending;
  };

  try {
    outer: for await (const records of batches) {
      for (const record of records) {
        if (opts.signal?.aborted === true) {
          summary.interrupted = true;
          break outer;
        }
        summary.read += 1;
        const user = record.kind === 'rejected' ? record : check(record, checking, seen);
        if ('kind' in user) rejected(user);
        else {
          batch.push(user);
          if (batch.length >= batchSize) await send();
        }
        if (failure !== undefined || summary.stoppedAt !== undefined) break outer;
      }
      // What the chunk left is sent before the next is read: a slow input (a pipe) still writes as it comes.
      if (batch.length > 0) await send();
      opts.onProgress?.(summary);
      if (failure !== undefined || summary.stoppedAt !== undefined) break;
    }
  } finally {
    // Also when the input fails (a cut document): the writes in flight finish and are counted.
    if (batch.length > 0 && failure === undefined && summary.stoppedAt === undefined) await send();
    await Promise.all(inFlight);
    opts.onProgress?.(summary);
  }
  if (failure !== undefined) throw failure.error;
  return summary;
}
