/**
 * Batched reads and deletes of many keys on one node, in one round trip each. On a single
 * server these are plain MGET/UNLINK; on a Cluster node the keys of one SCAN reply span
 * many slots, which multi-key commands refuse (CROSSSLOT), so a Lua script flagged
 * allow-cross-slot-keys (Redis >= 7) does the same work on the node that owns them all.
 */
import type { Redis } from './connection.js';
import { runScript, script } from './scripts.js';

/** A value (null when absent or not a string) and its PTTL (-2 absent, -1 no expiry). */
export interface Fetched {
  raw: string | null;
  pttl: number;
}

// Script flags need Redis >= 7: no-writes lets reads run on a server that refuses writes
// (CLIENT PAUSE WRITE, min-replicas-to-write), allow-cross-slot-keys lets a Cluster node
// serve keys of many slots in one call. Older servers get the plain scripts.
const READ_ONLY = '#!lua flags=no-writes\n';
const CROSS = '#!lua flags=no-writes,allow-cross-slot-keys\n';
const CROSS_WRITE = '#!lua flags=allow-cross-slot-keys\n';

const PTTLS_BODY = `local o = {}
for i, k in ipairs(KEYS) do o[i] = redis.call('PTTL', k) end
return o`;
const GETS_BODY = `local o = {}
for i, k in ipairs(KEYS) do
  local v = redis.pcall('GET', k)
  if type(v) == 'table' then v = false end
  o[i] = v
end
return o`;
const HGETS_BODY = `local o = {}
for i, k in ipairs(KEYS) do
  local v = redis.pcall('HGET', k, ARGV[1])
  if type(v) == 'table' then v = false end
  o[i] = v
end
return o`;
const UNLINKS_BODY = `local n = 0
for _, k in ipairs(KEYS) do n = n + redis.call('UNLINK', k) end
return n`;

const PTTLS_LEGACY = script(PTTLS_BODY);
const PTTLS = script(READ_ONLY + PTTLS_BODY, true);
const PTTLS_CROSS = script(CROSS + PTTLS_BODY, true);
const GETS_CROSS = script(CROSS + GETS_BODY, true);
const HGETS_LEGACY = script(HGETS_BODY);
const HGETS = script(READ_ONLY + HGETS_BODY, true);
const HGETS_CROSS = script(CROSS + HGETS_BODY, true);
const UNLINKS_CROSS = script(CROSS_WRITE + UNLINKS_BODY);

export interface NodeOps {
  /** Values; null for a missing key or one that is not a string. */
  values(node: Redis, keys: string[]): Promise<Array<string | null>>;
  withTtls(node: Redis, keys: string[]): Promise<Fetched[]>;
  hashField(node: Redis, keys: string[], field: string): Promise<Array<string | null>>;
  /** How many of the keys were deleted. */
  unlink(node: Redis, keys: string[]): Promise<number>;
}

const asStrings = (reply: unknown): Array<string | null> => (reply as Array<string | null>).map((v) => (v === null || v === undefined ? null : String(v)));
const asNumbers = (reply: unknown): number[] => (reply as unknown[]).map(Number);

/** `modern`: the server is Redis >= 7 (script flags). A Cluster requires it. */
export function nodeOps(cluster: boolean, modern = true): NodeOps {
  const pttlScript = cluster ? PTTLS_CROSS : modern ? PTTLS : PTTLS_LEGACY;
  const hgets = cluster ? HGETS_CROSS : modern ? HGETS : HGETS_LEGACY;
  const values = cluster
    ? async (node: Redis, keys: string[]) => asStrings(await runScript(node, GETS_CROSS, keys))
    : async (node: Redis, keys: string[]) => asStrings(await node.mGet(keys));
  return {
    values,
    async withTtls(node, keys) {
      const [vals, ttls] = await Promise.all([values(node, keys), runScript(node, pttlScript, keys)]);
      const pttls = asNumbers(ttls);
      return keys.map((_, i) => ({ raw: vals[i] ?? null, pttl: pttls[i] ?? -2 }));
    },
    async hashField(node, keys, field) {
      return asStrings(await runScript(node, hgets, keys, [field]));
    },
    async unlink(node, keys) {
      return Number(cluster ? await runScript(node, UNLINKS_CROSS, keys) : await node.unlink(keys));
    },
  };
}

export function opsFor(topology: { kind: string; majorVersion: number }): NodeOps {
  return nodeOps(topology.kind === 'cluster', topology.majorVersion >= 7);
}
