/**
 * The Spring Session fixture (test/helpers/spring.ts) against a throwaway redis-server: what its
 * two repositories store is the layout ../shared/layouts.md §2 documents (keys, types, TTLs, JDK
 * serialization), it reads back values written from outside with the JDK's ObjectInputStream, and
 * it behaves as Spring's source says on requests, logout, lookups by user and keyspace events.
 * The tool's own Spring tests build on this driver.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RESP_TYPES, type RedisClientType } from 'redis';
import { useTestRedis } from '../helpers/fixture.js';
import { SpringAppError, startSpringApp, type FoundSession, type SessionLookup, type SpringApp } from '../helpers/spring.js';
import { waitFor } from '../helpers/wait.js';

let redis: RedisClientType;
let spring: SpringApp;

const t = useTestRedis((ready) => {
  redis = ready.redis;
});

beforeAll(async () => {
  spring = await startSpringApp(t.server.port);
});

afterAll(async () => {
  await spring?.close();
});

const NS = 'spring:session';
const INDEX = `${NS}:index:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME`;

/** java.lang.Long and java.lang.Integer as JDK 17's ObjectOutputStream writes them: a fixed prefix, then the value. */
const LONG_PREFIX =
  'aced00057372000e6a6176612e6c616e672e4c6f6e673b8be490cc8f23df0200014a000576616c7565787200106a6176612e6c616e672e4e756d62657286ac951d0b94e08b0200007870';
const INTEGER_PREFIX =
  'aced0005737200116a6176612e6c616e672e496e746567657212e2a0a4f781873802000149000576616c7565787200106a6176612e6c616e672e4e756d62657286ac951d0b94e08b0200007870';

function jdkLong(n: number): Buffer {
  const value = Buffer.alloc(8);
  value.writeBigInt64BE(BigInt(n));
  return Buffer.concat([Buffer.from(LONG_PREFIX, 'hex'), value]);
}

function jdkInteger(n: number): Buffer {
  const value = Buffer.alloc(4);
  value.writeInt32BE(n);
  return Buffer.concat([Buffer.from(INTEGER_PREFIX, 'hex'), value]);
}

/** A short ASCII java.lang.String: TC_STRING, a two-byte length, the bytes. */
function jdkString(s: string): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(s.length);
  return Buffer.concat([Buffer.from('aced000574', 'hex'), length, Buffer.from(s)]);
}

const hex = (b: Buffer) => `hex:${b.toString('hex')}`;

/** Every key with its type and PTTL, sorted by key. */
async function layout(): Promise<Array<[string, string, number]>> {
  const keys = (await redis.keys('*')).sort();
  return Promise.all(keys.map(async (k): Promise<[string, string, number]> => [k, await redis.type(k), Number(await redis.pTTL(k))]));
}

async function rawHash(key: string): Promise<Map<string, Buffer>> {
  const hash = (await redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).hGetAll(key)) as unknown as Record<string, Buffer>;
  return new Map(Object.entries(hash));
}

async function rawMembers(key: string): Promise<Buffer[]> {
  return (await redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).sendCommand(['SMEMBERS', key])) as unknown as Buffer[];
}

/** The minute set a session lands in: lastAccessedTime + maxInactiveInterval, rounded up to the next minute. */
function expirationsKey(lastAccessedTime: number, maxInactiveSeconds: number): string {
  const end = lastAccessedTime + maxInactiveSeconds * 1000;
  return `${NS}:expirations:${(Math.floor(end / 60000) + 1) * 60000}`;
}

/** A TTL within a second of what was expected (the two clocks read it at different moments). */
function expectWithinASecond(actualMs: number, expectedMs: number): void {
  expect(Math.abs(actualMs - expectedMs)).toBeLessThan(1000);
}

function found(lookup: SessionLookup): FoundSession {
  if (!lookup.found) throw new Error('the session was not found');
  return lookup;
}

const names = (commands: string[][]) => commands.map((c) => c[0]);

async function clockPast(ms: number): Promise<void> {
  await waitFor('the clock to pass the session time', () => Date.now() > ms + 2, { intervalMs: 2 });
}

describe('RedisSessionRepository (default)', () => {
  test('a login stores one hash of JDK-serialized values with EXPIREAT lastAccessedTime + maxInactiveInterval', async () => {
    const s = await spring.create({ repo: 'default', principal: 'alice', maxInactiveSeconds: 1800, attributes: { color: 'blue' } });
    const key = `${NS}:sessions:${s.id}`;
    expect(s.cookie).toBe(Buffer.from(s.id).toString('base64'));
    const [[k, type, pttl]] = (await layout()) as [[string, string, number]];
    expect([k, type]).toEqual([key, 'hash']);
    expectWithinASecond(pttl, s.lastAccessedTime + 1_800_000 - Date.now());
    expect(s.commands).toEqual([
      ['HMSET', key, ...s.commands[0]!.slice(2)],
      ['PEXPIREAT', key, String(s.lastAccessedTime + 1_800_000)],
    ]);

    const hash = await rawHash(key);
    expect([...hash.keys()].sort()).toEqual([
      'creationTime',
      'lastAccessedTime',
      'maxInactiveInterval',
      'sessionAttr:SPRING_SECURITY_CONTEXT',
      'sessionAttr:color',
    ]);
    for (const value of hash.values()) expect(value.subarray(0, 4).toString('hex')).toBe('aced0005');
    expect(hash.get('creationTime')).toEqual(jdkLong(s.creationTime));
    expect(hash.get('lastAccessedTime')).toEqual(jdkLong(s.lastAccessedTime));
    expect(hash.get('maxInactiveInterval')).toEqual(jdkInteger(1800));
    expect(hash.get('sessionAttr:color')).toEqual(jdkString('blue'));
    // The security context carries Spring Security's class names.
    const context = hash.get('sessionAttr:SPRING_SECURITY_CONTEXT')!.toString('latin1');
    for (const name of [
      'org.springframework.security.core.context.SecurityContextImpl',
      'org.springframework.security.authentication.UsernamePasswordAuthenticationToken',
      'org.springframework.security.core.userdetails.User',
      'org.springframework.security.core.authority.SimpleGrantedAuthority',
    ])
      expect(context).toContain(name);

    const read = found(await spring.find('default', s.id));
    expect(read).toMatchObject({
      id: s.id,
      principal: 'alice',
      creationTime: s.creationTime,
      lastAccessedTime: s.lastAccessedTime,
      maxInactiveInterval: 1800,
      attributes: {
        color: { class: 'java.lang.String', value: 'blue' },
        SPRING_SECURITY_CONTEXT: { class: 'org.springframework.security.core.context.SecurityContextImpl' },
      },
    });
    expect(read.commands).toEqual([['HGETALL', key]]);
  });

  test('a request moves lastAccessedTime and the key TTL; a session gone from Redis is not found', async () => {
    const s = await spring.create({ repo: 'default', principal: 'bob', principalForm: 'string', maxInactiveSeconds: 600 });
    const key = `${NS}:sessions:${s.id}`;
    await redis.pExpire(key, 5000);
    await clockPast(s.lastAccessedTime);
    const r = found(await spring.request('default', s.id));
    expect(r.lastAccessedTime).toBeGreaterThan(s.lastAccessedTime);
    expect(r.principal).toBe('bob');
    expectWithinASecond(Number(await redis.pTTL(key)), r.lastAccessedTime + 600_000 - Date.now());
    expect((await rawHash(key)).get('lastAccessedTime')).toEqual(jdkLong(r.lastAccessedTime));
    // findById, then save: EXISTS (a saved session must still exist), HMSET of the change only, PEXPIREAT.
    expect(r.commands).toEqual([
      ['HGETALL', key],
      ['EXISTS', key],
      ['HMSET', key, 'lastAccessedTime', hex(jdkLong(r.lastAccessedTime))],
      ['PEXPIREAT', key, String(r.lastAccessedTime + 600_000)],
    ]);

    await redis.del(key);
    expect(await spring.request('default', s.id)).toEqual({ found: false, commands: [['HGETALL', key]] });
    expect(await redis.exists(key)).toBe(0);
  });

  test('reads values written from outside with ObjectInputStream: an old lastAccessedTime expires and deletes the session', async () => {
    const s = await spring.create({ repo: 'default', maxInactiveSeconds: 600 });
    const key = `${NS}:sessions:${s.id}`;
    await redis.hSet(key, 'maxInactiveInterval', jdkInteger(60));
    expect(found(await spring.find('default', s.id)).maxInactiveInterval).toBe(60);
    await redis.hSet(key, 'lastAccessedTime', jdkLong(Date.now() - 61_000));
    const gone = await spring.find('default', s.id);
    expect(gone).toEqual({
      found: false,
      commands: [
        ['HGETALL', key],
        ['DEL', key],
      ],
    });
    expect(await redis.exists(key)).toBe(0);
  });

  test('a maxInactiveInterval stored as a Long makes the application fail (ClassCastException)', async () => {
    const s = await spring.create({ repo: 'default' });
    await redis.hSet(`${NS}:sessions:${s.id}`, 'maxInactiveInterval', jdkLong(60));
    const err = await spring.find('default', s.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpringAppError);
    expect((err as SpringAppError).javaClass).toBe('java.lang.ClassCastException');
  });

  test('another namespace prefixes the key; logout deletes it', async () => {
    const s = await spring.create({ repo: 'default', namespace: 'spring:session:shop', principal: 'carol' });
    const key = `spring:session:shop:sessions:${s.id}`;
    expect((await layout()).map(([k]) => k)).toEqual([key]);
    expect(await spring.logout('default', s.id, { namespace: 'spring:session:shop' })).toEqual([['DEL', key]]);
    expect(await layout()).toEqual([]);
  });
});

describe('RedisIndexedSessionRepository', () => {
  test('a login stores the hash, the expires: shadow key, the minute set and the principal set', async () => {
    const s = await spring.create({ repo: 'indexed', principal: 'alice', maxInactiveSeconds: 1800 });
    const hashKey = `${NS}:sessions:${s.id}`;
    const shadowKey = `${NS}:sessions:expires:${s.id}`;
    const minuteKey = expirationsKey(s.lastAccessedTime, 1800);
    const indexKey = `${INDEX}:alice`;
    const keys = await layout();
    expect(keys.map(([k, type]) => [k, type])).toEqual(
      [
        [hashKey, 'hash'],
        [shadowKey, 'string'],
        [minuteKey, 'set'],
        [indexKey, 'set'],
      ].sort(([a], [b]) => (a! < b! ? -1 : 1)),
    );
    const ttl = new Map(keys.map(([k, , ms]) => [k, ms]));
    expectWithinASecond(ttl.get(hashKey)!, 2_100_000);
    expectWithinASecond(ttl.get(shadowKey)!, 1_800_000);
    // The PEXPIRE of the minute set runs before the SADD that creates it: no TTL (spring-session #3477).
    expect(ttl.get(minuteKey)).toBe(-1);
    expect(ttl.get(indexKey)).toBe(-1);
    expect(await redis.get(shadowKey)).toBe('');
    for (const value of (await rawHash(hashKey)).values()) expect(value.subarray(0, 4).toString('hex')).toBe('aced0005');
    expect(await rawMembers(indexKey)).toEqual([jdkString(s.id)]);
    expect(await rawMembers(minuteKey)).toEqual([jdkString(`expires:${s.id}`)]);
    expect(s.commands.map((c) => c.slice(0, 2))).toEqual([
      ['HMSET', hashKey],
      ['SADD', indexKey],
      ['PUBLISH', `${NS}:event:0:created:${s.id}`],
      ['APPEND', shadowKey],
      ['PEXPIRE', shadowKey],
      ['PEXPIRE', hashKey],
      ['PEXPIRE', minuteKey],
      ['SADD', minuteKey],
    ]);
    expect(found(await spring.find('indexed', s.id))).toMatchObject({ principal: 'alice', maxInactiveInterval: 1800 });
  });

  test('a request moves lastAccessedTime, re-arms the shadow key and the hash, and gives the minute set its TTL', async () => {
    const s = await spring.create({ repo: 'indexed', principal: 'bob', principalForm: 'string', maxInactiveSeconds: 600 });
    const hashKey = `${NS}:sessions:${s.id}`;
    const shadowKey = `${NS}:sessions:expires:${s.id}`;
    await redis.pExpire(shadowKey, 5000);
    await clockPast(s.lastAccessedTime);
    const r = found(await spring.request('indexed', s.id));
    expect(r.lastAccessedTime).toBeGreaterThan(s.lastAccessedTime);
    const minuteKey = expirationsKey(r.lastAccessedTime, 600);
    expectWithinASecond(Number(await redis.pTTL(shadowKey)), 600_000);
    expectWithinASecond(Number(await redis.pTTL(hashKey)), 900_000);
    expectWithinASecond(Number(await redis.pTTL(minuteKey)), 900_000);
    expect(names(r.commands)).toEqual(
      minuteKey === expirationsKey(s.lastAccessedTime, 600)
        ? ['HGETALL', 'HMSET', 'APPEND', 'PEXPIRE', 'PEXPIRE', 'PEXPIRE', 'SADD']
        : ['HGETALL', 'HMSET', 'APPEND', 'PEXPIRE', 'PEXPIRE', 'SREM', 'PEXPIRE', 'SADD'],
    );
    // No index bookkeeping: the delta holds lastAccessedTime only.
    expect(r.commands[1]).toEqual(['HMSET', hashKey, 'lastAccessedTime', hex(jdkLong(r.lastAccessedTime))]);
  });

  test('findByPrincipal loads every id of the set, and skips ids whose hash is gone', async () => {
    const a1 = await spring.create({ repo: 'indexed', principal: 'alice' });
    const a2 = await spring.create({ repo: 'indexed', principal: 'alice', principalForm: 'string' });
    const b = await spring.create({ repo: 'indexed', principal: 'bob' });
    const alice = await spring.findByPrincipal('alice');
    expect(alice.ids.sort()).toEqual([a1.id, a2.id].sort());
    expect(names(alice.commands)).toEqual(['SMEMBERS', 'HGETALL', 'HGETALL']);
    expect((await spring.findByPrincipal('bob')).ids).toEqual([b.id]);

    await redis.del(`${NS}:sessions:${a1.id}`);
    expect((await spring.findByPrincipal('alice')).ids).toEqual([a2.id]);
    expect(await redis.sCard(`${INDEX}:alice`)).toBe(2);

    // Neither Spring Session nor Spring Security sets the index attribute; an application may, without a login.
    const z = await spring.create({
      repo: 'indexed',
      attributes: { 'org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME': 'zoe' },
    });
    expect(await spring.findByPrincipal('zoe')).toMatchObject({ ids: [z.id] });
  });

  test('an expired session is not found, but not deleted either', async () => {
    const s = await spring.create({ repo: 'indexed' });
    const hashKey = `${NS}:sessions:${s.id}`;
    await redis.hSet(hashKey, 'lastAccessedTime', jdkLong(Date.now() - 1_801_000));
    expect(await spring.find('indexed', s.id)).toEqual({ found: false, commands: [['HGETALL', hashKey]] });
    expect(await redis.exists(hashKey)).toBe(1);
  });

  test('logout: out of the principal set, no shadow key, maxInactiveInterval 0 and a 5-minute hash', async () => {
    const s = await spring.create({ repo: 'indexed', principal: 'dave' });
    const hashKey = `${NS}:sessions:${s.id}`;
    const commands = await spring.logout('indexed', s.id);
    expect(names(commands)).toEqual(['HGETALL', 'SREM', 'HGETALL', 'SREM', 'DEL', 'HMSET', 'DEL', 'PEXPIRE', 'PEXPIRE', 'SADD']);
    expect(await redis.sCard(`${INDEX}:dave`)).toBe(0);
    expect(await redis.exists(`${NS}:sessions:expires:${s.id}`)).toBe(0);
    expect((await rawHash(hashKey)).get('maxInactiveInterval')).toEqual(jdkInteger(0));
    expectWithinASecond(Number(await redis.pTTL(hashKey)), 300_000);
    expect((await spring.find('indexed', s.id)).found).toBe(false);
  });

  test('removing the index entries and the shadow key but keeping the hash does not log the user out', async () => {
    const s = await spring.create({ repo: 'indexed', principal: 'erin', maxInactiveSeconds: 600 });
    const minuteKey = expirationsKey(s.lastAccessedTime, 600);
    await redis.sRem(`${INDEX}:erin`, jdkString(s.id));
    await redis.sRem(minuteKey, jdkString(`expires:${s.id}`));
    await redis.del(`${NS}:sessions:expires:${s.id}`);
    const r = found(await spring.request('indexed', s.id));
    expect(r.principal).toBe('erin');
    // The request brought the shadow key back.
    expect(await redis.exists(`${NS}:sessions:expires:${s.id}`)).toBe(1);
  });

  test('the cleanup job reads and deletes the past minute set, then touches each shadow key', async () => {
    const s = await spring.create({ repo: 'indexed', maxInactiveSeconds: 60 });
    const minuteKey = expirationsKey(s.lastAccessedTime, 60);
    const minute = Number(minuteKey.slice(minuteKey.lastIndexOf(':') + 1));
    const run = await spring.cleanup({ atMillis: minute + 30_000 });
    expect(run.touched).toEqual([`${NS}:sessions:expires:${s.id}`]);
    expect(run.commands).toEqual([
      ['SMEMBERS', minuteKey],
      ['DEL', minuteKey],
      ['EXISTS', `${NS}:sessions:expires:${s.id}`],
    ]);
    expect(await redis.exists(minuteKey)).toBe(0);
  });
});

describe('JSON serializers', () => {
  test('json (ObjectMapper with Spring Security modules): plain numbers, an "@class" security context, read back', async () => {
    const s = await spring.create({ repo: 'default', principal: 'frank', serializer: 'json', attributes: { color: 'blue' } });
    const hash = await redis.hGetAll(`${NS}:sessions:${s.id}`);
    expect(hash['creationTime']).toBe(String(s.creationTime));
    expect(hash['maxInactiveInterval']).toBe('1800');
    expect(hash['sessionAttr:color']).toBe('"blue"');
    expect(hash['sessionAttr:SPRING_SECURITY_CONTEXT']).toMatch(
      /^\{"@class":"org\.springframework\.security\.core\.context\.SecurityContextImpl","authentication":\{"@class":"org\.springframework\.security\.authentication\.UsernamePasswordAuthenticationToken",/,
    );
    expect(found(await spring.find('default', s.id, { serializer: 'json' }))).toMatchObject({
      principal: 'frank',
      maxInactiveInterval: 1800,
    });
  });

  test('json-typed (the no-argument serializer) wraps Long, which the Security-modules mapper refuses to read', async () => {
    const s = await spring.create({ repo: 'indexed', serializer: 'json-typed' });
    const hashKey = `${NS}:sessions:${s.id}`;
    expect(await redis.hGet(hashKey, 'creationTime')).toBe(`["java.lang.Long",${s.creationTime}]`);
    expect(await redis.hGet(hashKey, 'maxInactiveInterval')).toBe('1800');
    expect(await redis.sMembers(expirationsKey(s.lastAccessedTime, 1800))).toEqual([`"expires:${s.id}"`]);
    expect(found(await spring.find('indexed', s.id, { serializer: 'json-typed' })).creationTime).toBe(s.creationTime);
    await expect(spring.find('indexed', s.id, { serializer: 'json' })).rejects.toThrow(/java\.lang\.Long .* not in the allowlist/);
  });
});

describe('the indexed repository listening to keyspace events', () => {
  let listener: SpringApp;

  beforeAll(async () => {
    listener = await startSpringApp(t.server.port);
    const on = await listener.listen();
    expect(on.notifyKeyspaceEvents).toMatch(/E/);
  });

  afterAll(async () => {
    await listener?.close();
  });

  test('deleting the shadow key from outside makes the app clean the principal set', async () => {
    // useTestRedis flushes before each test, which resets nothing of CONFIG.
    const s = await spring.create({ repo: 'indexed', principal: 'gina' });
    const created = await listener.waitForEvents(1);
    expect(created).toMatchObject([{ type: 'created', id: s.id }]);
    await redis.del(`${NS}:sessions:expires:${s.id}`);
    const [deleted] = await listener.waitForEvents(1);
    expect(deleted).toMatchObject({ type: 'deleted', id: s.id, principal: 'gina' });
    expect(names(deleted!.commands)).toEqual(['HGETALL', 'SREM', 'HGETALL', 'SREM']);
    expect(await redis.sCard(`${INDEX}:gina`)).toBe(0);
  });
});
