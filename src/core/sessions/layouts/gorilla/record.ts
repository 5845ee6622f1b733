/**
 * One redistore value read into a session record. boj/redistore (redistore.go, GobSerializer)
 * stores `gob.NewEncoder(buf).Encode(ss.Values)`: a gob map[interface{}]interface{} whose keys
 * and values are whatever the application put in `session.Values`; with its JSONSerializer, the
 * same map as a JSON object (string keys only). Nothing in the value says when it expires: the
 * key's TTL, set by SETEX on each save, is the session's lifetime. The user is wherever the
 * application keeps it, found by the --user-field paths (as for express-session).
 */
import type { LineInfo, SessionRecord } from '../../layout.js';
import { decodeGob, plainKey, type GobObject, type GobPlain } from '../../decode/gob.js';
import { decodeSession, sessionUser, splitFields, type JsonObject } from '../../decode/json-session.js';
import { ttlRecord, noteReadable, unreadableRecord } from '../../records.js';

/** The gob type of `session.Values`, which redistore's GobSerializer decodes into. */
export const VALUES_TYPE = 'map[interface{}]interface{}';

export interface GorillaSession {
  /** session.Values: string keys as members; other keys (when there are some) as `"@entries": [[key, value], ...]`. */
  values: JsonObject;
  serializer: 'gob' | 'json';
  /** The gob type of the map (gob only): VALUES_TYPE for redistore's own values. */
  type?: string;
}

const isObject = (v: GobPlain | undefined): v is GobObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The session map with its string keys as members: the gob reader makes a map whose keys are
 * not all strings `{"@entries": [...]}`; a session's string keys (what --user-field names) are
 * lifted out of it, the rest stay there.
 */
function valuesOf(map: GobObject): JsonObject {
  const entries = map['@entries'];
  if (!Array.isArray(entries)) return map;
  const out = Object.create(null) as GobObject;
  const rest: GobPlain[] = [];
  for (const entry of entries) {
    const [key, value] = entry as [GobPlain, GobPlain];
    if (typeof key === 'string') out[plainKey(key)] = value;
    else rest.push(entry);
  }
  if (rest.length > 0) out['@entries'] = rest;
  return out;
}

/** A stored value as a gorilla session, or why it is not one. */
export function readGorilla(raw: Buffer): GorillaSession | string {
  // JSON (redistore's JSONSerializer) starts with '{'; gob starts with a message length, and a
  // gob message of 123 bytes (0x7b) goes on with the type id's 0xff, which is never JSON.
  if (raw[0] === 0x7b) {
    const decoded = decodeSession(raw);
    if (typeof decoded !== 'string') return { values: decoded.session, serializer: 'json' };
  }
  const gob = decodeGob(raw);
  if (!gob.ok) return raw[0] === 0x7b ? 'neither JSON nor gob' : gob.reason;
  if (!gob.type.startsWith('map[') || !isObject(gob.value)) return `gob of ${gob.type}, not a map`;
  return { values: valuesOf(gob.value), serializer: 'gob', type: gob.type };
}

export function toGorillaRecord(
  id: string,
  raw: Buffer,
  pttlMs: number,
  fields: readonly string[],
  now: number,
  info?: LineInfo,
): SessionRecord {
  const read = readGorilla(raw);
  if (typeof read === 'string') return unreadableRecord(id, pttlMs, now, read, info);
  const found = sessionUser(read.values, fields);
  noteReadable(info, found?.user === null ? found : undefined);
  const userRoot = found === undefined || found.user === null ? undefined : splitFields(fields)[fields.indexOf(found.field)]?.[0];
  let extra: JsonObject | null = null;
  for (const k of Object.keys(read.values)) {
    if (k === userRoot) continue;
    extra ??= Object.create(null) as JsonObject;
    extra[k] = read.values[k];
  }
  return ttlRecord(id, found?.user ?? null, pttlMs, now, extra);
}
