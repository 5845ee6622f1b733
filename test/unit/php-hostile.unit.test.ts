/**
 * The PHP layouts and their readers on values written by whoever controls a session: arbitrary
 * bytes, token soups of PHP's own syntax, truncations and byte flips of sessions PHP wrote, and
 * named attacks: a string with a huge declared length, huge counts, deep nesting, a reference
 * bomb (a small value naming one array again and again), references that nest deeper than the
 * bound; for Laravel, its double serialize() and encrypted payloads, with the key and without. Nothing throws past the layout, nothing hangs, nothing is allocated for a length the
 * input cannot hold: a value that cannot be read is a record marked unreadable (fast-check).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { decodeIgbinary } from '../../src/core/sessions/decode/igbinary.js';
import { decodePhpSerialized } from '../../src/core/sessions/decode/php-serialize.js';
import { decodePhpSession } from '../../src/core/sessions/decode/php-session.js';
import { PHP_LIMITS, Tracker } from '../../src/core/sessions/decode/php-value.js';
import type { LineInfo, SessionLayout } from '../../src/core/sessions/layout.js';
import { php } from '../../src/core/sessions/layouts/php/index.js';
import { symfony } from '../../src/core/sessions/layouts/symfony/index.js';
import { laravel, laravelLayout } from '../../src/core/sessions/layouts/laravel/index.js';
import { createCipheriv, createHmac } from 'node:crypto';

const vectors = JSON.parse(readFileSync('test/fixtures/php/vectors.json', 'utf8')) as Record<string, unknown>;
const NOW = Date.parse('2026-12-05T10:00:00Z');
/** serialize() of a string, as PHP writes it. */
const str = (text: string) => `s:${Buffer.byteLength(text)}:"${text}";`;
/** A Laravel session as its redis driver stores it: serialize(serialize($attributes)). */
const LARAVEL_INNER = `a:3:{${str('_token')}${str('T'.repeat(40))}${str('login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d')}i:1001;${str('username')}${str('alice')}}`;
const KEY = Buffer.alloc(32, 9);
/** Laravel's Encrypter payload of `plain` (AES-256-CBC, HMAC-SHA256 of iv.value), as EncryptedStore writes it. */
function encrypted(plain: string): string {
  const iv = Buffer.alloc(16, 3);
  const cipher = createCipheriv('aes-256-cbc', KEY, iv);
  const value = Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
  const ivText = iv.toString('base64');
  const mac = createHmac('sha256', KEY)
    .update(ivText + value)
    .digest('hex');
  return Buffer.from(JSON.stringify({ iv: ivText, value, mac, tag: '' })).toString('base64');
}
const keyed = { ...laravelLayout([KEY]), name: 'laravel-keyed' };
const LAYOUTS: SessionLayout[] = [php, symfony, laravel, keyed];
const FIELDS = ['username'];

/** Real sessions to cut and flip: each serializer's, as PHP wrote them, and Symfony's. */
const SAMPLES: Record<string, Buffer[]> = {
  php: ['php', 'php_serialize', 'igbinary'].map((s) => Buffer.from(vectors[`session_${s}`] as string, 'base64')),
  symfony: [Buffer.from(vectors['symfony_session'] as string, 'base64')],
  laravel: [Buffer.from(str(LARAVEL_INNER))],
  'laravel-keyed': [Buffer.from(str(LARAVEL_INNER)), Buffer.from(str(encrypted(str(LARAVEL_INNER))))],
};

/** Everything a listing, show, ttl and revoke ask of a layout about one value: none may throw. */
function exercise(layout: SessionLayout, raw: Buffer): void {
  const info: LineInfo = { readable: true };
  const record = layout.record('id', raw, 5000, FIELDS, NOW, info);
  expect(record.readable).toBe(info.readable);
  const line = layout.jsonLine('id', raw, 5000, FIELDS, NOW, undefined, info);
  expect(typeof JSON.parse(line as string)).toBe('object');
  const content = layout.content(raw);
  if (content !== undefined) JSON.stringify(content);
  layout.withLifetime(raw, 60_000, NOW, { prefix: layout.defaultPrefix, id: 'id', pttlMs: 5000 });
  layout.lifetimeUndone(raw, 5000, 60_000);
  layout.revokeSide?.(layout.defaultPrefix, 'id', raw);
  layout.isSessionValue?.(raw);
  layout.detect(Buffer.from(`${layout.defaultPrefix}id`), raw);
}

/**
 * Within `ms`, whatever it returned (a bound hit must be a quick "unreadable", never a long walk).
 * The limits are loose (the work takes a few milliseconds): they tell a bound from a walk of
 * gigabytes, not fast from slow, and must hold on a loaded 2-CPU CI machine (50 ms once failed there).
 */
function quick<T>(ms: number, run: () => T): T {
  const start = performance.now();
  const result = run();
  expect(performance.now() - start).toBeLessThan(ms);
  return result;
}

const serialized = (text: string) => decodePhpSerialized(Buffer.from(text, 'latin1'), new Tracker(PHP_LIMITS));
const igbinary = (bytes: number[]) => decodeIgbinary(Buffer.from([0, 0, 0, 2, ...bytes]), new Tracker(PHP_LIMITS));

/** Pieces of PHP's syntax, so that random strings get past the first byte. */
const TOKENS = [
  'a:',
  'i:',
  's:',
  'd:',
  'b:',
  'O:',
  'C:',
  'E:',
  'N;',
  'r:',
  'R:',
  '{',
  '}',
  ';',
  ':',
  '"',
  '|',
  '0',
  '1',
  '2',
  '9',
  '-',
  'x',
  'stdClass',
  '\0*\0',
  '\0',
  '99999999999',
];

describe('hostile values, PHP layouts', () => {
  test('arbitrary bytes, PHP-syntax soups, truncations and byte flips of real sessions', () => {
    for (const layout of LAYOUTS) {
      const samples = SAMPLES[layout.name] as Buffer[];
      const user = layout.name.startsWith('laravel') ? '1001' : 'alice';
      for (const sample of samples) expect(layout.record('id', sample, 5000, FIELDS, NOW).user).toBe(user);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => exercise(layout, Buffer.from(bytes))),
        { numRuns: 300 },
      );
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 200 }), fc.boolean(), (tokens, named) =>
          exercise(layout, Buffer.from(`${named ? 'v|' : ''}${tokens.join('')}`, 'latin1')),
        ),
        { numRuns: 500 },
      );
      for (const sample of samples) {
        for (let cut = 0; cut < sample.length; cut += 1) exercise(layout, sample.subarray(0, cut));
        fc.assert(
          fc.property(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
            const flipped = Buffer.from(sample);
            flipped[at] = byte;
            exercise(layout, flipped);
          }),
          { numRuns: 300 },
        );
      }
    }
  });

  test("Laravel reads a cache entry's string from its bytes (s:) as it reads it through its text (S:, every byte escaped)", () => {
    // `s:` entries whose inner string is valid UTF-8 take the short way (plainInner); an `S:`
    // entry of the same bytes always takes the long way: both must give the same record.
    const escapedEntry = (inner: Buffer) =>
      Buffer.from(`S:${inner.length}:"${[...inner].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('')}";`, 'latin1');
    const plainEntry = (inner: Buffer) => Buffer.concat([Buffer.from(`s:${inner.length}:"`), inner, Buffer.from('";')]);
    const inners = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => Buffer.from(t.join(''), 'latin1')),
      fc.tuple(fc.nat(LARAVEL_INNER.length), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
        const flipped = Buffer.from(LARAVEL_INNER);
        if (at < flipped.length) flipped[at] = byte;
        return flipped;
      }),
      fc.constantFrom(
        Buffer.from(LARAVEL_INNER),
        Buffer.from('{"_token":"t","login_web_x":1}'),
        Buffer.from(encrypted(str(LARAVEL_INNER))),
      ),
    );
    for (const layout of [laravel, keyed]) {
      fc.assert(
        fc.property(inners, (inner) => {
          expect(layout.record('id', plainEntry(inner), 5000, FIELDS, NOW)).toEqual(
            layout.record('id', escapedEntry(inner), 5000, FIELDS, NOW),
          );
        }),
        { numRuns: 1000 },
      );
    }
    expect(laravel.record('id', plainEntry(Buffer.from(LARAVEL_INNER)), 5000, FIELDS, NOW).user).toBe('1001');
    expect(laravel.record('id', escapedEntry(Buffer.from(LARAVEL_INNER)), 5000, FIELDS, NOW).user).toBe('1001');
  });

  test('a PHP string with a huge declared length is unreadable at once, nothing allocated for it', () => {
    const before = process.memoryUsage().arrayBuffers;
    for (const text of [
      's:99999999999:"abc";',
      'name|s:2147483647:"abc";',
      'a:1:{s:4294967295:"k";i:1;}',
      'O:99999999999:"stdClass":0:{}',
      'C:8:"stdClass":99999999999:{x}',
      'E:99999999999:"A:B";',
      'S:99999999999:"abc";',
      `s:${'9'.repeat(500)}:"abc";`,
    ]) {
      const r = quick(1000, () => decodePhpSession(Buffer.from(text)));
      expect(r).toEqual(expect.stringMatching(/length|not a PHP session encoding/));
    }
    // igbinary: string32 and string64 lengths, a class name, a Serializable payload.
    for (const bytes of [
      [0x13, 0xff, 0xff, 0xff, 0xff, 0x61],
      [0x26, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x61],
      [0x19, 0xff, 0xff, 0xff, 0xff],
      [0x17, 1, 0x41, 0x1f, 0xff, 0xff, 0xff, 0xff],
    ])
      expect(quick(1000, () => igbinary(bytes))).toMatchObject({ ok: false, reason: expect.stringMatching(/length/) });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  });

  test('huge counts are checked against the bytes left', () => {
    expect(quick(1000, () => serialized('a:2147483647:{i:0;N;}'))).toMatchObject({ ok: false, reason: expect.stringMatching(/count/) });
    expect(quick(1000, () => serialized('O:8:"stdClass":99999999:{}'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/count/),
    });
    expect(quick(1000, () => igbinary([0x16, 0xff, 0xff, 0xff, 0xff, 6, 0, 0]))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/length/),
    });
    // Within the input, but more values than the bound.
    const many = `a:200000:{${Array.from({ length: 200_000 }, (_, i) => `i:${i};N;`).join('')}}`;
    expect(quick(2000, () => serialized(many))).toMatchObject({ ok: false, reason: expect.stringMatching(/more than 100000 values/) });
  });

  test('deep nesting stops at the bound, in either format and through objects', () => {
    const n = 100_000;
    expect(quick(2000, () => serialized(`${'a:1:{i:0;'.repeat(n)}N;${'}'.repeat(n)}`))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/nested deeper than 32/),
    });
    expect(quick(2000, () => serialized(`${'O:8:"stdClass":1:{s:1:"p";'.repeat(n)}N;${'}'.repeat(n)}`))).toMatchObject({ ok: false });
    expect(quick(2000, () => igbinary([...Array.from({ length: n }, () => [0x14, 1, 6, 0]).flat(), 0]))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/nested deeper than 32/),
    });
    // 32 levels are fine.
    expect(serialized(`${'a:1:{i:0;'.repeat(32)}N;${'}'.repeat(32)}`)).toMatchObject({ ok: true });
  });

  test('a reference bomb (each level names the one before twice) stops at the budget', () => {
    // Value 2 is a 1000-byte string; each array after it holds two references to the one before.
    const levels = 40;
    const elements = [`i:0;s:1000:"${'x'.repeat(1000)}";`];
    let last = 2;
    for (let i = 1; i <= levels; i += 1) {
      elements.push(`i:${i};a:2:{i:0;r:${last};i:1;r:${last};}`);
      last = 3 * i; // this array's number (the two r: values take the next two)
    }
    const text = `a:${elements.length}:{${elements.join('')}}`;
    const r = quick(2000, () => serialized(text));
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/more than/) });
    // igbinary: the same through ref8 (arrays are numbered from 0: the outer one, then each level).
    const bytes = [0x14, levels + 1, 6, 0, 0x14, 1, 6, 0, 0x11, 100, ...Buffer.alloc(100, 0x78)];
    for (let i = 1; i <= levels; i += 1) bytes.push(6, i, 0x14, 2, 6, 0, 0x01, i, 6, 1, 0x01, i);
    expect(quick(2000, () => igbinary(bytes))).toMatchObject({ ok: false, reason: expect.stringMatching(/more than/) });
  });

  test('references cannot nest deeper than the bound, nor loop', () => {
    // Value 2 nests 30 levels; each later element wraps a reference to the element before it,
    // one level taller each time, from only two levels down.
    const chain = [`i:0;${'a:1:{i:0;'.repeat(30)}N;${'}'.repeat(30)}`];
    let previous = 2;
    let next = 33; // 1: the outer array, 2..31: the 30 levels, 32: the N
    for (let i = 1; i <= 4; i += 1) {
      chain.push(`i:${i};a:1:{i:0;r:${previous};}`);
      previous = next;
      next += 2;
    }
    expect(serialized(`a:2:{${chain.slice(0, 2).join('')}}`)).toMatchObject({ ok: true });
    expect(serialized(`a:${chain.length}:{${chain.join('')}}`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/nested deeper than 32/),
    });
    // Self references are cycles, not loops.
    expect(serialized('a:1:{i:0;R:1;}')).toMatchObject({ ok: true, value: [{ '@cycle': 'array' }] });
    expect(serialized('a:1:{i:0;r:1;}')).toMatchObject({ ok: true, value: [{ '@cycle': 'array' }] });
    expect(serialized('a:1:{i:0;r:9;}')).toMatchObject({ ok: false, reason: expect.stringMatching(/reference to value 9/) });
    expect(serialized('r:0;')).toMatchObject({ ok: false });
    expect(igbinary([0x14, 1, 6, 0, 0x01, 0])).toMatchObject({ ok: true, value: [{ '@cycle': 'array' }] });
    expect(igbinary([0x14, 1, 6, 0, 0x01, 7])).toMatchObject({ ok: false, reason: expect.stringMatching(/reference to value 7/) });
  });

  test('keys such as __proto__ and constructor are only keys, in every format', () => {
    for (const raw of [
      Buffer.from('__proto__|a:1:{s:8:"polluted";b:1;}constructor|a:1:{s:9:"prototype";a:1:{s:8:"polluted";b:1;}}'),
      Buffer.from('a:1:{s:9:"__proto__";a:1:{s:8:"polluted";b:1;}}'),
      Buffer.from([0, 0, 0, 2, 0x14, 1, 0x11, 9, ...Buffer.from('__proto__'), 0x14, 1, 0x11, 8, ...Buffer.from('polluted'), 5]),
      Buffer.from('v|O:8:"stdClass":1:{s:9:"__proto__";a:1:{s:8:"polluted";b:1;}}'),
    ]) {
      const session = decodePhpSession(raw);
      expect(typeof session).toBe('object');
      const vars = (session as { vars: Record<string, unknown> }).vars;
      expect(Object.getPrototypeOf(vars)).toBe(null);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    }
  });
});
