/**
 * Reading a stored session's JSON where JSON.parse alone is not enough: how deeply it nests,
 * the exact text of a number, and where a member's value sits in the bytes (so a lifetime change
 * rewrites only those bytes). Every function here walks the bytes with a loop, never recursion,
 * and expects text that JSON.parse has already accepted.
 */

/**
 * Deepest nesting (objects and arrays inside each other) a session may have to be read. Real
 * sessions nest a few levels; a value nested thousands deep, written by whoever controls a
 * session, would otherwise stop re-serialization ("Maximum call stack size exceeded").
 */
export const MAX_NESTING = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** End of the string literal that starts at `start` (the index after its closing quote). */
function stringEnd(bytes: Buffer, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = bytes.indexOf(QUOTE, i);
    if (q < 0) return bytes.length;
    // A quote is escaped when an odd number of backslashes precede it.
    let slashes = 0;
    while (q - 1 - slashes >= start && bytes[q - 1 - slashes] === BACKSLASH) slashes += 1;
    if (slashes % 2 === 0) return q + 1;
    i = q + 1;
  }
}

/** True when the JSON text nests objects and arrays deeper than `limit`. */
export function nestsDeeperThan(bytes: Buffer, limit = MAX_NESTING): boolean {
  // Deeper than `limit` needs more than `limit` opening brackets: most values have a handful,
  // which a few native searches find, so only bracket-heavy values pay for the walk below.
  if (!openingBrackets(bytes, limit + 1)) return false;
  let depth = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i];
    if (b === QUOTE) i = stringEnd(bytes, i) - 1;
    else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      depth += 1;
      if (depth > limit) return true;
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) depth -= 1;
  }
  return false;
}

/** At least `n` opening brackets, of both kinds together? */
function openingBrackets(bytes: Buffer, n: number): boolean {
  let count = 0;
  for (let at = bytes.indexOf(OPEN_OBJECT); at >= 0 && count < n; at = bytes.indexOf(OPEN_OBJECT, at + 1)) count += 1;
  for (let at = bytes.indexOf(OPEN_ARRAY); at >= 0 && count < n; at = bytes.indexOf(OPEN_ARRAY, at + 1)) count += 1;
  return count >= n;
}

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function skipSpace(bytes: Buffer, i: number): number {
  while (isSpace(bytes[i])) i += 1;
  return i;
}

/** End of the JSON value that starts at `start` (valid JSON assumed). */
function valueEnd(bytes: Buffer, start: number): number {
  const first = bytes[start];
  if (first === QUOTE) return stringEnd(bytes, start);
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
    let i = start;
    while (i < bytes.length && !isSpace(bytes[i]) && bytes[i] !== 0x2c && bytes[i] !== CLOSE_OBJECT && bytes[i] !== CLOSE_ARRAY) i += 1;
    return i;
  }
  let depth = 0;
  for (let i = start; i < bytes.length; i += 1) {
    const b = bytes[i];
    if (b === QUOTE) i = stringEnd(bytes, i) - 1;
    else if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth += 1;
    else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return bytes.length;
}

/** Where a value sits: bytes [start, end). */
export interface Span {
  start: number;
  end: number;
}

/** A member of an object: its key's span (quotes included) and its value's span. */
export interface Member {
  key: Span;
  value: Span;
}

/**
 * The members of the object whose `{` is at `start`, by key, the last of duplicate keys winning
 * as in JSON.parse; and where its closing `}` is. Keys are compared after JSON unescaping, so
 * `"cook\u0069e"` is `cookie`, as the application reads it.
 */
export function objectMembers(bytes: Buffer, start: number): { members: Map<string, Member>; close: number } {
  const members = new Map<string, Member>();
  let i = skipSpace(bytes, start + 1);
  while (i < bytes.length && bytes[i] !== CLOSE_OBJECT) {
    const keyEnd = stringEnd(bytes, i);
    const key = JSON.parse(bytes.toString('utf8', i, keyEnd)) as string;
    const valueStart = skipSpace(bytes, skipSpace(bytes, keyEnd) + 1); // past the colon
    const end = valueEnd(bytes, valueStart);
    members.set(key, { key: { start: i, end: keyEnd }, value: { start: valueStart, end } });
    i = skipSpace(bytes, end);
    if (bytes[i] === 0x2c) i = skipSpace(bytes, i + 1);
  }
  return { members, close: i };
}

/** The span of the value at a path of object keys, or undefined when a step is missing. */
export function valueAt(bytes: Buffer, path: readonly string[]): Span | undefined {
  let span: Span = { start: skipSpace(bytes, 0), end: bytes.length };
  for (const key of path) {
    if (bytes[span.start] !== OPEN_OBJECT) return undefined;
    const member = objectMembers(bytes, span.start).members.get(key);
    if (member === undefined) return undefined;
    span = member.value;
  }
  return span;
}

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * A JSON number as text without losing digits: a whole number is written out in full (so
 * `1234567890123456789` stays itself, and `1e2` is `100` as JavaScript reads it), anything
 * else as JavaScript prints it. undefined for text that is not a finite JSON number.
 */
export function exactNumberText(literal: string): string | undefined {
  const m = NUMBER.exec(literal);
  const value = Number(literal);
  if (m === null || !Number.isFinite(value)) return undefined;
  if (Number.isSafeInteger(value) || !Number.isInteger(value)) return String(value);
  const [, sign, whole, fraction = '', exponent = '0'] = m as unknown as [string, string, string, string | undefined, string | undefined];
  const shift = Number(exponent) - fraction.length;
  let digits = `${whole}${fraction}`;
  // A finite double is below 1e309, so the shift that makes it whole is bounded too.
  if (shift >= 0) digits += '0'.repeat(shift);
  else {
    const cut = digits.slice(shift);
    if (/[^0]/.test(cut)) return String(value); // not whole after all
    digits = digits.slice(0, shift);
  }
  const text = BigInt(digits).toString();
  return text === '0' ? '0' : `${sign}${text}`;
}
