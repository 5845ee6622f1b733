/**
 * The session commands on the layouts of real Python applications (test/helpers/apps/python.ts,
 * from Debian's packages): Django 3.2 + django-redis 5.2 with the `cache` and the `cached_db`
 * session backends (--layout django), and Flask 2.2 + Flask-Login 0.6 with Flask-Session 0.3.2
 * (pickle) and with 0.8's interface writing msgpack or JSON (--layout flask). For each, two users
 * log in over HTTP: list --user shows exactly one user's sessions, show --cookie takes the
 * cookie the app set, a changed lifetime is what the app's next requests keep (or the tool says
 * the app will undo it), revoke --user logs that user out and not the other; and on cached_db,
 * where deleting a key revokes nothing, revoke refuses.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESP_TYPES } from 'redis';
import {
  FLASK_SECRET,
  PYTHON,
  requirePython,
  startDjangoApp,
  startFlaskApp,
  type FlaskFlavor,
  type PythonApp,
} from '../helpers/apps/python.js';
import { ndjson, runCli, withOptions, startCli } from '../helpers/cli.js';
import { dataKeys, useTestRedis } from '../helpers/fixture.js';
import { waitFor } from '../helpers/wait.js';

const t = useTestRedis();
const apps: PythonApp[] = [];
const track = <A extends PythonApp>(app: A): A => (apps.push(app), app);

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

const CACHED_DB = ':1:django.contrib.sessions.cached_db';

function cli(layout: string, args: string[], prefix?: string) {
  return runCli(withOptions(args, ['--layout', layout, ...(prefix === undefined ? [] : ['--session-prefix', prefix])]), { env: t.env });
}

async function listed(layout: string, extra: string[] = [], prefix?: string): Promise<Array<Record<string, unknown>>> {
  const r = await cli(layout, ['session', 'list', '--json', ...extra], prefix);
  expect(r.code).toBe(0);
  return ndjson(r.stdout);
}

const keysOf = (rows: Array<Record<string, unknown>>) => rows.map((r) => String(r['key'])).sort();
const idOfKey = async (layout: string, key: string, prefix?: string) =>
  String((await listed(layout, [], prefix)).find((r) => r['key'] === key)?.['id']);

async function getBytes(key: string): Promise<Buffer> {
  const bytes = t.redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  return (await bytes.get(key)) as unknown as Buffer;
}

const pttl = async (key: string) => Number(await t.redis.pTTL(key));

describe('--layout django, cache backend', () => {
  test('list --user, show --cookie, ttl (with and without _session_expiry) then the next requests, revoke --user', async () => {
    const app = track(await startDjangoApp(t.server.port, 'cache'));
    const a = await app.login('alice');
    const b = await app.login('bob');
    const a2 = await app.login('alice');
    const keyA = await app.sessionKey(a);
    const keyB = await app.sessionKey(b);
    const keyA2 = await app.sessionKey(a2);
    const alice = app.userId('alice');

    // list --user: exactly alice's sessions, by django.contrib.auth's _auth_user_id (her primary key).
    expect(keysOf(await listed('django', ['--user', alice]))).toEqual([keyA, keyA2].sort());
    const rows = await listed('django');
    expect(rows.find((r) => r['key'] === keyB)).toMatchObject({ user: app.userId('bob'), readable: true });
    expect(JSON.stringify(rows)).not.toContain('_auth_user_hash');

    // show --cookie with the Cookie header the app set; the password-derived hash is not printed.
    const shown = await cli('django', ['session', 'show', '--json', '--cookie', `${a}; csrftoken=x`]);
    expect(shown.code).toBe(0);
    const detail = JSON.parse(shown.stdout) as { id: string; session: Record<string, unknown> };
    expect(detail).toMatchObject({
      key: keyA,
      user: alice,
      layout: 'django',
      session: { _auth_user_id: alice, _auth_user_hash: '(redacted)' },
    });

    // ttl without _session_expiry: the TTL alone, which lasts until Django next saves the session.
    const set = await cli('django', ['session', 'ttl', '--json', '--', detail.id, '10m']);
    expect(JSON.parse(set.stdout)).toMatchObject({
      ttlSeconds: 600,
      valueUpdated: false,
      note: expect.stringMatching(/until the session is next saved/),
    });
    expect(await app.me(a)).toEqual({ status: 200, user: 'alice' });
    expect(await pttl(keyA)).toBeLessThanOrEqual(600_000);
    expect(await pttl(keyA)).toBeGreaterThan(590_000);

    // An int _session_expiry (set_expiry(200): BININT1) is rewritten to 600 (BININT2: one byte
    // more, the pickle frame's length with it), and nothing else; Django's next save keeps it.
    await app.setExpiry(a2, { seconds: 200 });
    const before = await getBytes(keyA2);
    const id2 = await idOfKey('django', keyA2);
    const set2 = await cli('django', ['session', 'ttl', '--json', '--', id2, '10m']);
    expect(JSON.parse(set2.stdout)).toMatchObject({ valueUpdated: true, note: expect.stringMatching(/_session_expiry is now 600/) });
    const after = await getBytes(keyA2);
    const at = before.indexOf('_session_expiry') + '_session_expiry'.length + 1; // after its MEMOIZE
    expect([before[at], after[at]]).toEqual([0x4b, 0x4d]);
    expect(after.readUInt16LE(at + 1)).toBe(600);
    expect(after.subarray(at + 3)).toEqual(before.subarray(at + 2));
    expect(after.subarray(11, at)).toEqual(before.subarray(11, at));
    expect(after.readBigUInt64LE(3)).toBe(before.readBigUInt64LE(3) + 1n); // the FRAME length
    await app.touch(a2);
    expect(await pttl(keyA2)).toBeLessThanOrEqual(600_000);
    expect(await pttl(keyA2)).toBeGreaterThan(590_000);
    expect(await app.me(a2)).toEqual({ status: 200, user: 'alice' });

    // A datetime _session_expiry (set_expiry(timedelta)): its 10 state bytes are rewritten in place.
    const c = await app.login('carol');
    const keyC = await app.sessionKey(c);
    await app.setExpiry(c, { delta: 7200 });
    const beforeC = await getBytes(keyC);
    const setC = await cli('django', ['session', 'ttl', '--json', '--', await idOfKey('django', keyC), '10m']);
    expect(JSON.parse(setC.stdout)).toMatchObject({ valueUpdated: true });
    const afterC = await getBytes(keyC);
    expect(afterC.length).toBe(beforeC.length);
    const changed = [...afterC.keys()].filter((i) => afterC[i] !== beforeC[i]);
    expect(changed.length).toBeGreaterThan(0);
    expect(Math.max(...changed) - Math.min(...changed)).toBeLessThan(10);
    await app.touch(c);
    expect(await pttl(keyC)).toBeLessThanOrEqual(600_000);
    expect(await pttl(keyC)).toBeGreaterThan(590_000);
    expect(await app.me(c)).toEqual({ status: 200, user: 'carol' });

    // revoke --user: alice is logged out everywhere, bob and carol are not.
    const revoked = await cli('django', ['session', 'revoke', '--json', '--user', alice]);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: 2 });
    expect(await app.me(a)).toEqual({ status: 401 });
    expect(await app.me(a2)).toEqual({ status: 401 });
    expect(await app.me(b)).toEqual({ status: 200, user: 'bob' });
    expect(await app.me(c)).toEqual({ status: 200, user: 'carol' });
    const left = await dataKeys(t.redis);
    expect(left).not.toContain(keyA);
    expect(left).not.toContain(keyA2);
  }, 60000);
});

describe('--layout django, cached_db backend', () => {
  test('revoke refuses with exit 5 before deleting anything; with --allow-ineffective-revoke the keys go and the user indeed stays logged in', async () => {
    const app = track(await startDjangoApp(t.server.port, 'cached_db'));
    const a = await app.login('alice');
    const b = await app.login('bob');
    const a2 = await app.login('alice');
    const keyA = await app.sessionKey(a);
    const keyA2 = await app.sessionKey(a2);
    const alice = app.userId('alice');

    expect(keysOf(await listed('django', ['--user', alice], CACHED_DB))).toEqual([keyA, keyA2].sort());
    // The cache backend's prefix does not take cached_db's keys for its own.
    expect(await listed('django')).toEqual([]);
    const shown = await cli('django', ['session', 'show', '--json', '--cookie', a], CACHED_DB);
    expect(JSON.parse(shown.stdout)).toMatchObject({ key: keyA, user: alice });
    const id = String(JSON.parse(shown.stdout)['id']);

    // ttl: the tool says the SQL row decides; the app still loads the session.
    const set = await cli('django', ['session', 'ttl', '--json', '--', id, '10m'], CACHED_DB);
    expect(JSON.parse(set.stdout)['note']).toMatch(/django_session/);
    expect(await app.me(a)).toEqual({ status: 200, user: 'alice' });

    // Every way of revoking is refused, and nothing is deleted.
    const before = await dataKeys(t.redis);
    for (const args of [
      ['--user', alice],
      ['--', id],
      ['--cookie', a],
      ['--all', '--yes'],
    ]) {
      const r = await cli('django', ['session', 'revoke', ...args], CACHED_DB);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/cached_db .*does not log the user out/);
      expect(r.stderr).toContain('--allow-ineffective-revoke');
    }
    expect(await dataKeys(t.redis)).toEqual(before);
    // A dry run deletes nothing, so it runs.
    const dry = await cli('django', ['session', 'revoke', '--dry-run', '--user', alice], CACHED_DB);
    expect(dry.code).toBe(0);
    expect(dry.stdout.trim().split('\n')).toHaveLength(2);

    // Told to, it deletes the keys: and Django rebuilds them from SQL, the user still logged in.
    const forced = await cli('django', ['session', 'revoke', '--json', '--user', alice, '--allow-ineffective-revoke'], CACHED_DB);
    expect(JSON.parse(forced.stdout)).toMatchObject({ revoked: 2 });
    expect(await t.redis.exists([keyA, keyA2])).toBe(0);
    expect(await app.me(a)).toEqual({ status: 200, user: 'alice' });
    expect(await app.me(a2)).toEqual({ status: 200, user: 'alice' });
    expect(await app.me(b)).toEqual({ status: 200, user: 'bob' });
    expect(await t.redis.exists(keyA)).toBe(1);
  }, 60000);
});

describe.each<[FlaskFlavor, string]>([
  ['0.3', 'pickle'],
  ['0.8-msgpack', 'msgpack'],
  ['0.8-json', 'json'],
])('--layout flask, Flask-Session %s', (flavor, serializer) => {
  test('list --user, show --cookie, ttl undone by the next request and kept by --hold, revoke --user', async () => {
    const app = track(await startFlaskApp(t.server.port, flavor));
    const a = await app.login('alice');
    const b = await app.login('bob');
    const a2 = await app.login('alice');
    const keyA = await app.sessionKey(a);
    const keyB = await app.sessionKey(b);
    const keyA2 = await app.sessionKey(a2);

    // An anonymous visitor: 0.3 stores a session for it, 0.8 stores none ("Do not store a permanent session that is otherwise empty").
    const anonymous = await app.visit();
    const rows = await listed('flask');
    if (flavor === '0.3') {
      const anonKey = await app.sessionKey(anonymous as string);
      expect(rows.find((r) => r['key'] === anonKey)).toMatchObject({ user: null, readable: true });
      expect(rows).toHaveLength(4);
    } else {
      expect(anonymous).toBeUndefined();
      expect(keysOf(rows)).toEqual([keyA, keyB, keyA2].sort());
    }

    // list --user: exactly alice's sessions, by Flask-Login's _user_id.
    expect(keysOf(await listed('flask', ['--user', 'alice']))).toEqual([keyA, keyA2].sort());

    // show --cookie with the Cookie header the app set.
    const shown = await cli('flask', ['session', 'show', '--json', '--cookie', a]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ key: keyA, user: 'alice', session: { serializer, data: { _user_id: 'alice' } } });
    const id = String(JSON.parse(shown.stdout)['id']);

    // ttl: set, and the tool says the app's next request undoes it; that request does.
    const set = await cli('flask', ['session', 'ttl', '--json', '--', id, '10m']);
    expect(JSON.parse(set.stdout)).toMatchObject({
      ttlSeconds: 600,
      valueUpdated: false,
      note: expect.stringMatching(/PERMANENT_SESSION_LIFETIME.*--hold/),
    });
    expect(await pttl(keyA)).toBeLessThanOrEqual(600_000);
    expect(await app.me(a)).toEqual({ status: 200, user: 'alice' });
    expect(await pttl(keyA)).toBeGreaterThan(3_590_000);

    // --hold, as the note says, sets it again after each of those requests while it runs.
    await t.redis.configSet('notify-keyspace-events', 'E$g');
    const hold = startCli(['session', 'ttl', '--json', '--hold', '4s', '--layout', 'flask', '--', id, '10m'], { env: t.env });
    await waitFor('the hold to subscribe', async () => (await t.redis.pubSubChannels('__keyevent@0__:set')).length > 0);
    expect(await app.me(a)).toEqual({ status: 200, user: 'alice' });
    const held = await hold.done;
    expect(held.code).toBe(0);
    expect(JSON.parse(held.stdout)).toMatchObject({ held: { reapplied: 1 } });
    expect(await pttl(keyA)).toBeLessThanOrEqual(600_000);

    // revoke --user: alice is logged out, bob is not.
    const revoked = await cli('flask', ['session', 'revoke', '--json', '--user', 'alice']);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: 2 });
    expect(await app.me(a)).toEqual({ status: 401 });
    expect(await app.me(a2)).toEqual({ status: 401 });
    expect(await app.me(b)).toEqual({ status: 200, user: 'bob' });
    if (flavor === '0.3') {
      // 0.3 re-created alice's sid on her next request, as an anonymous session: she is logged out all the same.
      expect((await listed('flask')).find((r) => r['key'] === keyA)).toMatchObject({ user: null });
      expect(await app.me(a)).toEqual({ status: 401 });
    } else {
      expect(await t.redis.exists([keyA, keyA2])).toBe(0);
    }
  }, 60000);
});

test('flask with SESSION_USE_SIGNER: show --cookie checks the <sid>.<signature> cookie against --cookie-secret-file', async () => {
  const app = track(await startFlaskApp(t.server.port, '0.3', { signer: true }));
  const a = await app.login('alice');
  const dir = mkdtempSync(join(tmpdir(), 'ra-flask-'));
  writeFileSync(join(dir, 'secrets'), `${FLASK_SECRET}\n`);
  writeFileSync(join(dir, 'wrong'), 'not the secret\n');
  const ok = await cli('flask', ['session', 'show', '--json', '--cookie', a, '--cookie-secret-file', join(dir, 'secrets')]);
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout)).toMatchObject({ key: await app.sessionKey(a), user: 'alice' });
  const forged = await cli('flask', ['session', 'show', '--cookie', a, '--cookie-secret-file', join(dir, 'wrong')]);
  expect(forged.code).toBe(1);
  expect(forged.stderr).toMatch(/signature does not match/);
}, 30000);

test('session layouts finds Django (both backends) and Flask beside each other; --layout auto lists them; a revoke in one touches no other', async () => {
  const django = track(await startDjangoApp(t.server.port, 'cache'));
  const cachedDb = track(await startDjangoApp(t.server.port, 'cached_db'));
  const flask = track(await startFlaskApp(t.server.port, '0.8-msgpack'));
  for (const app of [django, cachedDb, flask]) {
    await app.login('carol');
    await app.login('dave');
  }
  await t.redis.set('sess:abc', JSON.stringify({ cookie: { originalMaxAge: 1000 }, passport: { user: 'zed' } }));
  // Another application's key under Flask-Session's prefix: not a session, never deleted.
  await t.redis.set('session:0f8fad5b-d9cb-469f-a165-70867728950e', 'not a session');
  const r = await runCli(['session', 'layouts', '--json'], { env: t.env });
  const found = ndjson(r.stdout).map(({ layout, prefix, keys }) => ({ layout, prefix, keys }));
  expect(found).toEqual(
    expect.arrayContaining([
      { layout: 'django', prefix: ':1:django.contrib.sessions.cache', keys: 2 },
      { layout: 'django', prefix: CACHED_DB, keys: 2 },
      { layout: 'flask', prefix: 'session:', keys: 2 },
      { layout: 'connect-redis', prefix: 'sess:', keys: 1 },
    ]),
  );
  expect(found).toHaveLength(4);
  const auto = await runCli(['session', 'list', '--layout', 'auto', '--json'], { env: t.env });
  const byLayout = new Map<string, number>();
  for (const row of ndjson(auto.stdout)) byLayout.set(String(row['layout']), (byLayout.get(String(row['layout'])) ?? 0) + 1);
  // --layout auto walks each layout's default prefix: Django's is the cache backend's.
  expect(Object.fromEntries(byLayout)).toEqual({ 'connect-redis': 1, django: 2, flask: 2 });
  const before = await dataKeys(t.redis);
  expect((await cli('flask', ['session', 'revoke', '--all', '--yes'])).code).toBe(0);
  const after = await dataKeys(t.redis);
  expect(before.filter((k) => !after.includes(k)).every((k) => k.startsWith('session:'))).toBe(true);
  expect(after.filter((k) => k.startsWith('session:'))).toEqual(['session:0f8fad5b-d9cb-469f-a165-70867728950e']);
  expect(after).toHaveLength(before.length - 2);
}, 60000);

test('the named attack: a session pickle that calls os.system is listed, shown and revoked as data, and nothing runs; Python itself runs it', async () => {
  requirePython(['django']);
  const marker = join(mkdtempSync(join(tmpdir(), 'ra-pickle-')), 'PWNED');
  // What an attacker would plant: a session whose unpickling calls os.system (REDUCE of posix.system).
  const made = spawnSync(
    PYTHON,
    [
      '-c',
      'import os, pickle, sys\nclass A:\n    def __reduce__(self): return (os.system, ("touch " + sys.argv[1],))\nsys.stdout.write(pickle.dumps({"_auth_user_id": "7", "x": A()}, 4).hex())',
      marker,
    ],
    { encoding: 'utf8' },
  );
  expect(made.status).toBe(0);
  const raw = Buffer.from(made.stdout, 'hex');
  const djangoKey = ':1:django.contrib.sessions.cacheaaaaaaaabbbbbbbbccccccccdddddddd';
  const flaskKey = 'session:0f8fad5b-d9cb-469f-a165-70867728950e';
  await t.redis.set(djangoKey, raw);
  await t.redis.set(flaskKey, raw);

  expect(await listed('django')).toEqual([
    expect.objectContaining({ user: '7', readable: true, extra: { x: { $class: 'posix.system', args: [`touch ${marker}`] } } }),
  ]);
  const shown = await cli('flask', ['session', 'show', '--json', '0f8fad5b-d9cb-469f-a165-70867728950e']);
  expect(JSON.parse(shown.stdout)).toMatchObject({ session: { serializer: 'pickle', data: { x: { $class: 'posix.system' } } } });
  expect((await runCli(['session', 'list', '--layout', 'auto', '--json'], { env: t.env })).code).toBe(0);
  expect((await runCli(['session', 'layouts', '--all'], { env: t.env })).code).toBe(0);
  expect(JSON.parse((await cli('django', ['session', 'revoke', '--json', '--user', '7'])).stdout)).toMatchObject({ revoked: 1 });
  expect(existsSync(marker)).toBe(false);

  // The control: Python's own pickle.loads on the same bytes runs the command.
  expect(spawnSync(PYTHON, ['-c', 'import pickle, sys; pickle.loads(bytes.fromhex(sys.argv[1]))', made.stdout]).status).toBe(0);
  expect(existsSync(marker)).toBe(true);
}, 30000);
