/**
 * User records: one hash per user at `<prefix>{<name>}` (see docs/schema.md).
 * Every write is a single Lua script, so concurrent writers can never interleave.
 */
import { runScript, script } from '../redis/scripts.js';
import { isUtf8 } from 'node:buffer';
import { BadDataError } from '../errors.js';
import type { Keyed } from '../redis/connection.js';
import { escapeGlob, showId } from '../redis/keys.js';
import { usernameFromKey } from './names.js';
import { scanAndProcess } from '../walk/bulk.js';
import { opsFor } from '../walk/node-ops.js';
import type { MasterNode, Topology } from '../redis/topology.js';

export const FIELD_HASH = 'password_hash';
export const FIELD_CREATED = 'created_at';
export const FIELD_UPDATED = 'updated_at';

export interface UserRecord {
  passwordHash: string;
  createdAt: string | undefined;
  updatedAt: string | undefined;
}

/** Create the hash only if the key does not exist yet. 1 = created, 0 = exists. */
const CREATE_IF_ABSENT = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
return 1`);

/** Compare-and-set of the hash field. 1 = replaced, 0 = changed meanwhile, -1 = user gone. */
const REPLACE_IF_UNCHANGED = script(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return -1 end
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3], ARGV[4], ARGV[5])
return 1`);

export async function createUser(redis: Keyed, key: string, passwordHash: string, now: Date): Promise<boolean> {
  const stamp = now.toISOString();
  const created = await runScript(redis, CREATE_IF_ABSENT, [key], [FIELD_HASH, passwordHash, FIELD_CREATED, stamp, FIELD_UPDATED, stamp]);
  return created === 1;
}

export type ReplaceResult = 'replaced' | 'changed' | 'gone';

export async function replaceHash(redis: Keyed, key: string, expected: string, next: string, now: Date): Promise<ReplaceResult> {
  const result = await runScript(redis, REPLACE_IF_UNCHANGED, [key], [FIELD_HASH, expected, next, FIELD_UPDATED, now.toISOString()]);
  return result === 1 ? 'replaced' : result === 0 ? 'changed' : 'gone';
}

function toRecord(key: string, fields: Record<string, string>): UserRecord {
  const passwordHash = fields[FIELD_HASH];
  if (passwordHash === undefined) throw new BadDataError(`user record ${key} has no ${FIELD_HASH} field`);
  return { passwordHash, createdAt: fields[FIELD_CREATED], updatedAt: fields[FIELD_UPDATED] };
}

/** The record, or undefined when there is no such key. A key of another type is exit 5. */
export async function getUser(redis: Keyed, key: string): Promise<UserRecord | undefined> {
  const fields = (await redis.hGetAll(key)) as Record<string, string>;
  if (Object.keys(fields).length === 0) return undefined;
  return toRecord(key, fields);
}

export interface ScannedUser {
  kind: 'user';
  name: string;
  /** undefined when the record lacks the field (reported, not fatal, in a scan). */
  passwordHash: string | undefined;
}

/** A key that matches `<prefix>{*}` but is not a user record: another type, or not `{<name>}`. */
export interface SkippedKey {
  kind: 'skipped';
  key: string;
}

/**
 * Every key under the prefix that looks like a user record (`<prefix>{*}`), on every master,
 * streamed in batches: user records, and the keys that are not (so a caller can count them).
 * The SCAN has no TYPE filter, which would hide the keys of other types; the few keys whose
 * field reads as nil (another type, a hash without the field, or a key gone meanwhile) get a
 * TYPE each to tell which, so ordinary records cost no more than before.
 */
export async function* scanUsers(topology: Topology, prefix: string): AsyncGenerator<ScannedUser | SkippedKey> {
  const ops = opsFor(topology);
  const scan = { match: `${escapeGlob(prefix)}{*}` };
  const read = async (node: MasterNode, keys: Buffer[]) => {
    // A key that is not UTF-8 cannot hold a valid username.
    const names = keys.map((key) => (isUtf8(key) ? usernameFromKey(prefix, key.toString('utf8')) : undefined));
    const records = keys.filter((_, i) => names[i] !== undefined);
    const hashes = records.length === 0 ? [] : await ops.hashField(node.client, records, FIELD_HASH);
    const types = await Promise.all(
      hashes.map((hash, i) => (hash === null ? node.client.type(records[i] as Buffer).then(String) : undefined)),
    );
    return { names, hashes, types };
  };
  for await (const { keys, result } of scanAndProcess(topology, scan, read)) {
    let r = 0; // index into the keys that were read as records
    for (const [i, key] of keys.entries()) {
      const name = result.names[i];
      if (name === undefined) {
        yield { kind: 'skipped', key: showId(key) };
        continue;
      }
      const hash = result.hashes[r] ?? null;
      const type = result.types[r];
      r += 1;
      if (hash !== null || type === 'hash') yield { kind: 'user', name, passwordHash: hash ?? undefined };
      else if (type !== 'none') yield { kind: 'skipped', key: showId(key) };
    }
  }
}
