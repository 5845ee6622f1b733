import { createHmac } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { parseSecrets, parseSessionCookie, verifyCookieSignature } from '../../src/core/cookie.js';
import { ExitCode, NegativeAnswer } from '../../src/errors.js';
import { usageError } from '../helpers/errors.js';

/** What express-session (cookie-signature) sets: s:<id>.<HMAC-SHA256 base64, no padding>. */
function signed(id: string, secret: string): string {
  return `s:${id}.${createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '')}`;
}

describe('parseSessionCookie', () => {
  const id = 'Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6Js';
  const value = signed(id, 'keyboard cat');

  test('plain and URL-encoded values give the same id', () => {
    expect(parseSessionCookie(value).id).toBe(id);
    expect(parseSessionCookie(encodeURIComponent(value)).id).toBe(id);
  });

  test('a copied header with the cookie name and attributes', () => {
    expect(parseSessionCookie(`connect.sid=${encodeURIComponent(value)}; Path=/; HttpOnly`).id).toBe(id);
    expect(parseSessionCookie(`  ${value}  `).id).toBe(id);
  });

  test('ids containing dots keep them: the signature is after the last dot', () => {
    expect(parseSessionCookie(signed('a.b.c', 's')).id).toBe('a.b.c');
  });

  test.each([
    ['', /not an express-session cookie/],
    ['abc', /not an express-session cookie/],
    ['s:nosignature', /no signature/],
    ['s:.sig', /no signature/],
    ['s:id.', /no signature/],
    ['s%3Aid%ZZ.sig', /not an express-session cookie|URL encoding/],
    ['s:a b.sig', /invalid session id/],
  ])('rejects %j with a usage error', (input, message) => {
    expect(usageError(() => parseSessionCookie(input)).message).toMatch(message);
  });
});

describe('verifyCookieSignature', () => {
  const cookie = parseSessionCookie(signed('sid-1', 'right secret'));

  test('accepts the secret that signed it, among several (rotated secrets)', () => {
    expect(() => verifyCookieSignature(cookie, ['new secret', 'right secret'])).not.toThrow();
  });

  test('a wrong secret or a tampered id is a negative answer (exit 1)', () => {
    for (const [c, secrets] of [
      [cookie, ['wrong']],
      [{ ...cookie, signed: 'sid-2', id: 'sid-2' }, ['right secret']],
      [{ ...cookie, signature: cookie.signature.slice(0, -1) }, ['right secret']],
    ] as const) {
      let error: unknown;
      try {
        verifyCookieSignature(c, [...secrets]);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(NegativeAnswer);
      expect((error as NegativeAnswer).exitCode).toBe(ExitCode.negative);
    }
  });

  test('secrets file: one per line, blank lines ignored, empty file refused', () => {
    expect(parseSecrets('a\n\nb\r\n')).toEqual(['a', 'b']);
    usageError(() => parseSecrets('\n\n'));
  });
});
