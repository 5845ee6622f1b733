/**
 * The Java serialization reader (src/core/sessions/decode/jdk.ts) against bytes JDK 17 wrote
 * (test/fixtures/jdk/vectors.json, made by MakeVectors.java beside it, with stand-ins of Spring
 * Security 6's classes), its encoders against the same bytes, and hostile input: whatever a
 * session's holder stores, decodeJdk returns (never throws) soon, and jdkToPlain stays small.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { decodeJdk, jdkInteger, jdkLong, jdkString, jdkToPlain } from '../../src/core/sessions/decode/jdk.js';
import type { JdkObject, JdkValue, Plain } from '../../src/core/sessions/decode/jdk.js';

const VECTORS = JSON.parse(readFileSync(new URL('../fixtures/jdk/vectors.json', import.meta.url), 'utf8')) as Record<
  string,
  string | number
>;
const STREAMS = Object.keys(VECTORS).filter((name) => String(VECTORS[name]).startsWith('aced0005'));

const bytesOf = (name: string) => Buffer.from(VECTORS[name] as string, 'hex');

function decoded(bytes: Uint8Array): JdkValue {
  const result = decodeJdk(bytes);
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

const vector = (name: string) => decoded(bytesOf(name));
const plain = (name: string) => jdkToPlain(vector(name));

function asObject(v: JdkValue | undefined): JdkObject {
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array || v.kind !== 'object') throw new Error(`not an object: ${String(v)}`);
  return v;
}

/** The value at a path of field names. */
const field = (v: JdkValue, ...path: string[]): JdkValue => path.reduce<JdkValue>((at, name) => asObject(at).fields[name] as JdkValue, v);

/** The long string of the vectors: over 65535 bytes of modified UTF-8 (2 per é, 6 per emoji). */
const LONG_STRING = '\u00e9'.repeat(30000) + '\u{1f600}'.repeat(2000);

// ---- Building streams by hand, for hostile input ----------------------------------------------
const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const i32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const utf = (s: string) => [...u16(Buffer.byteLength(s)), ...Buffer.from(s)];
const stream = (...parts: number[][]) => Uint8Array.from([0xac, 0xed, 0x00, 0x05, ...parts.flat()]);
const ref = (handle: number) => [0x71, ...i32(0x7e0000 + handle)];
/** TC_CLASSDESC of a serializable class: each field [type, name] or [type, name, its TC_STRING type]. */
function classDesc(name: string, fields: Array<[string, string, string?]> = [], parent: number[] = [0x70], flags = 0x02): number[] {
  const list = fields.flatMap(([type, fieldName, cls]) => [type.charCodeAt(0), ...utf(fieldName), ...(cls ? [0x74, ...utf(cls)] : [])]);
  return [0x72, ...utf(name), 0, 0, 0, 0, 0, 0, 0, 1, flags, ...u16(fields.length), ...list, 0x78, ...parent];
}
const OBJECT_ARRAY = classDesc('[Ljava.lang.Object;');

/** Decodes within a time bound, never throwing. */
function quick(bytes: Uint8Array, ms = 250) {
  const start = performance.now();
  const result = decodeJdk(bytes);
  expect(performance.now() - start).toBeLessThan(ms);
  return result;
}

/** Throws unless every value reachable is one of JdkValue's kinds (no undefined, no holes) and field records have no prototype. */
function wellFormed(root: JdkValue): void {
  const seen = new Set<object>();
  const todo: unknown[] = [root];
  while (todo.length > 0) {
    const v = todo.pop();
    if (v === null || ['boolean', 'number', 'bigint', 'string'].includes(typeof v) || v instanceof Uint8Array) continue;
    if (typeof v !== 'object' || seen.has(v)) {
      if (typeof v === 'object') continue;
      throw new Error(`not a value: ${String(v)}`);
    }
    seen.add(v);
    const value = v as Exclude<JdkValue, null | boolean | number | bigint | string | Uint8Array>;
    if (value.kind === 'object') {
      if (Object.getPrototypeOf(value.fields) !== null) throw new Error('fields with a prototype');
      todo.push(...Object.values(value.fields), ...value.annotations);
    } else if (value.kind === 'array') {
      todo.push(...Array.from(value.items)); // a hole becomes undefined
    } else if (!['enum', 'class', 'cycle'].includes(value.kind) || typeof value.className !== 'string') {
      throw new Error(`not a value: ${JSON.stringify(value)}`);
    }
  }
}

/** Any input: an answer soon; when it is a value, a well-formed one whose plain data is bounded. */
function check(bytes: Uint8Array): void {
  const result = quick(bytes);
  if (!result.ok) return;
  wellFormed(result.value);
  expect(JSON.stringify(jdkToPlain(result.value)).length).toBeLessThan(4 << 20);
}

describe('values JDK 17 wrote', () => {
  test('the boxes Spring Session stores: Long and Integer', () => {
    expect(vector('long')).toBe(1733356800000);
    expect(vector('longMax')).toBe(9223372036854775807n);
    expect(vector('integer')).toBe(1800);
    expect(vector('integerMin')).toBe(-2147483648);
    expect(plain('boxes')).toEqual([7, -2, 2.5, 0.25, true, 'x', 'NaN']);
  });

  test('strings, in modified UTF-8 (NUL in two bytes, an emoji as two surrogates)', () => {
    expect(vector('stringAscii')).toBe('alice');
    expect(vector('stringEmpty')).toBe('');
    expect(VECTORS.stringUnicode).toContain('c080'); // NUL
    expect(VECTORS.stringUnicode).toContain('eda0bdedb880'); // U+1F600 as two three-byte surrogates
    expect(vector('stringUnicode')).toBe('h\u00e9llo \u2713 \u{1f600} nul:\u0000 end');
  });

  test('a string over 65535 encoded bytes is a TC_LONGSTRING', () => {
    const bytes = jdkString(LONG_STRING);
    expect(bytes.subarray(0, 16).toString('hex')).toBe(VECTORS.longStringHead);
    expect(bytes.length).toBe(VECTORS.longStringLength);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(VECTORS.longStringSha256);
    expect(decoded(bytes)).toBe(LONG_STRING);
  });

  test('ArrayList as read: its size field, then what its writeObject wrote', () => {
    expect(vector('arrayList')).toEqual({
      kind: 'object',
      className: 'java.util.ArrayList',
      fields: Object.assign(Object.create(null), { size: 3 }),
      annotations: [Uint8Array.from([0, 0, 0, 3]), 'alice', 'bob', 42],
    });
  });

  test('collections become arrays and maps', () => {
    expect(plain('arrayList')).toEqual(['alice', 'bob', 42]);
    expect(plain('hashMap')).toEqual({ user: 'alice', visits: 3 });
    expect(plain('hashSet')).toEqual(['x', 'y']);
    expect(plain('treeSet')).toEqual(['a', 'b', 'c']);
    expect(plain('collections')).toEqual({
      linkedHashSet: ['z', 'a'],
      treeMap: { a: 1, b: 2 },
      linkedList: [1, 2],
      arrayDeque: ['head', 'tail'],
      unmodifiableList: ['u'],
      unmodifiableMap: { k: 'v' },
      synchronizedList: ['s'],
      synchronizedMap: { sk: 'sv' },
      arraysAsList: ['p', 'q'],
      emptyList: [],
      emptyMap: {},
      singletonList: ['one'],
      singletonMap: { key: 'value' },
      listOf: [1, 2],
      mapOf: { mk: 'mv' },
      setOf: ['only'],
      objectKeys: {
        '@entries': [
          [1, 'one'],
          [null, 'null key'],
        ],
      },
    });
  });

  test('enums, and a second mention of one is the same value', () => {
    expect(vector('enum')).toEqual({ kind: 'enum', className: 'MakeVectors$Color', name: 'GREEN' });
    const [first, second] = asObject(vector('enumTwice')).annotations.slice(1);
    expect(first).toEqual({ kind: 'enum', className: 'MakeVectors$Color', name: 'RED' });
    expect(second).toBe(first);
    expect(plain('enum')).toEqual({ '@class': 'MakeVectors$Color', '@enum': 'GREEN' });
  });

  test('arrays of primitives and of objects', () => {
    expect(vector('intArray')).toEqual({ kind: 'array', className: '[I', items: [1, -2, 2147483647] });
    expect(vector('stringArray')).toEqual({ kind: 'array', className: '[Ljava.lang.String;', items: ['x', null, 'y'] });
  });

  test('every field type code', () => {
    expect(plain('primitives')).toEqual({
      '@class': 'MakeVectors$Prims',
      b: -5,
      c: '\u00e9',
      d: -1.5,
      f: 3.25,
      i: -100000,
      j: '-9007199254740993',
      s: -300,
      z: true,
      bytes: [0, 127, -128],
      chars: ['o', 'k'],
      flags: [true, false],
      grid: [[0.5], []],
      longs: [1, '-9223372036854775808'],
      nothing: null,
    });
    expect(field(vector('primitives'), 'j')).toBe(-9007199254740993n);
  });

  test("a writeObject method's data: block data joined across the JDK's 1024-byte blocks", () => {
    expect(VECTORS.writeMethod).toContain('7a00000400'); // TC_BLOCKDATALONG of 1024
    expect(VECTORS.writeMethod).toContain('7a000003d0'); // ... and of the other 976
    const custom = asObject(vector('writeMethod'));
    expect(custom.fields.name).toBe('custom');
    expect(custom.annotations).toEqual([Uint8Array.from([0, 0, 0, 42]), 'after int', new Uint8Array(2000).fill(7)]);
  });

  test('an Externalizable (protocol 2, block data) keeps what writeExternal wrote', () => {
    expect(asObject(vector('externalizable')).annotations).toEqual([Uint8Array.from([2, 1]), 'inside']);
    // The same stream with SC_BLOCK_DATA cleared is protocol 1: its end cannot be found.
    const old = bytesOf('externalizable');
    old[old.indexOf(0x0c, 8)] = 0x04;
    expect(decodeJdk(old)).toEqual({ ok: false, reason: 'MakeVectors$Ext is externalizable without block data (protocol 1)' });
  });

  test('a field shadowing a superclass field: the subclass has the name, the other is qualified', () => {
    expect(plain('shadowedField')).toEqual({ '@class': 'MakeVectors$Derived', name: 'derived', 'MakeVectors$Base.name': 'base' });
  });

  test('cycles are markers; a shared object is one value', () => {
    expect(field(vector('cycleNodes'), 'next', 'next')).toEqual({ kind: 'cycle', className: 'MakeVectors$Node' });
    expect(plain('cycleList')).toEqual(['before', { '@cycle': 'java.util.ArrayList' }]);
    expect(plain('cycleArray')).toEqual([{ '@cycle': '[Ljava.lang.Object;' }, null]);
    const [s1, s2, n1, n2] = asObject(vector('sharedRefs')).annotations.slice(1);
    expect(s1).toBe('shared');
    expect(s2).toBe('shared');
    expect(n2).toBe(n1);
  });

  test('a dynamic proxy (TC_PROXYCLASSDESC), a Class, and a reset before the value', () => {
    expect(plain('proxy')).toEqual({ '@class': 'proxy(java.lang.Runnable)', h: { '@class': 'MakeVectors$Handler' } });
    expect(vector('classObject')).toEqual({ kind: 'class', className: 'java.lang.String' });
    expect(VECTORS.reset).toMatch(/^aced000579/);
    expect(vector('reset')).toBe('after reset');
  });

  test('a stream whose writer failed (TC_EXCEPTION) is unreadable', () => {
    expect(decodeJdk(bytesOf('exception'))).toEqual({ ok: false, reason: 'the writer failed at byte 80 (TC_EXCEPTION)' });
  });

  test("Spring Security's SecurityContextImpl: the login is authentication.principal.username", () => {
    const context = vector('springContext');
    expect(asObject(context).className).toBe('org.springframework.security.core.context.SecurityContextImpl');
    const token = field(context, 'authentication');
    expect(asObject(token).className).toBe('org.springframework.security.authentication.UsernamePasswordAuthenticationToken');
    expect(field(token, 'principal', 'username')).toBe('alice');
    expect(field(token, 'principal', 'password')).toBeNull();
    expect(field(token, 'authenticated')).toBe(true);
    expect(field(token, 'details', 'remoteAddress')).toBe('203.0.113.7');
    expect(field(token, 'details', 'sessionId')).toBe('8F1C2D3E4A5B6C7D8E9F0A1B2C3D4E5F');
    const roles = (list: Plain) => (list as Array<Record<string, Plain>>).map((a) => a.role);
    const shown = jdkToPlain(token) as Record<string, Plain>;
    expect(roles(shown.authorities as Plain)).toEqual(['ROLE_USER', 'ROLE_ADMIN']);
    // User's are a TreeSet in an unmodifiable view, sorted by User$AuthorityComparator.
    expect(roles((shown.principal as Record<string, Plain>).authorities as Plain)).toEqual(['ROLE_ADMIN', 'ROLE_USER']);
  });

  test('a String principal, and the token of Spring Security 6.5.x own sample', () => {
    expect(field(vector('springStringPrincipal'), 'authentication', 'principal')).toBe('bob');
    const sample = vector('springSampleToken');
    expect(field(sample, 'principal', 'username')).toBe('user');
    expect(field(sample, 'credentials')).toBe('creds');
    expect(field(sample, 'authenticated')).toBe(false);
    expect(jdkToPlain(field(sample, 'authorities'))).toEqual([]);
  });

  test('bytes after the value are counted, not read', () => {
    const result = decodeJdk(Buffer.concat([bytesOf('integer'), Buffer.from([1, 2, 3])]));
    expect(result).toEqual({ ok: true, value: 1800, trailing: 3 });
  });
});

describe('the encoders write what the JDK writes', () => {
  test('jdkLong, jdkInteger, jdkString', () => {
    expect(jdkLong(1733356800000).toString('hex')).toBe(VECTORS.long);
    expect(jdkLong(9223372036854775807n).toString('hex')).toBe(VECTORS.longMax);
    expect(jdkInteger(1800).toString('hex')).toBe(VECTORS.integer);
    expect(jdkInteger(-2147483648).toString('hex')).toBe(VECTORS.integerMin);
    for (const name of ['stringAscii', 'stringEmpty', 'stringUnicode'])
      expect(jdkString(vector(name) as string).toString('hex')).toBe(VECTORS[name]);
  });

  test('they read back', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => expect(BigInt(decoded(jdkLong(n)) as number)).toBe(n)),
    );
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => expect(decoded(jdkLong(n))).toBe(n)));
    fc.assert(fc.property(fc.integer(), (n) => expect(decoded(jdkInteger(n))).toBe(n)));
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => expect(decoded(jdkString(s))).toBe(s)));
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }), (s) =>
        expect(decoded(jdkString(s))).toBe(s),
      ),
    );
  });

  test('values outside the Java type are refused', () => {
    expect(() => jdkLong(2 ** 63)).toThrow(RangeError);
    expect(() => jdkLong(2n ** 63n)).toThrow(RangeError);
    expect(() => jdkLong(1.5)).toThrow(RangeError);
    expect(() => jdkInteger(2 ** 31)).toThrow(RangeError);
    expect(() => jdkInteger(NaN)).toThrow(RangeError);
  });
});

describe('hostile input', () => {
  test('what is not JDK serialization', () => {
    for (const text of ['', 'hello', '{"cookie":{}}', '\u00ac\u00ed'])
      expect(decodeJdk(Buffer.from(text))).toEqual({ ok: false, reason: 'not JDK serialization' });
    expect(decodeJdk(Uint8Array.from([0xac, 0xed, 0, 4, 0x70]))).toEqual({ ok: false, reason: 'unknown stream version 4' });
    expect(decodeJdk(stream([0x7f]))).toEqual({ ok: false, reason: 'unknown type code 0x7f at byte 4' });
    expect(decodeJdk(stream([0x77, 1, 0]))).toEqual({ ok: false, reason: 'unexpected block data at byte 4' });
  });

  test('arbitrary bytes, and arbitrary contents after the header, never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => check(bytes)),
      { numRuns: 2000 },
    );
    // Type codes and small numbers often, so more of the grammar is reached.
    const tokens = fc.array(
      fc.oneof(fc.integer({ min: 0x70, max: 0x7e }), fc.constantFrom(0, 1, 2, 0x4c, 0x5b, 0x49), fc.integer({ min: 0, max: 255 })),
      {
        maxLength: 300,
      },
    );
    fc.assert(
      fc.property(tokens, (body) => check(stream(body))),
      { numRuns: 5000 },
    );
  });

  test('every truncation of every vector is "truncated"', () => {
    for (const name of STREAMS) {
      const bytes = bytesOf(name);
      for (let length = 4; length < bytes.length; length += 1) {
        const result = decodeJdk(bytes.subarray(0, length));
        if (result.ok) throw new Error(`${name} cut to ${length} bytes was read`);
        // The failed write's vector holds TC_EXCEPTION, which ends the reading first.
        if (!(name === 'exception' && result.reason.includes('TC_EXCEPTION'))) expect(result.reason).toMatch(/^truncated at byte \d+$/);
      }
    }
  });

  test('flipped bytes in every vector: an answer, soon, and bounded plain data', () => {
    for (const name of STREAMS) {
      const bytes = bytesOf(name);
      for (let at = 4; at < bytes.length; at += 1) {
        const flipped = Buffer.from(bytes);
        flipped[at] = (flipped[at] as number) ^ 0xff;
        check(flipped);
      }
    }
    const edit = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), count: fc.integer({ min: 1, max: 4 }) });
    fc.assert(
      fc.property(fc.constantFrom(...STREAMS), fc.array(edit, { minLength: 1, maxLength: 3 }), (name, edits) => {
        const bytes = bytesOf(name);
        for (const { at, byte, count } of edits)
          bytes.fill(byte, 4 + (at % (bytes.length - 4)), Math.min(bytes.length, 4 + (at % (bytes.length - 4)) + count));
        check(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  test('huge declared lengths fail before anything is allocated', () => {
    const long = stream([0x7c, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x61]);
    expect(quick(long)).toEqual({ ok: false, reason: 'string length 4611686018427387904 out of range (limit 1048576)' });
    expect(quick(stream([0x7c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).ok).toBe(false);
    const intArray = (size: number) => stream([0x75, ...classDesc('[I'), ...i32(size), 0, 0, 0, 1]);
    expect(quick(intArray(0x7fffffff))).toEqual({ ok: false, reason: 'array length 2147483647 out of range (limit 100000)' });
    expect(quick(intArray(-1)).ok).toBe(false);
    expect(quick(intArray(99_999))).toEqual({ ok: false, reason: 'truncated at byte 27' });
    const withWriteMethod = classDesc('W', [], [0x70], 0x03);
    expect(quick(stream([0x73, ...withWriteMethod, 0x7a, ...i32(0x7fffffff)]))).toEqual({ ok: false, reason: 'truncated at byte 27' });
    expect(quick(stream([0x73, 0x7d, ...i32(0x7fffffff)]))).toEqual({ ok: false, reason: 'truncated at byte 10' });
    expect(quick(stream([0x73, 0x72, ...utf('F'), 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0xff, 0xff]))).toEqual({
      ok: false,
      reason: 'truncated at byte 20',
    });
    expect(quick(stream([0x74, 0xff, 0xff, 0x61]))).toEqual({ ok: false, reason: 'truncated at byte 7' });
  });

  test('the limits hold, and each can be lowered', () => {
    const strings = (n: number) => stream([0x75, ...OBJECT_ARRAY, ...i32(n), ...Array.from({ length: n }, () => [0x74, 0, 0]).flat()]);
    expect(quick(strings(9_998)).ok).toBe(true);
    expect(quick(strings(9_999))).toEqual({ ok: false, reason: 'more than 10000 objects' });
    expect(decodeJdk(strings(10), { maxHandles: 5 })).toEqual({ ok: false, reason: 'more than 5 objects' });
    expect(decodeJdk(strings(10), { maxArrayLength: 9 })).toEqual({ ok: false, reason: 'array length 10 out of range (limit 9)' });
    expect(decodeJdk(jdkString('abcdef'), { maxStringBytes: 5 })).toEqual({ ok: false, reason: 'string length 6 out of range (limit 5)' });
    expect(decodeJdk(jdkString('abcdef'), { maxBytes: 12 })).toEqual({ ok: false, reason: 'larger than 12 bytes' });
    expect(decodeJdk(Buffer.concat([jdkString('x'), Buffer.alloc(8 << 20)]))).toEqual({ ok: false, reason: 'larger than 8388608 bytes' });
    expect(decodeJdk(jdkString('abcdef'), { maxStringBytes: undefined }).ok).toBe(true);
  });

  test('10,000 nested arrays or objects: refused at depth 32, and no stack overflow past it', () => {
    const arrays = stream([0x75, ...OBJECT_ARRAY, ...i32(1)], ...Array.from({ length: 9_999 }, () => [0x75, ...ref(0), ...i32(1)]), [0x70]);
    expect(quick(arrays)).toEqual({ ok: false, reason: 'nesting deeper than 32' });
    const nodeDesc = classDesc('Node', [['L', 'next', 'Ljava/lang/Object;']]);
    const objects = stream([0x73, ...nodeDesc], ...Array.from({ length: 9_999 }, () => [0x73, ...ref(0)]), [0x70]);
    expect(quick(objects)).toEqual({ ok: false, reason: 'nesting deeper than 32' });
    expect(typeof decodeJdk(arrays, { maxDepth: 1e9 }).ok).toBe('boolean');
    const shallow = stream(
      ...Array.from({ length: 32 }, (_, i) => (i === 0 ? [0x75, ...OBJECT_ARRAY, ...i32(1)] : [0x75, ...ref(0), ...i32(1)])),
      [0x70],
    );
    expect(quick(shallow).ok).toBe(true);
  });

  test('self-referencing handles', () => {
    // A class that is its own superclass; a reference to a handle not yet given; to itself as a class.
    const selfParent = stream([0x73, 0x72, ...utf('A'), 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0x78, ...ref(0)]);
    expect(quick(selfParent)).toEqual({ ok: false, reason: 'reference at byte 21 is not a class descriptor' });
    expect(quick(stream(ref(0)))).toEqual({ ok: false, reason: 'reference to unknown handle at byte 4' });
    expect(quick(stream([0x73, ...ref(0)]))).toEqual({ ok: false, reason: 'reference to unknown handle at byte 5' });
    // An object whose only field is itself, and an array holding itself: markers.
    const selfObject = stream([0x73, ...classDesc('Self', [['L', 'me', 'LSelf;']]), ...ref(2)]);
    expect(jdkToPlain(decoded(selfObject))).toEqual({ '@class': 'Self', me: { '@cycle': 'Self' } });
    // A superclass chain longer than the depth limit, each class naming the one before.
    const chain = [
      0x75,
      ...OBJECT_ARRAY,
      ...i32(40),
      ...Array.from({ length: 40 }, (_, i) => [0x76, ...classDesc(`C${i}`, [], i === 0 ? [0x70] : ref(2 * i))]).flat(),
    ];
    expect(quick(stream(chain))).toEqual({ ok: false, reason: 'class hierarchy deeper than 32' });
  });

  test('shared references do not multiply in plain data', () => {
    // Thirty arrays, each holding the one before twice: 2^30 leaves if expanded.
    const doubling = stream(
      [0x75, ...OBJECT_ARRAY, ...i32(30), 0x75, ...ref(0), ...i32(2), 0x74, ...utf('leaf'), 0x74, ...utf('leaf')],
      ...Array.from({ length: 29 }, (_, i) => [0x75, ...ref(0), ...i32(2), ...ref(i === 0 ? 2 : 4 + i), ...ref(i === 0 ? 2 : 4 + i)]),
    );
    const graph = decoded(doubling);
    const start = performance.now();
    const text = JSON.stringify(jdkToPlain(graph, 64));
    expect(performance.now() - start).toBeLessThan(1000);
    expect(text.length).toBeLessThan(1 << 20);
    expect(text).toContain('"@elided":"size"');
    // A string of half a megabyte named 10,000 times: the character budget writes it once.
    const half = 1 << 19;
    const big = stream(
      [0x75, ...OBJECT_ARRAY, ...i32(10_000), 0x7c, 0, 0, 0, 0, ...i32(half), ...Buffer.alloc(half, 0x61)],
      ...Array.from({ length: 9_999 }, () => ref(2)),
    );
    const many = JSON.stringify(jdkToPlain(decoded(big)));
    expect(many.length).toBeGreaterThan(half);
    expect(many.length).toBeLessThan(2 * half);
  });

  test('the budgets of plain data: values, characters, depth', () => {
    const elided = { '@elided': 'size' };
    const refs = decoded(stream([0x75, ...OBJECT_ARRAY, ...i32(10), 0x74, ...utf('abc')], ...Array.from({ length: 9 }, () => ref(2))));
    // Four values (the array and three strings), then the rest is cut.
    expect(jdkToPlain(refs, 32, { maxNodes: 4 })).toEqual(['abc', 'abc', 'abc', elided]);
    // The class name (19 characters) and two strings fit in 26; no further string does, each is cut.
    expect(jdkToPlain(refs, 32, { maxChars: 26 })).toEqual(['abc', 'abc', ...Array(8).fill(elided)]);
    expect(jdkToPlain(refs, 0)).toEqual({ '@elided': 'depth' });
    expect(jdkToPlain(vector('springContext'), 2)).toEqual({
      '@class': 'org.springframework.security.core.context.SecurityContextImpl',
      authentication: {
        '@class': 'org.springframework.security.authentication.UsernamePasswordAuthenticationToken',
        authenticated: true,
        authorities: { '@elided': 'depth' },
        details: { '@elided': 'depth' },
        credentials: null,
        principal: { '@elided': 'depth' },
      },
    });
  });

  test('a field or map key named __proto__ is only a name', () => {
    const evil = stream([0x73, ...classDesc('Evil', [['L', '__proto__', 'Ljava/lang/String;']]), 0x74, ...utf('polluted')]);
    const value = asObject(decoded(evil));
    expect(Object.getPrototypeOf(value.fields)).toBeNull();
    expect(Object.keys(value.fields)).toEqual(['__proto__']);
    expect(value.fields['__proto__']).toBe('polluted');
    const shown = jdkToPlain(value) as Record<string, Plain>;
    expect(Object.keys(shown)).toEqual(['@class', '__proto__']);
    expect(JSON.stringify(shown)).toBe('{"@class":"Evil","__proto__":"polluted"}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A HashMap with that key, and fields posing as the markers of plain data.
    const map = stream([
      0x73,
      ...classDesc('java.util.HashMap', [], [0x70], 0x03),
      0x77,
      0x08,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      1,
      0x74,
      ...utf('__proto__'),
      0x74,
      ...utf('x'),
      0x78,
    ]);
    expect(Object.keys(jdkToPlain(decoded(map)) as object)).toEqual(['__proto__']);
    const posing = stream([
      0x73,
      ...classDesc('P', [
        ['I', '@class'],
        ['I', '@cycle'],
      ]),
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      2,
    ]);
    expect(jdkToPlain(decoded(posing))).toEqual({ '@class': 'P', '@@class': 1, '@@cycle': 2 });
  });
});
