/**
 * Sessions stored as a JSON object (express-session, koa-session, Better Auth ...): decoding
 * with a bound on nesting, finding the user by the --user-field paths, and rewriting a few
 * members in place, every other byte kept as stored. Pure functions; no Redis here.
 */
import { MAX_NESTING, nestsDeeperThan } from './json-depth.js';
import { exactNumberText, objectMembers, valueAt } from './json-bytes.js';

export type JsonObject = Record<string, unknown>;

export function parseSessionJson(raw: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

/** Why a stored value cannot be read as a session. */
export type Unreadable = 'not JSON' | `nested deeper than ${typeof MAX_NESTING} levels`;

export interface DecodedSession {
  bytes: Buffer;
  /** The value as text (bytes that are not UTF-8 read as U+FFFD, as every JSON reader would). */
  text: string;
  session: JsonObject;
}

/**
 * A stored value as a session object, or why it is not one. JSON.parse itself never recurses,
 * but anything that walks or re-serializes the result would: a value nested deeper than
 * MAX_NESTING is refused here, so no later step can run out of stack.
 */
export function decodeSession(raw: Buffer | string): DecodedSession | Unreadable {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const session = parseSessionJson(text);
  // "not JSON" covers JSON that is not an object (an array, a string) too: no session is one.
  if (session === undefined) return 'not JSON';
  if (nestsDeeperThan(bytes)) return `nested deeper than ${MAX_NESTING} levels`;
  return { bytes, text, session };
}

function getPath(obj: JsonObject, path: readonly string[]): unknown {
  let current: unknown = obj;
  for (const part of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as JsonObject)[part];
  }
  return current;
}

/** Split once per field list, not once per session: listing parses millions of sessions. */
const splitCache = new WeakMap<readonly string[], string[][]>();
export function splitFields(fields: readonly string[]): string[][] {
  let split = splitCache.get(fields);
  if (split === undefined) {
    split = fields.map((f) => f.split('.'));
    splitCache.set(fields, split);
  }
  return split;
}

/**
 * What the user fields of a session say: a user (`user` a string), or a first present field
 * whose value is of a shape that names no user (`user` null, `shape` what it held).
 */
export type UserLookup = { user: string; field: string } | { user: null; field: string; shape: string };

/**
 * The user of a session, by the first of `fields` that is present. Present means anything but
 * missing, null or "" (what applications leave after a logout). A string or a finite number is
 * the user; a number is written with all its digits (`raw`, when given, supplies the exact
 * text of integers beyond 2^53, which JavaScript numbers round). Any other value (an object such
 * as passport's `{"id":7,"username":"alice"}`, an array, a boolean) names no user, and the
 * lookup stops there rather than fall through to a lower-priority field that might name another
 * user: the caller counts it and points the operator at --user-field.
 */
export function sessionUser(session: JsonObject, fields: readonly string[], raw?: Buffer): UserLookup | undefined {
  const paths = splitFields(fields);
  for (const [i, path] of paths.entries()) {
    const value = getPath(session, path);
    const field = fields[i] as string;
    if (value === undefined || value === null || value === '') continue;
    if (typeof value === 'string') return { user: value, field };
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) continue; // no JSON text reads as NaN; 1e999 reads as Infinity
      if (Number.isSafeInteger(value) || !Number.isInteger(value) || raw === undefined) return { user: String(value), field };
      const span = valueAt(raw, path);
      const exact = span === undefined ? undefined : exactNumberText(raw.toString('latin1', span.start, span.end));
      return { user: exact ?? String(value), field };
    }
    return { user: null, field, shape: Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}` };
  }
  return undefined;
}

/** The root key of the field the user came from: left out of `extra`. */
export function userRootOf(fields: readonly string[], found: UserLookup | undefined): string | undefined {
  if (found === undefined || found.user === null) return undefined;
  return splitFields(fields)[fields.indexOf(found.field)]?.[0] ?? found.field;
}

/**
 * The stored JSON with members of the object at `path` set to new JSON texts: only those bytes
 * change (a member missing is added at the object's end), so a number beyond 2^53, a byte that
 * is not UTF-8 or the application's own formatting survive, which re-serializing would not
 * keep. Undefined when there is no object at `path`.
 */
export function setMembers(
  bytes: Buffer,
  path: readonly string[],
  values: ReadonlyArray<[name: string, json: string]>,
): Buffer | undefined {
  const span = path.length === 0 ? { start: bytes.indexOf(0x7b), end: bytes.length } : valueAt(bytes, path);
  if (span === undefined || span.start < 0 || bytes[span.start] !== 0x7b) return undefined;
  const { members, close } = objectMembers(bytes, span.start);
  const edits: Array<{ at: number; end: number; text: string }> = [];
  const added: string[] = [];
  for (const [name, json] of values) {
    const member = members.get(name);
    if (member === undefined) added.push(`${JSON.stringify(name)}:${json}`);
    else edits.push({ at: member.value.start, end: member.value.end, text: json });
  }
  if (added.length > 0) edits.push({ at: close, end: close, text: `${members.size > 0 ? ',' : ''}${added.join(',')}` });
  edits.sort((x, y) => x.at - y.at);
  const parts: Buffer[] = [];
  let from = 0;
  for (const edit of edits) {
    parts.push(bytes.subarray(from, edit.at), Buffer.from(edit.text, 'utf8'));
    from = edit.end;
  }
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
}
