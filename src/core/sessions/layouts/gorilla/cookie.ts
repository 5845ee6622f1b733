/**
 * The session cookie gorilla/sessions sets through redistore: `securecookie.EncodeMulti(name,
 * session.ID, codecs...)` (redistore.go Save), decoded by the app with DecodeMulti (New).
 * gorilla/securecookie's Encode (securecookie.go):
 *   1. serialize the id (gob by default: a gob string; JSONEncoder: a JSON string);
 *   2. with a block key, encrypt it: AES in CTR mode, a random IV of one block before it;
 *   3. base64 (URL alphabet, padded) of that, then `name|date|value` with an HMAC-SHA256 under
 *      the hash key appended, the name dropped: `date|value|mac`;
 *   4. base64 (URL alphabet, padded) of the whole.
 * So the id is readable without the keys unless the app gave a block key, and the MAC covers the
 * cookie's name, which the app chose (`store.Get(r, "<name>")`): --cookie-name must be it for a
 * signature check.
 *
 * The keys come from --cookie-secret-file, one per line, as the app passes them to
 * NewRediStore (hash key, block key, ... for each codec; any order: each is tried as a hash key,
 * and those of an AES size as block keys). A line `hex:<hex>` or `base64:<base64>` is those
 * bytes (keys from securecookie.GenerateRandomKey are binary); any other line is its UTF-8 bytes.
 */
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { NegativeAnswer, UsageError } from '../../../errors.js';
import { decodedCookieValue } from '../../cookie.js';
import { decodeGob, GOB_LIMITS } from '../../decode/gob.js';
import { validateSessionId } from '../../ids.js';
import type { SessionCookie } from '../../layout.js';

/** No framework default: gorilla's README names its example session "session-name". */
const DEFAULT_NAME = 'session-name';
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
/** securecookie refuses a value longer than this (its default MaxLength); twice that is surely not one. */
const MAX_COOKIE = 8192;
const AES_KEY_SIZES = new Set([16, 24, 32]);
const AES_BLOCK = 16;
/** Reading a cookie's id needs little of the gob reader's room. */
const ID_LIMITS = { ...GOB_LIMITS, maxBytes: MAX_COOKIE, maxValues: 4, maxDepth: 2 };

interface Parsed {
  /** `date|value`, what the MAC covers after `name|`. */
  signed: Buffer;
  mac: Buffer;
  /** The serialized (perhaps encrypted) id. */
  payload: Buffer;
}

const notACookie = () =>
  new UsageError('--cookie is not a gorilla securecookie value (base64 of date|value|mac)', {
    hint: 'give the session cookie the app set, as in its Set-Cookie header (the app names it: --cookie-name)',
  });

function parse(value: string): Parsed {
  const text = decodedCookieValue(value);
  if (text.length > MAX_COOKIE || !BASE64URL.test(text)) throw notACookie();
  const b = Buffer.from(text, 'base64url');
  const first = b.indexOf(0x7c);
  const second = first < 0 ? -1 : b.indexOf(0x7c, first + 1);
  if (second < 0 || !/^-?[0-9]{1,19}$/.test(b.toString('latin1', 0, first))) throw notACookie();
  const inner = b.toString('latin1', first + 1, second);
  if (!BASE64URL.test(inner)) throw notACookie();
  return { signed: b.subarray(0, second), mac: b.subarray(second + 1), payload: Buffer.from(inner, 'base64url') };
}

/** The id a serialized payload holds (a gob string, or a JSON string), or undefined. */
function idIn(payload: Buffer): string | undefined {
  let id: unknown;
  const gob = decodeGob(payload, ID_LIMITS);
  if (gob.ok) id = gob.value;
  else if (payload[0] === 0x22) {
    try {
      id = JSON.parse(payload.toString('utf8'));
    } catch {
      return undefined;
    }
  }
  if (typeof id !== 'string') return undefined;
  try {
    return validateSessionId(id);
  } catch {
    return undefined;
  }
}

/** A line of --cookie-secret-file as key bytes. */
function keyOf(line: string): Buffer {
  if (line.startsWith('hex:') && /^(?:[0-9a-fA-F]{2})+$/.test(line.slice(4))) return Buffer.from(line.slice(4), 'hex');
  if (line.startsWith('base64:') && /^[A-Za-z0-9+/_-]+={0,2}$/.test(line.slice(7))) return Buffer.from(line.slice(7), 'base64');
  return Buffer.from(line, 'utf8');
}

function macMatches(p: Parsed, name: string, key: Buffer): boolean {
  const expected = createHmac('sha256', key).update(`${name}|`).update(p.signed).digest();
  return p.mac.length === expected.length && timingSafeEqual(p.mac, expected);
}

function decrypt(payload: Buffer, key: Buffer): Buffer {
  const decipher = createDecipheriv(`aes-${key.length * 8}-ctr`, key, payload.subarray(0, AES_BLOCK));
  return Buffer.concat([decipher.update(payload.subarray(AES_BLOCK)), decipher.final()]);
}

function open(p: Parsed, name: string, secrets: string[]): string {
  const keys = secrets.map(keyOf);
  if (!keys.some((k) => k.length > 0 && macMatches(p, name, k))) {
    throw new NegativeAnswer(`the cookie's signature matches none of the keys in --cookie-secret-file for a cookie named ${name}`, {
      hint: 'not a cookie this app signed, or the app names its session otherwise: give --cookie-name (the name in store.Get)',
    });
  }
  const plain = idIn(p.payload);
  if (plain !== undefined) return plain;
  // Encrypted (securecookie's CTR mode has no check of its own: the MAC above is it); a wrong
  // key gives bytes that are not a serialized id.
  if (p.payload.length > AES_BLOCK) {
    for (const key of keys.filter((k) => AES_KEY_SIZES.has(k.length))) {
      const id = idIn(decrypt(p.payload, key));
      if (id !== undefined) return id;
    }
  }
  throw new NegativeAnswer('the cookie is signed with a key in --cookie-secret-file, but none of its keys decrypts the session id in it', {
    hint: "add the app's block key (16, 24 or 32 bytes; hex:<hex> or base64:<base64> for binary keys)",
  });
}

function readSealed(value: string, name: string): { id: string | undefined; open(secrets: string[]): string } {
  const parsed = parse(value);
  return { id: idIn(parsed.payload), open: (secrets) => open(parsed, name, secrets) };
}

export const gorillaCookie: SessionCookie = {
  defaultName: DEFAULT_NAME,
  isBareValue(text) {
    const value = text.replace(/^"|"$/g, '').split(';')[0]?.trim() ?? '';
    // `date|` starts every value: ten digits and a bar are the first eleven decoded bytes.
    return BASE64URL.test(value) && /^[0-9]{1,19}\|/.test(Buffer.from(value.slice(0, 16), 'base64url').toString('latin1'));
  },
  read(value) {
    const sealed = readSealed(value, DEFAULT_NAME);
    if (sealed.id === undefined) throw encrypted();
    return { id: sealed.id, verify: (secrets) => void sealed.open(secrets) };
  },
  readSealed,
};

function encrypted(): UsageError {
  return new UsageError(
    "the cookie's session id is encrypted (the app gave redistore a block key): give the app's keys with --cookie-secret-file",
    {
      hint: 'one key per line, as the app passes them to NewRediStore; hex:<hex> or base64:<base64> for binary keys',
    },
  );
}
