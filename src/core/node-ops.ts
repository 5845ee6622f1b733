/**
 * Batched reads and deletes of many keys on one node, in one round trip each. On a single
 * server these are plain MGET/UNLINK; on a Cluster node the keys of one SCAN reply span
 * many slots, which multi-key commands refuse (CROSSSLOT), so a Lua script flagged
 * allow-cross-slot-keys (Redis >= 7) does the same work on the node that owns them all;
 * on older clusters, one command per slot does.
 */
import { bytesView } from './bytes.js';
import type { Redis } from './connection.js';
import { runScript, script } from './scripts.js';
import { keySlot } from './slot.js';

/**
 * Values as stored, in bytes (null when absent or not a string), and their PTTLs (-2 absent,
 * -1 no expiry), in the order of the keys. Two parallel arrays rather than an object per key:
 * a listing fetches millions and the per-key objects showed up as garbage-collection time.
 */
export interface Fetched {
  raws: Array<Buffer | null>;
  pttls: number[];
}

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
const PTTLS_BODY = `local o = {}
for i, k in ipairs(KEYS) do o[i] = redis.call('PTTL', k) end
return o`;
// pcall so that a key of another type reads as nil; any other error (a key this node does
// not serve after a resharding, say) still fails the call instead of passing as "no value".
const NIL_IF_WRONGTYPE = `if type(v) == 'table' then
    if string.find(tostring(v.err), '^WRONGTYPE') then v = false else return redis.error_reply(v.err) end
  end`;
const GETS_BODY = `local o = {}
for i, k in ipairs(KEYS) do
  local v = redis.pcall('GET', k)
  ${NIL_IF_WRONGTYPE}
  o[i] = v
end
return o`;
const HGETS_BODY = `local o = {}
for i, k in ipairs(KEYS) do
  local v = redis.pcall('HGET', k, ARGV[1])
  ${NIL_IF_WRONGTYPE}
  o[i] = v
end
return o`;
// ARGV[1] is the field, ARGV[2..] the keys.
const HGETS_ARGV_BODY = `local o = {}
for i = 2, #ARGV do
  local v = redis.pcall('HGET', ARGV[i], ARGV[1])
  ${NIL_IF_WRONGTYPE}
  o[i - 1] = v
end
return o`;
const UNLINKS_BODY = `local n = 0
for _, k in ipairs(KEYS) do n = n + redis.call('UNLINK', k) end
return n`;

const PTTLS_LEGACY = script(PTTLS_BODY);
const PTTLS = script(READ_ONLY + PTTLS_BODY, true);
const PTTLS_CROSS = script(CROSS + onArgv(PTTLS_BODY), true);
const GETS_CROSS = script(CROSS + onArgv(GETS_BODY), true);
const HGETS_LEGACY = script(HGETS_BODY);
const HGETS = script(READ_ONLY + HGETS_BODY, true);
const HGETS_CROSS = script(CROSS + HGETS_ARGV_BODY, true);
const UNLINKS_CROSS = script(CROSS_WRITE + onArgv(UNLINKS_BODY));

/** Keys are bytes as SCAN returned them; values come back as bytes, hash fields as text. */
export interface NodeOps {
  /** Values, as stored; null for a missing key or one that is not a string. */
  values(node: Redis, keys: Buffer[]): Promise<Array<Buffer | null>>;
  withTtls(node: Redis, keys: Buffer[]): Promise<Fetched>;
  hashField(node: Redis, keys: Buffer[], field: string): Promise<Array<string | null>>;
  /** How many of the keys were deleted. */
  unlink(node: Redis, keys: Buffer[]): Promise<number>;
}

// Replies normally hold exactly these types already: check, and copy only if one does not.
const asStrings = (reply: unknown): Array<string | null> => {
  const list = reply as unknown[];
  return list.every((v) => v === null || typeof v === 'string') ? (list as Array<string | null>) : list.map((v) => (v === null || v === undefined ? null : String(v)));
};
const asBuffers = (reply: unknown): Array<Buffer | null> => {
  const list = reply as unknown[];
  return list.every((v) => v === null || Buffer.isBuffer(v)) ? (list as Array<Buffer | null>) : list.map((v) => (v === null || v === undefined ? null : Buffer.from(String(v))));
};
const asNumbers = (reply: unknown): number[] => {
  const list = reply as unknown[];
  return list.every((v) => typeof v === 'number') ? (list as number[]) : list.map(Number);
};

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
  const pttlsOf = (node: Redis, keys: Buffer[]) => (cluster ? runScript(node, PTTLS_CROSS, [], keys) : runScript(node, modern ? PTTLS : PTTLS_LEGACY, keys));
  const values = cluster
    ? async (node: Redis, keys: Buffer[]) => asBuffers(await runScript(bytesView(node), GETS_CROSS, [], keys))
    : async (node: Redis, keys: Buffer[]) => asBuffers(await bytesView(node).mGet(keys));
  return {
    values,
    async withTtls(node, keys) {
      const [vals, ttls] = await Promise.all([values(node, keys), pttlsOf(node, keys)]);
      return { raws: vals, pttls: asNumbers(ttls) };
    },
    async hashField(node, keys, field) {
      return asStrings(cluster ? await runScript(node, HGETS_CROSS, [], [field, ...keys]) : await runScript(node, modern ? HGETS : HGETS_LEGACY, keys, [field]));
    },
    async unlink(node, keys) {
      return Number(cluster ? await runScript(node, UNLINKS_CROSS, [], keys) : await node.unlink(keys));
    },
  };
}

/** A Cluster of Redis < 7: the single-server commands, each on the keys of one slot. */
function perSlotOps(): NodeOps {
  const values = (node: Redis, keys: Buffer[]) => readPerSlot(keys, async (group) => asBuffers(await bytesView(node).mGet(group)));
  return {
    values,
    async withTtls(node, keys) {
      const [raws, pttls] = await Promise.all([values(node, keys), readPerSlot(keys, async (group) => asNumbers(await runScript(node, PTTLS_LEGACY, group)))]);
      return { raws, pttls };
    },
    async hashField(node, keys, field) {
      return readPerSlot(keys, async (group) => asStrings(await runScript(node, HGETS_LEGACY, group, [field])));
    },
    async unlink(node, keys) {
      const counts = await Promise.all(bySlot(keys).map(async (group) => Number(await node.unlink(group.keys))));
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}

export function opsFor(topology: { kind: string; majorVersion: number }): NodeOps {
  return nodeOps(topology.kind === 'cluster', topology.majorVersion >= 7);
}
