/**
 * Property: the listing's fast NDJSON line of the koa and authjs layouts (jsonLine, built
 * straight from the parsed value) is byte for byte what their record path writes:
 * recordLine(record(...)) with the same tail, left out for another user as lineOfRecord leaves
 * it out, with the same LineInfo. Better Auth's jsonLine is its record's line (with its email
 * match for --user), tested here for what follows. No exceptions: integers
 * beyond 2^53 are rounded as JSON.stringify rounds them, terminal escaping is recordLine's.
 * Also: a value isSessionValue read first (the listing's order, whose parse Better Auth and koa
 * hand on to the line) gives the same line, and the handed read serves no other Buffer.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { DEFAULT_USER_FIELDS } from '../../src/core/defaults.js';
import type { LineInfo, SessionLayout } from '../../src/core/sessions/layout.js';
import { authjs } from '../../src/core/sessions/layouts/authjs/index.js';
import { betterAuth } from '../../src/core/sessions/layouts/better-auth/index.js';
import { koa } from '../../src/core/sessions/layouts/koa/index.js';
import { recordLine } from '../../src/core/sessions/records.js';
import { keyOf, number, rotated, storedBytes, text, valueOf } from '../helpers/json-values.js';

const key = keyOf([
  'session',
  'user',
  'token',
  'userId',
  'email',
  'expiresAt',
  'createdAt',
  'updatedAt',
  'id',
  'ipAddress',
  '_expire',
  '_maxAge',
  'passport',
  'sessionToken',
  'expires',
]);
const value = valueOf(key);

/** Times as applications and hostile stores write them: ISO strings, other date texts, epoch ms, out of Date's range. */
const time = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => d.getTime()),
  fc.constantFrom(
    '2026-12-05',
    'Sat, 05 Dec 2026 10:00:00 GMT',
    '2026-12-05T10:00:00+02:00',
    '2026-02-30T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    'not a date',
    '',
    8.64e15,
    -8.64e15,
    8.64e15 + 1,
    1e300,
    1.5,
    -0.5,
  ),
  number,
  value,
);

/** Optional members, then extra ones, in any order. */
function objectFrom(members: Array<[string, unknown | undefined]>, extra: Array<[string, unknown]>, seed: number) {
  const entries = members.filter((m): m is [string, unknown] => m[1] !== undefined);
  return rotated([...entries, ...extra], seed);
}
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 4 });
const extras = fc.array(fc.tuple(key, value), { maxLength: 4 });

const betterAuthValue = fc
  .tuple(
    fc.record({
      token: maybe(fc.oneof(text, value)),
      userId: maybe(fc.oneof(text, value)),
      expiresAt: maybe(time),
      createdAt: maybe(time),
      updatedAt: maybe(time),
      ipAddress: maybe(text),
      userAgent: maybe(text),
      id: maybe(text),
    }),
    extras,
    fc.nat(),
    maybe(fc.tuple(maybe(fc.oneof(text, value)), extras, fc.nat())),
  )
  .map(([s, extra, seed, user]) => {
    const session = objectFrom(Object.entries(s), extra, seed);
    return user === undefined
      ? { session }
      : { user: objectFrom([['email', user[0]]], user[1], user[2]), session, ...(seed % 5 === 0 ? { __proto__: null } : {}) };
  });

/** What an application may put where a user is looked for (see sessionUser). */
const userShape = fc.oneof(text, number, fc.constant(null), fc.constant(''), fc.boolean(), value, fc.record({ user: text }));

const koaValue = fc
  .tuple(
    fc.record({
      _expire: maybe(fc.oneof(time, fc.double({ noNaN: true, noDefaultInfinity: true }))),
      _maxAge: maybe(fc.oneof(number, value)),
      passport: maybe(fc.oneof(fc.record({ user: userShape }), userShape)),
      userId: maybe(userShape),
      username: maybe(userShape),
    }),
    extras,
    fc.nat(),
  )
  .map(([s, extra, seed]) => objectFrom(Object.entries(s), extra, seed));

const authjsValue = fc
  .tuple(
    fc.record({ sessionToken: maybe(fc.oneof(text, value)), userId: maybe(fc.oneof(text, value)), expires: maybe(time) }),
    extras,
    fc.nat(),
  )
  .map(([s, extra, seed]) => objectFrom(Object.entries(s), extra, seed));

/** Stored values: the layout's own (compact or indented), other JSON, deep nesting, arbitrary bytes. */
function stored(session: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(session, fc.constantFrom(0, 2, '\t'), fc.nat())
        .map(([s, indent, bad]) => storedBytes(JSON.stringify(s, null, indent), bad)),
    },
    { weight: 1, arbitrary: fc.tuple(value, fc.nat()).map(([v, bad]) => storedBytes(JSON.stringify(v) ?? 'null', bad)) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 60, max: 70 }).map((depth) => Buffer.from(`{"_expire":1,"a":${'['.repeat(depth)}${']'.repeat(depth)}}`)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)) },
  );
}

const fields = fc.constantFrom(DEFAULT_USER_FIELDS, ['passport.user'], ['user'], ['userId', 'username'], ['passport']);
/** Any id: the line must escape it as recordLine does, shown form or not. */
const id = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), text);
/** Key TTLs: none, gone, usual, and past what a Date holds (Redis takes EXPIRE up to ~2^63 ms). */
const pttl = fc.oneof(
  fc.constant(-1),
  fc.constant(-2),
  fc.integer({ min: 0, max: 10 * 365 * 86400 * 1000 }),
  fc.constantFrom(8.64e15, 2 ** 62),
);
const now = fc.integer({ min: 0, max: 4_000_000_000_000 });
const tail = fc.oneof(
  fc.constant(''),
  fc.constant(',"layout":"koa","key":"k"'),
  text.map((t) => `,"key":${JSON.stringify(t)}`),
);
/** The info a previous session left, which every line must overwrite. */
const staleInfo = fc.constantFrom<LineInfo>(
  { readable: true },
  { readable: false, unreadable: 'not JSON', oddUserField: 'passport.user', oddUserShape: 'an object' },
);

/** The line lineOfRecord would write: the record's, unless `onlyUser` is neither its user nor its userName (Better Auth's email). */
function expectedLine(layout: SessionLayout, args: Args, info: LineInfo): string | undefined {
  const [sid, raw, ms, userFields, at, onlyUser, end] = args;
  const record = layout.record(sid, raw, ms, userFields, at, info);
  if (onlyUser !== undefined && record.user !== onlyUser && record.userName !== onlyUser) return undefined;
  return recordLine(record, raw, end);
}

type Args = [string, Buffer, number, readonly string[], number, string | undefined, string];

const fastLine = (layout: SessionLayout, [sid, raw, ms, userFields, at, onlyUser, end]: Args, info: LineInfo) =>
  layout.jsonLine(sid, raw, ms, userFields, at, onlyUser, info, end);

const cases: Array<[SessionLayout, fc.Arbitrary<unknown>]> = [
  [betterAuth, betterAuthValue],
  [koa, koaValue],
  [authjs, authjsValue],
];

describe.each(cases)('$name: jsonLine is recordLine(record(...))', (layout, session) => {
  const raw = stored(session);
  /** --user: none, the session's own user (found from its record, userName too where the layout has one), or any other text. */
  const args = fc.tuple(id, raw, pttl, fields, now, fc.nat(3), text, tail).map(([sid, r, ms, f, at, pick, other, end]): Args => {
    const record = layout.record(sid, r, ms, f, at);
    const onlyUser = [undefined, record.user ?? undefined, record.userName ?? undefined, other][pick];
    return [sid, r, ms, f, at, onlyUser, end];
  });

  test('for any stored value, id, TTL, clock, --user and tail, with the same LineInfo', () => {
    fc.assert(
      fc.property(args, staleInfo, fc.boolean(), (a, stale, checkedFirst) => {
        const want: LineInfo = { ...stale };
        const expected = expectedLine(layout, a, want);
        const got: LineInfo = { ...stale };
        // The listing asks isSessionValue first (and skips what is not one) on the same Buffer.
        if (checkedFirst) layout.isSessionValue?.(a[1]);
        expect(fastLine(layout, a, got)).toBe(expected);
        expect(got).toEqual(want);
      }),
      { numRuns: 3000 },
    );
  });

  test('a value isSessionValue read is not used for another Buffer, nor twice', () => {
    fc.assert(
      fc.property(args, raw, (a, other) => {
        layout.isSessionValue?.(other);
        expect(fastLine(layout, a, { readable: true })).toBe(expectedLine(layout, a, { readable: true }));
        layout.isSessionValue?.(a[1]);
        fastLine(layout, a, { readable: true });
        expect(fastLine(layout, a, { readable: true })).toBe(expectedLine(layout, a, { readable: true }));
      }),
      { numRuns: 500 },
    );
  });
});

/** Hand-written values: each layout's usual shape and the edges the fuzzing may reach only rarely. */
const NOW = Date.parse('2026-12-05T10:00:00.000Z');
const HAND_WRITTEN: Array<[SessionLayout, string]> = [
  [
    betterAuth,
    '{"session":{"id":"s1","token":"T","userId":"u1","expiresAt":"2026-12-12T10:00:00.000Z","createdAt":"2026-12-05T09:00:00.000Z","updatedAt":"2026-12-05T09:30:00.000Z","ipAddress":"203.0.113.7","userAgent":"Mozilla/5.0"},"user":{"email":"a@example.com"}}',
  ],
  [betterAuth, '{"session":{"token":"T","userId":"u1","expiresAt":1796000000000,"big":12345678901234567890,"n":[9007199254740993]}}'],
  [betterAuth, '{"session":{"token":"T","userId":"u1","expiresAt":"2026-12-12T10:00:00.000Z","__proto__":{"x":1}},"user":{"email":7}}'],
  [betterAuth, '{"session":{"token":"T","userId":"u1","expiresAt":"2026-12-12T10:00:00.000Z","__proto__":5,"2":"b","1":"a"}}'],
  [betterAuth, '{"session":{"token":"T","userId":"u\\u009b1","expiresAt":8.64e15,"createdAt":-8.64e15,"updatedAt":8640000000000001}}'],
  [betterAuth, '{"session":{"token":"T","userId":"u1","expiresAt":"not a date"}}'],
  [betterAuth, '{"session":{"token":"T","userId":"u1","expiresAt":"2026-12-12"},"user":{"email":"é\u202e@x"}} '],
  [betterAuth, '{"session":[],"user":{}}'],
  [koa, '{"_expire":1796000000000,"_maxAge":86400000,"passport":{"user":"alice"},"ip":"203.0.113.7"}'],
  [koa, '{"_expire":1796000000000.75,"passport":{"user":12345678901234567890},"big":-12345678901234567890}'],
  [koa, '{"_expire":-0.5,"userId":{"id":7},"__proto__":{"_maxAge":1}}'],
  [koa, '{"_expire":8.64e15,"userId":"u1"}'],
  [koa, '{"_expire":-8639999999999999.5,"userId":"u1"}'],
  [koa, '{"_expire":1e300,"user":"\\u2028"}'],
  [koa, '{"_expire":"1796000000000"}'],
  [koa, '{"_expire":1e999}'],
  [koa, '{"_expire":1, "passport" : { "user" : "bob" } ,"z":[1, 2]}'],
  [authjs, '{"sessionToken":"t","userId":"u1","expires":"2026-12-31T00:00:00.000Z"}'],
  [authjs, '{"sessionToken":"t","userId":"u1","expires":"Thu, 31 Dec 2026 00:00:00 GMT","extra":1}'],
  [authjs, '{"sessionToken":"t","userId":"\\u007f","expires":"+275760-09-13T00:00:00.000Z"}'],
  [authjs, '{"sessionToken":"t","userId":"u1","expires":"-271821-04-20T00:00:00.000Z"}'],
  [authjs, '{"sessionToken":"t","userId":"u1","expires":1796000000000}'],
  [authjs, '{"sessionToken":1,"userId":"u1","expires":"2026-12-31T00:00:00.000Z"}'],
];
const IDS = ['plain', 'q"uote', 'back\\slash', 'bidi\u202e', 'c1\u009b', 'lone\ud800', ''];
const TAILS = ['', ',"layout":"x","key":"k\\u009b"'];

describe('hand-written values', () => {
  test.each(HAND_WRITTEN)('%#: %s', (layout, json) => {
    const raw = Buffer.from(json);
    for (const sid of IDS)
      for (const ms of [-1, 0, 1, 1500, 86_400_000, 2 ** 62])
        for (const end of TAILS) {
          const record = layout.record(sid, raw, ms, DEFAULT_USER_FIELDS, NOW);
          for (const onlyUser of [undefined, record.user ?? undefined, record.userName ?? undefined, 'someone else']) {
            const a: Args = [sid, raw, ms, DEFAULT_USER_FIELDS, NOW, onlyUser, end];
            const want: LineInfo = { readable: true };
            const got: LineInfo = { readable: true };
            const expected = expectedLine(layout, a, want);
            expect(fastLine(layout, a, got)).toBe(expected);
            expect(got).toEqual(want);
          }
        }
  });
});
