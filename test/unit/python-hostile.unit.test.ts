/**
 * The django and flask layouts on values written by whoever controls a session: arbitrary
 * bytes, truncations and byte flips of real sessions in each format (fast-check), and the named
 * attacks: a pickle that calls os.system, declared lengths far beyond the bytes, bombs of
 * marks, stack values, memo entries and shared references, nesting a hundred thousand deep, a
 * list that holds itself, a key `__proto__`. A layout never throws and never hangs, a value it
 * cannot read is a record marked unreadable, and the listing's line is still one JSON object.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { LineInfo, SessionLayout } from '../../src/core/sessions/layout.js';
import { decodeMsgpack } from '../../src/core/sessions/decode/msgpack.js';
import { decodePickle } from '../../src/core/sessions/decode/pickle.js';
import { pyToPlain } from '../../src/core/sessions/decode/py-plain.js';
import type { PyValue } from '../../src/core/sessions/decode/py-value.js';
import { django } from '../../src/core/sessions/layouts/django/index.js';
import { flask } from '../../src/core/sessions/layouts/flask/index.js';

const vectors = JSON.parse(readFileSync('test/fixtures/python/vectors.json', 'utf8')) as {
  pickle: Array<{ name: string; protocol: number; hex: string }>;
  msgpack: Array<{ name: string; hex: string }>;
  attacks: Record<string, string>;
};
const NOW = Date.parse('2026-12-05T10:00:00Z');
const hex = (list: Array<{ name: string; hex: string; protocol?: number }>, name: string, protocol?: number) =>
  Buffer.from(list.find((v) => v.name === name && (protocol === undefined || v.protocol === protocol))?.hex ?? '', 'hex');

/** Real-looking sessions of each layout, in each format it reads, to cut and flip. */
const SAMPLES: Array<[SessionLayout, string, Buffer]> = [
  [django, 'pickle 4', hex(vectors.pickle, 'session', 4)],
  [django, 'pickle 0', hex(vectors.pickle, 'session', 0)],
  [flask, 'pickle 4', hex(vectors.pickle, 'flask', 4)],
  [flask, 'msgpack', hex(vectors.msgpack, 'flask')],
  [flask, 'json', Buffer.from(JSON.stringify({ _permanent: true, _user_id: 'alice', _fresh: true }))],
];

/** Everything a listing, show, ttl and revoke ask of a layout about one value: none may throw. */
function exercise(layout: SessionLayout, raw: Buffer): void {
  const info: LineInfo = { readable: true };
  const fields = ['_auth_user_id'];
  const record = layout.record('id', raw, 5000, fields, NOW, info);
  expect(record.readable).toBe(info.readable);
  const line = layout.jsonLine('id', raw, 5000, fields, NOW, undefined, info);
  expect(typeof JSON.parse(line as string)).toBe('object');
  JSON.stringify(layout.content(raw));
  layout.withLifetime(raw, 60_000, NOW, { prefix: layout.defaultPrefix, id: 'id', pttlMs: 5000 });
  layout.lifetimeUndone(raw, 5000, 60_000);
  layout.isSessionValue?.(raw);
  layout.detect(Buffer.from(`${layout.defaultPrefix}abcdefgh12345678`), raw);
}

/** Runs `f`, failing when it takes longer than `ms` (a hang or a blow-up, not a slow machine: the limits are seconds, for a loaded 2-CPU CI machine). */
function quickly<T>(ms: number, f: () => T): T {
  const start = process.hrtime.bigint();
  const out = f();
  expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(ms);
  return out;
}

describe('hostile session values, django and flask', () => {
  test('arbitrary bytes, truncations and byte flips of real sessions in every format', () => {
    for (const [layout, _format, sample] of SAMPLES) {
      expect(layout.record('id', sample, 5000, ['_auth_user_id', '_user_id'], NOW).readable).toBe(true);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => exercise(layout, Buffer.from(bytes))),
        { numRuns: 300 },
      );
      // Random bytes after a protocol header reach deeper into the reader.
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => exercise(layout, Buffer.concat([Buffer.from([0x80, 0x04]), bytes]))),
        { numRuns: 300 },
      );
      for (let cut = 0; cut < sample.length; cut += 1) exercise(layout, sample.subarray(0, cut));
      fc.assert(
        fc.property(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
          const flipped = Buffer.from(sample);
          flipped[at] = byte;
          exercise(layout, flipped);
        }),
        { numRuns: 500 },
      );
    }
  }, 60000);

  test('the named attack: a session pickle that calls os.system is listed as data naming posix.system', () => {
    for (const hexText of Object.values(vectors.attacks)) {
      const raw = Buffer.from(hexText, 'hex');
      const record = django.record('id', raw, 5000, ['passport.user', 'userId', 'user.id', 'username'], NOW);
      expect(record).toMatchObject({ readable: true, user: null, extra: { x: { $class: 'posix.system', args: ['touch PWNED'] } } });
      expect(django.record('id', raw, 5000, ['_auth_user_id'], NOW).user).toBe('1');
      expect(flask.content(raw)).toMatchObject({ serializer: 'pickle', data: { x: { $class: 'posix.system' } } });
    }
  });

  test('declared lengths far beyond the bytes are unreadable at once, never an allocation', () => {
    const pickles = [
      'X\xff\xff\xff\xff', // BINUNICODE of 4 GB
      '\x8d\xff\xff\xff\xff\xff\xff\xff\x7f', // BINUNICODE8 of 2^63
      'B\xff\xff\xff\xff', // BINBYTES
      '\x8e\x00\x00\x00\x00\x00\x00\x01\x00', // BINBYTES8
      '\x96\x00\x00\x00\x00\x00\x00\x01\x00', // BYTEARRAY8
      '\x8b\xff\xff\xff\x7f', // LONG4 of 2 GB
      '\x95\xff\xff\xff\xff\xff\xff\xff\xff', // FRAME
      'T\xff\xff\xff\x7f', // BINSTRING
    ];
    for (const p of pickles) {
      const r = quickly(1000, () => decodePickle(Buffer.from(p, 'latin1')));
      expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/truncated|limit/) });
    }
    for (const m of [
      [0xdb, 0xff, 0xff, 0xff, 0xff],
      [0xc6, 0xff, 0xff, 0xff, 0xff],
      [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01],
      [0xdd, 0xff, 0xff, 0xff, 0xff],
      [0xdf, 0xff, 0xff, 0xff, 0xff],
    ]) {
      const r = quickly(1000, () => decodeMsgpack(Buffer.from(m)));
      expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/truncated/) });
    }
  });

  test('bombs of marks, stack values and memo entries stop at their bounds', () => {
    expect(quickly(2000, () => decodePickle(Buffer.from('('.repeat(1_000_000))))).toMatchObject({
      reason: expect.stringMatching(/marks open/),
    });
    expect(quickly(2000, () => decodePickle(Buffer.from(`${'N'.repeat(200_000)}.`)))).toMatchObject({
      reason: expect.stringMatching(/values on the stack/),
    });
    const puts = Buffer.alloc(1 + 5 * 200_000);
    puts[0] = 0x4e; // NONE, then LONG_BINPUT under ever new indexes
    for (let i = 0; i < 200_000; i += 1) {
      puts[1 + 5 * i] = 0x72;
      puts.writeUInt32LE(i, 2 + 5 * i);
    }
    expect(quickly(2000, () => decodePickle(puts))).toMatchObject({ reason: expect.stringMatching(/memo entries/) });
  });

  test('shared references doubling at every level (2^80 leaves) and a list that holds itself print within bounds', () => {
    // `]` memoized as 0, then each level a 2-tuple of the one before, memoized as the next.
    let p = '\x80\x04]\x94';
    for (let i = 0; i < 80; i += 1) p += `h${String.fromCharCode(i)}h${String.fromCharCode(i)}\x86\x94`;
    const session = Buffer.from(`\x80\x04}(\x8c\x0d_auth_user_id\x8c\x011\x8c\x04bomb${p.slice(2)}u.`, 'latin1');
    const record = quickly(3000, () => django.record('id', session, 5000, ['_auth_user_id'], NOW));
    expect(record.user).toBe('1');
    expect(JSON.stringify(record.extra)).toContain('$elided');
    expect(JSON.stringify(record.extra).length).toBeLessThan(2_000_000);
    const cycle = decodePickle(Buffer.from('(lp0\ng0\na.', 'latin1'));
    expect(cycle.ok).toBe(true);
    expect(JSON.stringify(pyToPlain((cycle as { value: PyValue }).value))).toContain('"$elided":"depth"');
  });

  test('nesting a hundred thousand deep: pickle builds it without recursion and prints it bounded; msgpack refuses it', () => {
    const n = 50_000;
    const deep = Buffer.from(`${']'.repeat(n)}${'a'.repeat(n - 1)}.`);
    const r = quickly(3000, () => decodePickle(deep));
    expect(r.ok).toBe(true);
    expect(JSON.stringify(pyToPlain((r as { value: PyValue }).value))).toContain('$elided');
    const m = Buffer.concat([Buffer.alloc(100_000, 0x91), Buffer.from([0xc0])]);
    expect(quickly(2000, () => decodeMsgpack(m))).toMatchObject({ ok: false, reason: expect.stringMatching(/nested deeper/) });
    exercise(flask, Buffer.concat([Buffer.from([0x81, 0xa1, 0x78]), m]));
  });

  test('a key __proto__ is a key in every format: it reaches the output as one and replaces no prototype', () => {
    for (const raw of [
      hex(vectors.pickle, 'proto key', 4),
      hex(vectors.pickle, 'proto key', 0),
      hex(vectors.msgpack, 'proto key'),
      Buffer.from('{"__proto__":{"polluted":true},"constructor":1}'),
    ]) {
      const record = flask.record('id', raw, 5000, ['_user_id'], NOW);
      expect(record.readable).toBe(true);
      expect(Object.keys(record.extra ?? {})).toEqual(['__proto__', 'constructor']);
      expect(Object.getPrototypeOf(record.extra)).toBeNull();
      expect(JSON.parse(flask.jsonLine('id', raw, 5000, ['_user_id'], NOW, undefined, { readable: true }) as string).extra).toEqual(
        JSON.parse('{"__proto__":{"polluted":true},"constructor":1}'),
      );
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
