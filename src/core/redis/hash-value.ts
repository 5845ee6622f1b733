/**
 * A session kept in a Redis hash (Spring Session) travels through the walker as one value, like
 * a string session: the hash's field/value pairs packed into one blob, each field and each value
 * as a 4-byte big-endian length and its bytes. So the byte caps, the byte budget and the --user
 * prefilter of the value reads (walk/fetch-values.ts) apply to hashes unchanged, and a layout
 * gets every byte as stored. The read scripts pack on the server (Lua's `struct`, in every
 * Redis since 2.6); a Node-side read packs with `packHash` to the same bytes.
 */

import { bytesView } from './bytes.js';
import type { Keyed } from './connection.js';

/** The kind of value a session key holds: how the walker reads it. */
export type ValueKind = 'string' | 'hash';

/**
 * Lua: `fetch(k)` reads key k as `kind` (ARGV-supplied 'string' or 'hash'): the string, or the
 * hash packed, false for no key, or pcall's error table (WRONGTYPE for another type).
 */
export const LUA_FETCH = `local function packed(k)
  local t = redis.pcall('HGETALL', k)
  if t.err then return t end
  if #t == 0 then return false end
  local parts = {}
  for i = 1, #t do parts[i] = struct.pack('>I4', #t[i]) .. t[i] end
  return table.concat(parts)
end
local function fetcher(kind)
  if kind == 'hash' then return packed end
  return function(k) return redis.pcall('GET', k) end
end`;

/** Field and value pairs packed as the read scripts pack them. */
export function packHash(flat: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const item of flat) {
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(item.length);
    parts.push(length, item);
  }
  return Buffer.concat(parts);
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
