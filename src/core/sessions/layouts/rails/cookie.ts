/**
 * The Rails session cookie of the server-side stores (`_session_id` by default:
 * actionpack's session/abstract_store.rb). Its value is the session's public id, a random hex
 * string, sent as it is (the plain cookie jar), and the store keeps the session under
 * `"2::" + SHA-256(public id)` (rack/session/abstract/id.rb, SessionId#private_id): the key is
 * computed from the cookie, never the other way round.
 *
 * With redis-actionpack's `signed: true` the cookie jar encrypts the id with a key derived from
 * secret_key_base (ActionDispatch::Cookies' EncryptedKeyRotatingCookieJar): AES-256-GCM as
 * `<data>--<iv>--<tag>` (Rails >= 5.2), or AES-256-CBC then HMAC-SHA1 as `<data>--<digest>`
 * (older configuration); keys by PBKDF2 over secret_key_base, 1000 iterations, HMAC-SHA1
 * (Rails 6.1; SHA-256 from Rails 7.0: both are tried). The plaintext is the serialized id, in
 * Rails' metadata envelope (`{"_rails":{"message":base64,...}}`) or not, serialized as JSON or
 * Marshal. Such a cookie is opened only with the secret (--cookie-secret-file).
 *
 * The value is a live credential: no error here quotes it, or any part of it.
 */
import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { NegativeAnswer, UsageError } from '../../../errors.js';
import { decodedCookieValue } from '../../cookie.js';
import { decodeMarshal, isMarshal } from '../../decode/marshal.js';
import type { SessionCookie } from '../../layout.js';
import { asText } from './session.js';

/** A public id as Rack makes it (SecureRandom.hex), or any token a custom generator makes. */
const BARE = /^[A-Za-z0-9_.~-]{8,256}$/;
/** Base64 parts joined by `--`, as the encrypted jar writes them (URL-encoded in the header, or not). */
const B64 = '[A-Za-z0-9+/]+={0,2}';
const SEALED = new RegExp(`^${B64}--${B64}(?:--${B64})?$`);

/** The session key's id for a public id: `2::` is in the layout's prefix, the hash is the id. */
export const privateIdHash = (publicId: string): string => createHash('sha256').update(publicId, 'utf8').digest('hex');

const isSealed = (text: string): boolean => SEALED.test(text);

function firstPart(text: string): string {
  return (text.split(';')[0] ?? '').trim().replace(/^"|"$/g, '');
}

function publicId(text: string): string {
  if (!BARE.test(text) || text.length > 256)
    throw new UsageError("--cookie is not a Rails session cookie (the session id, or the app's encrypted cookie)", {
      hint: 'give the cookie value, a Cookie header or a cookie-jar line; --cookie-name picks the session cookie among several',
    });
  return text;
}

interface Keys {
  gcm: Buffer;
  cbc: Buffer;
  sign: Buffer;
}

/** ActiveSupport::KeyGenerator: PBKDF2-HMAC over secret_key_base, 1000 iterations, per salt. */
function keysFor(secret: string, digest: 'sha1' | 'sha256'): Keys {
  return {
    gcm: pbkdf2Sync(secret, 'authenticated encrypted cookie', 1000, 32, digest),
    cbc: pbkdf2Sync(secret, 'encrypted cookie', 1000, 32, digest),
    sign: pbkdf2Sync(secret, 'signed encrypted cookie', 1000, 64, digest),
  };
}

const b64 = (s: string) => Buffer.from(s, 'base64');

/** The plaintext of a cookie value under one set of keys, or undefined when they do not open it. */
function decrypt(text: string, keys: Keys): Buffer | undefined {
  const parts = text.split('--');
  try {
    if (parts.length === 3) {
      const [data, iv, tag] = parts.map(b64) as [Buffer, Buffer, Buffer];
      if (tag.length !== 16 || iv.length === 0) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', keys.gcm, iv);
      decipher.setAuthTag(tag);
      decipher.setAAD(Buffer.alloc(0));
      return Buffer.concat([decipher.update(data), decipher.final()]);
    }
    const [signed, digest] = parts as [string, string];
    const expected = createHmac('sha1', keys.sign).update(signed).digest();
    const given = Buffer.from(digest, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const [data, iv] = b64(signed).toString('latin1').split('--').map(b64);
    if (data === undefined || iv === undefined || iv.length !== 16) return undefined;
    const decipher = createDecipheriv('aes-256-cbc', keys.cbc, iv);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** A serialized String (JSON or Marshal, as the cookies serializer writes it), or undefined. */
function serializedString(bytes: Buffer): string | undefined {
  if (isMarshal(bytes)) {
    const read = decodeMarshal(bytes);
    return read.ok ? asText(read.value) : undefined;
  }
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The session id in a decrypted cookie: Rails' metadata envelope (ActiveSupport::Messages::Metadata) or the bare serialized id. */
function idIn(plain: Buffer): string | undefined {
  try {
    const envelope: unknown = JSON.parse(plain.toString('utf8'));
    const rails = envelope !== null && typeof envelope === 'object' ? (envelope as Record<string, unknown>)['_rails'] : undefined;
    if (rails !== null && typeof rails === 'object') {
      const { message, pur } = rails as Record<string, unknown>;
      if (typeof pur === 'string' && !pur.startsWith('cookie.')) return undefined;
      return typeof message === 'string' ? serializedString(b64(message)) : undefined;
    }
  } catch {
    // not an envelope: the serialized id itself
  }
  return serializedString(plain);
}

export const railsCookie: SessionCookie = {
  defaultName: '_session_id',
  isBareValue: (text) => {
    const first = firstPart(text);
    return BARE.test(first) || isSealed(decodedCookieValue(first));
  },
  read(value) {
    const text = decodedCookieValue(value);
    if (isSealed(text)) {
      throw new UsageError(
        "--cookie is a Rails cookie the app encrypted (redis-actionpack's signed: true): it names its session only with the secret",
        {
          hint: "give the app's secret_key_base in --cookie-secret-file (one per line, the current one first)",
        },
      );
    }
    const id = privateIdHash(publicId(text));
    return {
      id,
      verify() {
        throw new UsageError(
          "this Rails session cookie is the session id itself, not signed: --cookie-secret-file applies to a cookie the app encrypts (redis-actionpack's signed: true)",
        );
      },
    };
  },
  readSealed(value) {
    const text = decodedCookieValue(value);
    if (!isSealed(text)) return undefined;
    return { id: undefined, open: (secrets) => openSealed(text, secrets) };
  },
};

/** The session an encrypted cookie names, opened with one of the app's secret_key_base values. */
function openSealed(text: string, secrets: string[]): string {
  for (const secret of secrets) {
    for (const digest of ['sha1', 'sha256'] as const) {
      const plain = decrypt(text, keysFor(secret, digest));
      if (plain === undefined) continue;
      const id = idIn(plain);
      if (id === undefined) throw new UsageError('the cookie opens with the secret but holds no session id');
      return privateIdHash(publicId(id));
    }
  }
  throw new NegativeAnswer("the cookie does not open with any secret in --cookie-secret-file (the app's secret_key_base)");
}
