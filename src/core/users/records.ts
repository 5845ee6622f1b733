/**
 * Reading user records without changing them: every record under the prefix, streamed over
 * SCAN on every master (`user list`, `user export`, `user rehash --check`), or one by name
 * (`user show`). Only the fields asked for are read, each checked to be UTF-8: a field the tool
 * does not own (an application's TOTP seed, say) never leaves the server.
 */
import { isUtf8 } from 'node:buffer';
import { UsageError } from '../errors.js';
import { escapeGlob, showId } from '../redis/keys.js';
import type { MasterNode, Topology } from '../redis/topology.js';
import { scanAndProcess, type WalkOptions } from '../walk/bulk.js';
import { opsFor, slotHashFields, type HashFields } from '../walk/node-ops.js';
import { READ_KEYS } from '../walk/fetch-values.js';
import { describeChar, userKey, usernameFromKey, USERNAME_MAX_CHARS } from './names.js';
import { FIELD_HASH, FIELD_PEPPER_ID, type LIFECYCLE_FIELDS, type RecordState } from './store.js';
import { pepperShortfalls, type PepperKeys } from './pepper.js';
import { weaknesses, type CostCaps, type HashPolicy } from './hashing.js';

/** A field of a user record the tool owns (docs/schema.md). */
export type RecordField = typeof FIELD_HASH | (typeof LIFECYCLE_FIELDS)[number];

/** A user record as read: its lifecycle fields (of those asked for) and its hash, if it has one. */
export interface ReadUser {
  kind: 'user';
  name: string;
  /** The key as shown (redis/keys.ts showId for one that is not UTF-8). */
  key: string;
  hash: string | undefined;
  state: RecordState;
}

/** A key of the form `<prefix>{<name>}` that cannot be read as a user record. */
export interface UnreadableRecord {
  kind: 'unreadable';
  key: string;
  /** undefined when the key's name is not UTF-8. */
  name: string | undefined;
  /** The key's type when it is not a hash. */
  type: string | undefined;
  reason: string;
}

/** A key that matches `<prefix>{*}` but is not `<prefix>{<name>}` (`user:{a}{b}`): not a user record. */
export interface OtherKey {
  kind: 'skipped';
  key: string;
}

export type ScannedRecord = ReadUser | UnreadableRecord | OtherKey;

/** What a hashFields reply says of the record `name` (undefined: the key is gone). */
export function recordFrom(
  name: string,
  key: string,
  reply: HashFields,
  fields: readonly RecordField[],
): ReadUser | UnreadableRecord | undefined {
  if (reply === null) return undefined;
  if (typeof reply === 'string')
    return { kind: 'unreadable', key, name, type: reply, reason: `holds a ${reply}, not a user record (hash)` };
  const state: Record<string, string> = {};
  let hash: string | undefined;
  for (const [i, field] of fields.entries()) {
    const value = reply[i];
    if (value === null || value === undefined) continue;
    if (!isUtf8(value)) return { kind: 'unreadable', key, name, type: undefined, reason: `its ${field} is not UTF-8` };
    if (field === FIELD_HASH) hash = value.toString('utf8');
    else state[field] = value.toString('utf8');
  }
  return { kind: 'user', name, key, hash, state };
}

/**
 * The SCAN pattern of the records whose names match `glob` (every record without one). The
 * prefix is escaped; the glob is Redis's own (`*`, `?`, `[...]`, `\` escapes) and may not hold
 * the braces around the name, which no name contains: `*}{*` would reach keys that are not
 * records. A `*` may still span `}{` (`user:{a}{b}`): such keys are skipped, as without a glob.
 */
export function recordMatch(prefix: string, glob?: string): string {
  return `${escapeGlob(prefix)}{${glob === undefined ? '*' : checkNameGlob(glob)}}`;
}

/** A --match glob as given, checked and in NFC (names are stored in NFC). */
export function checkNameGlob(given: string): string {
  const glob = given.normalize('NFC');
  if (glob === '') throw new UsageError('--match is empty', { hint: "give a glob on the username, e.g. 'adm*'" });
  if ([...glob].length > USERNAME_MAX_CHARS * 4) throw new UsageError(`--match is longer than ${USERNAME_MAX_CHARS * 4} characters`);
  const bad = [...glob].find((c) => c === '{' || c === '}' || /[\p{C}\p{Z}]/u.test(c));
  if (bad !== undefined)
    throw new UsageError(`--match contains ${describeChar(bad)}, which no username contains`, {
      hint: 'usernames use letters, digits and . _ - @ +',
    });
  // A backslash at the end would escape the closing brace of the pattern.
  if (/(^|[^\\])(\\\\)*\\$/.test(glob)) throw new UsageError('--match ends in an unescaped backslash');
  return glob;
}

/** Batches read ahead of the consumer. */
const RECORD_DEPTH = 4;

export interface RecordScan {
  prefix: string;
  /** The fields to read of each record (FIELD_HASH and lifecycle fields). */
  fields: readonly RecordField[];
  /** A glob on the username (SCAN MATCH; checkNameGlob). */
  match?: string;
  /** Once aborted, no new batch starts (the reader of stdout went away). */
  stop?: AbortSignal;
}

/**
 * Every key under the prefix that looks like a user record, on every master, a SCAN batch at
 * a time (in order, a few batches read ahead: memory stays flat whatever the count). SCAN may
 * return a key twice; nothing here remembers what it saw (that would grow with the users).
 */
export async function* scanRecords(topology: Topology, opts: RecordScan): AsyncGenerator<ScannedRecord[]> {
  const ops = opsFor(topology);
  const { prefix, fields } = opts;
  // As deep as the session listing reads ahead (core/sessions/list.ts LIST_DEPTH): batches held
  // longer are promoted to V8's old generation, and the peak RSS grows with the count.
  const walk: WalkOptions = { depth: RECORD_DEPTH, ...(opts.stop === undefined ? {} : { stop: opts.stop }) };
  const read = async (node: MasterNode, keys: Buffer[]) => {
    // null: a key whose name is not UTF-8 (no username is); undefined: not `{<name>}`.
    const names = keys.map((key) => (isUtf8(key) ? usernameFromKey(prefix, key.toString('utf8')) : null));
    const records = keys.filter((_, i) => typeof names[i] === 'string');
    // A script of READ_KEYS keys at most, as the session reads: one of 500 HMGETs took 3-4 ms,
    // and far longer when the server waited for a CPU meanwhile (SLOWLOG, docs/performance.md).
    const parts: Array<Promise<HashFields[]>> = [];
    for (let at = 0; at < records.length; at += READ_KEYS)
      parts.push(ops.hashFields(node.client, records.slice(at, at + READ_KEYS), fields));
    const replies = (await Promise.all(parts)).flat();
    return { names, replies };
  };
  for await (const { keys, result } of scanAndProcess(topology, { match: recordMatch(prefix, opts.match) }, read, walk)) {
    const out: ScannedRecord[] = [];
    let r = 0; // index into the keys that were read as records
    for (const [i, key] of keys.entries()) {
      const name = result.names[i];
      if (name === undefined) out.push({ kind: 'skipped', key: showId(key) });
      else if (name === null)
        out.push({ kind: 'unreadable', key: showId(key), name: undefined, type: undefined, reason: 'its name is not UTF-8' });
      else {
        const record = recordFrom(name, userKey(prefix, name), result.replies[r] ?? null, fields);
        r += 1;
        if (record !== undefined) out.push(record);
      }
    }
    yield out;
  }
}

/** One record by name, as scanRecords reads it; undefined when there is no such key. */
export async function readRecord(
  topology: Topology,
  prefix: string,
  name: string,
  fields: readonly RecordField[],
): Promise<ReadUser | UnreadableRecord | undefined> {
  const key = userKey(prefix, name);
  const [reply] = await slotHashFields(topology.keyed, [key], fields, topology.majorVersion >= 7);
  return recordFrom(name, key, reply ?? null, fields);
}

/**
 * Why a stored hash falls short of the policy (none: it meets it); an unusable one says why.
 * Every family but argon2id is outdated; one above the caps is unusable, as verify would refuse
 * it, and so is one peppered with a key the pepper file lacks. With `pepper` (--pepper-file), a
 * hash not made with its current key is outdated (read pepper_id for it).
 */
export function hashShortfalls(
  user: ReadUser | UnreadableRecord,
  policy: HashPolicy,
  caps: CostCaps,
  pepper?: PepperKeys,
): { reasons: string[]; usable: boolean } {
  if (user.kind === 'unreadable') return { reasons: [user.reason], usable: false };
  if (user.hash === undefined) return { reasons: ['no password hash'], usable: true };
  const peppered = pepperShortfalls(user.state[FIELD_PEPPER_ID], pepper);
  try {
    return { reasons: [...weaknesses(user.hash, policy, caps), ...peppered.reasons], usable: peppered.usable };
  } catch (err) {
    return { reasons: [err instanceof Error ? err.message : String(err), ...peppered.reasons], usable: false };
  }
}
