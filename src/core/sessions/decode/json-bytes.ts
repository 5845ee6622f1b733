/**
 * Reading a stored session's JSON where JSON.parse alone is not enough: how deeply it nests,
 * the exact text of a number, and where a member's value sits in the bytes (so a lifetime change
 * rewrites only those bytes). Every function here walks the bytes with a loop, never recursion,
 * and expects text that JSON.parse has already accepted.
 */

import { CLOSE_ARRAY, CLOSE_OBJECT, OPEN_ARRAY, OPEN_OBJECT, QUOTE, stringEnd } from './json-depth.js';

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
