/**
 * User records: one hash per user at `<prefix>{<name>}` (see docs/schema.md).
 * Every write is a single Lua script, so concurrent writers can never interleave.
 */
import { runScript, script } from '../redis/scripts.js';
import { BadDataError } from '../errors.js';
import type { Keyed } from '../redis/connection.js';

export const FIELD_HASH = 'password_hash';
export const FIELD_CREATED = 'created_at';
export const FIELD_UPDATED = 'updated_at';
/** The account's lifecycle (docs/schema.md): what an application reads to honour it. */
export const FIELD_STATUS = 'status';
export const FIELD_STATUS_REASON = 'status_reason';
export const FIELD_STATUS_CHANGED = 'status_changed_at';
export const FIELD_PASSWORD_CHANGED = 'password_changed_at';
export const FIELD_SESSIONS_VALID_AFTER = 'sessions_valid_after';
export const FIELD_MUST_CHANGE = 'must_change_password';
export const FIELD_PRINCIPAL = 'principal';
/** Which --pepper-file key password_hash was made with (core/users/pepper.ts); no field or empty: none. */
export const FIELD_PEPPER_ID = 'pepper_id';

export const STATUS_ACTIVE = 'active';
export const STATUS_DISABLED = 'disabled';

/**
 * The fields of a record that this tool writes and may show or record in the audit trail, in
 * schema order: never password_hash, and never a field an application added (which may hold a
 * secret such as a TOTP seed).
 */
export const LIFECYCLE_FIELDS = [
  FIELD_STATUS,
  FIELD_STATUS_REASON,
  FIELD_STATUS_CHANGED,
  FIELD_CREATED,
  FIELD_UPDATED,
  FIELD_PASSWORD_CHANGED,
  FIELD_SESSIONS_VALID_AFTER,
  FIELD_MUST_CHANGE,
  FIELD_PRINCIPAL,
  // An id, never the key: safe to show and to record in the audit trail.
  FIELD_PEPPER_ID,
] as const;

/** The lifecycle fields a record holds (absent ones left out). */
export type RecordState = Partial<Record<(typeof LIFECYCLE_FIELDS)[number], string>>;

export interface UserRecord {
  passwordHash: string;
  createdAt: string | undefined;
  updatedAt: string | undefined;
  /** The lifecycle fields present (status, principal, ...): see LIFECYCLE_FIELDS. */
  state: RecordState;
}

/**
 * Whether a record's account may log in. No status field is an active account (records written
 * before the field existed); any value but "active" is not, so a status an application wrote
 * ("locked", say) fails closed.
 */
export function isActive(state: RecordState): boolean {
  const status = state[FIELD_STATUS];
  return status === undefined || status === STATUS_ACTIVE;
}

/** Whose sessions are the user's: the record's principal (the application's id for it) when set, else the name. */
export function principalOf(state: RecordState, name: string): string {
  const principal = state[FIELD_PRINCIPAL];
  return principal === undefined || principal === '' ? name : principal;
}

/**
 * Lua: the lifecycle fields of KEYS[1] as a flat list of name, value pairs (HGET each: the
 * tool's ACL user has HGET, not HMGET).
 */
const READ_STATE = `
local function state(key)
  local out = {}
  for _, f in ipairs({${LIFECYCLE_FIELDS.map((f) => `'${f}'`).join(', ')}}) do
    local v = redis.call('HGET', key, f)
    if v then out[#out + 1] = f; out[#out + 1] = v end
  end
  return out
end`;

function toState(pairs: unknown): RecordState {
  const state: Record<string, string> = {};
  const list = Array.isArray(pairs) ? pairs.map(String) : [];
  for (let i = 0; i + 1 < list.length; i += 2) state[list[i] as string] = list[i + 1] as string;
  return state as RecordState;
}

/** The lifecycle fields among field, value pairs (the hash left out), in schema order. */
function lifecycleOf(pairs: readonly string[]): RecordState {
  const given = toState(pairs) as Record<string, string>;
  const state: Record<string, string> = {};
  for (const field of LIFECYCLE_FIELDS) if (given[field] !== undefined) state[field] = given[field];
  return state as RecordState;
}

/** Create the hash only if the key does not exist yet, with the field pairs of ARGV. 1 = created, 0 = exists. */
const CREATE_IF_ABSENT = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`);

/**
 * Lua: a new hash's pepper_id, ARGV[n] ('' for none). A record that had one gets '' rather than
 * an HDEL, which the documented ACL (README, Least privilege) does not grant; a record that
 * never had one gets no field.
 */
const setPepperId = (n: number) => `
if ARGV[${n}] ~= '' or redis.call('HGET', KEYS[1], '${FIELD_PEPPER_ID}') then
  redis.call('HSET', KEYS[1], '${FIELD_PEPPER_ID}', ARGV[${n}])
end`;

/**
 * Compare-and-set of the hash field, with its pepper_id ARGV[6]. {1, before, after} = replaced,
 * {0} = changed meanwhile, {-1} = user gone.
 */
const REPLACE_IF_UNCHANGED = script(`${READ_STATE}
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return {-1} end
if current ~= ARGV[2] then return {0} end
local before = state(KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3], ARGV[4], ARGV[5])${setPepperId(6)}
return {1, before, state(KEYS[1])}`);

/**
 * A new record: active, its password changed when it was created, and the application's id for
 * the user if given. Its lifecycle fields as written, or undefined when the key exists already.
 */
export async function createUser(
  redis: Keyed,
  key: string,
  passwordHash: string,
  now: Date,
  principal?: string,
  pepperId?: string,
): Promise<RecordState | undefined> {
  const stamp = now.toISOString();
  const state: RecordState = {
    [FIELD_STATUS]: STATUS_ACTIVE,
    [FIELD_CREATED]: stamp,
    [FIELD_UPDATED]: stamp,
    [FIELD_PASSWORD_CHANGED]: stamp,
    ...(principal === undefined ? {} : { [FIELD_PRINCIPAL]: principal }),
    ...(pepperId === undefined ? {} : { [FIELD_PEPPER_ID]: pepperId }),
  };
  const fields = [FIELD_HASH, passwordHash, ...Object.entries(state).flat()];
  return (await runScript(redis, CREATE_IF_ABSENT, [key], fields)) === 1 ? state : undefined;
}

export type ReplaceResult = 'replaced' | 'changed' | 'gone';

/**
 * Replace the hash if it is still `expected` (compare-and-set), with the pepper key `next` was
 * made with (undefined: none). The lifecycle fields before and after come with 'replaced'.
 */
export async function replaceHash(
  redis: Keyed,
  key: string,
  expected: string,
  next: string,
  now: Date,
  pepperId?: string,
): Promise<{ result: 'replaced'; before: RecordState; after: RecordState } | { result: Exclude<ReplaceResult, 'replaced'> }> {
  const args = [FIELD_HASH, expected, next, FIELD_UPDATED, now.toISOString(), pepperId ?? ''];
  const reply = (await runScript(redis, REPLACE_IF_UNCHANGED, [key], args)) as unknown[];
  const code = Number(reply[0]);
  if (code === 1) return { result: 'replaced', before: toState(reply[1]), after: toState(reply[2]) };
  return { result: code === 0 ? 'changed' : 'gone' };
}

/** What a lifecycle change did: the lifecycle fields before and after it (never the hash). */
export interface StateChange {
  /** false when the record already was as asked (a disable of a disabled user): nothing but sessions_valid_after written. */
  changed: boolean;
  before: RecordState;
  after: RecordState;
}

/**
 * Lua prologue of the lifecycle scripts: KEYS[1] must be a user record. {-1} for no such key,
 * {-2, type} for a key of another type; the caller's wrapper turns those into errors.
 */
const RECORD_GUARD = `
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then return {-1} end
if t ~= 'hash' then return {-2, t} end`;

/**
 * Set the status to ARGV[1] with its reason ARGV[2] ('' for none) at time ARGV[3], unless the
 * record has that status already (then its reason and time stay); and with ARGV[4] ~= '',
 * sessions_valid_after = ARGV[4] in any case (a disable, each time it runs).
 */
const SET_STATUS = script(`${READ_STATE}${RECORD_GUARD}
local before = state(KEYS[1])
local changed = 0
if (redis.call('HGET', KEYS[1], '${FIELD_STATUS}') or '${STATUS_ACTIVE}') ~= ARGV[1] then
  redis.call('HSET', KEYS[1], '${FIELD_STATUS}', ARGV[1], '${FIELD_STATUS_REASON}', ARGV[2], '${FIELD_STATUS_CHANGED}', ARGV[3])
  changed = 1
end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], '${FIELD_SESSIONS_VALID_AFTER}', ARGV[4]) end
return {changed, before, state(KEYS[1])}`);

/**
 * Compare-and-set of a password change: only if password_hash is still ARGV[1], write ARGV[2]
 * with updated_at and password_changed_at = ARGV[3], must_change_password = ARGV[4], with
 * ARGV[5] ~= '' sessions_valid_after = ARGV[5], and its pepper_id ARGV[6]. {0} when the hash
 * changed meanwhile.
 */
const CHANGE_PASSWORD = script(`${READ_STATE}${RECORD_GUARD}
if redis.call('HGET', KEYS[1], '${FIELD_HASH}') ~= ARGV[1] then return {0} end
local before = state(KEYS[1])
redis.call('HSET', KEYS[1], '${FIELD_HASH}', ARGV[2], '${FIELD_UPDATED}', ARGV[3], '${FIELD_PASSWORD_CHANGED}', ARGV[3], '${FIELD_MUST_CHANGE}', ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], '${FIELD_SESSIONS_VALID_AFTER}', ARGV[5]) end${setPepperId(6)}
return {1, before, state(KEYS[1])}`);

/** Remove the record (UNLINK), returning its lifecycle fields as they were (the principal names its sessions). */
const DELETE_USER = script(`${READ_STATE}${RECORD_GUARD}
local before = state(KEYS[1])
redis.call('UNLINK', KEYS[1])
return {1, before}`);

/** The reply of a lifecycle script: undefined for no such key; a key of another type is exit 5. */
function guarded(key: string, reply: unknown): unknown[] | undefined {
  const list = Array.isArray(reply) ? (reply as unknown[]) : [];
  if (Number(list[0]) === -1) return undefined;
  if (Number(list[0]) === -2) throw new BadDataError(`${key} holds a ${String(list[1])}, not a user record (hash); nothing was written`);
  return list;
}

/** A status change (see SET_STATUS); undefined when there is no such user. */
export async function setStatus(
  redis: Keyed,
  key: string,
  change: { status: string; reason: string; now: Date; sessionsValidAfter?: Date },
): Promise<StateChange | undefined> {
  const args = [change.status, change.reason, change.now.toISOString(), change.sessionsValidAfter?.toISOString() ?? ''];
  const reply = guarded(key, await runScript(redis, SET_STATUS, [key], args));
  if (reply === undefined) return undefined;
  return { changed: Number(reply[0]) === 1, before: toState(reply[1]), after: toState(reply[2]) };
}

export type PasswordChange = { result: 'changed'; before: RecordState; after: RecordState } | { result: 'conflict' } | { result: 'gone' };

/** A password change, compare-and-set against the hash read before (see CHANGE_PASSWORD). */
export async function changePassword(
  redis: Keyed,
  key: string,
  change: { expected: string; next: string; now: Date; mustChange: boolean; sessionsValidAfter?: Date; pepperId?: string | undefined },
): Promise<PasswordChange> {
  const args = [
    change.expected,
    change.next,
    change.now.toISOString(),
    change.mustChange ? '1' : '0',
    change.sessionsValidAfter?.toISOString() ?? '',
    change.pepperId ?? '',
  ];
  const reply = guarded(key, await runScript(redis, CHANGE_PASSWORD, [key], args));
  if (reply === undefined) return { result: 'gone' };
  if (Number(reply[0]) !== 1) return { result: 'conflict' };
  return { result: 'changed', before: toState(reply[1]), after: toState(reply[2]) };
}

/** Remove a user record: its lifecycle fields as they were, or undefined when there was none. */
export async function deleteUser(redis: Keyed, key: string): Promise<RecordState | undefined> {
  const reply = guarded(key, await runScript(redis, DELETE_USER, [key]));
  return reply === undefined ? undefined : toState(reply[1]);
}

/**
 * The lifecycle fields of a record, for a command that does not need its hash (`user delete`
 * asks with them): undefined when there is no such key, exit 5 for another type.
 */
export async function getUserState(redis: Keyed, key: string): Promise<RecordState | undefined> {
  const type = String(await redis.type(key));
  if (type === 'none') return undefined;
  if (type !== 'hash') throw new BadDataError(`${key} holds a ${type}, not a user record (hash)`);
  const fields = (await redis.hGetAll(key)) as Record<string, string>;
  const state: Record<string, string> = {};
  for (const f of LIFECYCLE_FIELDS) if (fields[f] !== undefined) state[f] = fields[f];
  return state;
}

function toRecord(key: string, fields: Record<string, string>): UserRecord {
  const passwordHash = fields[FIELD_HASH];
  if (passwordHash === undefined) throw new BadDataError(`user record ${key} has no ${FIELD_HASH} field`);
  const state: Record<string, string> = {};
  for (const f of LIFECYCLE_FIELDS) if (fields[f] !== undefined) state[f] = fields[f];
  return { passwordHash, createdAt: fields[FIELD_CREATED], updatedAt: fields[FIELD_UPDATED], state };
}

/** The record, or undefined when there is no such key. A key of another type is exit 5. */
export async function getUser(redis: Keyed, key: string): Promise<UserRecord | undefined> {
  const fields = (await redis.hGetAll(key)) as Record<string, string>;
  if (Object.keys(fields).length === 0) return undefined;
  return toRecord(key, fields);
}
/** What `user import` may do with a name that exists: leave it (skip, fail) or replace what the tool owns (overwrite). */
export type ImportMode = 'create' | 'overwrite';

/**
 * Write imported records, each whole or not at all (the script runs as one). ARGV[1] is the
 * mode, ARGV[2] a JSON array holding, for each key in KEYS, its field, value pairs. A key of
 * another type is left alone (its type); an existing record is left alone (0) unless the mode
 * is 'overwrite', which removes the fields the tool owns (the hash and every lifecycle field)
 * and writes the new ones, keeping the fields an application added (the lifecycle fields it
 * had, as name, value pairs: the audit trail's `before`); a new key is written (1). Several
 * users a script, their fields in one argument: one EVALSHA of one JSON text for a hundred
 * users, where a script per user, or an argument per field, cost the client more than the
 * server's whole work (node-redis's cost per command, and per argument: docs/performance.md).
 */
const IMPORT_USERS = script(`${READ_STATE}
local overwrite, fields, out = ARGV[1] == 'overwrite', cjson.decode(ARGV[2]), {}
-- KEYS are distinct (import.ts refuses a name given twice). When none of them exists, as in
-- an import into a new database, every one is a new record: one EXISTS instead of a TYPE each.
local fresh = redis.call('EXISTS', unpack(KEYS)) == 0
for i, key in ipairs(KEYS) do
  local t = fresh and 'none' or redis.call('TYPE', key)['ok']
  if t == 'none' then
    redis.call('HSET', key, unpack(fields[i]))
    out[i] = 1
  elseif t ~= 'hash' then
    out[i] = t
  elseif overwrite then
    out[i] = state(key)
    redis.call('HDEL', key, '${FIELD_HASH}', ${LIFECYCLE_FIELDS.map((f) => `'${f}'`).join(', ')})
    redis.call('HSET', key, unpack(fields[i]))
  else
    out[i] = 0
  end
end
return out`);

export type ImportResult =
  | { result: 'created' | 'exists' }
  | { result: 'overwritten'; before: RecordState; after: RecordState }
  | { result: 'wrong-type'; type: string };

/**
 * Write imported users (see IMPORT_USERS) by one script: their keys must be on one node (any
 * keys on a single server; one key a call on a Cluster, whose users' keys are each in a slot of
 * their own). `fields` are field, value pairs, the hash among them.
 */
export async function importUsers(
  redis: Keyed,
  mode: ImportMode,
  users: ReadonlyArray<{ key: string; fields: readonly string[] }>,
): Promise<ImportResult[]> {
  // A string, not a Buffer: node-redis writes it with the command's other strings, where a
  // Buffer would be turned back into a string by runScript (onWire) after costing its encoding.
  const fields = JSON.stringify(users.map((u) => u.fields));
  const reply = await runScript(
    redis,
    IMPORT_USERS,
    users.map((u) => u.key),
    [mode, fields],
  );
  const list = Array.isArray(reply) ? (reply as unknown[]) : [];
  return users.map((user, i) => {
    const code = list[i];
    // After an overwrite the record's lifecycle fields are those written: no need to read them back.
    if (Array.isArray(code)) return { result: 'overwritten', before: toState(code), after: lifecycleOf(user.fields) };
    if (typeof code !== 'number') return { result: 'wrong-type', type: String(code) };
    return { result: code === 1 ? 'created' : 'exists' };
  });
}
