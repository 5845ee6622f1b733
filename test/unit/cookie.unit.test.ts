import { createHmac } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { parseSecrets } from '../../src/core/sessions/cookie.js';
import { parseSessionCookie, verifyCookieSignature } from '../../src/core/sessions/layouts/connect-redis/cookie.js';
import { validateCookieName } from '../../src/cli/options.js';
import { ExitCode, NegativeAnswer } from '../../src/core/errors.js';
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

/** Issue 13 item 24: a Cookie request header and cookie-jar lines, the cookie picked by name. */
describe('parseSessionCookie: headers and cookie jars', () => {
  const id = 'Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6Js';
  const value = encodeURIComponent(signed(id, 'keyboard cat'));
  /** A line as curl -c writes it (checked against curl 7.88): HttpOnly cookies get `#HttpOnly_`. */
  const jarLine = (name: string, v: string, domain = 'app.example.com', httpOnly = true) =>
    `${httpOnly ? '#HttpOnly_' : ''}${domain}\tFALSE\t/\tTRUE\t1795000000\t${name}\t${v}`;

  test('a Cookie request header as copied from dev tools or a log, with or without "Cookie: "', () => {
    for (const header of [
      `theme=dark; connect.sid=${value}; _ga=GA1.2.3.4`,
      `Cookie: theme=dark; connect.sid=${value}`,
      `cookie:connect.sid=${value};theme=dark`,
      `connect.sid="${value}"`,
    ]) {
      expect([header, parseSessionCookie(header).id]).toEqual([header, id]);
    }
  });

  test('--cookie-name picks another cookie; the name is matched exactly', () => {
    const header = `connect.sid=${encodeURIComponent(signed('other', 'x'))}; app.sid=${value}`;
    expect(parseSessionCookie(header, 'app.sid').id).toBe(id);
    expect(parseSessionCookie(header).id).toBe('other');
    expect(usageError(() => parseSessionCookie(header, 'App.sid')).message).toMatch(
      /no cookie named App\.sid: it has connect\.sid, app\.sid/,
    );
  });

  test('a Set-Cookie header, with or without "Set-Cookie: ", attributes and all', () => {
    expect(
      parseSessionCookie(`Set-Cookie: connect.sid=${value}; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly; SameSite=Lax`).id,
    ).toBe(id);
  });

  test("a name given twice: the first, as the app's cookie parser takes it", () => {
    expect(parseSessionCookie(`connect.sid=${value}; connect.sid=${encodeURIComponent(signed('older', 'x'))}`).id).toBe(id);
  });

  test('cookie-jar lines as curl writes them: #HttpOnly_ prefix, comments, CRLF, a whole jar', () => {
    expect(parseSessionCookie(jarLine('connect.sid', value)).id).toBe(id);
    expect(parseSessionCookie(jarLine('connect.sid', value, '.example.com', false)).id).toBe(id);
    const jar = [
      '# Netscape HTTP Cookie File',
      '# https://curl.se/docs/http-cookies.html',
      '',
      jarLine('theme', 'dark', 'app.example.com', false),
      jarLine('connect.sid', value),
      jarLine('empty', ''),
    ].join('\r\n');
    expect(parseSessionCookie(`${jar}\r\n`).id).toBe(id);
    expect(parseSessionCookie(jarLine('app.sid', value), 'app.sid').id).toBe(id);
  });

  test('a jar with two different values under the name (two domains) is ambiguous: exit 2 naming the domains', () => {
    const jar = [
      jarLine('connect.sid', value, 'a.example.com'),
      jarLine('connect.sid', encodeURIComponent(signed('b', 'x')), 'b.example.com'),
    ].join('\n');
    const err = usageError(() => parseSessionCookie(jar));
    expect(err.message).toMatch(/2 different cookies named connect\.sid \(domains a\.example\.com, b\.example\.com\)/);
    expect(err.message).not.toContain(value);
    // The same cookie twice is no ambiguity.
    expect(parseSessionCookie(`${jarLine('connect.sid', value)}\n${jarLine('connect.sid', value)}`).id).toBe(id);
  });

  test("a jar's comment line alone (what `--cookie - < cookies.txt` reads) says to give the cookie's line", () => {
    const err = usageError(() => parseSessionCookie('# Netscape HTTP Cookie File'));
    expect(err.message).toMatch(/comment line of a cookie jar/);
    expect(err.hint).toMatch(/grep connect\.sid cookies\.txt/);
  });

  test('a jar line without 7 fields: exit 2 saying which line, without quoting it', () => {
    const err = usageError(() => parseSessionCookie(`# comment\napp.example.com\tFALSE\t/\tconnect.sid\t${value}`));
    expect(err.message).toBe('line 2 of the cookie jar in --cookie has 5 tab-separated fields, not 7');
  });

  test('the named cookie absent: exit 2 listing the names there, never a value', () => {
    const secretish = 'Zq8kR2mWs9XvB4nL';
    const err = usageError(() => parseSessionCookie(`theme=dark; sid=s%3A${secretish}.sig; _ga=GA1.${secretish}`));
    expect(err.message).toBe('--cookie has no cookie named connect.sid: it has theme, sid, _ga');
    expect(err.hint).toMatch(/--cookie-name/);
    // A Set-Cookie header's attributes are not cookies.
    expect(usageError(() => parseSessionCookie(`sid=s%3A${secretish}.sig; Path=/; Max-Age=60; HttpOnly`)).message).toBe(
      '--cookie has no cookie named connect.sid: it has sid',
    );
    expect(usageError(() => parseSessionCookie(jarLine('sid', secretish))).message).toBe(
      '--cookie has no cookie named connect.sid: it has sid',
    );
    // A pasted token with base64 padding is no cookie name to show.
    expect(usageError(() => parseSessionCookie(`${secretish}==`)).message).toBe(
      '--cookie has no cookie named connect.sid: it names no cookie',
    );
  });

  test('errors never quote the cookie, not even its session id', () => {
    for (const input of [`connect.sid=s%3Abad%20id.sig`, 's:bad id.sig', 'connect.sid=%E0%A4%A']) {
      const err = usageError(() => parseSessionCookie(input));
      expect([input, err.message, err.hint ?? '']).toEqual([input, expect.not.stringContaining('bad'), expect.not.stringContaining('bad')]);
      expect(err.message).not.toContain('%E0');
    }
  });

  test('--cookie-name must be a cookie name', () => {
    expect(validateCookieName('connect.sid')).toBe('connect.sid');
    expect(validateCookieName('__Host-sid')).toBe('__Host-sid');
    for (const bad of ['', 'a b', 'a=b', 'a;b', 'a\u0000', 'x'.repeat(257), 'caf\u00e9']) usageError(() => validateCookieName(bad));
  });

  // Property tests: any number of other cookies, in any order, never confuse the pick.
  const token = fc.stringMatching(/^[A-Za-z0-9!#$&'*+.^_`|~-]{1,24}$/);
  const otherName = token.filter((n) => n !== 'connect.sid');
  /** Other cookies' values: cookie-octets (RFC 6265), '=' included, URL-encoded or not. */
  const otherValue = fc.stringMatching(/^[A-Za-z0-9!#$%&'()*+./:<=>?@[\]^_`{|}~-]{0,40}$/);
  const sessionIdArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,48}$/);

  test("property: a header with many cookies in any order gives the session cookie's id", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(otherName, otherValue), { maxLength: 30 }),
        fc.nat(),
        sessionIdArb,
        fc.constantFrom('; ', ';', ' ; '),
        fc.constantFrom('', 'Cookie: ', 'cookie:'),
        fc.boolean(),
        (others, at, sid, sep, prefix, encode) => {
          const v = signed(sid, 's3cret');
          const pairs = others.map(([n, o]) => `${n}=${o}`);
          pairs.splice(at % (pairs.length + 1), 0, `connect.sid=${encode ? encodeURIComponent(v) : v}`);
          const parsed = parseSessionCookie(`${prefix}${pairs.join(sep)}`);
          expect(parsed.id).toBe(sid);
          expect(() => verifyCookieSignature(parsed, ['s3cret'])).not.toThrow();
        },
      ),
    );
  });

  test("property: cookie-jar lines in any order, with comments, give the session cookie's id", () => {
    const line = fc
      .tuple(otherName, fc.stringMatching(/^[A-Za-z0-9%._=-]{0,40}$/), fc.boolean())
      .map(([n, v, h]) => jarLine(n, v, 'x.example', h));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(line, fc.constant('# a comment'), fc.constant('')), { maxLength: 20 }),
        fc.nat(),
        sessionIdArb,
        fc.boolean(),
        fc.constantFrom('\n', '\r\n'),
        (others, at, sid, httpOnly, eol) => {
          const lines = [...others];
          lines.splice(at % (lines.length + 1), 0, jarLine('connect.sid', encodeURIComponent(signed(sid, 'k')), 'app.example', httpOnly));
          expect(parseSessionCookie(lines.join(eol)).id).toBe(sid);
        },
      ),
    );
  });

  test('property: without the named cookie, the error lists names and quotes no value', () => {
    // Values from another alphabet than names, long enough not to occur in the fixed text.
    const value = fc.stringMatching(/^[0-9A-F]{12,40}$/);
    const name = fc.stringMatching(/^[a-z_.-]{1,12}$/).filter((n) => !['path', 'domain', 'expires', 'secure', 'priority'].includes(n));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 10 }), fc.boolean(), (cookies, jar) => {
        const input = jar ? cookies.map(([n, v]) => jarLine(n, v)).join('\n') : cookies.map(([n, v]) => `${n}=${v}`).join('; ');
        const err = usageError(() => parseSessionCookie(input));
        for (const [n, v] of cookies) {
          expect(err.message).toContain(n);
          expect(`${err.message} ${err.hint ?? ''}`).not.toContain(v);
        }
      }),
    );
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
