/**
 * A session kept in a Redis hash (Spring Session) travels through the walker as one value, like
 * a string session: the hash's field/value pairs packed into one blob, each field and each value
 * as a 4-byte big-endian length and its bytes. So the byte caps, the byte budget and the --user
 * prefilter of the value reads (walk/fetch-values.ts) apply to hashes unchanged, and a layout
 * gets every byte as stored. The read scripts return HGETALL's list as it is, with its size in
 * bytes, and the client packs it (`packHash`): packing in Lua doubled the server's time per
 * session (443 vs 187 us for 60 Spring sessions, measured). The lifetime compare-and-set packs
 * in Lua (`LUA_PACK`), to compare digests of the same bytes.
 */

import { bytesView } from './bytes.js';
import type { Keyed } from './connection.js';

/** The kind of value a session key holds: how the walker reads it. */
export type ValueKind = 'string' | 'hash';

/**
 * Lua: `fetcher(kind)` makes `fetch(k)`, which reads key k as `kind` (ARGV-supplied 'string' or
 * 'hash') and returns three things: the value (the string, or HGETALL's flat list; false for no
 * key), its size in bytes, and pcall's error table when the read failed (WRONGTYPE for a key of
 * another type). `holds(v, needle)` is a plain search of the string, or of each string of the list.
 */
export const LUA_FETCH = `local function fetcher(kind)
  if kind == 'hash' then
    return function(k)
      local t = redis.pcall('HGETALL', k)
      if t.err then return nil, 0, t end
      if #t == 0 then return false, 0 end
      local n = 0
      for i = 1, #t do n = n + #t[i] end
      return t, n
    end
  end
  return function(k)
    local v = redis.pcall('GET', k)
    if type(v) == 'table' then return nil, 0, v end
    return v, v and #v or 0
  end
end
local function holds(v, needle)
  if type(v) == 'string' then return string.find(v, needle, 1, true) ~= nil end
  for i = 1, #v do
    if string.find(v[i], needle, 1, true) then return true end
  end
  return false
end`;

/** Lua: `pack(v)`, a value from \`fetch\` as the bytes \`packHash\` makes (a string stays as it is). */
export const LUA_PACK = `local function pack(v)
  if type(v) ~= 'table' then return v end
  local parts = {}
  for i = 1, #v do parts[i] = struct.pack('>I4', #v[i]) .. v[i] end
  return table.concat(parts)
end`;

/** A read script's value for one key: bytes, or a hash's flat list of field and value bytes, packed. */
export function asValue(v: unknown): Buffer | null {
  if (Array.isArray(v)) return packHash(v as Buffer[]);
  return v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v));
}

/** Field and value pairs packed as the read scripts pack them: one allocation (a Buffer per length and a concat were 5% of a Spring listing). */
export function packHash(flat: readonly Buffer[]): Buffer {
  let size = 0;
  for (const item of flat) size += 4 + item.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const item of flat) {
    out.writeUInt32BE(item.length, at);
    at += 4 + item.copy(out, at + 4);
  }
  return out;
}

/** A packed hash's pairs, or undefined when the blob is not a whole number of pairs. */
export function unpackHash(raw: Buffer): Array<[field: Buffer, value: Buffer]> | undefined {
  const pairs: Array<[Buffer, Buffer]> = [];
  let at = 0;
  const next = (): Buffer | undefined => {
    if (at + 4 > raw.length) return undefined;
    const length = raw.readUInt32BE(at);
    if (at + 4 + length > raw.length) return undefined;
    const item = raw.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return item;
  };
  while (at < raw.length) {
    const field = next();
    const value = next();
    if (field === undefined || value === undefined) return undefined;
    pairs.push([field, value]);
  }
  return pairs;
}

/**
 * One session key's value as the walker would read it (a hash packed), through a client that
 * routes by key: null when there is no such key. A key of another type fails with WRONGTYPE.
 */
export async function readValue(redis: Keyed, key: Buffer, kind: ValueKind): Promise<Buffer | null> {
  const bytes = bytesView(redis);
  if (kind === 'string') return (await bytes.get(key)) as unknown as Buffer | null;
  const flat = (await bytes.hGetAll(key)) as unknown as Buffer[];
  return flat.length === 0 ? null : packHash(flat);
}
