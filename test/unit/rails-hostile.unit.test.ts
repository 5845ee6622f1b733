/**
 * The Ruby Marshal reader and the rails layouts on values written by whoever controls a
 * session: arbitrary bytes, Marshal-shaped token soup, truncations and byte flips of real
 * values (fast-check), and named attacks: a Marshal object graph that recurses (an Array or
 * Hash holding itself, an Entry whose @value is the Entry, a graph that doubles at every
 * level), a zlib bomb in a compressed Entry, huge declared lengths, deep nesting, a `__proto__`
 * key, an RCE gadget's class names. Nothing throws past the layout, nothing hangs, what cannot
 * be read is unreadable with a reason, and printing stays within its budget.
 */
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { DEFAULT_USER_FIELDS } from '../../src/core/defaults.js';
import { decodeMarshal } from '../../src/core/sessions/decode/marshal.js';
import { marshalToPlain } from '../../src/core/sessions/decode/marshal-plain.js';
import type { LineInfo, SessionLayout } from '../../src/core/sessions/layout.js';
import { rails } from '../../src/core/sessions/layouts/rails/index.js';
import { railsCache } from '../../src/core/sessions/layouts/rails/cache.js';

const vectors = JSON.parse(readFileSync('test/fixtures/rails/vectors.json', 'utf8')) as Record<string, string>;
const hex = (name: string) => Buffer.from(vectors[name] as string, 'hex');
const NOW = Date.parse('2026-12-05T10:00:00Z');
const LAYOUTS: SessionLayout[] = [rails, railsCache];
const M = (...parts: Array<number[] | string>) =>
  Buffer.concat([Buffer.from([4, 8]), ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))]);

/** Everything a listing, show, ttl and revoke ask of a layout about one value: none may throw. */
function exercise(layout: SessionLayout, raw: Buffer, fields: readonly string[] = DEFAULT_USER_FIELDS): void {
  const info: LineInfo = { readable: true };
  const record = layout.record('id', raw, 5000, fields, NOW, info);
  expect(record.readable).toBe(info.readable);
  const line = layout.jsonLine('id', raw, 5000, fields, NOW, undefined, info);
  expect(typeof JSON.parse(line as string)).toBe('object');
  const content = layout.content(raw);
  if (content !== undefined) JSON.stringify(content);
  const plan = layout.withLifetime(raw, 60_000, NOW, { prefix: layout.defaultPrefix, id: 'id', pttlMs: 5000 });
  if (plan?.value !== undefined) layout.record('id', plan.value, 60_000, fields, NOW);
  layout.lifetimeUndone(raw, 5000, 60_000);
  layout.detect(Buffer.from(`${layout.defaultPrefix}${'a'.repeat(64)}`), raw);
  layout.userPrefilter('alice');
}

/** Bytes that read as Marshal type codes and small lengths, so random values go deep into the reader. */
const TOKENS = [
  0x30, 0x54, 0x46, 0x69, 0x6c, 0x66, 0x22, 0x3a, 0x3b, 0x40, 0x49, 0x5b, 0x7b, 0x7d, 0x6f, 0x53, 0x75, 0x55, 0x64, 0x2f, 0x63, 0x6d, 0x4d,
  0x43, 0x65,
]
  .concat([0x00, 0x05, 0x06, 0x07, 0x08, 0x0a, 0x01, 0xff, 0xfb, 0x2b, 0x2d])
  .concat([...'@E_abc'].map((c) => c.charCodeAt(0)));
const marshalSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 400 }).map((b) => Buffer.from([4, 8, ...b]));

describe('hostile values: rails and rails-cache', () => {
  test('arbitrary bytes, Marshal-shaped token soup, truncations and byte flips of real values', () => {
    const samples = ['session', 'hwia', 'entry', 'entryCompressed', 'dag', 'cycle', 'hashCycle'].map(hex);
    samples.push(Buffer.from(JSON.stringify({ 'warden.user.user.key': [[1], 'salt'], flash: { a: [1, { b: null }] } })));
    for (const layout of LAYOUTS) {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => exercise(layout, Buffer.from(bytes))),
        { numRuns: 300 },
      );
      fc.assert(
        fc.property(marshalSoup, (raw) => exercise(layout, raw)),
        { numRuns: 1000 },
      );
      for (const sample of samples) {
        for (let cut = 0; cut < sample.length; cut += Math.max(1, Math.floor(sample.length / 100)))
          exercise(layout, sample.subarray(0, cut));
        fc.assert(
          fc.property(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
            const flipped = Buffer.from(sample);
            flipped[at] = byte;
            exercise(layout, flipped);
            exercise(layout, flipped, ['warden.user.admin.key', 'flash.flashes.notice']);
          }),
          { numRuns: 200 },
        );
      }
    }
  }, 120000);

  test('the reader never throws and the printer stays within budget on token soup', () => {
    fc.assert(
      fc.property(marshalSoup, (raw) => {
        const r = decodeMarshal(raw);
        if (r.ok) expect(JSON.stringify(marshalToPlain(r.value, 64, { maxNodes: 2000, maxChars: 100_000 })).length).toBeLessThan(400_000);
        else expect(typeof r.reason).toBe('string');
      }),
      { numRuns: 3000 },
    );
  });
});

describe('named attacks', () => {
  test('a Marshal object graph that recurses: an Array and a Hash holding themselves, an Entry whose @value is the Entry, a cycle through ivars', () => {
    // a = []; a << a   and   h = {}; h["self"] = h   (Ruby wrote these: vectors.rb)
    const cycle = decodeMarshal(hex('cycle'));
    expect(cycle.ok && marshalToPlain(cycle.value)).toEqual([{ '@cycle': 'Array' }]);
    const hashCycle = M('{', [6], 'I"', [9], 'self', [6], ':', [6], 'ET', '@', [0]);
    expect(rails.record('id', hashCycle, 5000, DEFAULT_USER_FIELDS, NOW)).toMatchObject({
      readable: true,
      extra: { self: { '@cycle': 'Hash' } },
    });
    // A session whose Warden key is the session itself.
    const selfUser = M('{', [6], 'I"', [0x19], 'warden.user.user.key', [6], ':', [6], 'ET', '@', [0]);
    const info: LineInfo = { readable: true };
    expect(rails.record('id', selfUser, 5000, DEFAULT_USER_FIELDS, NOW, info).user).toBeNull();
    expect(info.oddUserShape).toBe('a cycle');
    // o:ActiveSupport::Cache::Entry with @value linking to the Entry (object 0).
    const selfEntry = M(
      'o:',
      [0x20],
      'ActiveSupport::Cache::Entry',
      [7],
      ':',
      [0x0b],
      '@value',
      '@',
      [0],
      ':',
      [0x10],
      '@created_at',
      'f',
      [6],
      '1',
    );
    for (const layout of LAYOUTS) exercise(layout, selfEntry);
    expect(railsCache.record('id', selfEntry, 5000, DEFAULT_USER_FIELDS, NOW)).toMatchObject({ readable: false });
    // ivars read after a Hash that link back to it: I{} with @x => @0.
    const ivarCycle = M('I{', [0], [6], ':', [7], '@x', '@', [0]);
    const read = decodeMarshal(ivarCycle);
    expect(read.ok && JSON.stringify(marshalToPlain(read.value))).toBe('{}');
    exercise(rails, ivarCycle);
  });

  test('a graph that doubles at every level, as a session value: read and printed at once, within budget', () => {
    const dag = hex('dag'); // 41 levels of [a, a]: 2^40 leaves
    const session = Buffer.concat([M('{', [6], 'I"', [9], 'dags', [6], ':', [6], 'ET'), dag.subarray(2)]);
    const started = Date.now();
    const r = rails.record('id', session, 5000, DEFAULT_USER_FIELDS, NOW);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.readable).toBe(true);
    expect(JSON.stringify(r.extra).length).toBeLessThan(1_000_000);
  });

  test('a zlib bomb in a compressed Entry is refused at 8 MB, not inflated whole', () => {
    const bomb = deflateSync(Buffer.alloc(64 << 20));
    expect(bomb.length).toBeLessThan(100_000);
    const len = bomb.length;
    const entry = Buffer.concat([
      M('o:', [0x20], 'ActiveSupport::Cache::Entry', [9], ':', [0x0b], '@value', '"', [3, len & 0xff, (len >> 8) & 0xff, len >> 16]),
      bomb,
      Buffer.from(':\x10@compressedT:\x10@created_atf\x061:\x10@expires_inf\x0636', 'latin1'),
    ]);
    const before = process.memoryUsage().rss;
    expect(railsCache.record('id', entry, 5000, DEFAULT_USER_FIELDS, NOW)).toMatchObject({
      readable: false,
      unreadable: expect.stringMatching(/does not inflate/),
    });
    expect(process.memoryUsage().rss - before).toBeLessThan(48 << 20);
  });

  test('huge declared lengths and deep nesting are unreadable at once', () => {
    for (const raw of [
      M('{', [4, 0xff, 0xff, 0xff, 0x7f]),
      M('I"', [4, 0xff, 0xff, 0xff, 0x7f], 'x'),
      M('o:', [6], 'X', [4, 0xff, 0xff, 0xff, 0x7f]),
      Buffer.concat([M(), Buffer.alloc(200_000, '['), Buffer.alloc(1, 6)]),
      Buffer.concat([M(), Buffer.alloc(200_000, 'I'), Buffer.from('0')]),
    ]) {
      for (const layout of LAYOUTS) {
        const r = layout.record('id', raw, 5000, DEFAULT_USER_FIELDS, NOW);
        expect(r.readable).toBe(false);
        expect(r.unreadable).toMatch(/more than the bytes left|nesting deeper|truncated/);
      }
    }
  });

  test('a __proto__ key is a key, and an RCE gadget is only class names and data', () => {
    const r = rails.record('id', hex('protoKey'), 5000, DEFAULT_USER_FIELDS, NOW);
    expect(Object.keys(r.extra ?? {})).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    // The shape of Ruby's universal deserialization gadget (Gem::Requirement -> Gem::DependencyList ->
    // Gem::Source::SpecificFile -> Net::WriteAdapter calling Kernel#system): plain data here.
    const gadget = M(
      '{',
      [6],
      'I"',
      [0x19],
      'warden.user.user.key',
      [6],
      ':',
      [6],
      'ET',
      'U:',
      [0x15],
      'Gem::Requirement',
      '[',
      [6],
      'o:',
      [0x16],
      'Net::WriteAdapter',
      [7],
      ':',
      [0x0c],
      '@socket',
      'c',
      [0x0b],
      'Kernel',
      ':',
      [0x0f],
      '@method_id',
      ':',
      [0x0b],
      'system',
    );
    const info: LineInfo = { readable: true };
    expect(rails.record('id', gadget, 5000, DEFAULT_USER_FIELDS, NOW, info)).toMatchObject({ readable: true, user: null });
    expect(info.oddUserShape).toBe('an object (Gem::Requirement)');
    expect(rails.content(gadget)).toEqual({
      'warden.user.user.key': {
        '@usermarshal': 'Gem::Requirement',
        '@data': [
          { '@object': 'Net::WriteAdapter', '@ivars': { '@socket': { '@class': 'Kernel' }, '@method_id': { '@symbol': 'system' } } },
        ],
      },
    });
  });
});
