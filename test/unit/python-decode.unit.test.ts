/**
 * The pickle and msgpack readers against what CPython and python3-msgpack write
 * (test/fixtures/python/vectors.json, made by make_vectors.py): every value in every pickle
 * protocol, 0 to 5, comes out as the plain data it stands for. Then the opcodes CPython's
 * pickle.py reads that Python 3's pickler no longer writes (STRING, BINSTRING, INST, OBJ, text
 * GET and PUT ...), written by hand, and the ones its default Unpickler refuses.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { decodeMsgpack } from '../../src/core/sessions/decode/msgpack.js';
import { decodePickle } from '../../src/core/sessions/decode/pickle.js';
import { pyToPlain } from '../../src/core/sessions/decode/py-plain.js';
import type { PyValue } from '../../src/core/sessions/decode/py-value.js';

interface Vector {
  name: string;
  protocol?: number;
  hex: string;
  expected: unknown;
}
const vectors = JSON.parse(readFileSync('test/fixtures/python/vectors.json', 'utf8')) as {
  pickle: Vector[];
  msgpack: Vector[];
  attacks: Record<string, string>;
};

/** Plain data as JSON would carry it (objects without a prototype compare as plain objects). */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function pickled(bytes: Buffer | string): PyValue {
  const r = decodePickle(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}
const plainOf = (bytes: Buffer | string) => asJson(pyToPlain(pickled(bytes)));
const refused = (bytes: Buffer | string): string => {
  const r = decodePickle(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  if (r.ok) throw new Error('decoded');
  return r.reason;
};

describe('pickles CPython wrote', () => {
  test.each(vectors.pickle.map((v) => [`${v.name}, protocol ${v.protocol}`, v] as const))('%s', (_name, v) => {
    const r = decodePickle(Buffer.from(v.hex, 'hex'));
    if (!r.ok) throw new Error(r.reason);
    // Lone surrogates survive JSON.stringify as escapes, so compare the data itself.
    expect(asJson(pyToPlain(r.value))).toEqual(v.expected);
    expect(r.trailing).toBe(0);
  });

  test('a key __proto__ is an own key: no prototype is replaced, nothing global is touched', () => {
    const v = vectors.pickle.find((x) => x.name === 'proto key' && x.protocol === 4) as Vector;
    const plain = pyToPlain(pickled(Buffer.from(v.hex, 'hex'))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(plain)).toBeNull();
    expect(Object.keys(plain)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(plain['__proto__'])).toBeNull();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('msgpack python3-msgpack wrote', () => {
  test.each(vectors.msgpack.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const r = decodeMsgpack(Buffer.from(v.hex, 'hex'));
    if (!r.ok) throw new Error(r.reason);
    expect(asJson(pyToPlain(r.value))).toEqual(v.expected);
  });

  test('str 32, array 32 and map 32', () => {
    const str = Buffer.concat([Buffer.from([0x81, 0xa1, 0x73, 0xdb, 0x00, 0x01, 0x00, 0x00]), Buffer.alloc(65536, 0x61)]);
    expect(asJson(pyToPlain((decodeMsgpack(str) as { value: PyValue }).value))).toEqual({ s: 'a'.repeat(65536) });
    const arr = Buffer.concat([Buffer.from([0xdd, 0x00, 0x01, 0x00, 0x00]), Buffer.alloc(65536, 0x01)]);
    expect((pyToPlain((decodeMsgpack(arr) as { value: PyValue }).value, { maxNodes: 1e6 }) as unknown[]).length).toBe(65536);
    const map = Buffer.from([0xdf, 0, 0, 0, 1, 0xa1, 0x6b, 0xc3]);
    expect(asJson(pyToPlain((decodeMsgpack(map) as { value: PyValue }).value))).toEqual({ k: true });
  });

  test('what msgspec refuses is unreadable: trailing bytes, invalid UTF-8, the never-used byte', () => {
    expect(decodeMsgpack(Buffer.from([0x80, 0x04]))).toEqual({ ok: false, reason: '1 bytes after the value' });
    expect(decodeMsgpack(Buffer.from([0x81, 0xa1, 0xff, 0xc0]))).toMatchObject({ ok: false, reason: expect.stringMatching(/UTF-8/) });
    expect(decodeMsgpack(Buffer.from([0xc1]))).toMatchObject({ ok: false });
  });
});

describe('opcodes Python 3 no longer writes, and what the default Unpickler refuses', () => {
  test('STRING (escapes), BINSTRING, SHORT_BINSTRING, UNICODE (raw-unicode-escape)', () => {
    expect(plainOf("S'a\\'b\\n\\x41\\101\\\\'\n.")).toBe("a'b\nAA\\");
    expect(plainOf('S"q"\n.')).toBe('q');
    expect(plainOf('T\x03\x00\x00\x00abc.')).toBe('abc');
    expect(plainOf('U\x02hi.')).toBe('hi');
    expect(plainOf('Vcaf\xe9 \\u2603 \\U0001f600 \\\\u0041\n.')).toBe('café \u2603 \u{1f600} \\\\u0041');
    expect(refused("S'unquoted\n.")).toMatch(/not a quoted ASCII string/);
    expect(refused("S'\\x4'\n.")).toMatch(/not a quoted ASCII string/);
    expect(refused('U\x01\xe9.')).toMatch(/not ASCII/);
    expect(refused('V\\u12\n.')).toMatch(/\\u escape/);
  });

  test('INT (with protocol 0 bools), LONG, FLOAT in text; LONG1 and LONG4 two’s complement', () => {
    expect(plainOf('(I01\nI00\nI-7\nI0x1f\nL123L\nL-99999999999999999999L\nF1.5e3\nFinf\nt.')).toEqual([
      true,
      false,
      -7,
      31,
      123,
      '-99999999999999999999',
      1500,
      'Infinity',
    ]);
    expect(plainOf('\x8a\x01\xff.')).toBe(-1);
    expect(plainOf('\x8a\x02\xff\x00.')).toBe(255);
    expect(plainOf('\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.')).toBe('18446744073709551616');
    expect(plainOf('\x8b\x02\x00\x00\x00\x00\x80.')).toBe(-32768);
    expect(refused('I007\n.')).toMatch(/bad INT/);
    expect(refused('\x8b\xff\xff\xff\xff.')).toMatch(/negative/);
  });

  test('text GET and PUT, POP, POP_MARK, DUP; bytes after STOP are not read', () => {
    // A list that holds itself: plain data stops at the depth bound.
    expect(asJson(pyToPlain(pickled('(lp0\nI1\nag0\na.'), { maxDepth: 2 }))).toEqual([1, [1, { $elided: 'depth' }]]);
    expect(plainOf('(I1\nI2\n0t.')).toEqual([1]);
    expect(plainOf('I5\n(I1\n1.')).toBe(5);
    expect(refused('I5\n2t.')).toMatch(/no MARK/);
    // Memo indexes out of order, and MEMOIZE counting them as Python's len(memo) does.
    expect(plainOf('I1\nq\x05I2\n\x94(h\x05h\x01t.')).toEqual([1, 2]);
    expect(plainOf('I1\nq\x01I2\nq\x00I3\n\x94(h\x00h\x01h\x02t.')).toEqual([2, 1, 3]);
    expect(plainOf(']\x94h\x00\x86.')).toEqual([[], []]);
    const r = decodePickle(Buffer.from('N.garbage', 'latin1'));
    expect(r).toMatchObject({ ok: true, value: null, trailing: 7 });
  });

  test('GLOBAL, INST, OBJ, NEWOBJ, NEWOBJ_EX, REDUCE and BUILD are data carrying the class name', () => {
    expect(plainOf('cos\nsystem\n(Vrm -rf /\ntR.')).toEqual({ $class: 'os.system', args: ['rm -rf /'] });
    expect(plainOf('(Vx\nios\nsystem\n.')).toEqual({ $class: 'os.system', args: ['x'] });
    expect(plainOf('(cos\nsystem\nVy\no.')).toEqual({ $class: 'os.system', args: ['y'] });
    expect(plainOf('\x8c\x03app\x8c\x04User\x93)\x81}(\x8c\x04name\x8c\x03bob\x75b.')).toEqual({
      $class: 'app.User',
      args: [],
      state: { name: 'bob' },
    });
    expect(plainOf('\x8c\x03app\x8c\x01K\x93)}\x92.')).toEqual({ $class: 'app.K', args: [], kwargs: {} });
    expect(plainOf('cbuiltins\nlen\n.')).toEqual({ $global: 'builtins.len' });
  });

  test('refused as CPython refuses: persistent ids, extension codes, out-of-band buffers, protocol 6, unhashable keys, a frame past the end', () => {
    expect(refused('Pid\n.')).toMatch(/persistent id/);
    expect(refused('N\x51.')).toMatch(/persistent id/);
    expect(refused('\x82\x01.')).toMatch(/extension code 1/);
    expect(refused('\x80\x05\x97.')).toMatch(/out-of-band/);
    expect(refused('\x80\x06N.')).toMatch(/protocol 6/);
    expect(refused('}]N\x73.')).toMatch(/unhashable/);
    expect(refused('\x95\xff\x00\x00\x00\x00\x00\x00\x00N.')).toMatch(/truncated/);
    expect(refused('h\x05.')).toMatch(/memo/);
    expect(refused('a.')).toMatch(/stack underflow/);
    expect(refused('(a.')).toMatch(/stack underflow/);
    expect(refused('N')).toMatch(/no STOP/);
    expect(refused('\xff.')).toMatch(/unknown opcode 0xff/);
  });

  test('the named attack: a pickle that calls os.system is data; nothing is imported or called', () => {
    for (const [name, hex] of Object.entries(vectors.attacks)) {
      const plain = plainOf(Buffer.from(hex, 'hex')) as Record<string, unknown>;
      expect([name, plain]).toEqual([name, { _auth_user_id: '1', x: { $class: 'posix.system', args: ['touch PWNED'] } }]);
    }
  });
});
