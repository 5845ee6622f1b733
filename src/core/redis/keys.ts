/**
 * Key names as bytes, and what may go into a SCAN pattern. See docs/schema.md.
 */
import { CONTROL } from '../text.js';
import { UsageError } from '../errors.js';

/**
 * Key prefixes end up in SCAN patterns (escaped) and key names; keep them printable. An empty
 * prefix would make every key in the database a session (or a user record): `revoke --all`
 * would unlink caches and tokens. So it is refused, also when it comes from an environment
 * variable set to nothing by a template.
 */
export function validatePrefix(prefix: string, what: string): string {
  if (prefix === '')
    throw new UsageError(`${what} may not be empty: it would match every key in the database`, {
      hint: 'give the prefix the application uses, e.g. sess:',
    });
  if (CONTROL.test(prefix) || /[ {}]/.test(prefix) || prefix.length > 128) {
    throw new UsageError(`${what} may not contain spaces, control characters or braces, and is at most 128 characters`);
  }
  return prefix;
}

/** Escape the characters that SCAN MATCH treats as glob syntax. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
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
