/**
 * express-session's cookie value: `s:<session id>.<signature>`, where the signature is
 * HMAC-SHA256(secret, id) in base64 without padding (the cookie-signature package), and the
 * whole value is URL-encoded in the Set-Cookie header (`s%3A...`). Responders paste it from
 * logs and browsers, with or without the `name=` in front.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { NegativeAnswer, UsageError } from '../errors.js';
import { validateSessionId } from './keys.js';

export interface ParsedCookie {
  id: string;
  /** The signed part and its signature, for checking against a secret. */
  signed: string;
  signature: string;
}

export function parseSessionCookie(input: string): ParsedCookie {
  let value = input.trim();
  // `connect.sid=s%3A...; Path=/` as copied from a header: keep only the value.
  const eq = value.indexOf('=');
  if (eq > 0 && !value.startsWith('s:') && !/^s%3A/i.test(value)) value = value.slice(eq + 1);
  value = value.split(';')[0]?.trim() ?? '';
  if (/%[0-9A-Fa-f]{2}/.test(value)) {
    try {
      value = decodeURIComponent(value);
    } catch {
      throw new UsageError('the cookie is not valid URL encoding');
    }
  }
  if (!value.startsWith('s:')) {
    throw new UsageError('not an express-session cookie (expected s:<id>.<signature>, URL-encoded or not)');
  }
  const body = value.slice(2);
  const dot = body.lastIndexOf('.');
  if (dot <= 0 || dot === body.length - 1) throw new UsageError('the cookie has no signature (expected s:<id>.<signature>)');
  const id = validateSessionId(body.slice(0, dot));
  return { id, signed: body.slice(0, dot), signature: body.slice(dot + 1) };
}

function sign(value: string, secret: string): string {
  return createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '');
}

/**
 * Check the signature against each secret (express-session accepts an array of secrets, the
 * first signing and all verifying, so a secrets file holds one per line).
 */
export function verifyCookieSignature(cookie: ParsedCookie, secrets: string[]): void {
  const given = Buffer.from(cookie.signature);
  const ok = secrets.some((secret) => {
    const expected = Buffer.from(sign(cookie.signed, secret));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!ok) throw new NegativeAnswer('the cookie signature does not match any secret in --cookie-secret-file');
}

/** Secrets file: one secret per line; blank lines ignored. */
export function parseSecrets(text: string): string[] {
  const secrets = text.split(/\r?\n/).filter((line) => line !== '');
  if (secrets.length === 0) throw new UsageError('--cookie-secret-file holds no secret');
  return secrets;
}
