/**
 * Batched reads and deletes of many keys on one node, in one round trip each. On a single
 * server these are plain MGET/UNLINK; on a Cluster node the keys of one SCAN reply span
 * many slots, which multi-key commands refuse (CROSSSLOT), so a Lua script flagged
 * allow-cross-slot-keys (Redis >= 7) does the same work on the node that owns them all;
 * on older clusters, one command per slot does.
 */
import { bytesView } from '../redis/bytes.js';
import type { Keyed, Redis } from '../redis/connection.js';
import { onWire, runScript, script } from '../redis/scripts.js';
import { prefilterPasses, type Needle } from './prefilter.js';
import { keySlot } from '../redis/slot.js';
import { asValue, LUA_FETCH, type ValueKind } from '../redis/hash-value.js';

// Script flags need Redis >= 7: no-writes lets reads run on a server that refuses writes
// (CLIENT PAUSE WRITE, min-replicas-to-write), allow-cross-slot-keys lets a Cluster node
// serve keys of many slots in one call. Older servers get the plain scripts.
const READ_ONLY = '#!lua flags=no-writes\n';
const CROSS = '#!lua flags=no-writes,allow-cross-slot-keys\n';
const CROSS_WRITE = '#!lua flags=allow-cross-slot-keys\n';

// Plain scripts take the keys declared (Lua's KEYS table). Cluster scripts must NOT declare
// them: Redis checks declared keys for CROSSSLOT before the script runs (allow-cross-slot-keys
// only covers keys a script touches undeclared), so there the keys travel in ARGV and the node
// checks each access is to a key it serves. onArgv() turns a plain body into that form.
const onArgv = (body: string): string => body.replace(/\bKEYS\b/g, 'ARGV');
// ARGV[1] is the kind of value (hash-value.ts), then (on a cluster node) the keys.
const valuesBody = (keys: string) => `${LUA_FETCH}
local fetch = fetcher(ARGV[1])
${keys}
local o = {}
for i, k in ipairs(keys) do
  local v, _, err = fetch(k)
  if err then
    if string.find(tostring(err.err), '^WRONGTYPE') then v = false else return redis.error_reply(err.err) end
  end
  o[i] = v
end
return o`;
const VALUES_BODY = valuesBody('local keys = KEYS');
const VALUES_ARGV_BODY = valuesBody('local keys = {}\nfor i = 2, #ARGV do keys[i - 1] = ARGV[i] end');
// Fields of hashes (user records): for each key, its values of the fields in order (nil for a
// field it lacks), nil for a key that is gone, or the name of its type (a status reply) for a
// key of another type. One HMGET per key (an HGET per field cost the server ~40% more); an ACL
// user without HMGET (the README's rules before user list existed) gets an HGET per field. pcall
// so that a key of another type is told apart; every other error (a key this node does not serve
// after a resharding, say) still fails the call.
const HFIELDS_LOOP = `local o, hmget, n = {}, true, #fields
local function read(k)
  if hmget then
    local t = redis.pcall('HMGET', k, unpack(fields))
    if not t.err then
      for j = 1, n do
        if t[j] then return t end
      end
      return t, true
    end
    -- Redis 7.0 says "... can't run this command ...", later versions NOPERM.
    local e = tostring(t.err)
    if not (string.find(e, '^NOPERM') or string.find(e, "can't run this command", 1, true)) then return t end
    hmget = false
  end
  local r, found = {}, false
  for j = 1, n do
    local v = redis.pcall('HGET', k, fields[j])
    if type(v) == 'table' then return v end
    if v then found = true end
    r[j] = v
  end
  return r, not found
end
for i, k in ipairs(keys) do
  local r, empty = read(k)
  if r.err then
    if not string.find(tostring(r.err), '^WRONGTYPE') then return redis.error_reply(r.err) end
    r = redis.call('TYPE', k)
  elseif empty and redis.call('TYPE', k)['ok'] == 'none' then
    r = false
  end
  o[i] = r
end
return o`;
const HFIELDS_BODY = `local keys, fields = KEYS, ARGV
${HFIELDS_LOOP}`;
// ARGV[1] is the number of fields, then the fields, then the keys.
const HFIELDS_ARGV_BODY = `local n, keys, fields = tonumber(ARGV[1]), {}, {}
for i = 2, n + 1 do fields[i - 1] = ARGV[i] end
for i = n + 2, #ARGV do keys[i - n - 1] = ARGV[i] end
${HFIELDS_LOOP}`;
// Reading sessions in replies bounded by bytes (see fetch-values.ts). For each key in order,
// its value (GET, or HGETALL's list when ARGV[3] is 'hash': hash-value.ts) and, when ARGV[2] is '1', its PTTL (else -2
// for a missing key, as PTTL says, and 0 for any other), until the values would pass
// ARGV[1] bytes: the reply then ends, and the caller asks again for the keys it did not reach.
// A value is replaced by -1 for a key of another type, by -2 when it holds none of the ARGV[3]
// byte strings that follow ARGV[4] (the --user prefilter, prefilter.ts; none: no prefilter),
// and by its length when it alone is larger than ARGV[1] (then it is the only key answered,
// and the caller fetches it by itself).
const READ_LOOP = `local bytes, o = 0, {}
for i, k in ipairs(keys) do
  local v, size, err = fetch(k)
  if err then
    if string.find(tostring(err.err), '^WRONGTYPE') then v = -1 else return redis.error_reply(err.err) end
  elseif v then
    local held = #needles == 0
    for _, n in ipairs(needles) do
      if holds(v, n) then held = true break end
    end
    if not held then
      v = -2
    elseif bytes + size > cap then
      if bytes > 0 then return o end
      o[1], o[2] = ttls and redis.call('PTTL', k) or 0, size
      return o
    else
      bytes = bytes + size
    end
  end
  o[2 * i - 1] = ttls and redis.call('PTTL', k) or (v == false and -2 or 0)
  o[2 * i] = v
end
return o`;
const READ_ARGS = `${LUA_FETCH}
local cap, ttls, fetch, needles = tonumber(ARGV[1]), ARGV[2] == '1', fetcher(ARGV[3]), {}
local first = 5 + tonumber(ARGV[4])
for i = 5, first - 1 do needles[i - 4] = ARGV[i] end`;
const READ_BODY = `${READ_ARGS}
local keys = KEYS
${READ_LOOP}`;
// On a cluster node the keys follow the arguments in ARGV.
const READ_ARGV_BODY = `${READ_ARGS}
local keys = {}
for i = first, #ARGV do keys[i - first + 1] = ARGV[i] end
${READ_LOOP}`;
const UNLINKS_BODY = `local n = 0
for _, k in ipairs(KEYS) do n = n + redis.call('UNLINK', k) end
return n`;

const VALUES_LEGACY = script(VALUES_BODY);
const VALUES = script(READ_ONLY + VALUES_BODY, true);
const VALUES_CROSS = script(CROSS + VALUES_ARGV_BODY, true);
const HFIELDS_LEGACY = script(HFIELDS_BODY);
const HFIELDS = script(READ_ONLY + HFIELDS_BODY, true);
const HFIELDS_CROSS = script(CROSS + HFIELDS_ARGV_BODY, true);
const UNLINKS_CROSS = script(CROSS_WRITE + onArgv(UNLINKS_BODY));
const READ_LEGACY = script(READ_BODY);
const READ = script(READ_ONLY + READ_BODY, true);
const READ_CROSS = script(CROSS + READ_ARGV_BODY, true);

/** Keys are bytes as SCAN returned them; values come back as bytes, hash fields as text. */
/** In ReadReply.values: the key holds another type (not a session). */
export const WRONG_TYPE = -1;
/** In ReadReply.values: the value cannot hold the user asked for (the prefilter said so). */
export const SKIPPED = -2;

/**
 * What `read` found for the first `values.length` keys (the rest are for another call): a
 * PTTL each (-2 absent, -1 no expiry) and the value (null: no such key), WRONG_TYPE, SKIPPED,
 * or a length (>= 0): a value too large for the byte limit, to fetch by itself.
 */
export interface ReadReply {
  pttls: number[];
  values: Array<Buffer | null | number>;
}

export interface NodeOps {
  /** Values of `kind` (a hash packed: hash-value.ts), as stored; null for a missing key or one of another type. */
  values(node: Redis, keys: Buffer[], kind: ValueKind): Promise<Array<Buffer | null>>;
  /**
   * Values (and with `ttls` PTTLs, else -2 for a missing key and 0 for others) of the keys in order, until the values would pass
   * `maxBytes` (at least one key is always answered). `needle`, unless empty, is the --user
   * prefilter (prefilter.ts).
   */
  read(node: Redis, keys: Buffer[], kind: ValueKind, maxBytes: number, needle: Needle, ttls: boolean): Promise<ReadReply>;
  /** The fields of each hash (hashFields' reply): as bytes, null for one it lacks. */
  hashFields(node: Redis, keys: Buffer[], fields: readonly string[]): Promise<HashFields[]>;
  /** How many of the keys were deleted. */
  unlink(node: Redis, keys: Buffer[]): Promise<number>;
}

// Replies normally hold exactly these types already: check, and copy only if one does not.
/**
 * hashFields' reply for one key: the values of the fields asked for, in order (null for a field
 * the hash lacks); null for a key that is gone; a string, the key's type, for a key that is not a hash.
 */
export type HashFields = Array<Buffer | null> | null | string;

const asHashFields = (reply: unknown): HashFields[] =>
  (reply as unknown[]).map((v) =>
    Array.isArray(v)
      ? v.map((f) => (f === null || f === undefined ? null : asValue(f)))
      : typeof v === 'string'
        ? v
        : v === null || v === undefined
          ? null
          : String(v),
  );
const asBuffers = (reply: unknown): Array<Buffer | null> => {
  const list = reply as unknown[];
  return list.every((v) => v === null || Buffer.isBuffer(v)) ? (list as Array<Buffer | null>) : list.map(asValue);
};

/** The READ script's flat [pttl, value, pttl, value, ...] reply as two arrays. */
function splitRead(reply: unknown): ReadReply {
  const flat = reply as Array<Buffer | number | null>;
  const pttls = new Array<number>(flat.length >> 1);
  const values = new Array<Buffer | null | number>(flat.length >> 1);
  for (let i = 0; i < pttls.length; i += 1) {
    pttls[i] = Number(flat[2 * i] ?? -2);
    const value = flat[2 * i + 1] ?? null;
    // A hash comes as its list of field and value bytes: packed here (hash-value.ts).
    values[i] = typeof value === 'number' ? value : asValue(value);
  }
  return { pttls, values };
}

/**
 * The keys of a batch grouped by hash slot, each group with the keys' positions in the batch.
 * Redis < 7 has no allow-cross-slot-keys: on such a Cluster every multi-key command gets the
 * keys of one slot only (one command per group, all sent at once, so still one round trip).
 */
function bySlot(keys: Buffer[]): Array<{ keys: Buffer[]; at: number[] }> {
  const groups = new Map<number, { keys: Buffer[]; at: number[] }>();
  keys.forEach((key, i) => {
    const slot = keySlot(key);
    let group = groups.get(slot);
    if (group === undefined) groups.set(slot, (group = { keys: [], at: [] }));
    group.keys.push(key);
    group.at.push(i);
  });
  return [...groups.values()];
}

/** Runs `read` per slot group and puts the replies back in the order of `keys`. */
async function readPerSlot<T>(keys: Buffer[], read: (group: Buffer[]) => Promise<T[]>): Promise<T[]> {
  const out = new Array<T>(keys.length);
  await Promise.all(
    bySlot(keys).map(async (group) => {
      const reply = await read(group.keys);
      group.at.forEach((i, j) => (out[i] = reply[j] as T));
    }),
  );
  return out;
}

/**
 * `modern`: the server is Redis >= 7 (script flags). A Cluster of older servers gets the
 * plain commands and scripts, one per hash slot.
 */
export function nodeOps(cluster: boolean, modern = true): NodeOps {
  if (cluster && !modern) return perSlotOps();
  // On a cluster node the keys go in ARGV (see the bodies above), none are declared.
  return {
    async values(node, keys, kind) {
      const bytes = bytesView(node);
      if (cluster) return asBuffers(await runScript(bytes, VALUES_CROSS, [], [kind, ...keys]));
      if (kind === 'string') return asBuffers(await bytes.mGet(onWire(keys)));
      return asBuffers(await runScript(bytes, modern ? VALUES : VALUES_LEGACY, keys, [kind]));
    },
    async read(node, keys, kind, maxBytes, needle, ttls) {
      const limits = [String(maxBytes), ttls ? '1' : '0', kind, String(needle.length), ...needle];
      const bytes = bytesView(node);
      return splitRead(
        cluster
          ? await runScript(bytes, READ_CROSS, [], [...limits, ...keys])
          : await runScript(bytes, modern ? READ : READ_LEGACY, keys, limits),
      );
    },
    async hashFields(node, keys, fields) {
      const bytes = bytesView(node);
      return asHashFields(
        cluster
          ? await runScript(bytes, HFIELDS_CROSS, [], [String(fields.length), ...fields, ...keys])
          : await runScript(bytes, modern ? HFIELDS : HFIELDS_LEGACY, keys, [...fields]),
      );
    },
    async unlink(node, keys) {
      return Number(cluster ? await runScript(node, UNLINKS_CROSS, [], keys) : await node.unlink(onWire(keys)));
    },
  };
}

/** A Cluster of Redis < 7: the single-server commands, each on the keys of one slot. */
function perSlotOps(): NodeOps {
  return {
    values: (node, keys, kind) =>
      readPerSlot(keys, async (group) =>
        asBuffers(
          kind === 'string' ? await bytesView(node).mGet(onWire(group)) : await runScript(bytesView(node), VALUES_LEGACY, group, [kind]),
        ),
      ),
    // One command per key (no script could take keys of several slots), all sent at once; the
    // byte limit and the prefilter apply here instead.
    async read(node, keys, kind, maxBytes, needle, ttls) {
      const bytes = bytesView(node);
      // A hash is read by the READ script on its one key (no cap, no prefilter: both apply below).
      const one = async (k: Buffer): Promise<Buffer | null | number> => {
        if (kind === 'hash')
          return splitRead(await runScript(bytes, READ_LEGACY, [k], [String(2 ** 32), '0', kind, '0'])).values[0] ?? null;
        return (bytes.get(k) as unknown as Promise<Buffer | null>).catch((err: unknown) =>
          err instanceof Error && /^WRONGTYPE/.test(err.message) ? WRONG_TYPE : Promise.reject(err),
        );
      };
      const [raws, read] = await Promise.all([
        Promise.all(keys.map(one)),
        ttls ? Promise.all(keys.map(async (k) => Number(await node.pTTL(k)))) : undefined,
      ]);
      // Without PTTLs, as the READ script: -2 for a missing key, 0 for any other.
      const pttls = read ?? raws.map((raw) => (raw === null ? -2 : 0));
      const values: Array<Buffer | null | number> = [];
      let total = 0;
      for (const raw of raws) {
        if (raw instanceof Buffer && !prefilterPasses(raw, needle)) values.push(SKIPPED);
        else if (raw instanceof Buffer && total + raw.length > maxBytes) {
          if (total === 0) values.push(raw.length); // alone too large: the only answer
          break;
        } else {
          total += raw instanceof Buffer ? raw.length : 0;
          values.push(raw);
        }
      }
      return { pttls: pttls.slice(0, values.length), values };
    },
    async hashFields(node, keys, fields) {
      return readPerSlot(keys, async (group) => asHashFields(await runScript(bytesView(node), HFIELDS_LEGACY, group, [...fields])));
    },
    async unlink(node, keys) {
      const counts = await Promise.all(bySlot(keys).map(async (group) => Number(await node.unlink(onWire(group.keys)))));
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}

/**
 * The fields of hashes in one slot (a single key, say), through the client that routes by key:
 * hashFields' reply. `modern`: Redis >= 7 (the read-only script).
 */
export async function slotHashFields(
  redis: Keyed,
  keys: Buffer[] | string[],
  fields: readonly string[],
  modern: boolean,
): Promise<HashFields[]> {
  return asHashFields(await runScript(bytesView(redis), modern ? HFIELDS : HFIELDS_LEGACY, keys, [...fields]));
}

export function opsFor(topology: { kind: string; majorVersion: number }): NodeOps {
  return nodeOps(topology.kind === 'cluster', topology.majorVersion >= 7);
}
