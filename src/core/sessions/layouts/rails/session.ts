/**
 * A Rails session as its Redis stores keep it: a Hash, in Ruby Marshal (redis-rack, the cache
 * store, redis-session-store's default) or JSON (redis-session-store's `:json`, and `:hybrid`,
 * which reads Marshal where a value starts with Marshal's `04 08`: its HybridSerializer). Both
 * are read into the same nodes (decode/marshal.ts), so one reader finds the user in either.
 * Nothing is instantiated or run.
 *
 * The user: Warden keeps the signed-in user of scope <s> under `warden.user.<s>.key` as the
 * app's serializer made it; Devise's is `[record.to_key, authenticatable_salt]`
 * (devise/lib/devise/models/authenticatable.rb serialize_into_session), so `[[1], "$2a$12$..."]`
 * names user 1; Devise before 2.2 put the class name first (`["User", [1], salt]`). Without
 * Warden, Rails' guides keep `session[:user_id]`. With --user-field the fields are session keys
 * (a key holding dots, such as `warden.user.admin.key`, is one key) or dotted paths into Hashes.
 */
import { DEFAULT_USER_FIELDS } from '../../../defaults.js';
import { decodeMarshal, isMarshal, type MarshalValue, type MHash } from '../../decode/marshal.js';
import { marshalToPlain, type Plain } from '../../decode/marshal-plain.js';
import { decodeSession } from '../../decode/json-session.js';
import { prefilterNeedle } from '../../decode/json-prefilter.js';
import type { Needle } from '../../../walk/prefilter.js';

export type Serializer = 'marshal' | 'json';

export interface RailsSession {
  serializer: Serializer;
  hash: MHash;
}

type Node = Exclude<MarshalValue, null | boolean | number | bigint | string>;
const isNode = (v: MarshalValue | undefined): v is Node => v !== null && typeof v === 'object';

/** A Hash, seen through a subclass (HashWithIndifferentAccess) or an extension. */
export function asHash(v: MarshalValue | undefined): MHash | undefined {
  for (let i = 0; i < 8 && isNode(v); i += 1) {
    if (v.kind === 'hash') return v;
    if (v.kind !== 'uclass' && v.kind !== 'extended') return undefined;
    v = v.value;
  }
  return undefined;
}

function asArray(v: MarshalValue | undefined): MarshalValue[] | undefined {
  for (let i = 0; i < 8 && isNode(v); i += 1) {
    if (v.kind === 'array') return v.items;
    if (v.kind !== 'uclass' && v.kind !== 'extended') return undefined;
    v = v.value;
  }
  return undefined;
}

/** A String's text (through a subclass), or undefined. */
export function asText(v: MarshalValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (isNode(v) && v.kind === 'string' && typeof v.value === 'string') return v.value;
  if (isNode(v) && v.kind === 'uclass') return asText(v.value);
  return undefined;
}

/** JSON as the reader's nodes: objects become Hashes with String keys. Nesting is bounded before (decodeSession). */
function fromJson(v: unknown): MarshalValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) return { kind: 'array', items: v.map(fromJson) };
  if (typeof v === 'object')
    return { kind: 'hash', entries: Object.entries(v).map(([k, x]): [MarshalValue, MarshalValue] => [k, fromJson(x)]) };
  return null;
}

/** The session in a stored value, or why it is not one. */
export function readRailsSession(raw: Buffer): RailsSession | string {
  if (isMarshal(raw)) {
    const decoded = decodeMarshal(raw);
    if (!decoded.ok) return `Marshal: ${decoded.reason}`;
    const hash = asHash(decoded.value);
    return hash === undefined ? 'not a Hash' : { serializer: 'marshal', hash };
  }
  const json = decodeSession(raw);
  if (typeof json === 'string') return json === 'not JSON' ? 'neither Ruby Marshal nor JSON' : json;
  return { serializer: 'json', hash: fromJson(json.session) as MHash };
}

/** The value under a key that is the String `name` or the Symbol `:name`; the last of duplicates wins, as in a Ruby Hash. */
export function entry(hash: MHash, name: string): MarshalValue | undefined {
  let found: MarshalValue | undefined;
  for (const [k, v] of hash.entries) {
    if (asText(k) === name || (isNode(k) && k.kind === 'symbol' && k.name === name)) found = v;
  }
  return found;
}

/** The key's name when it is a String or a Symbol. */
const keyName = (k: MarshalValue): string | undefined => asText(k) ?? (isNode(k) && k.kind === 'symbol' ? k.name : undefined);

const WARDEN_KEY = /^warden\.user\..+\.key$/;
/** Warden's default scope is :user (warden/lib/warden/config.rb default_scope). */
const WARDEN_DEFAULT = 'warden.user.user.key';
const USER_ID = 'user_id';

/** A user id as text: a String, an Integer (a bignum with all its digits) or a Float. */
function scalar(v: MarshalValue | undefined): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'bigint') return v.toString();
  const text = asText(v);
  return text === '' ? undefined : text;
}

function shape(v: MarshalValue): string {
  if (!isNode(v)) return `a ${v === null ? 'nil' : typeof v}`;
  if (v.kind === 'array') return 'an array';
  if (v.kind === 'hash') return 'a hash';
  if (v.kind === 'object' || v.kind === 'usermarshal' || v.kind === 'userdef' || v.kind === 'struct') return `an object (${v.className})`;
  return `a ${v.kind}`;
}

/**
 * The user a Warden key names: Devise's `[[id], salt]` (a composite key's parts joined with `-`,
 * as Rails' to_param does), Devise < 2.2's `[class, [id], salt]`, or an id kept as it is.
 */
function wardenUser(v: MarshalValue): string | undefined {
  const items = asArray(v);
  if (items === undefined) return scalar(v);
  const keyAt = items.length === 3 && asText(items[0]) !== undefined ? 1 : 0;
  const key = asArray(items[keyAt]);
  if (key === undefined) return items.length === 1 ? scalar(items[0]) : undefined;
  const parts = key.map(scalar);
  return parts.length > 0 && parts.every((p) => p !== undefined) ? parts.join('-') : undefined;
}

export type UserFound = { user: string; field: string; key: string } | { user: null; field: string; key: string; shape: string };

function lookup(field: string, key: string, value: MarshalValue): UserFound | undefined {
  if (value === null || value === '') return undefined; // what a logout leaves
  const user = WARDEN_KEY.test(field) ? wardenUser(value) : scalar(value);
  return user === undefined ? { user: null, field, key, shape: shape(value) } : { user, field, key };
}

/**
 * The session's user, by the fields in order (the first present one decides, as for the JSON
 * layouts); by default Warden's keys, the :user scope first, then `user_id`.
 */
export function railsUser(hash: MHash, fields: readonly string[]): UserFound | undefined {
  if (fields === DEFAULT_USER_FIELDS) {
    const scoped = entry(hash, WARDEN_DEFAULT);
    if (scoped !== undefined && scoped !== null) return lookup(WARDEN_DEFAULT, WARDEN_DEFAULT, scoped);
    for (const [k, v] of hash.entries) {
      const name = keyName(k);
      if (name !== undefined && WARDEN_KEY.test(name) && v !== null) return lookup(name, name, v);
    }
    const id = entry(hash, USER_ID);
    return id === undefined ? undefined : lookup(USER_ID, USER_ID, id);
  }
  for (const field of fields) {
    const whole = entry(hash, field);
    if (whole !== undefined) {
      const found = lookup(field, field, whole);
      if (found !== undefined) return found;
      continue;
    }
    // A dotted path into Hashes: its first step is the session key.
    const path = field.split('.');
    let at: MarshalValue | undefined = hash;
    for (const part of path) {
      const h = asHash(at);
      at = h === undefined ? undefined : entry(h, part);
    }
    if (at !== undefined) {
      const found = lookup(field, path[0] as string, at);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Entries no listing or show prints as stored: Rails' CSRF token (`_csrf_token`) and a stored
 * `session_id` (older Rails kept the public id, which is the cookie itself, in the session).
 */
const SECRET_KEYS = new Set(['_csrf_token', 'session_id']);

/** The session's entries as plain data, but `skip`, secrets redacted; null when nothing is left. */
export function railsExtra(hash: MHash, skip: string | undefined): Record<string, Plain> | null {
  const rest: MHash = { kind: 'hash', entries: hash.entries.filter(([k]) => skip === undefined || keyName(k) !== skip) };
  if (rest.entries.length === 0) return null;
  return redacted(rest);
}

/** The whole session as plain data, secrets redacted. */
export function railsContent(hash: MHash): Record<string, Plain> {
  return redacted(hash);
}

function redacted(hash: MHash): Record<string, Plain> {
  const shown: MHash = {
    ...hash,
    entries: hash.entries.map(([k, v]): [MarshalValue, MarshalValue] => {
      const name = keyName(k);
      return [k, name !== undefined && SECRET_KEYS.has(name) && v !== null ? '(redacted)' : v];
    }),
  };
  const plain = marshalToPlain(shown);
  return plain !== null && typeof plain === 'object' && !Array.isArray(plain) ? plain : (Object.create(null) as Record<string, Plain>);
}

/**
 * The --user prefilter: a String user is stored as its UTF-8 bytes in Marshal, and in JSON as
 * them or with escapes (prefilterNeedle; an Integer id is not text in Marshal, and a user that
 * could be a number gets no needle). A composite key's user is its parts joined with `-`, which
 * are stored apart: its first part is a needle too.
 */
export function railsPrefilter(user: string | undefined): Needle {
  const needle = prefilterNeedle(user);
  const dash = user === undefined ? -1 : user.indexOf('-');
  return needle.length === 0 || user === undefined || dash <= 0 ? needle : [...needle, Buffer.from(user.slice(0, dash), 'utf8')];
}
