/**
 * Sessions as bytes and hostile JSON (issue 13 items 6, 7, 13, 14, 15): ids that are not UTF-8,
 * the --user prefilter against every JSON spelling, nesting, big integers, byte-exact rewrites.
 */
import { DEFAULT_USER_FIELDS } from '../../src/core/defaults.js';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { idBytes, showId } from '../../src/core/redis/keys.js';
import { validateSessionId } from '../../src/core/sessions/ids.js';
import { exactNumberText } from '../../src/core/sessions/decode/json-bytes.js';
import { MAX_NESTING, nestsDeeperThan } from '../../src/core/sessions/decode/json-depth.js';
import { safeJson } from '../../src/core/json-safe.js';
import { sessionJsonLine, toSessionRecord, withLifetime } from '../../src/core/sessions/layouts/connect-redis/record.js';
import type { LineInfo } from '../../src/core/sessions/layout.js';
import { prefilterNeedle } from '../../src/core/sessions/decode/json-prefilter.js';
import { prefilterPasses } from '../../src/core/walk/prefilter.js';

/** The prefilter for `user`: undefined when there is none. */
function userPrefilter(user: string): ((raw: Buffer) => boolean) | undefined {
  const needle = prefilterNeedle(user);
  return needle.length === 0 ? undefined : (raw) => prefilterPasses(raw, needle);
}

const NOW = Date.UTC(2026, 10, 28, 1, 0, 0);

describe('session ids as bytes (item 13)', () => {
  test('plain ids are shown as they are', () => {
    expect(showId(Buffer.from('Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6Js'))).toBe('Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6Js');
    expect(showId(Buffer.from('caf\u00e9-\u65e5\u672c'))).toBe('caf\u00e9-\u65e5\u672c');
  });

  test('bytes that are not UTF-8, controls, spaces and backslashes are escaped', () => {
    expect(showId(Buffer.from([0x6b, 0xff, 0xfe]))).toBe('k\\xff\\xfe');
    expect(showId(Buffer.from('a b\u001b[2J\\'))).toBe('a\\x20b\\x1b[2J\\\\');
    expect(showId(Buffer.from('x\u009by'))).toBe('x\\xc2\\x9by'); // C1 CSI, valid UTF-8
    expect(showId(Buffer.from('x\u202ey'))).toBe('x\\xe2\\x80\\xaey'); // bidi override
    expect(showId(Buffer.from([0xc0, 0xaf]))).toBe('\\xc0\\xaf'); // overlong '/'
  });

  test('every byte string survives showId then idBytes, and its shown form is a valid id argument', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (bytes) => {
        const shown = showId(Buffer.from(bytes));
        expect(idBytes(shown)).toEqual(Buffer.from(bytes));
        expect(validateSessionId(shown)).toBe(shown);
      }),
      { numRuns: 2000 },
    );
  });
});

/** The user the full parse gives a stored value. */
function fullUser(raw: string, fields = DEFAULT_USER_FIELDS): string | null {
  return toSessionRecord('sid', raw, 1000, fields, NOW).user;
}

/** One JSON spelling of a string: each character literal or \u-escaped (either hex case), '/' maybe as '\/'. */
function spell(text: string, escapes: boolean[], upper: boolean): string {
  let out = '"';
  [...text].forEach((c, i) => {
    const code = c.codePointAt(0) ?? 0;
    const esc = escapes[i % Math.max(escapes.length, 1)] === true;
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '/' && esc) out += '\\/';
    else if (esc || code < 0x20) {
      const units = c.split('').map((u) => u.charCodeAt(0)); // a surrogate pair for astral characters
      for (const u of units) {
        const hex = u.toString(16).padStart(4, '0');
        out += `\\u${upper ? hex.toUpperCase() : hex}`;
      }
    } else out += c;
  });
  return `${out}"`;
}

describe('the --user prefilter never rejects what the full parse accepts (item 6)', () => {
  test('the reported spellings: a \\u002B escape and 1e2', () => {
    const escaped = '{"cookie":{},"passport":{"user":"alice\\u002Bops@example.com"}}';
    expect(fullUser(escaped)).toBe('alice+ops@example.com');
    expect(userPrefilter('alice+ops@example.com')?.(Buffer.from(escaped))).toBe(true);
    const exponent = '{"cookie":{},"userId":1e2}';
    expect(fullUser(exponent)).toBe('100');
    // A user that could be a number is never prefiltered.
    expect(userPrefilter('100')).toBeUndefined();
  });

  test('property: any JSON spelling of the user, in any user field, passes the prefilter', () => {
    const name = fc.string({
      unit: fc.constantFrom('a', 'l', 'i', 'c', 'e', '+', '@', '.', '-', '_', '/', '"', '\\', 'é', '日', '😀', 'Z', '0'),
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(
        name,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        fc.constantFrom('passport.user', 'userId', 'user.id', 'username'),
        fc.constantFrom('', ' ', '\n  '),
        (user, escapes, upper, field, ws) => {
          const spelled = spell(user, escapes, upper);
          const [root, leaf] = field.split('.') as [string, string | undefined];
          const inner = leaf === undefined ? spelled : `{${ws}${spell(leaf, escapes, upper)}${ws}:${ws}${spelled}}`;
          const raw = `{${ws}"cookie":{"path":"/"},${ws}${spell(root, [false], false)}:${ws}${inner}${ws}}`;
          if (fullUser(raw) !== user) return; // the spelling made another value (cannot happen, but be exact)
          const filter = userPrefilter(user);
          expect(filter === undefined || filter(Buffer.from(raw))).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('property: any JSON spelling of a numeric user id reads as that user and is never prefiltered out', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom('plain', 'exp', 'frac', 'expfrac'), (n, form) => {
        const text = form === 'plain' ? String(n) : form === 'exp' ? `${n}e0` : form === 'frac' ? `${n}.0` : `${n / 10}e1`;
        const raw = `{"cookie":{},"userId":${text}}`;
        if (fullUser(raw) !== String(n)) return; // n / 10 may not be exact in binary
        const filter = userPrefilter(String(n));
        expect(filter === undefined || filter(Buffer.from(raw))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test('it still rejects values that cannot be the user (that is its point)', () => {
    const filter = userPrefilter('alice');
    expect(filter?.(Buffer.from('{"cookie":{},"passport":{"user":"bob"}}'))).toBe(false);
  });
});

describe('nesting (item 7)', () => {
  const deep = (n: number) => `{"cookie":{},"x":${'['.repeat(n)}${']'.repeat(n)}}`;

  test('a value nested deeper than the limit is unreadable, one at the limit is not', () => {
    expect(nestsDeeperThan(Buffer.from(deep(MAX_NESTING - 1)))).toBe(false);
    expect(nestsDeeperThan(Buffer.from(deep(MAX_NESTING)))).toBe(true);
    // Brackets inside strings do not count.
    expect(nestsDeeperThan(Buffer.from(`{"s":"${'['.repeat(500)}\\"${'{'.repeat(500)}"}`))).toBe(false);
  });

  test('8,000 levels: an unreadable record and an unreadable line, no exception', () => {
    const raw = `{"cookie":{},"passport":{"user":"mallory"},"x":${'{"a":'.repeat(8000)}1${'}'.repeat(8000)}}`;
    const info: LineInfo = { readable: true };
    expect(toSessionRecord('sid', raw, 1000, DEFAULT_USER_FIELDS, NOW, info)).toMatchObject({
      readable: false,
      user: null,
      unreadable: `nested deeper than ${MAX_NESTING} levels`,
    });
    expect(sessionJsonLine('sid', Buffer.from(raw), 1000, DEFAULT_USER_FIELDS, NOW, undefined, info)).toContain('"readable":false');
    expect(withLifetime(raw, 1000, NOW)).toBeUndefined();
  });
});

describe('integers beyond 2^53 (item 14)', () => {
  test('exactNumberText keeps every digit of whole numbers', () => {
    expect(exactNumberText('1234567890123456789')).toBe('1234567890123456789');
    expect(exactNumberText('-1234567890123456789')).toBe('-1234567890123456789');
    expect(exactNumberText('12345678901234567890e2')).toBe('1234567890123456789000');
    expect(exactNumberText('1234567890123456789.000')).toBe('1234567890123456789');
    expect(exactNumberText('1e2')).toBe('100');
    expect(exactNumberText('42')).toBe('42');
    expect(exactNumberText('1.5')).toBe('1.5');
    expect(exactNumberText('1e999')).toBeUndefined();
  });

  test('a user id beyond 2^53 is listed and matched with its exact digits', () => {
    const raw =
      '{"cookie":{"originalMaxAge":1000,"expires":"2026-11-28T01:00:01.000Z"},"user":{"id":1234567890123456789},"n":98765432109876543210}';
    expect(fullUser(raw)).toBe('1234567890123456789');
    const info: LineInfo = { readable: true };
    const line = sessionJsonLine('sid', Buffer.from(raw), 1000, DEFAULT_USER_FIELDS, NOW, '1234567890123456789', info) as string;
    expect(line).toContain('"user":"1234567890123456789"');
    expect(line).toContain('"extra":{"n":98765432109876543210}');
    expect(sessionJsonLine('sid', Buffer.from(raw), 1000, DEFAULT_USER_FIELDS, NOW, '1234567890123456800', info)).toBeUndefined();
  });
});

describe('withLifetime rewrites only the cookie timing bytes (items 14, 15)', () => {
  test('a big user id, odd spacing and bytes that are not UTF-8 stay as stored', () => {
    const head = Buffer.from(
      '{ "cookie" : {"originalMaxAge":604800000, "expires":"2026-12-11T00:00:00.000Z","path":"/"},"user":{"id":1234567890123456789},"note":"',
    );
    const raw = Buffer.concat([head, Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('"}')]);
    const out = withLifetime(raw, 60_000, NOW) as Buffer;
    const expected = Buffer.from(
      raw.toString('latin1').replace('604800000', '60000').replace('2026-12-11T00:00:00.000Z', '2026-11-28T01:01:00.000Z'),
      'latin1',
    );
    expect(out.equals(expected)).toBe(true);
  });

  test('a cookie key spelled with an escape is the cookie, as the application reads it', () => {
    const out = withLifetime('{"cook\\u0069e":{"originalMaxAge":1,"expires":"x"}}', 5000, NOW);
    expect(out).toBe('{"cook\\u0069e":{"originalMaxAge":5000,"expires":"2026-11-28T01:00:05.000Z"}}');
  });

  test('of duplicate cookie keys the last one, which JSON.parse keeps, is rewritten', () => {
    const out = withLifetime('{"cookie":{"originalMaxAge":1},"cookie":{"originalMaxAge":2,"expires":null}}', 5000, NOW) as string;
    expect(JSON.parse(out)).toEqual({ cookie: { originalMaxAge: 5000, expires: '2026-11-28T01:00:05.000Z' } });
    expect(out.startsWith('{"cookie":{"originalMaxAge":1},')).toBe(true);
  });
});

describe('what a terminal may act on, in --json lines (item 5)', () => {
  test('is escaped (C1, DEL, bidi controls, line separators), everything else is left alone', () => {
    expect(safeJson('{"a":"x\u009b2Jy\u0085"}')).toBe('{"a":"x\\u009b2Jy\\u0085"}');
    expect(safeJson('{"a":"\u202eevil\u007f\u2028"}')).toBe('{"a":"\\u202eevil\\u007f\\u2028"}');
    expect(safeJson('{"a":"caf\u00e9 \u2026"}')).toBe('{"a":"caf\u00e9 \u2026"}');
  });

  test.each([
    ['a raw C1 control', '{"cookie":{},"ua":"\u009b31m"}', '"ua":"\\u009b31m"'],
    ['a C1 control written as a JSON escape', '{"cookie":{},"ua":"\\u009b31m"}', '"ua":"\\u009b31m"'],
    ['a raw bidi override', '{"cookie":{},"name":"\u202eevil"}', '"name":"\\u202eevil"'],
    ['DEL', '{"cookie":{},"x":"a\u007fb"}', '"x":"a\\u007fb"'],
  ])('the listing line of a value holding %s is escaped like printJson', (_, text, expected) => {
    const line = sessionJsonLine('sid', Buffer.from(text), 1000, DEFAULT_USER_FIELDS, NOW, undefined, { readable: true });
    expect(line).toContain(expected);
    expect(JSON.parse(line as string)).toEqual(JSON.parse(line as string)); // still JSON
  });
});
