/**
 * Key names and the rules for what may go into them. See docs/schema.md.
 *
 * A user's record is `<userPrefix>{<name>}`: the braces are a Redis Cluster hash tag, so
 * the record and anything later indexed per user (`<userPrefix>{<name>}:...`) share a slot.
 */
import { UsageError } from '../errors.js';
import { scriptMix } from './script-mix.js';

export { DEFAULT_SESSION_PREFIX, DEFAULT_USER_PREFIX } from '../defaults.js';
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
  const chars = [...nfc];
  if (chars.length > USERNAME_MAX_CHARS) throw new UsageError(`username is longer than ${USERNAME_MAX_CHARS} characters`);
  if (!USERNAME_CHARS.test(nfc)) {
    const bad = chars.find((c) => !USERNAME_CHARS.test(c)) ?? '';
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
    throw new UsageError(`username mixes scripts (${mix.scripts.join(', ')}): ${describeChar(mix.odd)} is ${mix.oddScript}, which is not allowed`, {
      hint: 'use letters of one script; Latin may go with Chinese, Japanese or Korean (see docs/schema.md)',
    });
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

/**
 * Key prefixes end up in SCAN patterns (escaped) and key names; keep them printable. An empty
 * prefix would make every key in the database a session (or a user record): `revoke --all`
 * would unlink caches and tokens. So it is refused, also when it comes from an environment
 * variable set to nothing by a template.
 */
export function validatePrefix(prefix: string, what: string): string {
  if (prefix === '') throw new UsageError(`${what} may not be empty: it would match every key in the database`, { hint: 'give the prefix the application uses, e.g. sess:' });
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

/**
 * The key of a session, as bytes: the prefix (UTF-8) and the id in its shown form (see
 * showId), whose `\xHH` escapes stand for the bytes they name.
 */
export function sessionKey(prefix: string, id: string): Buffer {
  return Buffer.concat([Buffer.from(prefix, 'utf8'), idBytes(id)]);
}

/** Ids made only of these bytes are shown as they are (nearly all: express-session ids are base64url). */
export const PLAIN_ID = /^[\x21-\x5b\x5d-\x7e]*$/;

/**
 * How an id (the bytes of a key after the prefix) is shown and typed back: valid UTF-8 stays as
 * it is, except that a backslash is written `\\` and every byte that is not part of a printable
 * UTF-8 character (invalid UTF-8, control and format characters such as bidi overrides, space,
 * DEL) is written `\xHH`. The mapping is one-to-one, so every key can be listed, named and revoked.
 */
export function showId(bytes: Buffer): string {
  const latin1 = bytes.toString('latin1');
  if (PLAIN_ID.test(latin1)) return latin1;
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const size = utf8Length(bytes, i);
    if (size > 1) {
      const char = bytes.toString('utf8', i, i + size);
      // C1 controls and bidi overrides are valid UTF-8 but drive or reorder a terminal line.
      if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(char)) out += escapeBytes(bytes, i, i + size);
      else out += char;
      i += size;
      continue;
    }
    out += b === 0x5c ? '\\\\' : b > 0x20 && b < 0x7f ? String.fromCharCode(b) : escapeBytes(bytes, i, i + 1);
    i += 1;
  }
  return out;
}

function escapeBytes(bytes: Buffer, from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i += 1) out += `\\x${(bytes[i] as number).toString(16).padStart(2, '0')}`;
  return out;
}

/** Length of the well-formed UTF-8 sequence at `i` (1 for ASCII or for a byte that starts none). */
function utf8Length(bytes: Buffer, i: number): number {
  const b = bytes[i] as number;
  const size = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 1;
  if (size === 1 || i + size > bytes.length) return 1;
  // Buffer's own decoder decides well-formedness (overlongs, surrogates, > U+10FFFF): a
  // malformed sequence does not survive the round trip.
  const slice = bytes.subarray(i, i + size);
  return Buffer.from(slice.toString('utf8'), 'utf8').equals(slice) ? size : 1;
}

/** The bytes an id in its shown form names: `\xHH` is that byte, `\\` a backslash. */
export function idBytes(id: string): Buffer {
  if (!id.includes('\\')) return Buffer.from(id, 'utf8');
  const parts: Buffer[] = [];
  let text = '';
  for (let i = 0; i < id.length; i += 1) {
    const c = id[i] as string;
    const hex = c === '\\' ? /^x([0-9a-fA-F]{2})/.exec(id.slice(i + 1, i + 4)) : null;
    if (hex) {
      parts.push(Buffer.from(text, 'utf8'), Buffer.from([parseInt(hex[1] as string, 16)]));
      text = '';
      i += 3;
    } else if (c === '\\' && id[i + 1] === '\\') {
      text += '\\';
      i += 1;
    } else text += c;
  }
  parts.push(Buffer.from(text, 'utf8'));
  return Buffer.concat(parts);
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
