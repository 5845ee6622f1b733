/**
 * express-session's cookie value: `s:<session id>.<signature>`, where the signature is
 * HMAC-SHA256(secret, id) in base64 without padding (the cookie-signature package), and the
 * whole value is URL-encoded in the Set-Cookie header (`s%3A...`). Responders paste it in
 * several shapes (core/sessions/cookie.ts picks it out). The value is a live credential: no
 * error here quotes it, or any part of it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DEFAULT_COOKIE_NAME } from '../../../defaults.js';
import { NegativeAnswer, UsageError } from '../../../errors.js';
import { pickCookieValue } from '../../cookie.js';
import { validateSessionId } from '../../ids.js';
import type { SessionCookie } from '../../layout.js';

export interface ParsedCookie {
  id: string;
  /** The signed part and its signature, for checking against a secret. */
  signed: string;
  signature: string;
}

export const expressSessionCookie: SessionCookie = {
  defaultName: DEFAULT_COOKIE_NAME,
  // `s:` or `s%3A` (URL-encoded), maybe in double quotes: no Cookie header starts so. Or
  // @fastify/session's `<id>.<signature>` (no `s:`), which has no '=' but base64's padding.
  isBareValue: (text) => /^"?s(?::|%3A)/i.test(text) || FASTIFY_VALUE.test(text),
  read(value) {
    const parsed = parseCookieValue(value);
    return { id: parsed.id, verify: (secrets) => verifyCookieSignature(parsed, secrets) };
  },
};

/**
 * @fastify/session's cookie value: the id (uid-safe, 32 base64url characters by default), a dot
 * and the same signature as express-session's (HMAC-SHA256, base64 without padding), sent as is.
 */
const FASTIFY_VALUE = /^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9+/]{43}$/;

/** The session id (and signature) in a pasted cookie; `name` picks it from a header or jar. */
export function parseSessionCookie(input: string, name: string = DEFAULT_COOKIE_NAME): ParsedCookie {
  return parseCookieValue(pickCookieValue(input, name, expressSessionCookie));
}

/** The id and signature in express-session's cookie value, as sent (URL-encoded or not). */
function parseCookieValue(sent: string): ParsedCookie {
  let value = sent;
  if (/%[0-9A-Fa-f]{2}/.test(value)) {
    try {
      value = decodeURIComponent(value);
    } catch {
      throw new UsageError('the cookie is not valid URL encoding');
    }
  }
  const fastify = FASTIFY_VALUE.test(value);
  if (!value.startsWith('s:') && !fastify) {
    throw new UsageError(
      "not an express-session cookie (expected s:<id>.<signature>, URL-encoded or not, or @fastify/session's <id>.<signature>)",
      {
        hint: 'give the cookie value, a Cookie header or a cookie-jar line; --cookie-name picks the session cookie among several',
      },
    );
  }
  const body = fastify ? value : value.slice(2);
  const dot = body.lastIndexOf('.');
  if (dot <= 0 || dot === body.length - 1) throw new UsageError('the cookie has no signature (expected s:<id>.<signature>)');
  let id: string;
  try {
    id = validateSessionId(body.slice(0, dot));
  } catch (err) {
    // Its message quotes the id, a part of the credential.
    if (err instanceof UsageError) throw new UsageError('the cookie holds an invalid session id', { hint: err.hint });
    throw err;
  }
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
