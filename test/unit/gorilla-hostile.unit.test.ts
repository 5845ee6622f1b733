/**
 * Hostile values for the gob reader and the gorilla layout, and hostile gorilla cookies: random
 * and mutated bytes (fast-check), truncations, huge declared counts and lengths, recursive type
 * definitions, deep nesting, names that would multiply the output, `__proto__`. Nothing throws
 * but a typed result (unreadable, or a UsageError/NegativeAnswer for a cookie), nothing hangs,
 * and a declared size beyond the input is refused before anything is allocated.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { NegativeAnswer, UsageError } from '../../src/core/errors.js';
import { decodeGob, GOB_LIMITS } from '../../src/core/sessions/decode/gob.js';
import type { LineInfo } from '../../src/core/sessions/layout.js';
import { gorilla } from '../../src/core/sessions/layouts/gorilla/index.js';

const vectors = JSON.parse(readFileSync('test/fixtures/gorilla/vectors.json', 'utf8')) as Record<string, string>;
const SAMPLES = ['session', 'numbers', 'nested'].map((name) => Buffer.from(vectors[name] as string, 'hex'));
const NOW = Date.parse('2026-12-05T10:00:00Z');
const ID = 'LSWF73HCXHF2JZ35XK46FFI4LR7Q6KZUJYMNC2EWHFLI6HTJI5MQ';

/** Everything a listing, show, ttl, revoke and `session layouts` ask of the layout about one value: none may throw. */
function exercise(raw: Buffer): void {
  const gob = decodeGob(raw);
  expect(typeof gob.ok).toBe('boolean');
  if (!gob.ok) expect(gob.reason).toMatch(/^gob: /);
  const info: LineInfo = { readable: true };
  const record = gorilla.record(ID, raw, 5000, ['username'], NOW, info);
  expect(record.readable).toBe(info.readable);
  const line = gorilla.jsonLine(ID, raw, 5000, ['username', 'user.Name'], NOW, undefined, info);
  expect(typeof JSON.parse(line as string)).toBe('object');
  const content = gorilla.content(raw);
  if (content !== undefined) JSON.stringify(content);
  gorilla.withLifetime(raw, 60_000, NOW, { prefix: 'session_', id: ID, pttlMs: 5000 });
  gorilla.lifetimeUndone(raw, 5000, 60_000);
  gorilla.detect(Buffer.from(`session_${ID}`), raw);
}

// gob's encodings, to build streams by hand (doc.go "Encoding Details").
function uint(n: number | bigint): number[] {
  let x = BigInt(n);
  if (x < 128n) return [Number(x)];
  const bytes: number[] = [];
  while (x > 0n) {
    bytes.unshift(Number(x & 255n));
    x >>= 8n;
  }
  return [256 - bytes.length, ...bytes];
}
const int = (n: number) => uint(n < 0 ? (BigInt(-n - 1) << 1n) | 1n : BigInt(n) << 1n);
const str = (s: string) => [...uint(Buffer.byteLength(s)), ...Buffer.from(s)];
const message = (body: number[]) => [...uint(body.length), ...body];
/** A wireType defining `id`: kind field 0 array, 1 slice, 2 struct, 3 map; `rest` the type's own fields after its CommonType. */
const define = (id: number, kind: number, rest: number[]) => message([...int(-id), kind + 1, 1, 2, ...int(id), 0, ...rest, 0, 0]);
const sliceOf = (id: number, elem: number) => define(id, 1, [1, ...int(elem)]);
const mapOf = (id: number, key: number, elem: number) => define(id, 3, [1, ...int(key), 1, ...int(elem)]);
/** A struct type whose fields are [name, type id] pairs. */
const structOf = (id: number, fields: Array<[string, number]>) =>
  define(id, 2, [1, ...uint(fields.length), ...fields.flatMap(([name, t]) => [1, ...str(name), 1, ...int(t), 0])]);
const value = (id: number, body: number[]) => message([...int(id), ...body]);
const SESSION_MAP = mapOf(65, 8, 8);

function timed<T>(f: () => T): T {
  const start = process.hrtime.bigint();
  const out = f();
  expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(500);
  return out;
}

describe('the gob reader and the gorilla layout on hostile values', () => {
  test('the hand-built streams are right: a session map read back', () => {
    const raw = Buffer.from([
      ...SESSION_MAP,
      ...value(65, [0, 1, ...str('string'), ...int(6), 6, 0, ...str('username'), ...str('string'), ...int(6), 5, 0, ...str('mal')]),
    ]);
    expect(decodeGob(raw)).toMatchObject({ ok: true, value: { username: 'mal' }, type: 'map[interface{}]interface{}' });
    expect(gorilla.record(ID, raw, 1000, ['username'], NOW).user).toBe('mal');
  });

  test("time.Time's binary form at the edges of the seconds' two halves", () => {
    // type 65: a GobEncoder named Time (wireType field 4); its value: version 1, int64 seconds since year 1, int32 ns, int16 zone.
    const timeType = message([...int(-65), 5, 1, 1, ...str('Time'), 1, ...int(65), 0, 0, 0]);
    const at = (seconds: bigint) => {
      const b = Buffer.alloc(15);
      b[0] = 1;
      b.writeBigInt64BE(seconds, 1);
      b.writeInt16BE(-1, 13);
      const r = decodeGob(Buffer.from([...timeType, ...value(65, [0, ...uint(15), ...b])]));
      return r.ok ? (r.value as Record<string, unknown>)['@time'] : r.reason;
    };
    expect(at(0n)).toBe('0001-01-01T00:00:00.000Z');
    expect(at(-1n)).toBe('0000-12-31T23:59:59.000Z');
    expect(at(62_135_596_800n + 2n ** 32n)).toBe(new Date(2 ** 32 * 1000).toISOString());
    expect(at(2n ** 62n)).toBeUndefined(); // beyond what a Date holds: its bytes instead
  });

  test('arbitrary bytes, and arbitrary bytes after a valid type definition', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => exercise(Buffer.from(bytes))),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) =>
        exercise(Buffer.from([...SESSION_MAP, ...message([...int(65), 0, ...bytes])])),
      ),
      { numRuns: 500 },
    );
  });

  test("truncations, byte flips, insertions and deletions of Go's own values", () => {
    for (const sample of SAMPLES) {
      expect(gorilla.record(ID, sample, 1000, ['username'], NOW).readable).toBe(true);
      for (let cut = 0; cut < sample.length; cut += 1) {
        const cutShort = sample.subarray(0, cut);
        exercise(cutShort);
        expect(decodeGob(cutShort).ok).toBe(false);
      }
      fc.assert(
        fc.property(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
          const flipped = Buffer.from(sample);
          flipped[at] = byte;
          exercise(flipped);
        }),
        { numRuns: 400 },
      );
      fc.assert(
        fc.property(fc.nat(sample.length), fc.uint8Array({ minLength: 1, maxLength: 9 }), fc.boolean(), (at, bytes, insert) => {
          const mutated = insert
            ? Buffer.concat([sample.subarray(0, at), bytes, sample.subarray(at)])
            : Buffer.concat([sample.subarray(0, at), sample.subarray(at + bytes.length)]);
          exercise(mutated);
        }),
        { numRuns: 400 },
      );
    }
  });

  test('huge declared counts and lengths are refused at once, before any allocation', () => {
    const huge = [2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER, 2n ** 64n - 1n];
    for (const n of huge) {
      // Beyond 2^53 no count is taken at all.
      const big = typeof n === 'bigint' ? /beyond 2\^53/ : undefined;
      const cases: Array<[Buffer, RegExp]> = [
        // A message longer than the input; a map, a string, a []byte, an interface name longer than what is left.
        [Buffer.from([...uint(n), 0xff, 0x82]), big ?? /a message of \d+ bytes/],
        [Buffer.from([...SESSION_MAP, ...value(65, [0, ...uint(n), 1, 2, 3])]), big ?? /a count of \d+/],
        [Buffer.from(value(6, [0, ...uint(n), 0x61])), big ?? /a length of \d+/],
        [Buffer.from(value(5, [0, ...uint(n), 0x61])), big ?? /a length of \d+/],
        [Buffer.from([...SESSION_MAP, ...value(65, [0, 1, ...uint(n), 0x61, 0x62])]), big ?? /an interface type name of \d+ bytes/],
        // A slice type's count; a struct type with that many fields.
        [Buffer.from([...sliceOf(65, 2), ...value(65, [0, ...uint(n), 2])]), big ?? /a count of \d+/],
        [Buffer.from([...define(65, 2, [1, ...uint(n), 1, ...str('A'), 0]), ...value(65, [0])]), big ?? /a count of \d+/],
      ];
      for (const [raw, why] of cases) {
        const r = timed(() => decodeGob(raw));
        expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(why) });
        exercise(raw);
      }
    }
    // An unsigned integer of more than 8 bytes.
    expect(decodeGob(Buffer.from([0xf7, 1, 2, 3, 4, 5, 6, 7, 8, 9]))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/longer than 8 bytes/),
    });
    // An interface type name beyond gob's 1024 bytes.
    const longName = Buffer.from([...SESSION_MAP, ...value(65, [0, 1, ...str('n'.repeat(1025)), ...int(6), 2, 0, 0])]);
    expect(decodeGob(longName)).toMatchObject({ ok: false, reason: expect.stringMatching(/name of 1025 bytes/) });
    // An input beyond the reader's size limit is not read at all.
    expect(decodeGob(Buffer.alloc(GOB_LIMITS.maxBytes + 1))).toEqual({ ok: false, reason: `larger than ${GOB_LIMITS.maxBytes} bytes` });
  });

  test('recursive type definitions: a slice of itself, a struct holding itself, a map keyed by itself, nested past the depth limit', () => {
    const deep = 100_000;
    const attacks = [
      // []T where T is []T: each level a count of 1.
      Buffer.from([...sliceOf(65, 65), ...value(65, [0, ...Array<number>(deep).fill(1)])]),
      // struct T { Next T }: each level a field delta of 1.
      Buffer.from([...structOf(65, [['Next', 65]]), ...value(65, Array<number>(deep).fill(1))]),
      // map[T]int where T is itself such a map.
      Buffer.from([...mapOf(65, 65, 2), ...value(65, [0, ...Array<number>(deep).fill(1)])]),
      // interface{} holding []interface{} holding ... (a registered name at every level).
      Buffer.from([
        ...sliceOf(65, 8),
        ...value(65, [0, ...Array.from({ length: 2000 }, () => [1, ...str('[]interface {}'), ...int(65), 1, 0]).flat()]),
      ]),
    ];
    for (const raw of attacks) {
      const r = timed(() => decodeGob(raw));
      expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/nesting deeper than 32/) });
      exercise(raw);
    }
    // A type naming a type that is never defined, one defined twice, a reserved id, one of two kinds.
    expect(decodeGob(Buffer.from([...sliceOf(65, 99), ...value(65, [0, 1, 0])]))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/type id 99 is not defined/),
    });
    expect(decodeGob(Buffer.from([...sliceOf(65, 2), ...sliceOf(65, 2), ...value(65, [0, 0])]))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/defined again/),
    });
    expect(decodeGob(Buffer.from([...sliceOf(6, 2), ...value(6, [0, 0])]))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/reserved/),
    });
    expect(
      decodeGob(
        Buffer.from([
          ...message([...int(-65), 2, 1, 2, ...int(65), 0, 1, 4, 0, 2, 1, 2, ...int(65), 0, 1, 4, 1, 4, 0, 0]),
          ...value(65, [0, 0]),
        ]),
      ),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/several kinds/),
    });
    // Type definitions without end: bounded by maxTypes.
    const many = Buffer.from(Array.from({ length: GOB_LIMITS.maxTypes + 1 }, (_, i) => sliceOf(65 + i, 2)).flat());
    expect(timed(() => decodeGob(many))).toMatchObject({ ok: false, reason: expect.stringMatching(/more than 1024 type definitions/) });
  });

  test('names that would multiply the output, and values without end, hit their limits', () => {
    // A struct type with a 1000-character field name, sent 10,000 times at 3 bytes each: 10 MB of names.
    const name = 'F'.repeat(1000);
    const raw = Buffer.from([
      ...structOf(66, [[name, 2]]),
      ...sliceOf(65, 66),
      ...value(65, [0, ...uint(10_000), ...Array.from({ length: 10_000 }, () => [1, 2, 0]).flat()]),
    ]);
    expect(timed(() => decodeGob(raw))).toMatchObject({ ok: false, reason: expect.stringMatching(/characters of names/) });
    // 300,000 booleans: more values than the reader builds.
    const bools = Buffer.from([...sliceOf(65, 1), ...value(65, [0, ...uint(300_000), ...Array<number>(300_000).fill(1)])]);
    expect(timed(() => decodeGob(bools))).toMatchObject({ ok: false, reason: expect.stringMatching(/more than 200000 values/) });
  });

  test("__proto__ and @-keys from the data are plain keys: no prototype changes, no posing as the reader's own members", () => {
    const keys = ['__proto__', 'constructor', '@type', '@entries', 'toString'];
    const raw = Buffer.from([
      ...SESSION_MAP,
      ...value(65, [
        0,
        ...uint(keys.length),
        ...keys.flatMap((k) => [...str('string'), ...int(6), 0, 0, ...str(k), ...str('string'), ...int(6), 0, 0, ...str('v')]),
      ]),
    ]);
    // (The delimited-value byte counts are 0 above: gob's decoder ignores them, as this reader does.)
    const r = decodeGob(raw);
    if (!r.ok) throw new Error(r.reason);
    const v = r.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.keys(v).sort()).toEqual(['@@entries', '@@type', '__proto__', 'constructor', 'toString']);
    expect(({} as Record<string, unknown>)['v']).toBeUndefined();
    const record = gorilla.record(ID, raw, 1000, ['__proto__'], NOW);
    expect(record.user).toBe('v');
    // A struct field named __proto__ likewise.
    const struct = Buffer.from([...structOf(65, [['__proto__', 6]]), ...value(65, [1, ...str('x'), 0])]);
    const s = decodeGob(struct);
    expect(s.ok && Object.hasOwn(s.value as object, '__proto__')).toBe(true);
  });
});

describe('hostile gorilla cookies', () => {
  const cookie = gorilla.cookie;
  const sealedBy = cookie.readSealed as NonNullable<typeof cookie.readSealed>;
  // gorilla reads every cookie as sealed: undefined would be a bug of its own.
  const readSealed = (value: string, name: string) => {
    const sealed = sealedBy(value, name);
    if (sealed === undefined) throw new Error('gorilla answered "not a sealed cookie"');
    return sealed;
  };
  const typed = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      expect(err instanceof UsageError || err instanceof NegativeAnswer).toBe(true);
    }
  };

  test('random text, random base64 of date|value|mac shapes, random keys: a typed error or an id', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 3 }), (text, keys) => {
        cookie.isBareValue(text);
        typed(() => readSealed(text, 'app-session').open(keys));
        typed(() => cookie.read(text));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.nat(),
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.string({ maxLength: 40 }),
        (date, payload, mac, key) => {
          const inner = Buffer.from(payload).toString('base64url');
          const value = Buffer.concat([Buffer.from(`${date}|${inner}|`), mac]).toString('base64url');
          expect(cookie.isBareValue(value)).toBe(true);
          typed(() => readSealed(value, 'app-session').open([key, `hex:${'00'.repeat(16)}`]));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a cookie far longer than securecookie allows is refused as one', () => {
    expect(() => readSealed('A'.repeat(100_000), 'app-session')).toThrow(UsageError);
  });
});
