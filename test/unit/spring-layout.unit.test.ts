/**
 * The spring layout on hashes built from real JDK 17 bytes (test/fixtures/jdk/vectors.json,
 * made by MakeVectors.java with Spring Security's class names and fields): who the user is,
 * which fields decide expiry, what a lifetime change and a revoke write. The same against a
 * real redis-server and a Java program that saves sessions as spring-session does:
 * test/int/spring-session.int.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { packHash } from '../../src/core/redis/hash-value.js';
import { jdkInteger, jdkLong, jdkString } from '../../src/core/sessions/decode/jdk.js';
import { spring } from '../../src/core/sessions/layouts/spring/index.js';
import type { LineInfo } from '../../src/core/sessions/layout.js';

const vectors = JSON.parse(readFileSync('test/fixtures/jdk/vectors.json', 'utf8')) as Record<string, string>;
const hex = (name: string) => Buffer.from(vectors[name] as string, 'hex');

const NOW = Date.parse('2026-12-05T10:00:00Z');
const ID = '3f1c2a8e-6b7d-4c1e-9a2b-5d4e3f2a1b0c';

function hash(fields: Record<string, Buffer>): Buffer {
  return packHash(Object.entries(fields).flatMap(([k, v]) => [Buffer.from(k), v]));
}

function session(attrs: Record<string, Buffer> = {}, lastAccessed = NOW - 60_000, maxInactive = 1800): Buffer {
  return hash({
    creationTime: jdkLong(NOW - 3_600_000),
    lastAccessedTime: jdkLong(lastAccessed),
    maxInactiveInterval: jdkInteger(maxInactive),
    ...attrs,
  });
}

describe('spring layout: records', () => {
  test('the user is the security context authentication name (a User principal), and the fields decide expiry', () => {
    const info: LineInfo = { readable: true };
    const r = spring.record(ID, session({ 'sessionAttr:SPRING_SECURITY_CONTEXT': hex('springContext') }), 5_000, [], NOW, info);
    expect(r).toMatchObject({
      id: ID,
      user: 'alice',
      readable: true,
      // lastAccessedTime + maxInactiveInterval, not the 5 s of TTL the key has
      ttlSeconds: 1740,
      expiresAt: new Date(NOW - 60_000 + 1_800_000).toISOString(),
      createdAt: new Date(NOW - 3_600_000).toISOString(),
      lastAccessedAt: new Date(NOW - 60_000).toISOString(),
      expiresBy: 'lastAccessedTime + maxInactiveInterval',
    });
    expect(info.readable).toBe(true);
  });

  test('a String principal, and the principal-name index attribute, which wins', () => {
    expect(spring.record(ID, session({ 'sessionAttr:SPRING_SECURITY_CONTEXT': hex('springStringPrincipal') }), -1, [], NOW).user).toBe(
      'bob',
    );
    const indexed = session({
      'sessionAttr:SPRING_SECURITY_CONTEXT': hex('springContext'),
      'sessionAttr:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME': jdkString('carol'),
    });
    expect(spring.record(ID, indexed, -1, [], NOW).user).toBe('carol');
  });

  test('attributes show as plain data; an anonymous session has no user; a negative maxInactiveInterval never expires', () => {
    const r = spring.record(ID, session({ 'sessionAttr:cart': jdkString('3 items') }, NOW, -1), -1, [], NOW);
    expect(r).toMatchObject({ user: null, ttlSeconds: -1, expiresAt: null, extra: { cart: '3 items' } });
  });

  test('a stored password or credentials is never shown (Spring keeps them unless the app erases them)', () => {
    const raw = session({ 'sessionAttr:token': hex('springSampleToken'), 'sessionAttr:SPRING_SECURITY_CONTEXT': hex('springContext') });
    expect(hex('springSampleToken').includes(Buffer.from('{noop}password'))).toBe(true);
    const shown = JSON.stringify([spring.record(ID, raw, -1, [], NOW).extra, spring.content(raw)]);
    expect(shown).not.toContain('{noop}password');
    expect(shown).toContain('"password":"(redacted)"');
  });

  test('unreadable: not a packed hash, no JDK or JSON field, no lifetime fields', () => {
    for (const raw of [Buffer.from('garbage'), hash({ a: Buffer.from([0xac, 0xed, 0, 5, 0x99]) }), hash({ creationTime: jdkLong(1) })]) {
      const info: LineInfo = { readable: true };
      const r = spring.record(ID, raw, 1000, [], NOW, info);
      expect([r.readable, info.readable, r.ttlSeconds]).toEqual([false, false, 1]);
    }
  });

  test('the JSON serializer (GenericJackson2JsonRedisSerializer) reads the same', () => {
    const raw = hash({
      creationTime: Buffer.from(String(NOW - 1000)),
      lastAccessedTime: Buffer.from(String(NOW)),
      maxInactiveInterval: Buffer.from('600'),
      'sessionAttr:SPRING_SECURITY_CONTEXT': Buffer.from(
        JSON.stringify({
          '@class': 'org.springframework.security.core.context.SecurityContextImpl',
          authentication: { '@class': 'x.UsernamePasswordAuthenticationToken', principal: { '@class': 'x.User', username: 'dave' } },
        }),
      ),
    });
    expect(spring.record(ID, raw, -1, [], NOW)).toMatchObject({ user: 'dave', ttlSeconds: 600 });
    const plan = spring.withLifetime(raw, 60_000, NOW, { prefix: 'spring:session:', id: ID, pttlMs: 600_000 });
    expect(plan?.fields?.map(([f, v]) => [f.toString(), v.toString()])).toEqual([
      ['lastAccessedTime', String(NOW)],
      ['maxInactiveInterval', '60'],
    ]);
  });
});

describe('spring layout: what a change writes', () => {
  const ns = 'spring:session:';

  test('a lifetime change on the default repository: the two fields as JDK values, the TTL, nothing else', () => {
    const raw = session({}, NOW - 60_000, 1800);
    const plan = spring.withLifetime(raw, 600_000, NOW, { prefix: ns, id: ID, pttlMs: 1_740_000 });
    expect(plan).toMatchObject({ ttlMs: 600_000, side: [] });
    expect(plan?.fields).toEqual([
      [Buffer.from('lastAccessedTime'), jdkLong(NOW)],
      [Buffer.from('maxInactiveInterval'), jdkInteger(600)],
    ]);
  });

  test('on the indexed repository (the hash outlives the session by 5 minutes): shadow key, expiration sets, +5 min on the hash', () => {
    const raw = session({}, NOW - 60_000, 1800);
    const plan = spring.withLifetime(raw, 600_000, NOW, { prefix: ns, id: ID, pttlMs: 1_740_000 + 300_000 });
    const member = jdkString(`expires:${ID}`);
    const minute = (ms: number) => (Math.floor(ms / 60_000) + 1) * 60_000;
    expect(plan?.ttlMs).toBe(900_000);
    expect(plan?.side).toEqual([
      { op: 'pexpire', key: Buffer.from(`${ns}sessions:expires:${ID}`), ms: 600_000 },
      { op: 'srem', key: Buffer.from(`${ns}expirations:${minute(NOW - 60_000 + 1_800_000)}`), member },
      { op: 'sadd', key: Buffer.from(`${ns}expirations:${minute(NOW + 600_000)}`), member, pexpireMs: 900_000 },
    ]);
  });

  test('a revoke also removes the shadow key, the expiration entry and the principal index member', () => {
    const raw = session({ 'sessionAttr:SPRING_SECURITY_CONTEXT': hex('springContext') }, NOW - 60_000, 1800);
    const minute = (Math.floor((NOW - 60_000 + 1_800_000) / 60_000) + 1) * 60_000;
    expect(spring.revokeSide?.(ns, ID, raw)).toEqual([
      { op: 'unlink', key: Buffer.from(`${ns}sessions:expires:${ID}`) },
      { op: 'srem', key: Buffer.from(`${ns}expirations:${minute}`), member: jdkString(`expires:${ID}`) },
      {
        op: 'srem',
        key: Buffer.from(`${ns}index:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:alice`),
        member: jdkString(ID),
      },
    ]);
    // revoke --all reads no values: the shadow key by id, the index keys by pattern afterwards.
    expect(spring.revokeSide?.(ns, ID, undefined)).toEqual([{ op: 'unlink', key: Buffer.from(`${ns}sessions:expires:${ID}`) }]);
  });

  test('lifetimeUndone: an old maxInactiveInterval, or a TTL put back shorter by a request in flight', () => {
    const now = Date.now();
    const fresh = session({}, now, 600);
    expect(spring.lifetimeUndone(fresh, 600_000, 600_000)).toBe(false);
    expect(spring.lifetimeUndone(fresh, 60_000, 600_000)).toBe(true);
    expect(spring.lifetimeUndone(session({}, now, 1800), 1_800_000, 600_000)).toBe(true);
  });
});

describe('spring layout: keys and cookies', () => {
  test('keys, the shadow keys the walker skips, ids, and detection under any namespace', () => {
    expect(spring.key('spring:session:app1:', ID).toString()).toBe(`spring:session:app1:sessions:${ID}`);
    expect(spring.match('spring:session:')).toBe('spring:session:sessions:*');
    const isSession = spring.isSession?.('spring:session:');
    expect(isSession?.(Buffer.from(`spring:session:sessions:${ID}`))).toBe(true);
    expect(isSession?.(Buffer.from(`spring:session:sessions:expires:${ID}`))).toBe(false);
    expect(spring.idOf('spring:session:')(Buffer.from(`spring:session:sessions:${ID}`))).toBe(ID);
    expect(spring.detect(Buffer.from(`app1:sessions:${ID}`), session())).toEqual({ prefix: 'app1:', id: ID });
    expect(spring.detect(Buffer.from(`app1:sessions:expires:${ID}`), session())).toBeUndefined();
    expect(spring.detect(Buffer.from(`app1:sessions:${ID}`), Buffer.from('{}'))).toBeUndefined();
  });

  test('the SESSION cookie is the id in base64, bare or in a header; it is not signed', () => {
    const value = Buffer.from(ID).toString('base64');
    expect(spring.cookie.isBareValue(value)).toBe(true);
    expect(spring.cookie.isBareValue(`SESSION=${value}`)).toBe(false);
    expect(spring.cookie.read(value).id).toBe(ID);
    expect(() => spring.cookie.read(value).verify(['secret'])).toThrow(/not signed/);
    expect(() => spring.cookie.read('%%%')).toThrow(/not a Spring Session cookie/);
    expect(() => spring.cookie.read(Buffer.from('a b\n').toString('base64'))).toThrow(/not a Spring Session cookie/);
  });

  test('the principal index: its key, its members, and whose it is', () => {
    const index = spring.userIndex?.('spring:session:', 'alice');
    expect(index?.key.toString()).toBe(
      'spring:session:index:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:alice',
    );
    expect(index?.idOf(jdkString(ID))).toBe(ID);
    expect(index?.idOf(Buffer.from(JSON.stringify(ID)))).toBe(ID);
    expect(index?.idOf(Buffer.from([0xac, 0xed]))).toBeUndefined();
    expect(spring.indexOwner?.('spring:session:', index?.key as Buffer)).toBe('alice');
    expect(spring.indexOwner?.('spring:session:', Buffer.from('spring:session:expirations:1'))).toBeUndefined();
  });
});
