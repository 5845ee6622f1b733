/**
 * Python session dicts (Django's, Flask's) once decoded (pickle.ts, msgpack.ts): the user by
 * the --user-field paths, what the listing shows beside it, and the --user prefilter. Pure
 * functions; no Redis here.
 */
import { DEFAULT_USER_FIELDS } from '../../defaults.js';
import { NO_PREFILTER, type Needle } from '../../walk/prefilter.js';
import type { UserLookup } from './json-session.js';
import { pyToPlain, type Plain } from './py-plain.js';
import { PyBytes, PyDict, PyList, PyTuple, type PyValue } from './py-value.js';

/** The user fields to read: the framework's own unless --user-field named others (the tool's defaults are JSON layouts'). */
export function fieldsFor(fields: readonly string[], own: readonly string[]): readonly string[] {
  return fields === DEFAULT_USER_FIELDS ? own : fields;
}

const splitCache = new WeakMap<readonly string[], string[][]>();
function split(fields: readonly string[]): string[][] {
  let paths = splitCache.get(fields);
  if (paths === undefined) {
    paths = fields.map((f) => f.split('.'));
    splitCache.set(fields, paths);
  }
  return paths;
}

function getPath(dict: PyDict, path: readonly string[]): PyValue | undefined {
  let current: PyValue | undefined = dict;
  for (const part of path) {
    if (!(current instanceof PyDict)) return undefined;
    current = current.get(part);
  }
  return current;
}

function shapeOf(v: PyValue): string {
  if (typeof v === 'boolean') return 'a boolean';
  if (v instanceof PyList || v instanceof PyTuple) return 'a list';
  if (v instanceof PyBytes) return 'bytes';
  return 'an object';
}

/**
 * The user of a session: the first of `fields` present (not missing, None or ''). A str or
 * a number (an int written in full) names the user; anything else names none and ends the lookup, as
 * json-session.ts sessionUser does, so that a lower field cannot name another user.
 */
export function pyUser(dict: PyDict, fields: readonly string[]): UserLookup | undefined {
  const paths = split(fields);
  for (const [i, path] of paths.entries()) {
    const value = getPath(dict, path);
    const field = fields[i] as string;
    if (value === undefined || value === null || value === '') continue;
    if (typeof value === 'string') return { user: value, field };
    if (typeof value === 'bigint') return { user: String(value), field };
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) continue;
      return { user: String(value), field };
    }
    return { user: null, field, shape: shapeOf(value) };
  }
  return undefined;
}

/** The session's entries but `skip`, as plain data (null when none is left). */
export function pyExtra(dict: PyDict, skip: ReadonlySet<string>): Record<string, Plain> | null {
  const rest = new PyDict();
  for (let i = 0; i < dict.keys.length; i += 1) {
    const key = dict.keys[i] as PyValue;
    if (typeof key === 'string' && skip.has(key)) continue;
    rest.set(key, dict.values[i] as PyValue);
  }
  return rest.size === 0 ? null : (pyToPlain(rest) as Record<string, Plain>);
}

/** The whole session as plain data, with the entries named in `redact` replaced. */
export function pyContent(dict: PyDict, redact: ReadonlySet<string>): Record<string, Plain> {
  const shown = new PyDict();
  for (let i = 0; i < dict.keys.length; i += 1) {
    const key = dict.keys[i] as PyValue;
    shown.set(key, typeof key === 'string' && redact.has(key) ? '(redacted)' : (dict.values[i] as PyValue));
  }
  return pyToPlain(shown) as Record<string, Plain>;
}

const BACKSLASH = Buffer.from('\\');

/**
 * The --user prefilter for pickle, msgpack and JSON sessions: a str is stored as its UTF-8
 * (pickle's BINUNICODE, msgpack, JSON), as Latin-1 where protocol 0's raw-unicode-escape
 * writes a character below U+0100, or escaped with a backslash (protocol 0, JSON). A value with
 * none of those bytes holds no str equal to the user. A user that could be an int (pickled in
 * binary) gets no prefilter, nor one holding U+FFFD.
 */
export function pyUserPrefilter(user: string | undefined): Needle {
  if (user === undefined || /^[-+0-9]/.test(user) || user.includes('\ufffd')) return NO_PREFILTER;
  const needles = [Buffer.from(user, 'utf8'), BACKSLASH];
  // eslint-disable-next-line no-control-regex -- characters beyond Latin-1 have no Latin-1 form
  if (/[^\u0000-\u007f]/.test(user) && !/[^\u0000-\u00ff]/.test(user)) needles.push(Buffer.from(user, 'latin1'));
  return needles;
}
