/**
 * `--layout spring` against sessions written by the Spring Session fixture (test/helpers/spring.ts:
 * a Java program that saves and loads sessions with the Redis commands and JDK serialization of
 * spring-session's RedisSessionRepository and RedisIndexedSessionRepository). Each test ends by
 * asking the "application" what it now sees: a revoked session is gone for it, a changed lifetime
 * is the one its next request keeps, and the indexes name nothing that is gone.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RESP_TYPES } from 'redis';
import { ndjson, runCli } from '../helpers/cli.js';
import { AUDIT_KEY, useTestRedis } from '../helpers/fixture.js';
import { startSpringApp, type SpringApp, type SpringRepo, type SpringSerializer } from '../helpers/spring.js';

const t = useTestRedis();
let app: SpringApp;

beforeAll(async () => {
  app = await startSpringApp(t.server.port);
});

afterAll(async () => {
  await app?.close();
});

const NS = 'spring:session:';
const INDEX = `${NS}index:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:`;

const spring = (args: string[], input?: string) => runCli([...args, '--layout', 'spring'], { env: t.env, input });

/** Every key but the audit trail, sorted. */
async function keys(): Promise<string[]> {
  return (await t.redis.keys('*')).filter((k) => k !== AUDIT_KEY).sort();
}

async function members(key: string): Promise<string[]> {
  const bytes = t.redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  return ((await bytes.sendCommand(['SMEMBERS', key])) as unknown as Buffer[]).map((m) => m.toString('latin1'));
}

/** Two sessions of alice, one of bob, one anonymous (the application's visitors), in one repository. */
async function seed(repo: SpringRepo, serializer: SpringSerializer = 'jdk') {
  const alice1 = await app.create({ repo, serializer, principal: 'alice' });
  const alice2 = await app.create({ repo, serializer, principal: 'alice', principalForm: 'string' });
  const bob = await app.create({ repo, serializer, principal: 'bob', attributes: { cart: '3 items' } });
  const anonymous = await app.create({ repo, serializer });
  return { alice: [alice1.id, alice2.id].sort(), bob: bob.id, anonymous: anonymous.id, cookie: bob.cookie };
}

describe.each<[SpringRepo, SpringSerializer]>([
  ['default', 'jdk'],
  ['indexed', 'jdk'],
  ['default', 'json'],
  ['indexed', 'json'],
])('%s repository, %s values', (repo, serializer) => {
  test('list: every session with its principal, the expiry Spring decides, created and last-accessed times', async () => {
    const s = await seed(repo, serializer);
    const r = await spring(['session', 'list', '--json']);
    expect(r.code).toBe(0);
    const rows = ndjson(r.stdout);
    const byId = new Map(rows.map((row) => [row['id'], row]));
    expect([...byId.keys()].sort()).toEqual([...s.alice, s.bob, s.anonymous].sort());
    expect(s.alice.map((id) => byId.get(id)?.['user'])).toEqual(['alice', 'alice']);
    expect(byId.get(s.anonymous)?.['user']).toBeNull();
    const bob = byId.get(s.bob) as Record<string, unknown>;
    expect(bob).toMatchObject({
      user: 'bob',
      readable: true,
      expiresBy: 'lastAccessedTime + maxInactiveInterval',
      extra: { cart: '3 items' },
    });
    const found = await app.find(repo, s.bob, { serializer });
    if (!found.found) throw new Error('bob not found');
    expect(bob['expiresAt']).toBe(new Date(found.lastAccessedTime + 1_800_000).toISOString());
    expect(bob['createdAt']).toBe(new Date(found.creationTime).toISOString());
    expect(r.stderr).toBe("4 sessions. Expiry is Spring's lastAccessedTime + maxInactiveInterval, not the key's TTL.\n");
  });

  test('list --user finds exactly that user (through the principal index on the indexed repository)', async () => {
    const s = await seed(repo, serializer);
    const r = await spring(['session', 'list', '--json', '--user', 'alice']);
    expect(
      ndjson(r.stdout)
        .map((row) => row['id'])
        .sort(),
    ).toEqual(s.alice);
    expect(r.stderr).toContain(repo === 'indexed' ? "found through the user's index, 2 members" : '2 sessions.');
  });

  test('show --cookie with the SESSION cookie the app set', async () => {
    const s = await seed(repo, serializer);
    const r = await spring(['session', 'show', '--json', '--cookie', `SESSION=${s.cookie}; theme=dark`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: s.bob, user: 'bob', session: { attributes: { cart: '3 items' } } });
  });

  test('ttl: a shorter lifetime sticks: the app reads it back, and its next request keeps it', async () => {
    const s = await seed(repo, serializer);
    const set = await spring(['session', 'ttl', s.bob, '10m', '--json']);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ id: s.bob, ttlSeconds: 600, valueUpdated: true });
    const key = `${NS}sessions:${s.bob}`;
    const margin = repo === 'indexed' ? 300_000 : 0;
    expect(Number(await t.redis.pTTL(key))).toBeGreaterThan(600_000 + margin - 5000);
    expect(Number(await t.redis.pTTL(key))).toBeLessThanOrEqual(600_000 + margin);
    if (repo === 'indexed') expect(Number(await t.redis.pTTL(`${NS}sessions:expires:${s.bob}`))).toBeGreaterThan(595_000);

    // The application reads maxInactiveInterval with ObjectInputStream (or Jackson): a 600 s session.
    const next = await app.request(repo, s.bob, { serializer });
    expect(next).toMatchObject({ found: true, maxInactiveInterval: 600, principal: 'bob' });
    // ... and its request slid the session by those 600 s, not by the 1800 it had.
    expect(Number(await t.redis.pTTL(key))).toBeLessThanOrEqual(600_000 + margin);
    expect(Number(await t.redis.pTTL(key))).toBeGreaterThan(600_000 + margin - 5000);
    const read = await spring(['session', 'ttl', s.bob]);
    expect(read.stdout).toMatch(/^(10m|9m 5\d s) \((600|59\d)s\)/);
  });

  test('revoke --user: the app treats those sessions as logged out, the other user stays logged in, no index names them', async () => {
    const s = await seed(repo, serializer);
    const r = await spring(['session', 'revoke', '--user', 'alice', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ revoked: 2, user: 'alice' });
    for (const id of s.alice) expect(await app.request(repo, id, { serializer })).toMatchObject({ found: false });
    expect(await app.request(repo, s.bob, { serializer })).toMatchObject({ found: true, principal: 'bob' });
    const left = await keys();
    for (const id of s.alice) expect(left.filter((k) => k.includes(id))).toEqual([]);
    if (repo === 'indexed') {
      expect(await t.redis.exists(`${INDEX}alice`)).toBe(0);
      expect((await app.findByPrincipal('alice', { serializer })).ids).toEqual([]);
      for (const set of left.filter((k) => k.startsWith(`${NS}expirations:`)))
        for (const m of await members(set)) for (const id of s.alice) expect(m).not.toContain(id);
    }
  });

  test('revoke by id and by cookie: the session and what names it go; others stay', async () => {
    const s = await seed(repo, serializer);
    expect((await spring(['session', 'revoke', s.alice[0] as string])).code).toBe(0);
    expect((await spring(['session', 'revoke', '--cookie', s.cookie])).code).toBe(0);
    expect(await app.request(repo, s.alice[0] as string, { serializer })).toMatchObject({ found: false });
    expect(await app.request(repo, s.bob, { serializer })).toMatchObject({ found: false });
    expect(await app.request(repo, s.alice[1] as string, { serializer })).toMatchObject({ found: true });
    const left = (await keys()).join(' ');
    expect(left).not.toContain(s.bob);
    expect(left).not.toContain(s.alice[0]);
    if (repo === 'indexed') {
      expect((await app.findByPrincipal('alice', { serializer })).ids).toEqual([s.alice[1]]);
      expect(await t.redis.exists(`${INDEX}bob`)).toBe(0);
    }
  });

  test('revoke --all empties the layout (indexes and expiration sets too) and leaves other keys alone', async () => {
    await seed(repo, serializer);
    await t.redis.set('sess:express-session', JSON.stringify({ cookie: { originalMaxAge: 1000 } }));
    await t.redis.set('spring:sessionish', 'not ours');
    const r = await spring(['session', 'revoke', '--all', '--yes', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ revoked: 4 });
    expect(await keys()).toEqual(['sess:express-session', 'spring:sessionish']);
  });
});

test('the untyped-mapper JSON serializer (Longs as ["java.lang.Long", n]): list, and a ttl the app reads back', async () => {
  const s = await app.create({ repo: 'default', serializer: 'json-typed', attributes: { cart: '1 item' } });
  const listed = ndjson((await spring(['session', 'list', '--json'])).stdout);
  expect(listed).toMatchObject([{ id: s.id, user: null, readable: true, extra: { cart: '1 item' } }]);
  expect((await spring(['session', 'ttl', s.id, '5m'])).code).toBe(0);
  const raw = await t.redis.hGet(`${NS}sessions:${s.id}`, 'lastAccessedTime');
  expect(raw).toMatch(/^\["java\.lang\.Long",\d+\]$/);
  expect(await app.request('default', s.id, { serializer: 'json-typed' })).toMatchObject({ found: true, maxInactiveInterval: 300 });
});

describe('indexes and detection', () => {
  test('session index prune removes members whose session is gone or is another user’s; --dry-run counts them', async () => {
    const s = await seed('indexed');
    // Gone without the app noticing (a missed keyspace event), and a member under the wrong user.
    await t.redis.del(`${NS}sessions:${s.alice[0]}`);
    const bytes = t.redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    const bobMember = (await bytes.sendCommand(['SMEMBERS', `${INDEX}bob`])) as unknown as Buffer[];
    await bytes.sendCommand(['SADD', `${INDEX}alice`, bobMember[0] as Buffer]);

    const dry = await spring(['session', 'index', 'prune', '--dry-run', '--json']);
    expect(JSON.parse(dry.stdout)).toEqual({ indexes: 2, members: 4, pruned: 2, dryRun: true });
    expect((await members(`${INDEX}alice`)).length).toBe(3);

    const real = await spring(['session', 'index', 'prune']);
    expect(real.stderr).toBe('2 indexes, 4 members: removed 2 stale members.\n');
    expect((await app.findByPrincipal('alice')).ids).toEqual([s.alice[1]]);
    expect((await members(`${INDEX}alice`)).length).toBe(1);
    expect((await app.findByPrincipal('bob')).ids).toEqual([s.bob]);
  });

  test('--layout auto lists every layout, each session tagged with its layout and key; ttl and show find the id in its layout', async () => {
    const s = await seed('indexed');
    await t.redis.set('sess:abc', JSON.stringify({ cookie: { originalMaxAge: 1000 }, passport: { user: 'zed' } }), { EX: 600 });
    const r = await runCli(['session', 'list', '--layout', 'auto', '--json'], { env: t.env });
    const rows = ndjson(r.stdout).map(({ id, layout, key, user }) => ({ id, layout, key, user }));
    expect(rows).toContainEqual({ id: 'abc', layout: 'connect-redis', key: 'sess:abc', user: 'zed' });
    expect(rows).toContainEqual({ id: s.bob, layout: 'spring', key: `${NS}sessions:${s.bob}`, user: 'bob' });
    expect(rows).toHaveLength(5);
    const table = await runCli(['session', 'list', '--layout', 'auto', '--user', 'alice'], { env: t.env });
    expect(table.stdout.split('\n')[0]).toBe('id\tlayout\tuser\tttl\texpires at\tdetails');
    expect(table.stdout.trim().split('\n')).toHaveLength(3);
    const ttl = await runCli(['session', 'ttl', '--layout', 'auto', '--json', s.bob, '5m'], { env: t.env });
    expect(JSON.parse(ttl.stdout)).toMatchObject({ id: s.bob, ttlSeconds: 300, valueUpdated: true });
    expect(await app.find('indexed', s.bob)).toMatchObject({ found: true, maxInactiveInterval: 300 });
    const shown = await runCli(['session', 'show', '--layout', 'auto', '--json', 'abc'], { env: t.env });
    expect(JSON.parse(shown.stdout)).toMatchObject({ layout: 'connect-redis', key: 'sess:abc', user: 'zed' });
    const refused = await runCli(['session', 'list', '--layout', 'auto', '--session-prefix', 'x:'], { env: t.env });
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('with --layout auto each layout')]);
  });

  test('session layouts finds Spring under its namespaces and connect-redis beside it', async () => {
    await seed('indexed');
    await app.create({ repo: 'default', namespace: 'spring:session:app1', principal: 'erin' });
    await t.redis.set('sess:abc', JSON.stringify({ cookie: { originalMaxAge: 1000 }, passport: { user: 'zed' } }));
    const r = await runCli(['session', 'layouts', '--json'], { env: t.env });
    expect(r.code).toBe(0);
    const found = ndjson(r.stdout).map(({ layout, prefix, keys }) => ({ layout, prefix, keys }));
    expect(found).toEqual([
      { layout: 'spring', prefix: 'spring:session:', keys: 4 },
      { layout: 'connect-redis', prefix: 'sess:', keys: 1 },
      { layout: 'spring', prefix: 'spring:session:app1:', keys: 1 },
    ]);
    // ... and a namespace is what --session-prefix takes.
    const app1 = await spring(['session', 'list', '--json', '--session-prefix', 'spring:session:app1:']);
    expect(ndjson(app1.stdout).map((row) => row['user'])).toEqual(['erin']);
  });
});
