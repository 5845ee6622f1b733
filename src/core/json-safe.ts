/**
 * JSON text that cannot drive a terminal it is printed on. JSON.stringify escapes C0 controls
 * but leaves DEL, the C1 controls (U+009B is CSI on some terminals), the bidi controls and the
 * line/paragraph separators raw; they are escaped here as `\uXXXX`, so the text stays the same
 * JSON value. One rule for every --json line (output.ts printJson, the listing's own lines).
 */
import { JSON_UNSAFE } from './text.js';
import { isAscii } from 'node:buffer';

const JSON_UNSAFE_ALL = new RegExp(JSON_UNSAFE.source, 'g');
const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function safeJson(text: string): string {
  // ASCII without DEL holds none: a native byte count and search, a third of the regular
  // expression's cost on a listing's line (binary session formats send every line here).
  if (Buffer.byteLength(text, 'utf8') === text.length && !text.includes('\x7f')) return text;
  // Tested first: almost no output holds one, and the test is cheaper than a replace.
  return JSON_UNSAFE.test(text) ? text.replace(JSON_UNSAFE_ALL, escape) : text;
}

/**
 * Whether JSON built from these stored bytes can hold one of those characters: only if the
 * bytes are not all ASCII, or hold DEL or a backslash (a `\u009b` escape). Native checks: a
 * regular expression over every line of a listing of millions cost ~4% of its CPU.
 */
export function mayNeedSafeJson(bytes: Buffer): boolean {
  return !isAscii(bytes) || bytes.indexOf(0x5c) >= 0 || bytes.indexOf(0x7f) >= 0;
}

/** A line built from stored bytes, made safe for a terminal when those bytes could have made it unsafe. */
export function terminalSafe(line: string, stored: Buffer): string {
  return mayNeedSafeJson(stored) ? safeJson(line) : line;
}
