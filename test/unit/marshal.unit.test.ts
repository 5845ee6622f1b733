/**
 * The bounded Ruby Marshal reader (decode/marshal.ts), its plain-data view (marshal-plain.ts)
 * and writer (marshal-write.ts), on bytes Ruby itself wrote (test/fixtures/rails/vectors.json,
 * made by vectors.rb; rails-fixture.int.test.ts checks that Ruby still writes them so).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { decodeMarshal, type MarshalValue } from '../../src/core/sessions/decode/marshal.js';
import { marshalToPlain } from '../../src/core/sessions/decode/marshal-plain.js';
import { floatText, marshalFloat, marshalLong } from '../../src/core/sessions/decode/marshal-write.js';

const vectors = JSON.parse(readFileSync('test/fixtures/rails/vectors.json', 'utf8')) as Record<string, string>;
const bytes = (name: string) => Buffer.from(vectors[name] as string, 'hex');

function read(name: string): MarshalValue {
  const r = decodeMarshal(bytes(name));
  if (!r.ok) throw new Error(`${name}: ${r.reason}`);
  expect(r.trailing).toBe(0);
  return r.value;
}
const plain = (name: string, depth?: number) => marshalToPlain(read(name), depth);

describe('Marshal reader: what Ruby wrote', () => {
  test('nil, booleans, fixnums of every width, bignums, floats', () => {
    expect(plain('fixnums')).toEqual([0, 1, -1, 122, 123, -123, -124, 255, 256, -256, 65535, 2 ** 30 - 1, -(2 ** 30)]);
    expect(plain('bignums')).toEqual([2 ** 31, '18446744073709551616', '-1180591620717411303424']);
    expect(read('bignums')).toEqual({ kind: 'array', items: [2 ** 31, 2n ** 64n, -(2n ** 70n)] });
    const floats = read('floats') as { items: number[] };
    expect(floats.items.slice(0, 4)).toEqual([1.5, 3600, -0, 0]);
    expect(Object.is(floats.items[2], -0)).toBe(true);
    expect(floats.items.slice(4, 7)).toEqual([Infinity, -Infinity, NaN]);
    expect(floats.items[7]).toBe(1796173531.7379396);
    expect(plain('floats')).toEqual([1.5, 3600, -0, 0, 'Infinity', '-Infinity', 'NaN', 1796173531.7379396, 1e-5, 1e100, 0.001, 123456.789]);
  });

  test('strings by encoding: UTF-8 and ASCII text, binary and Shift_JIS as bytes', () => {
    expect(plain('strings')).toEqual([
      'héllo',
      { '@bytes': Buffer.from([0xff, 0]).toString('base64'), '@encoding': 'ASCII-8BIT' },
      { '@bytes': Buffer.from('93fa967b', 'hex').toString('base64'), '@encoding': 'Shift_JIS' },
      'ascii',
      '',
    ]);
  });

  test('symbols and symbol links, Symbol keys', () => {
    expect(plain('symbols')).toEqual([{ '@symbol': 'a' }, { '@symbol': 'b' }, { '@symbol': 'a' }, { '@symbol': 'é' }]);
    expect(plain('sessionSymbolKeys')).toEqual({ ':user_id': 42, ':role': { '@symbol': 'admin' } });
  });

  test('objects, structs, user-defined (_dump, marshal_dump), regexps, classes, extended objects, subclasses, hash defaults', () => {
    expect(plain('object')).toEqual({ '@object': 'Account', '@ivars': { '@id': 7, '@name': 'alice' } });
    expect(plain('struct')).toEqual({ '@struct': 'Point', '@members': { x: 1, y: 'two' } });
    expect(plain('time')).toEqual({ '@userdef': 'Time', '@time': '1970-01-01T00:00:00.000Z' });
    expect(plain('date')).toEqual({ '@usermarshal': 'Date', '@data': [0, 2458851, 0, 0, 0, 2299161] });
    expect(plain('custom')).toEqual({ '@usermarshal': 'Custom', '@data': ['payload', { '@symbol': 'tag' }] });
    expect(plain('regexp')).toEqual({ '@regexp': 'ab+c', '@options': 1 });
    expect(plain('classes')).toEqual([{ '@class': 'String' }, { '@module': 'Kernel' }]);
    expect(plain('extended')).toEqual({ '@extended': 'Tagged', '@value': 'ext' });
    expect(plain('uclass')).toEqual({ '@class': 'MyList', '@value': [1, 2] });
    expect(plain('hashDefault')).toEqual({ a: 1, '@default': 5 });
    expect(plain('hwia')).toMatchObject({ '@class': 'ActiveSupport::HashWithIndifferentAccess', '@value': { visits: 3 } });
  });

  test('links: a shared string is the same value; an object linking to itself is a cycle, not a recursion', () => {
    expect(plain('sharedString')).toEqual(['shared', 'shared']);
    expect(plain('cycle')).toEqual([{ '@cycle': 'Array' }]);
    expect(plain('hashCycle')).toEqual({ self: { '@cycle': 'Hash' } });
  });

  test('a graph that doubles at every level (2^40 leaves in 250 bytes) is printed within the budget', () => {
    expect(bytes('dag').length).toBeLessThan(300);
    const out = JSON.stringify(marshalToPlain(read('dag'), 64, { maxNodes: 5000 }));
    expect(out).toContain('"@elided":"size"');
    expect(out.length).toBeLessThan(200_000);
  });

  test('a key __proto__ is only a key', () => {
    const p = plain('protoKey') as Record<string, unknown>;
    expect(Object.getPrototypeOf(p)).toBeNull();
    expect(Object.keys(p)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test("the Rails cache Entry: class name, instance variables and where each one's value sits", () => {
    const entry = read('entry');
    if (entry === null || typeof entry !== 'object' || entry.kind !== 'object') throw new Error('not an object');
    expect(entry.className).toBe('ActiveSupport::Cache::Entry');
    expect(entry.ivars.map(([n]) => n)).toEqual(['@value', '@version', '@created_at', '@expires_in']);
    const raw = bytes('entry');
    const [start, end] = entry.spans[3] as [number, number];
    expect(raw.subarray(start, end)).toEqual(marshalFloat(3600));
  });
});

describe('Marshal writer: what Ruby writes', () => {
  test("floats as Ruby's w_float writes them", () => {
    const floats = [1.5, 3600.0, 5400.0, 600.0, 1796173531.7379396, 1796173531.737, 0.001, 1e-5, 1.0e100, 123456.789, 1e22, 2.5e-4];
    floats.forEach((f, i) => expect(Buffer.concat([Buffer.from([4, 8]), marshalFloat(f)])).toEqual(bytes(`float${i}`)));
    expect(floatText(3600)).toBe('3.6e3');
    expect([NaN, Infinity, -Infinity, 0, -0].map(floatText)).toEqual(['nan', 'inf', '-inf', '0', '-0']);
  });

  test('longs round-trip through the reader', () => {
    for (const n of [0, 1, -1, 122, 123, -123, -124, 255, 256, -256, 65535, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31)]) {
      const r = decodeMarshal(Buffer.concat([Buffer.from([4, 8, 0x69]), marshalLong(n)]));
      expect(r).toEqual({ ok: true, value: n, trailing: 0 });
    }
  });
});

describe('Marshal reader: refusals', () => {
  test('what is not Marshal 4.8, truncated input, unknown types and dangling links are unreadable with a reason', () => {
    expect(decodeMarshal(Buffer.from('{"a":1}'))).toEqual({ ok: false, reason: 'not Ruby Marshal' });
    expect(decodeMarshal(Buffer.from([4, 9, 0x30]))).toMatchObject({ ok: false, reason: expect.stringMatching(/4\.9/) });
    const session = bytes('session');
    for (let cut = 2; cut < session.length; cut += 1) expect(decodeMarshal(session.subarray(0, cut)).ok).toBe(false);
    expect(decodeMarshal(Buffer.from([4, 8, 0x21]))).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown type 0x21/) });
    expect(decodeMarshal(Buffer.from([4, 8, 0x5b, 0x06, 0x40, 0x0a]))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/unknown object/),
    });
    expect(decodeMarshal(Buffer.from([4, 8, 0x3b, 0x00]))).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown symbol/) });
  });

  test('a declared length beyond the bytes left is refused before anything is allocated', () => {
    // An array, a hash and a string each claiming 2^31-1 members or bytes.
    for (const type of [0x5b, 0x7b, 0x22, 0x6c]) {
      const input = Buffer.from([4, 8, type, ...(type === 0x6c ? [0x2b] : []), 0x04, 0xff, 0xff, 0xff, 0x7f, 0x30]);
      expect(decodeMarshal(input)).toMatchObject({ ok: false, reason: expect.stringMatching(/more than the bytes left/) });
    }
  });

  test('nesting, entries and size are bounded', () => {
    const deep = Buffer.concat([Buffer.from([4, 8]), Buffer.alloc(100_000, Buffer.from([0x5b, 0x06])), Buffer.from([0x30])]);
    expect(decodeMarshal(deep)).toMatchObject({ ok: false, reason: 'nesting deeper than 64' });
    const ivars = Buffer.concat([Buffer.from([4, 8]), Buffer.alloc(50_000, Buffer.from([0x49])), Buffer.from([0x30])]);
    expect(decodeMarshal(ivars)).toMatchObject({ ok: false, reason: 'nesting deeper than 64' });
    const many = Buffer.concat([Buffer.from([4, 8, 0x5b, 0x03, 0xa0, 0x86, 0x01]), Buffer.alloc(100_001 * 2, Buffer.from([0x22, 0x00]))]);
    expect(decodeMarshal(many)).toMatchObject({ ok: false, reason: 'more than 100000 objects' });
    expect(decodeMarshal(Buffer.alloc(9 << 20, 4))).toMatchObject({ ok: false, reason: expect.stringMatching(/larger than/) });
  });
});
