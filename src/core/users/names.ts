/**
 * User names and the keys of user records. See docs/schema.md.
 *
 * A user's record is `<userPrefix>{<name>}`: the braces are a Redis Cluster hash tag, so
 * the record and anything later indexed per user (`<userPrefix>{<name>}:...`) share a slot.
 */
import { UsageError } from '../errors.js';
import { scriptMix } from './script-mix.js';

export const USERNAME_MAX_CHARS = 64;

/**
 * Usernames: 1 to 64 characters, each a Unicode letter, mark or digit, or one of `. _ - @ +`,
 * in Unicode NFC (input in another form is normalized, not refused). This excludes control
 * characters, spaces, the glob characters `* ? [ ] \` and the hash-tag braces `{ }`, so a name
 * can never widen a SCAN pattern or move its key to another cluster slot. Names are compared
 * exactly (case-sensitively), like the Redis keys they become.
 */
const USERNAME_CHARS = /^[\p{L}\p{M}\p{N}._@+-]+$/u;

/**
 * A name as given on the command line, checked and normalized to NFC: the name to use from
 * here on (callers must use the returned string). Used by every command that names a user;
 * `user add` applies the stricter validateNewUsername().
 */
export function validateUsername(name: string): string {
  if (name.length === 0) throw new UsageError('username is empty');
  // NFC can shorten a name (e + combining accent is one character), so the limit applies
  // to the normalized form; this cheap bound first keeps a huge argument from costing more.
  if (name.length > USERNAME_MAX_CHARS * 8) throw new UsageError(`username is longer than ${USERNAME_MAX_CHARS} characters`);
  const nfc = name.normalize('NFC');
  // Characters are counted by code point; a name of at most 64 UTF-16 units has no more than
  // 64 of them, and is not spread into an array (`user import` checks a name per user).
  if (nfc.length > USERNAME_MAX_CHARS && [...nfc].length > USERNAME_MAX_CHARS) {
    throw new UsageError(`username is longer than ${USERNAME_MAX_CHARS} characters`);
  }
  if (!USERNAME_CHARS.test(nfc)) {
    const bad = [...nfc].find((c) => !USERNAME_CHARS.test(c)) ?? '';
    throw new UsageError(`username contains ${describeChar(bad)}, which is not allowed`, {
      hint: 'usernames use letters, digits and . _ - @ + (see docs/schema.md)',
    });
  }
  return nfc;
}

/**
 * A name for a new user: validateUsername() plus the rules against names that look like
 * another: no invisible characters (Default_Ignorable_Code_Point, such as U+034F COMBINING
 * GRAPHEME JOINER or U+3164 HANGUL FILLER, which are letters or marks) and no mixing of
 * scripts beyond what UTS #39 "Highly Restrictive" allows (see script-mix.ts). Existing
 * names are not held to these rules: verify and rehash still reach them.
 */
export function validateNewUsername(name: string): string {
  const nfc = validateUsername(name);
  const invisible = [...nfc].find((c) => /\p{DI}/u.test(c));
  if (invisible !== undefined) {
    throw new UsageError(`username contains ${describeChar(invisible)}, which is not allowed`, {
      hint: 'a username may not contain characters that display as nothing (see docs/schema.md)',
    });
  }
  const mix = scriptMix(nfc);
  if (mix !== undefined) {
    throw new UsageError(
      `username mixes scripts (${mix.scripts.join(', ')}): ${describeChar(mix.odd)} is ${mix.oddScript}, which is not allowed`,
      {
        hint: 'use letters of one script; Latin may go with Chinese, Japanese or Korean (see docs/schema.md)',
      },
    );
  }
  return nfc;
}

/** Name a character without echoing control bytes or invisible characters to the terminal. */
export function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  // Bidi controls reorder the rest of the line; default-ignorable characters display as
  // nothing; \p{C}: C0/C1 controls, other format characters, surrogates, unassigned;
  // \p{Z}: every kind of space and line separator. None of these is printed raw.
  if (/\p{Bidi_C}/u.test(c)) return `a bidirectional control character (${hex})`;
  if (/\p{DI}/u.test(c)) return `an invisible character (${hex})`;
  return /[\p{C}\p{Z}\s]/u.test(c) ? `a control or space character (${hex})` : `"${c}" (${hex})`;
}

export function userKey(prefix: string, name: string): string {
  return `${prefix}{${name}}`;
}

/** Inverse of userKey for keys found by SCAN; undefined for keys that are not user records. */
export function usernameFromKey(prefix: string, key: string): string | undefined {
  if (!key.startsWith(`${prefix}{`) || !key.endsWith('}')) return undefined;
  const name = key.slice(prefix.length + 1, -1);
  return name === '' || name.includes('{') || name.includes('}') ? undefined : name;
}
