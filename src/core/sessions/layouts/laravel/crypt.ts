/**
 * Laravel's Encrypter (illuminate/encryption Encrypter.php), read-only: a payload is base64 of
 * JSON `{"iv", "value", "mac", "tag"}`, `value` the base64 ciphertext of openssl_encrypt with the
 * APP_KEY (AES-256-CBC by default; AES-128-CBC and the GCM ciphers by the key's length and a
 * tag), `mac` hex HMAC-SHA256 of iv.value with the key (`hash()`), checked before decrypting
 * (`validMac`). Used for the session cookie (EncryptCookies) and for sessions stored encrypted
 * (SESSION_ENCRYPT: EncryptedStore). Keys come from --cookie-secret-file, one per line, as the
 * app's .env holds them (`base64:...`, optionally `APP_KEY=` before it), never from argv.
 */
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';

/** The keys in a secrets file's lines: `base64:<key>` decoded, a bare key as its bytes. */
export function appKeys(secrets: readonly string[]): Buffer[] {
  return secrets.map((line) => {
    const text = line
      .trim()
      .replace(/^APP_(?:PREVIOUS_)?KEYS?=/, '')
      .replace(/^"(.*)"$/, '$1');
    return text.startsWith('base64:') ? Buffer.from(text.slice(7), 'base64') : Buffer.from(text, 'utf8');
  });
}

interface Payload {
  iv: string;
  value: string;
  mac: string;
  tag: string;
}

/** Base64 of `{"iv":` is `eyJpdiI6`: what an encrypted cookie or value starts with. */
export const PAYLOAD_START = 'eyJpdiI6';

/** The JSON payload in `text` (base64), or undefined when it is not one. */
function payloadOf(text: string): Payload | undefined {
  if (!text.startsWith(PAYLOAD_START) || text.length > 1 << 20) return undefined;
  try {
    const p = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as Partial<Payload>;
    if (typeof p.iv !== 'string' || typeof p.value !== 'string' || typeof p.mac !== 'string') return undefined;
    return { iv: p.iv, value: p.value, mac: p.mac, tag: typeof p.tag === 'string' ? p.tag : '' };
  } catch {
    return undefined;
  }
}

export const isPayload = (text: string): boolean => payloadOf(text) !== undefined;

/** The plaintext of a payload under the first key whose MAC (or GCM tag) holds, or undefined. */
export function decrypt(text: string, keys: readonly Buffer[]): Buffer | undefined {
  const p = payloadOf(text);
  if (p === undefined) return undefined;
  const iv = Buffer.from(p.iv, 'base64');
  const tag = Buffer.from(p.tag, 'base64');
  for (const key of keys) {
    if (key.length !== 16 && key.length !== 32) continue;
    const gcm = tag.length > 0;
    if (!gcm) {
      const mac = Buffer.from(
        createHmac('sha256', key)
          .update(p.iv + p.value)
          .digest('hex'),
      );
      const given = Buffer.from(p.mac);
      if (mac.length !== given.length || !timingSafeEqual(mac, given)) continue;
    }
    try {
      const decipher = createDecipheriv(`aes-${key.length * 8}-${gcm ? 'gcm' : 'cbc'}`, key, iv);
      if (gcm) (decipher as ReturnType<typeof createDecipheriv> & { setAuthTag(t: Buffer): void }).setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(p.value, 'base64')), decipher.final()]);
    } catch {
      continue;
    }
  }
  return undefined;
}

/** CookieValuePrefix::create: HMAC-SHA1 of the cookie's name and "v2" with the key, hex, then `|`. */
export function cookiePrefix(cookieName: string, key: Buffer): string {
  return `${createHmac('sha1', key).update(`${cookieName}v2`).digest('hex')}|`;
}
