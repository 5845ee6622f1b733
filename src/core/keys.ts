/**
 * Key names and the rules for what may go into them. See docs/schema.md.
 *
 * A user's record is `<userPrefix>{<name>}`: the braces are a Redis Cluster hash tag, so
 * the record and anything later indexed per user (`<userPrefix>{<name>}:...`) share a slot.
 */
import { UsageError } from '../errors.js';

export { DEFAULT_SESSION_PREFIX, DEFAULT_USER_PREFIX } from '../defaults.js';
export const USERNAME_MAX_CHARS = 64;

/**
 * Usernames: 1 to 64 characters, each a Unicode letter, mark or digit, or one of `. _ - @ +`,
 * in Unicode NFC. This excludes control characters, spaces, the glob characters `* ? [ ] \`
 * and the hash-tag braces `{ }`, so a name can never widen a SCAN pattern or move its key
 * to another cluster slot.
 */
const USERNAME_CHARS = /^[\p{L}\p{M}\p{N}._@+-]+$/u;

export function validateUsername(name: string): string {
  const chars = [...name];
  if (chars.length === 0) throw new UsageError('username is empty');
  if (chars.length > USERNAME_MAX_CHARS) throw new UsageError(`username is longer than ${USERNAME_MAX_CHARS} characters`);
  if (!USERNAME_CHARS.test(name)) {
    const bad = chars.find((c) => !USERNAME_CHARS.test(c)) ?? '';
    throw new UsageError(`username contains ${describeChar(bad)}, which is not allowed`, {
      hint: 'usernames use letters, digits and . _ - @ + (see docs/schema.md)',
    });
  }
  if (name.normalize('NFC') !== name) throw new UsageError('username is not in Unicode NFC form', { hint: 'type it precomposed' });
  return name;
}

/** Name a character without echoing control bytes to the terminal. */
export function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  // \p{C}: C0/C1 controls, format characters such as bidi overrides, surrogates, unassigned;
  // \p{Z}: every kind of space and line separator. None of these is printed raw.
  return /[\p{C}\p{Z}\s]/u.test(c) ? `a control or space character (${hex})` : `"${c}" (${hex})`;
}

/** Key prefixes end up in SCAN patterns (escaped) and key names; keep them printable. */
export function validatePrefix(prefix: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f{}]/.test(prefix) || prefix.length > 128) {
    throw new UsageError(`${what} may not contain spaces, control characters or braces, and is at most 128 characters`);
  }
  return prefix;
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

/** Escape the characters that SCAN MATCH treats as glob syntax. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export function sessionKey(prefix: string, id: string): string {
  return `${prefix}${id}`;
}

/** Session ids come from argv or cookies: refuse what cannot be an id before touching Redis. */
export function validateSessionId(id: string): string {
  // eslint-disable-next-line no-control-regex
  if (id.length === 0 || id.length > 256 || /[\u0000-\u0020\u007f-\u009f]/.test(id)) {
    throw new UsageError(`invalid session id "${id.slice(0, 40).replace(/[^\x21-\x7e]/g, '?')}"`, {
      hint: 'a session id is 1 to 256 printable characters without spaces',
    });
  }
  return id;
}
