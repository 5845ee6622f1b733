/**
 * The character classes that decide what text may go where: into a key, an option, a terminal
 * or a --json line. One definition each, used by every rule that refuses or escapes them.
 */

/** Bidi controls (they reorder the rest of a line) and the line/paragraph separators (a new line to some viewers). */
const BIDI_AND_SEPARATORS = '\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';

/** Control characters (Unicode Cc): C0, DEL and C1 (U+009B is CSI to some terminals). */
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What must never reach a terminal raw: the control characters, bidi controls and separators. */
export const UNPRINTABLE = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${BIDI_AND_SEPARATORS}]`);

/** The same less C0, which JSON.stringify escapes already: what a --json line must escape itself. */
export const JSON_UNSAFE = new RegExp(`[\\u007f-\\u009f${BIDI_AND_SEPARATORS}]`);
