import { DEFAULT_USER_FIELDS } from '../../src/core/defaults.js';
import { describe, test, expect } from '@jest/globals';
import { parseSessionJson, sessionUser } from '../../src/core/sessions/decode/json-session.js';
import { toSessionRecord, withLifetime } from '../../src/core/sessions/layouts/connect-redis/record.js';
import type { LineInfo } from '../../src/core/sessions/layout.js';

const NOW = Date.UTC(2026, 10, 28, 1, 0, 0); // 2026-11-28T01:00:00.000Z
const DAY_MS = 86_400_000;

/** A session as express-session + connect-redis store it. */
function session(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    cookie: { originalMaxAge: DAY_MS, expires: '2026-11-29T01:00:00.000Z', secure: false, httpOnly: true, path: '/' },
    ...extra,
  });
}

function record(raw: string, fields: readonly string[] = DEFAULT_USER_FIELDS, pttl = 3_600_000) {
  return toSessionRecord('sid123', raw, pttl, fields, NOW);
}

describe('DEFAULT_USER_FIELDS', () => {
  test('is passport.user, userId, user.id, username in that order', () => {
    expect(DEFAULT_USER_FIELDS).toEqual(['passport.user', 'userId', 'user.id', 'username']);
  });
});

describe('the user of a session', () => {
  test('passport.user', () => {
    expect(record(session({ passport: { user: 'alice' } })).user).toBe('alice');
  });

  test('userId as a string', () => {
    expect(record(session({ userId: 'bob' })).user).toBe('bob');
  });

  test('userId as a number becomes a string', () => {
    const r = record(session({ userId: 42 }));
    expect(r.user).toBe('42');
    expect(typeof r.user).toBe('string');
    expect(record(session({ userId: 0 })).user).toBe('0');
  });

  test('user.id', () => {
    expect(record(session({ user: { id: 'carol', role: 'admin' } })).user).toBe('carol');
    expect(record(session({ user: { id: 7 } })).user).toBe('7');
  });

  test('username', () => {
    expect(record(session({ username: 'dave' })).user).toBe('dave');
  });

  test('the default order is passport.user, userId, user.id, username', () => {
    const all = { username: 'd', user: { id: 'c' }, userId: 'b', passport: { user: 'a' } };
    expect(record(session(all)).user).toBe('a');
    const { passport: _p, ...noPassport } = all;
    expect(record(session(noPassport)).user).toBe('b');
    const { userId: _u, ...noUserId } = noPassport;
    expect(record(session(noUserId)).user).toBe('c');
    const { user: _c, ...onlyUsername } = noUserId;
    expect(record(session(onlyUsername)).user).toBe('d');
  });

  test('a missing, null or empty field is skipped for the next one', () => {
    expect(record(session({ passport: {}, userId: 'bob' })).user).toBe('bob');
    expect(record(session({ userId: null, username: 'dave' })).user).toBe('dave');
    expect(record(session({ userId: '', username: 'dave' })).user).toBe('dave');
    expect(record(session({ user: 'plain-string', username: 'dave' })).user).toBe('dave');
  });

  // Issue 13 item 18 changed this rule: such a field used to be skipped for the next one, which
  // could attribute the session to whoever a lower-priority field names.
  test.each([
    ['an object', { passport: { user: { id: 7, username: 'alice' } }, userId: 'bob' }, 'passport.user'],
    ['a boolean', { userId: true, username: 'dave' }, 'userId'],
    ['an array', { userId: ['a'], username: 'dave' }, 'userId'],
  ])('a present field holding %s names no user and stops the lookup (counted for the hint)', (shape, fields, field) => {
    const info: LineInfo = { readable: true };
    const r = toSessionRecord('sid', session(fields), 1000, DEFAULT_USER_FIELDS, NOW, info);
    expect(r.user).toBeNull();
    expect(info).toMatchObject({ oddUserField: field, oddUserShape: shape });
    // The odd field stays visible in extra, where the operator can see what it holds.
    expect(Object.keys(r.extra ?? {})).toContain(field.split('.')[0]);
  });

  test('--user-field can name the member of an object-valued user field', () => {
    const raw = session({ passport: { user: { id: 7, username: 'alice' } } });
    expect(record(raw, ['passport.user.username']).user).toBe('alice');
    expect(record(raw, ['passport.user.id']).user).toBe('7');
  });

  test('no user field at all gives user null, still readable', () => {
    const r = record(session({ views: 3 }));
    expect(r.user).toBeNull();
    expect(r.readable).toBe(true);
  });

  test('inherited properties are not user fields', () => {
    expect(sessionUser({}, ['constructor.name'])).toBeUndefined();
    expect(sessionUser({ a: 'x' }, ['a.length'])).toBeUndefined();
    expect(sessionUser(JSON.parse('{"__proto__":{"id":"evil"}}') as Record<string, unknown>, ['__proto__.id'])).toEqual({
      user: 'evil',
      field: '__proto__.id',
    });
  });

  test('a custom field list is used instead of the defaults', () => {
    const raw = session({ passport: { user: 'alice' }, account: { email: 'erin@example.com' } });
    expect(record(raw, ['account.email']).user).toBe('erin@example.com');
    expect(record(session({ passport: { user: 'alice' } }), ['account.email']).user).toBeNull();
    expect(record(session({ a: { b: { c: 'deep' } } }), ['a.b.c']).user).toBe('deep');
  });

  test('sessionUser reports which field matched', () => {
    expect(sessionUser({ userId: 5, username: 'x' }, DEFAULT_USER_FIELDS)).toEqual({ user: '5', field: 'userId' });
  });

  test('non-finite numbers are not users', () => {
    expect(sessionUser({ userId: Number.NaN, username: 'x' }, DEFAULT_USER_FIELDS)).toEqual({ user: 'x', field: 'username' });
    expect(sessionUser({ userId: Infinity }, DEFAULT_USER_FIELDS)).toBeUndefined();
  });
});

describe('unreadable values', () => {
  test.each([
    ['not JSON', 'not json at all'],
    ['truncated JSON', '{"cookie":{"originalMaxAge":1'],
    ['a JSON array', '[{"passport":{"user":"alice"}}]'],
    ['a JSON string', '"alice"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
    ['JSON true', 'true'],
    ['empty string', ''],
    ['a serialized PHP session', 'passport|a:1:{s:4:"user";s:5:"alice";}'],
  ])('%s is unreadable, with user and extra null', (_, raw) => {
    const r = record(raw);
    expect(r.readable).toBe(false);
    expect(r.user).toBeNull();
    expect(r.extra).toBeNull();
    expect(r.id).toBe('sid123');
    expect(r.ttlSeconds).toBe(3600);
  });

  test('parseSessionJson returns only JSON objects', () => {
    expect(parseSessionJson('{"a":1}')).toEqual({ a: 1 });
    expect(parseSessionJson('{}')).toEqual({});
    expect(parseSessionJson('[]')).toBeUndefined();
    expect(parseSessionJson('"x"')).toBeUndefined();
    expect(parseSessionJson('null')).toBeUndefined();
    expect(parseSessionJson('{')).toBeUndefined();
  });
});

describe('extra', () => {
  test('excludes cookie and the passport root when the user came from passport.user', () => {
    const r = record(session({ passport: { user: 'alice' }, ip: '203.0.113.7', userAgent: 'Firefox' }));
    expect(r.extra).toEqual({ ip: '203.0.113.7', userAgent: 'Firefox' });
  });

  test('excludes the user root object when the user came from user.id', () => {
    const r = record(session({ user: { id: 'carol', email: 'c@example.com' }, ip: '198.51.100.1' }));
    expect(r.extra).toEqual({ ip: '198.51.100.1' });
  });

  test('excludes the top-level user field', () => {
    expect(record(session({ userId: 42, csrf: 'tok' })).extra).toEqual({ csrf: 'tok' });
  });

  test('keeps fields that were not the user field, even other candidates', () => {
    const r = record(session({ passport: { user: 'alice' }, username: 'display-name' }));
    expect(r.user).toBe('alice');
    expect(r.extra).toEqual({ username: 'display-name' });
  });

  test('is null when only cookie and the user are present', () => {
    expect(record(session({ passport: { user: 'alice' } })).extra).toBeNull();
    expect(record(session()).extra).toBeNull();
  });

  test('without a user, everything but cookie is extra', () => {
    expect(record(session({ flash: { info: ['hi'] } })).extra).toEqual({ flash: { info: ['hi'] } });
  });

  test('never contains the cookie', () => {
    const r = record(session({ passport: { user: 'alice' }, n: 1 }));
    expect(r.extra).not.toHaveProperty('cookie');
  });

  test('with a custom field, the root of that path is excluded', () => {
    const r = record(session({ account: { email: 'e@example.com' }, passport: { user: 'alice' } }), ['account.email']);
    expect(r.extra).toEqual({ passport: { user: 'alice' } });
  });
});

describe('ttlSeconds and expiresAt', () => {
  test('come from the PTTL in milliseconds', () => {
    const r = record(session(), DEFAULT_USER_FIELDS, 3_600_000);
    expect(r.ttlSeconds).toBe(3600);
    expect(r.expiresAt).toBe('2026-11-28T02:00:00.000Z');
  });

  test('a partial second rounds up, so a live key never shows 0s', () => {
    expect(record(session(), DEFAULT_USER_FIELDS, 1).ttlSeconds).toBe(1);
    expect(record(session(), DEFAULT_USER_FIELDS, 1500).ttlSeconds).toBe(2);
    expect(record(session(), DEFAULT_USER_FIELDS, 1500).expiresAt).toBe('2026-11-28T01:00:01.500Z');
  });

  test('pttl -1 (no expiry) gives ttlSeconds -1 and expiresAt null', () => {
    const r = record(session({ passport: { user: 'alice' } }), DEFAULT_USER_FIELDS, -1);
    expect(r.ttlSeconds).toBe(-1);
    expect(r.expiresAt).toBeNull();
    expect(r.user).toBe('alice');
  });

  test('unreadable values still get their TTL', () => {
    const r = record('garbage', DEFAULT_USER_FIELDS, 90_000);
    expect(r.ttlSeconds).toBe(90);
    expect(r.expiresAt).toBe('2026-11-28T01:01:30.000Z');
    expect(record('garbage', DEFAULT_USER_FIELDS, -1).expiresAt).toBeNull();
  });

  test('the record has exactly the documented --json fields', () => {
    expect(Object.keys(record(session({ passport: { user: 'a' }, ip: 'x' }))).sort()).toEqual(
      ['expiresAt', 'extra', 'id', 'readable', 'ttlSeconds', 'user'].sort(),
    );
  });
});

describe('withLifetime', () => {
  const original = {
    cookie: { originalMaxAge: DAY_MS, expires: '2026-11-29T01:00:00.000Z', secure: true, httpOnly: true, path: '/', sameSite: 'lax' },
    passport: { user: 'alice' },
    ip: '203.0.113.7',
    flash: {},
  };
  const raw = JSON.stringify(original);

  test('sets cookie.originalMaxAge to the TTL and cookie.expires to now + TTL (ISO)', () => {
    const out = withLifetime(raw, 1_800_000, NOW);
    expect(out).toBeDefined();
    const parsed = JSON.parse(out as string) as typeof original;
    expect(parsed.cookie.originalMaxAge).toBe(1_800_000);
    expect(parsed.cookie.expires).toBe('2026-11-28T01:30:00.000Z');
    expect(new Date(parsed.cookie.expires).getTime()).toBe(NOW + 1_800_000);
  });

  test('keeps every other field and its value', () => {
    const parsed = JSON.parse(withLifetime(raw, 60_000, NOW) as string) as typeof original;
    expect(parsed.passport).toEqual(original.passport);
    expect(parsed.ip).toBe(original.ip);
    expect(parsed.flash).toEqual({});
    expect(parsed.cookie.secure).toBe(true);
    expect(parsed.cookie.httpOnly).toBe(true);
    expect(parsed.cookie.path).toBe('/');
    expect(parsed.cookie.sameSite).toBe('lax');
  });

  test('keeps the key order of the session and of the cookie', () => {
    const out = withLifetime(raw, 60_000, NOW) as string;
    const parsed = JSON.parse(out) as Record<string, Record<string, unknown>>;
    expect(Object.keys(parsed)).toEqual(['cookie', 'passport', 'ip', 'flash']);
    expect(Object.keys(parsed['cookie'] ?? {})).toEqual(['originalMaxAge', 'expires', 'secure', 'httpOnly', 'path', 'sameSite']);
    // Byte-for-byte what express-session would write: only the two values differ.
    const expected = raw
      .replace(`"originalMaxAge":${DAY_MS}`, '"originalMaxAge":60000')
      .replace('2026-11-29T01:00:00.000Z', '2026-11-28T01:01:00.000Z');
    expect(out).toBe(expected);
  });

  test('keeps the position of cookie when it is not the first key', () => {
    const rawLate = JSON.stringify({ passport: { user: 'a' }, cookie: { path: '/', originalMaxAge: 1, expires: 'x' }, z: 1 });
    const parsed = JSON.parse(withLifetime(rawLate, 5000, NOW) as string) as Record<string, Record<string, unknown>>;
    expect(Object.keys(parsed)).toEqual(['passport', 'cookie', 'z']);
    expect(Object.keys(parsed['cookie'] ?? {})).toEqual(['path', 'originalMaxAge', 'expires']);
  });

  test('adds originalMaxAge and expires to a cookie that lacks them', () => {
    const parsed = JSON.parse(withLifetime('{"cookie":{"path":"/"}}', 5000, NOW) as string) as { cookie: Record<string, unknown> };
    expect(parsed.cookie).toEqual({ path: '/', originalMaxAge: 5000, expires: '2026-11-28T01:00:05.000Z' });
  });

  test('replaces a null expires (a browser-session cookie)', () => {
    const parsed = JSON.parse(withLifetime('{"cookie":{"originalMaxAge":null,"expires":null}}', 5000, NOW) as string) as {
      cookie: Record<string, unknown>;
    };
    expect(parsed.cookie).toEqual({ originalMaxAge: 5000, expires: '2026-11-28T01:00:05.000Z' });
  });

  test('does not modify anything but the cookie timing', () => {
    const out = withLifetime(raw, DAY_MS, NOW + DAY_MS - DAY_MS) as string;
    const a = JSON.parse(out) as Record<string, unknown>;
    const b = JSON.parse(raw) as Record<string, unknown>;
    delete (a['cookie'] as Record<string, unknown>)['expires'];
    delete (b['cookie'] as Record<string, unknown>)['expires'];
    expect(a).toEqual(b);
  });

  test.each([
    ['no cookie', '{"passport":{"user":"alice"}}'],
    ['cookie is null', '{"cookie":null}'],
    ['cookie is a string', '{"cookie":"abc"}'],
    ['cookie is a number', '{"cookie":5}'],
    ['cookie is an array', '{"cookie":[1,2]}'],
    ['not JSON', 'garbage'],
    ['a JSON array', '[{"cookie":{}}]'],
    ['a JSON string', '"{\\"cookie\\":{}}"'],
  ])('returns undefined when there is no cookie object: %s', (_, value) => {
    expect(withLifetime(value, 60_000, NOW)).toBeUndefined();
  });

  test('keeps an own "__proto__" key as data (no prototype games)', () => {
    const withProto = '{"cookie":{"originalMaxAge":1,"expires":"x"},"__proto__":{"admin":true},"passport":{"user":"a"}}';
    const out = withLifetime(withProto, 5000, NOW) as string;
    expect(out).toBe(
      '{"cookie":{"originalMaxAge":5000,"expires":"2026-11-28T01:00:05.000Z"},"__proto__":{"admin":true},"passport":{"user":"a"}}',
    );
  });

  test('the result is a readable session record with the same user', () => {
    const out = withLifetime(raw, 60_000, NOW) as string;
    const r = toSessionRecord('sid', out, 60_000, DEFAULT_USER_FIELDS, NOW);
    expect(r.readable).toBe(true);
    expect(r.user).toBe('alice');
    expect(r.extra).toEqual({ ip: '203.0.113.7', flash: {} });
  });
});
