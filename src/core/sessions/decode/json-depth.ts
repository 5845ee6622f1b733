/**
 * How deeply stored JSON nests, found by a loop over its bytes (never recursion), before
 * anything walks or re-serializes what JSON.parse made of it. Shared by the layouts that
 * store JSON.
 */

/**
 * Deepest nesting (objects and arrays inside each other) a session may have to be read. Real
 * sessions nest a few levels; a value nested thousands deep, written by whoever controls a
 * session, would otherwise stop re-serialization ("Maximum call stack size exceeded").
 */
export const MAX_NESTING = 64;

export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;

/** End of the string literal that starts at `start` (the index after its closing quote). */
export function stringEnd(bytes: Buffer, start: number): number {
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
