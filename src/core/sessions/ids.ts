/** Session ids: how one names a key, and what may be one. */
import { CONTROL } from '../text.js';
import { UsageError } from '../errors.js';
import { idBytes, showId } from '../redis/keys.js';

/**
 * The key of a session, as bytes: the prefix (UTF-8) and the id in its shown form (see
 * showId), whose `\xHH` escapes stand for the bytes they name.
 */
export function sessionKey(prefix: string, id: string): Buffer {
  return Buffer.concat([Buffer.from(prefix, 'utf8'), idBytes(id)]);
}

/** Session ids come from argv or cookies: refuse what cannot be an id before touching Redis. */
export function validateSessionId(id: string): string {
  if (id.length === 0 || id.length > 256 || CONTROL.test(id) || id.includes(' ')) {
    throw new UsageError(`invalid session id "${id.slice(0, 40).replace(/[^\x21-\x7e]/g, '?')}"`, {
      hint: 'a session id is 1 to 256 printable characters without spaces',
    });
  }
  return id;
}

/** The id of a key `<prefix><id>` (shown form), with the prefix's length measured once: a listing calls it per key. */
export function idAfter(prefix: string): (key: Buffer) => string {
  const length = Buffer.byteLength(prefix);
  return (key) => showId(key.subarray(length));
}
