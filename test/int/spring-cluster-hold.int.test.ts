/**
 * Spring Session where its keys are spread out and where a request is in flight:
 * - on a Redis Cluster a session's hash, its expires: key, its expiration set and its user's
 *   principal set live in different slots (no hash tags in Spring's keys): sessions saved by the
 *   Spring fixture are moved there byte for byte (DUMP/RESTORE), and every command must find,
 *   change and clean all of them from one node's URL;
 * - with --hold, a save by a request that loaded the session before the revoke (HMSET of the
 *   changed fields, the principal-set SADD) is undone again, index member included.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RESP_TYPES, type RedisClusterType } from 'redis';
import { keySlot } from '../../src/core/redis/slot.js';
import { jdkString } from '../../src/core/sessions/decode/jdk.js';
import { ndjson, runCli, startCli } from '../helpers/cli.js';
import { AUDIT_KEY, useTestRedis } from '../helpers/fixture.js';
import { startSpringApp, type SpringApp } from '../helpers/spring.js';
import { clusterKeys, copyToCluster, connectCluster, startCluster, type TestCluster } from '../helpers/topologies.js';
import { waitFor } from '../helpers/wait.js';

const t = useTestRedis();
let app: SpringApp;
let cluster: TestCluster;
let onCluster: RedisClusterType;

beforeAll(async () => {
  app = await startSpringApp(t.server.port);
  cluster = await startCluster();
  onCluster = await connectCluster(cluster);
}, 60000);

afterAll(async () => {
  await app?.close();
  await onCluster?.close().catch(() => onCluster.destroy());
  await cluster?.stop();
});

const NS = 'spring:session:';
const INDEX = `${NS}index:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:`;

const cli = (args: string[], url: string) => runCli([...args, '--layout', 'spring'], { env: { REDIS_URL: url }, timeoutMs: 30000 });

describe('on a Redis Cluster', () => {
  test('list --user (through the index), ttl and revoke --user find and clean keys spread over slots', async () => {
    const alice = [await app.create({ repo: 'indexed', principal: 'alice' }), await app.create({ repo: 'indexed', principal: 'alice' })];
    const bob = await app.create({ repo: 'indexed', principal: 'bob' });
    const moved = await copyToCluster(t.redis, onCluster, [AUDIT_KEY]);
    // The point of the test: a session's keys are not in one slot.
    const slots = new Set(moved.filter((k) => k.includes(alice[0]!.id) || k === `${INDEX}alice`).map(keySlot));
    expect(slots.size).toBeGreaterThan(1);

    const listed = await cli(['session', 'list', '--json', '--user', 'alice'], cluster.url);
    expect(listed.code).toBe(0);
    expect(
      ndjson(listed.stdout)
        .map((r) => r['id'])
        .sort(),
    ).toEqual(alice.map((s) => s.id).sort());
    expect(listed.stderr).toContain("found through the user's index");

    const ttl = await cli(['session', 'ttl', bob.id, '10m', '--json'], cluster.url);
    expect(JSON.parse(ttl.stdout)).toMatchObject({ ttlSeconds: 600, valueUpdated: true });
    expect(Number(await onCluster.pTTL(`${NS}sessions:expires:${bob.id}`))).toBeGreaterThan(595_000);
    expect(Number(await onCluster.pTTL(`${NS}sessions:${bob.id}`))).toBeGreaterThan(895_000);

    const revoked = await cli(['session', 'revoke', '--user', 'alice', '--json'], cluster.url);
    expect(revoked.stderr).not.toMatch(/CROSSSLOT|MOVED/);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: 2 });
    const left = await clusterKeys(onCluster, `${NS}*`);
    for (const s of alice) expect(left.filter((k) => k.includes(s.id))).toEqual([]);
    expect(left).not.toContain(`${INDEX}alice`);
    expect(left).toContain(`${NS}sessions:${bob.id}`);

    const all = await cli(['session', 'revoke', '--all', '--yes', '--json'], cluster.url);
    expect(JSON.parse(all.stdout)).toMatchObject({ revoked: 1 });
    expect(await clusterKeys(onCluster, `${NS}*`)).toEqual([]);
  }, 60000);
});

describe('--hold', () => {
  test('revoke --hold: a save by a request in flight (HMSET, principal SADD) is undone, index member too', async () => {
    const bob = await app.create({ repo: 'indexed', principal: 'bob' });
    const key = `${NS}sessions:${bob.id}`;
    const bytes = t.redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    const before = (await bytes.hGetAll(key)) as unknown as Record<string, Buffer>;
    const member = ((await bytes.sendCommand(['SMEMBERS', `${INDEX}bob`])) as unknown as Buffer[])[0] as Buffer;
    const [minuteSet] = await t.redis.keys(`${NS}expirations:*`);
    if (minuteSet === undefined) throw new Error('the indexed session has no minute set');
    await t.redis.configSet('notify-keyspace-events', 'Eh$g');
    const hold = startCli(['session', 'revoke', bob.id, '--hold', '4s', '--json', '--layout', 'spring'], { env: t.env });
    await waitFor('the revoke', async () => (await t.redis.exists(key)) === 0);
    await waitFor('the hold to subscribe', async () => (await t.redis.pubSubChannels('__keyevent@0__:hset')).length > 0);
    // The request that loaded the session before the revoke ends with its save: the hash, then
    // the shadow key and the minute set (RedisIndexedSessionRepository's save), and the principal
    // set (a save that carries the login).
    await bytes.hSet(key, before);
    await t.redis.append(`${NS}sessions:expires:${bob.id}`, '');
    await bytes.sendCommand(['SADD', minuteSet, jdkString(`expires:${bob.id}`)]);
    await bytes.sendCommand(['SADD', `${INDEX}bob`, member]);
    const r = await hold.done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ revoked: 1, ids: [bob.id], held: { caught: 1, mode: 'notifications' } });
    expect(await t.redis.exists(key)).toBe(0);
    expect(await t.redis.exists(`${INDEX}bob`)).toBe(0);
    expect(await t.redis.exists(`${NS}sessions:expires:${bob.id}`)).toBe(0);
    expect(await t.redis.exists(minuteSet)).toBe(0);
    expect(await app.request('indexed', bob.id)).toMatchObject({ found: false });
  }, 30000);
});
