/**
 * The gob reader (src/core/sessions/decode/gob.ts) on values Go's own encoding/gob wrote
 * (test/fixtures/gorilla/vectors.json, made by vectors/main.go), and the gorilla layout's reading
 * of them: session.Values as redistore stores it, numbers at their edges, structs in interfaces
 * in interfaces (type definitions that split messages), the securecookie id, doc.go's example.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { decodeGob } from '../../src/core/sessions/decode/gob.js';
import { gorilla } from '../../src/core/sessions/layouts/gorilla/index.js';

const vectors = JSON.parse(readFileSync('test/fixtures/gorilla/vectors.json', 'utf8')) as Record<string, string>;
const vector = (name: string) => Buffer.from(vectors[name] as string, 'hex');
const NOW = Date.parse('2026-12-05T10:00:00Z');

function decoded(name: string): Record<string, unknown> {
  const r = decodeGob(vector(name));
  if (!r.ok) throw new Error(r.reason);
  expect(r.trailing).toBe(0);
  return r.value as Record<string, unknown>;
}

describe('decodeGob on what Go wrote', () => {
  test("redistore's session.Values: string keys, an int key, an int, a time.Time", () => {
    const r = decodeGob(vector('session'));
    expect(r).toMatchObject({ ok: true, type: 'map[interface{}]interface{}' });
    const value = decoded('session');
    expect(value['@entries']).toEqual(
      expect.arrayContaining([
        ['username', 'alice'],
        ['user_id', 7],
        ['login', { '@type': 'time.Time', '@time': '2026-12-05T10:00:00.123Z' }],
        [42, 'an int key'],
      ]),
    );
  });

  test('numbers at their edges and the basic types', () => {
    const v = decoded('numbers');
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect({ ...v }).toEqual({
      maxInt64: '9223372036854775807',
      minInt64: '-9223372036854775808',
      maxUint64: '18446744073709551615',
      safe: 9007199254740991,
      neg: -129,
      float: 17,
      pi: Math.PI,
      negZero: -0,
      inf: '+Inf',
      nan: 'NaN',
      complex: { '@complex': [1.5, -2] },
      bytes: { '@bytes': Buffer.from([0, 1, 254, 255]).toString('base64') },
      bool: true,
      false: false,
      nil: null,
      uint8: 200,
      float32: 0.5,
      ['__proto__']: 'just a key',
      '@@type': 'a key with an at',
    });
    expect(Object.hasOwn(v, '__proto__')).toBe(true);
  });

  test('structs in interfaces in interfaces: nested type definitions, registered names, pointers, arrays', () => {
    const outer = decoded('nested')['outer'] as Record<string, unknown>;
    expect(outer).toEqual({
      '@type': 'main.Outer',
      Name: 'o',
      Inner: { '@type': 'Inner', Tags: { a: 1 }, Bytes: { '@bytes': Buffer.from('xy').toString('base64') } },
      Ptr: { '@type': 'Inner', Tags: { b: 2 } },
      Fixed: [1, 2, 3],
      Any: [
        { deep: { '@type': 'main.Ticket', Serial: 9 }, when: { '@type': 'time.Time', '@time': '1970-01-01T00:00:00.000Z' } },
        's',
        // Go sends arrays and struct-typed fields even when zero (doc.go: "except for arrays").
        {
          '@type': 'main.Outer',
          Name: 'inner',
          Inner: { '@type': 'Inner' },
          Fixed: [0, 0, 0],
          Any: { '@type': 'main.Ticket', Serial: 10 },
        },
      ],
      Nested: [{ '@type': 'Outer', Name: 'child', Inner: { '@type': 'Inner' }, Fixed: [0, 0, 0] }],
    });
  });

  test("a securecookie's id, and doc.go's Point{22, 33}", () => {
    expect(decodeGob(vector('cookieId'))).toEqual({
      ok: true,
      value: 'LSWF73HCXHF2JZ35XK46FFI4LR7Q6KZUJYMNC2EWHFLI6HTJI5MQ',
      type: 'string',
      trailing: 0,
    });
    expect({ ...decoded('point') }).toEqual({ '@type': 'Point', X: 22, Y: 33 });
    // doc.go's own bytes for it, the type sent once and the value twice: the second is trailing.
    const doc = Buffer.from(
      '1fff81030101 05506f696e74 01ff82 00 0102 010158 0104 00 010159 0104 00 00 00 07ff82012c014200 07ff82012c014200'.replace(/ /g, ''),
      'hex',
    );
    expect(decodeGob(doc)).toMatchObject({ ok: true, type: 'Point', trailing: 8 });
  });
});

describe('the gorilla layout on them', () => {
  test('a record: the user by --user-field, the rest in extra, the TTL the key has', () => {
    const raw = vector('session');
    const record = gorilla.record('ID', raw, 60_000, ['username'], NOW);
    expect(record).toMatchObject({ id: 'ID', user: 'alice', ttlSeconds: 60, readable: true });
    expect(record.extra).toMatchObject({ user_id: 7, '@entries': [[42, 'an int key']] });
    expect(gorilla.record('ID', raw, 60_000, ['user_id'], NOW).user).toBe('7');
    expect(gorilla.record('ID', raw, -1, ['nobody'], NOW)).toMatchObject({ user: null, ttlSeconds: -1, expiresAt: null });
    // A struct member, by path.
    expect(gorilla.record('ID', vector('nested'), 1000, ['outer.Inner.Tags.a'], NOW).user).toBe('1');
    const line = gorilla.jsonLine('ID', raw, 60_000, ['username'], NOW, 'alice', { readable: true });
    expect(JSON.parse(line as string)).toMatchObject({ id: 'ID', user: 'alice', readable: true });
    expect(gorilla.jsonLine('ID', raw, 60_000, ['username'], NOW, 'bob', { readable: true })).toBeUndefined();
  });

  test("the --user prefilter keeps every session of the user: a gob string is the user's bytes", () => {
    const [needle] = gorilla.userPrefilter('alice');
    expect(vector('session').includes(needle as Buffer)).toBe(true);
    expect(gorilla.userPrefilter('7')).toEqual([]);
  });

  test("redistore's JSONSerializer values", () => {
    const raw = Buffer.from(JSON.stringify({ username: 'bob', user_id: 8, login: '2026-12-05T10:00:00Z' }));
    expect(gorilla.record('ID', raw, 1000, ['username'], NOW)).toMatchObject({ user: 'bob', readable: true, extra: { user_id: 8 } });
    expect(gorilla.content(raw)).toEqual({ username: 'bob', user_id: 8, login: '2026-12-05T10:00:00Z' });
  });

  test('what is not session.Values is unreadable: another gob type, not gob at all', () => {
    expect(gorilla.record('ID', vector('cookieId'), 1000, ['username'], NOW)).toMatchObject({
      readable: false,
      unreadable: 'gob of string, not a map',
    });
    expect(gorilla.record('ID', Buffer.from('{not json'), 1000, ['username'], NOW).readable).toBe(false);
    expect(gorilla.withLifetime(Buffer.from('x'), 1000, NOW, { prefix: 'session_', id: 'ID', pttlMs: 1 })).toBeUndefined();
  });

  test('detect: the 52-character base32 id, and a gob map[interface{}]interface{} (JSON only under session_)', () => {
    const id = 'LSWF73HCXHF2JZ35XK46FFI4LR7Q6KZUJYMNC2EWHFLI6HTJI5MQ';
    expect(gorilla.detect(Buffer.from(`app:session_${id}`), vector('session'))).toEqual({ prefix: 'app:session_', id });
    expect(gorilla.detect(Buffer.from(`myapp_${id}`), vector('session'))).toEqual({ prefix: 'myapp_', id });
    expect(gorilla.detect(Buffer.from(`session_${id.toLowerCase()}`), vector('session'))).toBeUndefined();
    expect(gorilla.detect(Buffer.from(`session_${id}`), vector('numbers'))).toEqual({ prefix: 'session_', id });
    expect(gorilla.detect(Buffer.from(`session_${id}`), vector('point'))).toBeUndefined();
    const json = Buffer.from('{"username":"bob"}');
    expect(gorilla.detect(Buffer.from(`session_${id}`), json)).toEqual({ prefix: 'session_', id });
    expect(gorilla.detect(Buffer.from(`other_${id}`), json)).toBeUndefined();
  });

  test('withLifetime changes the TTL alone and says the next save undoes it; lifetimeUndone sees a longer TTL', () => {
    const plan = gorilla.withLifetime(vector('session'), 600_000, NOW, { prefix: 'session_', id: 'ID', pttlMs: 3_600_000 });
    expect(plan).toEqual({ ttlMs: 600_000, side: [], note: expect.stringMatching(/SETEX.*next save.*--hold/) });
    expect(gorilla.lifetimeUndone(vector('session'), 3_600_000, 600_000)).toBe(true);
    expect(gorilla.lifetimeUndone(vector('session'), 599_000, 600_000)).toBe(false);
    expect(gorilla.lifetimeUndone(vector('session'), -1, 600_000)).toBe(true);
  });
});
