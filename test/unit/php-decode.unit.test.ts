/**
 * The PHP readers (decode/php-serialize.ts, igbinary.ts, php-session.ts) on values PHP 8.2 itself
 * wrote (test/fixtures/php/vectors.json, made by vectors.php beside it): serialize() and igbinary
 * read to the same plain data, references resolved, objects as plain data with their class, and
 * the three session encodings to the same `$_SESSION`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { decodeIgbinary } from '../../src/core/sessions/decode/igbinary.js';
import { decodePhpSerialized } from '../../src/core/sessions/decode/php-serialize.js';
import { decodePhpSession, phpUserNeedle } from '../../src/core/sessions/decode/php-session.js';
import { PHP_LIMITS, Tracker, type PhpPlain } from '../../src/core/sessions/decode/php-value.js';

type Vector = { serialize: string; igbinary: string };
const vectors = JSON.parse(readFileSync('test/fixtures/php/vectors.json', 'utf8')) as Record<string, Vector | string>;
const vector = (name: string) => vectors[name] as Vector;
const b64 = (text: string) => Buffer.from(text, 'base64');

/** A value read both ways: it must be the same, and is returned as JSON text (what show prints). */
function both(name: string): unknown {
  const s = decodePhpSerialized(b64(vector(name).serialize), new Tracker(PHP_LIMITS));
  const i = decodeIgbinary(b64(vector(name).igbinary), new Tracker(PHP_LIMITS));
  if (!s.ok || !i.ok) throw new Error(`unreadable: ${JSON.stringify([s, i])}`);
  expect(s.end).toBe(b64(vector(name).serialize).length);
  expect(JSON.stringify(i.value)).toBe(JSON.stringify(s.value));
  return JSON.parse(JSON.stringify(s.value)) as unknown;
}

describe('serialize() and igbinary, as PHP 8.2 wrote them', () => {
  test('scalars: integers beyond 2^53 as digits, INF/NAN as PHP names them, bytes as UTF-8', () => {
    expect(both('scalars')).toEqual([
      null,
      true,
      false,
      0,
      -1,
      255,
      256,
      -65536,
      4294967296,
      '9223372036854775807',
      '-9223372036854775808',
      1.5,
      0,
      1e25,
      'INF',
      '-INF',
      'NAN',
      '',
      'héllo',
      'a\u0000b',
    ]);
  });

  test('keys: an array that is not a list is an object; below the top level @ keys get one more @; __proto__ is only a key', () => {
    const s = decodePhpSerialized(b64(vector('keys').serialize), new Tracker(PHP_LIMITS));
    expect(s.ok).toBe(true);
    const value = (s as { value: Record<string, PhpPlain> }).value;
    expect(Object.getPrototypeOf(value)).toBe(null);
    expect(Object.keys(value)).toContain('__proto__');
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    // The top level is a session's variables, named as they are.
    expect(both('keys')).toEqual({ a: 1, '5': 'five', '@class': 'fake', ['__proto__']: { polluted: true }, '-3': 'neg' });
    const nested = decodePhpSerialized(Buffer.from('a:1:{i:0;a:1:{s:6:"@class";s:1:"x";}}'), new Tracker(PHP_LIMITS));
    expect(nested).toMatchObject({ ok: true, value: [{ '@@class': 'x' }] });
  });

  test('values named again (r:, igbinary references) are the same value; a cycle is a placeholder', () => {
    const obj = { '@class': 'stdClass', name: 'x', self: { '@cycle': 'stdClass' } };
    expect(both('shared')).toEqual({ x: [1, 2, 3], y: [1, 2, 3], o: obj, o2: obj });
    expect(both('reference')).toEqual({ v: 'val', w: 'val' });
  });

  test('objects are plain data with their class: private and protected names unmangled, enums, Serializable payloads', () => {
    expect(both('objects')).toEqual([
      { '@class': 'Child', secret: 'child', 'Base::secret': 'base', kind: 'p', n: 1 },
      { '@class': 'Suit', '@enum': 'Hearts' },
      { '@class': 'ArrayObject', '0': 0, '1': [1, 2], '2': [], '3': null },
      { '@class': 'Legacy', '@serialized': 'a:1:{i:0;s:7:"payload";}' },
    ]);
  });

  test("a parent's private property read before the object's own of the same name keeps its class, as when read after", () => {
    const read = (text: string) => decodePhpSerialized(Buffer.from(text), new Tracker(PHP_LIMITS));
    const own = 's:13:"\0Child\0secret";s:5:"child";';
    const parents = 's:12:"\0Base\0secret";s:4:"base";';
    const child = { '@class': 'Child', secret: 'child', 'Base::secret': 'base' };
    expect(read(`O:5:"Child":2:{${own}${parents}}`)).toMatchObject({ ok: true, value: child });
    expect(read(`O:5:"Child":2:{${parents}${own}}`)).toMatchObject({ ok: true, value: child });
    // A property named like another's class: the name is what is looked for, never a class beside it.
    expect(read('O:5:"Child":3:{s:6:"\0Foo\0x";s:1:"1";s:8:"\0Bar\0Foo";s:1:"2";s:3:"Foo";s:1:"3";}')).toMatchObject({
      ok: true,
      value: { '@class': 'Child', x: '1', Foo: '3', 'Bar::Foo': '2' },
    });
  });
});

describe('session encodings', () => {
  const session = {
    user_id: 42,
    username: 'alice',
    a: { k: [1, 2] },
    b: { k: [1, 2] },
    o: { '@class': 'stdClass', n: 'obj' },
    o2: { '@class': 'stdClass', n: 'obj' },
    s: 'str',
    sref: 'str',
  };
  test.each(['php', 'php_serialize', 'igbinary'])(
    '%s: the serializer is read from the value, references across variables resolved',
    (serializer) => {
      const decoded = decodePhpSession(b64(vectors[`session_${serializer}`] as string));
      expect(decoded).toMatchObject({ serializer });
      expect(JSON.parse(JSON.stringify((decoded as { vars: unknown }).vars))).toEqual(session);
      // An empty session as each writes it.
      const empty = decodePhpSession(b64(vectors[`empty_${serializer}`] as string));
      expect(typeof empty).toBe('object');
      expect(Object.keys((empty as { vars: object }).vars)).toEqual([]);
    },
  );

  test('a value that is no PHP session is a reason, not a throw', () => {
    expect(decodePhpSession(Buffer.from('{"json":true}'))).toMatch(/not a PHP session encoding/);
    expect(decodePhpSession(Buffer.from('name|x:1;'))).toMatch(/unknown type/);
    expect(decodePhpSession(Buffer.from('a:1:{s:1:"k";i:1;}trailing'))).toMatch(/not a PHP session encoding/);
    expect(decodePhpSession(Buffer.from([0, 0, 0, 2, 0x14, 1, 0x11, 1, 0x6b]))).toMatch(/wanted/);
  });

  test("the --user prefilter: a string user's bytes; none for a user that could be a number", () => {
    expect(phpUserNeedle('alice')).toEqual([Buffer.from('alice')]);
    for (const user of ['42', '-1', '1.5', 'INF', 'NAN', 'x\ufffd', undefined]) expect(phpUserNeedle(user)).toEqual([]);
  });
});

describe('integers and lengths, read from the bytes', () => {
  const read = (text: string): unknown => {
    const d = decodePhpSerialized(Buffer.from(text, 'latin1'), new Tracker(PHP_LIMITS));
    return d.ok ? d.value : `unreadable: ${d.reason}`;
  };
  test.each([
    ['i:0;', 0],
    ['i:+5;', 5],
    ['i:007;', 7],
    ['i:-42;', -42],
    ['i:123456789012345;', 123456789012345],
    ['i:-1234567890123456;', -1234567890123456],
    ['i:9007199254740991;', 9007199254740991],
    ['i:9007199254740993;', '9007199254740993'],
    ['i:+9007199254740993;', '9007199254740993'],
    ['i:-9223372036854775808;', '-9223372036854775808'],
    ['s:3:"abc";', 'abc'],
    ['s:0:"";', ''],
    ['s:003:"abc";', 'abc'],
    ['s:2:"\xc3\xa9";', '\u00e9'],
    ['a:2:{i:0;i:1;i:1;i:2;}', [1, 2]],
    ['a:1:{i:+1;s:1:"x";}', { '1': 'x' }],
  ])('%s', (text, value) => {
    expect(read(text)).toEqual(value);
  });
  test('-0 is read as PHP reads it, and written out as 0', () => {
    expect(Object.is(read('i:-0;'), -0)).toBe(true);
    expect(JSON.stringify(read('a:1:{i:-0;i:-0;}'))).toBe('[0]');
  });
  test.each([
    'i:;',
    'i:-;',
    'i:+;',
    'i:1x;',
    'i:1',
    'i:--1;',
    'i: 1;',
    `i:${'1'.repeat(65)};`,
    's:4:"abc";',
    's::"";',
    's:-1:"";',
    `s:${'9'.repeat(14)}:"x";`,
  ])('%s is unreadable', (text) => {
    expect(read(text)).toMatch(/^unreadable: /);
  });
});
