/**
 * Every layout's decoding on values written by whoever controls a session: arbitrary bytes,
 * truncations and byte flips of real sessions, deep nesting, huge declared lengths, wrong types.
 * A layout never throws and never hangs: a value it cannot read is a record marked unreadable,
 * and the listing's line is still one valid JSON object (fast-check).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { packHash } from '../../src/core/redis/hash-value.js';
import { jdkInteger, jdkLong } from '../../src/core/sessions/decode/jdk.js';
import type { LineInfo, SessionLayout } from '../../src/core/sessions/layout.js';
import { authjs } from '../../src/core/sessions/layouts/authjs/index.js';
import { betterAuth } from '../../src/core/sessions/layouts/better-auth/index.js';
import { connectRedis } from '../../src/core/sessions/layouts/connect-redis/index.js';
import { koa } from '../../src/core/sessions/layouts/koa/index.js';
import { spring } from '../../src/core/sessions/layouts/spring/index.js';

// Imported here rather than through registry.ts: jest's ES module loader trips over
// concurrent dynamic imports of one graph ("request ... is not in cache").
const LAYOUTS: SessionLayout[] = [connectRedis, spring, koa, betterAuth, authjs];

const vectors = JSON.parse(readFileSync('test/fixtures/jdk/vectors.json', 'utf8')) as Record<string, string>;
const NOW = Date.parse('2026-12-05T10:00:00Z');

/** A real-looking session of each layout, to cut and flip. */
const SAMPLES: Record<string, Buffer> = {
  'connect-redis': Buffer.from(
    JSON.stringify({ cookie: { originalMaxAge: 1000, expires: '2026-12-05T11:00:00.000Z' }, passport: { user: 'alice' } }),
  ),
  koa: Buffer.from(JSON.stringify({ passport: { user: 'alice' }, _expire: NOW + 1000, _maxAge: 1000 })),
  'better-auth': Buffer.from(
    JSON.stringify({
      session: { id: 's', token: 'T'.repeat(32), userId: 'u1', expiresAt: '2026-12-05T11:00:00.000Z' },
      user: { email: 'alice@example.com' },
    }),
  ),
  authjs: Buffer.from(JSON.stringify({ sessionToken: 'tok', userId: 'u1', expires: '2026-12-05T11:00:00.000Z' })),
  spring: packHash([
    Buffer.from('creationTime'),
    jdkLong(NOW - 1000),
    Buffer.from('lastAccessedTime'),
    jdkLong(NOW),
    Buffer.from('maxInactiveInterval'),
    jdkInteger(1800),
    Buffer.from('sessionAttr:SPRING_SECURITY_CONTEXT'),
    Buffer.from(vectors['springContext'] as string, 'hex'),
  ]),
};

/** Everything a listing, show, ttl and revoke ask of a layout about one value: none may throw. */
function exercise(layout: SessionLayout, raw: Buffer): void {
  const info: LineInfo = { readable: true };
  const record = layout.record('id', raw, 5000, ['passport.user'], NOW, info);
  expect(record.readable).toBe(info.readable);
  const line = layout.jsonLine('id', raw, 5000, ['passport.user'], NOW, undefined, info);
  expect(typeof JSON.parse(line as string)).toBe('object');
  layout.content(raw);
  layout.withLifetime(raw, 60_000, NOW, { prefix: layout.defaultPrefix, id: 'id', pttlMs: 5000 });
  layout.lifetimeUndone(raw, 5000, 60_000);
  layout.revokeSide?.(layout.defaultPrefix, 'id', raw);
  layout.isSessionValue?.(raw);
  layout.detect(Buffer.from(`${layout.defaultPrefix}id`), raw);
}

describe('hostile session values, every layout', () => {
  test('arbitrary bytes, truncations and byte flips of a real session, deep nesting', () => {
    for (const layout of LAYOUTS) {
      const sample = SAMPLES[layout.name] as Buffer;
      // The sample itself is readable: the properties below start from a good value.
      expect(layout.record('id', sample, 5000, ['passport.user'], NOW).readable).toBe(true);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => exercise(layout, Buffer.from(bytes))),
        { numRuns: 300 },
      );
      for (let cut = 0; cut < sample.length; cut += Math.max(1, Math.floor(sample.length / 200))) exercise(layout, sample.subarray(0, cut));
      fc.assert(
        fc.property(fc.nat(sample.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
          const flipped = Buffer.from(sample);
          flipped[at] = byte;
          exercise(layout, flipped);
        }),
        { numRuns: 500 },
      );
      const deep = Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
      exercise(layout, deep);
      exercise(layout, layout.keyType === 'hash' ? packHash([Buffer.from('lastAccessedTime'), deep]) : deep);
      // A length prefix that claims more than there is.
      exercise(layout, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x61]));
    }
  }, 60000);

  test('a value that is JSON of the wrong types is unreadable, not a crash', () => {
    for (const layout of LAYOUTS) {
      for (const text of ['null', '[]', '"x"', '{"session":[],"user":1}', '{"_expire":"soon"}', '{"cookie":null}', '{"expires":{}}']) {
        const raw = layout.keyType === 'hash' ? packHash([Buffer.from('lastAccessedTime'), Buffer.from(text)]) : Buffer.from(text);
        exercise(layout, raw);
      }
    }
  });
});
