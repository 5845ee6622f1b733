/**
 * --layout gorilla against a real gorilla/sessions + boj/redistore application (Go, Debian's
 * packages; test/helpers/gorilla.ts), with redistore's gob serializer and an encrypted cookie, gob
 * and a cookie that is only signed, and its JSON serializer. For each: list --user shows exactly
 * that user's sessions (by --user-field too), show --cookie takes the cookie the app set (its
 * keys from --cookie-secret-file), ttl changes the TTL and the app's next save puts its MaxAge
 * back as the tool says, and revoke --user logs that user out and no one else.
 */
import { afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGorillaApp, startGorillaApp, type GorillaApp, type GorillaOptions } from '../helpers/gorilla.js';
import { ndjson, runCli, withOptions, startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { AUDIT_KEY, useTestRedis } from '../helpers/fixture.js';

const t = useTestRedis();
let app: GorillaApp | undefined;

// Built once per file (a second or two with Debian's precompiled standard library; longer on a busy machine).
beforeAll(() => buildGorillaApp(), 120_000);

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const HASH_KEY = 'gorilla-hash-key-for-redis-accounts-tests';
const BLOCK_KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

const cli = (args: string[]) => runCli(withOptions(args, ['--layout', 'gorilla']), { env: t.env });

function secretsFile(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ra-gorilla-')), 'keys');
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

async function listed(extra: string[] = []): Promise<Array<{ id: string; key: string; user: unknown }>> {
  const r = await cli(['session', 'list', '--json', ...extra]);
  expect(r.code).toBe(0);
  return ndjson(r.stdout).map((row) => ({ id: String(row['id']), key: String(row['key']), user: row['user'] }));
}

async function dataKeys(): Promise<string[]> {
  return (await t.redis.keys('*')).filter((k) => k !== AUDIT_KEY).sort();
}

interface Case {
  name: string;
  opts: GorillaOptions;
  /** The lines of --cookie-secret-file that read its cookies. */
  keys: string[];
}

const CASES: Case[] = [
  {
    name: 'gob, encrypted cookie',
    opts: { serializer: 'gob', hashKey: HASH_KEY, blockKeyHex: BLOCK_KEY_HEX },
    keys: [HASH_KEY, `hex:${BLOCK_KEY_HEX}`],
  },
  {
    name: 'gob, signed cookie',
    opts: { serializer: 'gob', hashKey: HASH_KEY },
    keys: [`base64:${Buffer.from(HASH_KEY).toString('base64')}`],
  },
  { name: 'JSON serializer', opts: { serializer: 'json', hashKey: HASH_KEY }, keys: ['some old key', HASH_KEY] },
];

describe.each(CASES)('$name', ({ opts, keys }) => {
  test('list --user, show --cookie, ttl and the next requests, revoke --user against the real app', async () => {
    app = await startGorillaApp(t.server.port, opts);
    const a = await app.login('alice', 7);
    const b = await app.login('bob', 8);
    const a2 = await app.login('alice', 7);
    const keyOf = (id: string) => `session_${id}`;
    expect(await t.redis.exists([keyOf(a.id), keyOf(b.id), keyOf(a2.id)])).toBe(3);

    // Users by the default user fields (username), and by --user-field (the int user_id).
    const all = await listed();
    expect(all.map((r) => [r.key, r.user]).sort()).toEqual(
      [
        [keyOf(a.id), 'alice'],
        [keyOf(a2.id), 'alice'],
        [keyOf(b.id), 'bob'],
      ].sort(),
    );
    const alices = [keyOf(a.id), keyOf(a2.id)].sort();
    expect((await listed(['--user', 'alice'])).map((r) => r.key).sort()).toEqual(alices);
    expect((await listed(['--user', '7', '--user-field', 'user_id'])).map((r) => r.key).sort()).toEqual(alices);

    // show --cookie with the Cookie header the app set; an encrypted id needs the keys.
    const show = (extra: string[]) => cli(['session', 'show', '--json', '--cookie', a.cookie, '--cookie-name', app!.cookieName, ...extra]);
    const bare = await show([]);
    if (opts.blockKeyHex === undefined) {
      expect(bare.code).toBe(0);
      expect(JSON.parse(bare.stdout)).toMatchObject({ id: a.id, key: keyOf(a.id) });
    } else {
      expect(bare.code).toBe(2);
      expect(bare.stderr).toMatch(/encrypted.*--cookie-secret-file/);
    }
    const shown = await show(['--cookie-secret-file', secretsFile(keys)]);
    expect(shown.code).toBe(0);
    const session = JSON.parse(shown.stdout) as Record<string, unknown>;
    expect(session).toMatchObject({ id: a.id, key: keyOf(a.id), layout: 'gorilla', user: 'alice' });
    if (opts.serializer === 'gob') {
      expect(session['session']).toMatchObject({
        username: 'alice',
        user_id: 7,
        login: { '@type': 'time.Time', '@time': expect.stringMatching(/^20\d\d-/) },
        profile: { '@type': 'main.Profile', Name: 'alice', Roles: ['reader'], Level: 2 },
        '@entries': [[42, 'an int key']],
      });
    } else {
      expect(session['session']).toMatchObject({ username: 'alice', user_id: 7, profile: { Name: 'alice', Roles: ['reader'] } });
    }
    // A key that signed nothing, or another cookie name (the MAC covers it): exit 1.
    expect((await show(['--cookie-secret-file', secretsFile(['not the key'])])).code).toBe(1);
    const renamed = await cli(['session', 'show', '--cookie', a.cookie.replace(/^[^=]+=/, ''), '--cookie-secret-file', secretsFile(keys)]);
    expect(renamed.code).toBe(1);
    expect(renamed.stderr).toMatch(/--cookie-name/);

    // ttl: the TTL alone changes, and the tool says the app's next save undoes it.
    const set = await cli(['session', 'ttl', '--json', '--', a.id, '10m']);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({
      ttlSeconds: 600,
      valueUpdated: false,
      note: expect.stringMatching(/next save.*--hold/),
    });
    // A request that only reads the session leaves it so (redistore writes nothing on a read) ...
    expect(await app.me(a.cookie)).toEqual({ status: 200, user: 'alice' });
    expect(Number(await t.redis.pTTL(keyOf(a.id)))).toBeLessThanOrEqual(600_000);
    expect(Number(await t.redis.pTTL(keyOf(a.id)))).toBeGreaterThan(590_000);
    // ... and a request that saves it gives it the app's MaxAge again, as the note says.
    expect(await app.touch(a.cookie)).toEqual({ status: 200, user: 'alice' });
    expect(Number(await t.redis.pTTL(keyOf(a.id)))).toBeGreaterThan(3590_000);
    const textual = await cli(['session', 'ttl', '--', a.id, '10m']);
    expect(textual.stderr).toMatch(/^Note: redistore stores a session with SETEX/m);
    expect(textual.stderr).not.toMatch(/not a session value/);

    // revoke --user: alice is logged out everywhere, bob is not.
    const revoked = await cli(['session', 'revoke', '--json', '--user', 'alice']);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: 2 });
    expect(await app.me(a.cookie)).toMatchObject({ status: 401 });
    expect(await app.me(a2.cookie)).toMatchObject({ status: 401 });
    expect(await app.me(b.cookie)).toEqual({ status: 200, user: 'bob' });
    expect(await dataKeys()).toEqual([keyOf(b.id)]);
    // A save after the revoke stores the same id again, but empty: still logged out.
    expect(await app.touch(a.cookie)).toMatchObject({ status: 401 });
    expect((await listed()).map((r) => [r.key, r.user]).sort()).toEqual(
      [
        [keyOf(a.id), null],
        [keyOf(b.id), 'bob'],
      ].sort(),
    );
    expect(await app.me(a.cookie)).toMatchObject({ status: 401 });

    // revoke --cookie with bob's cookie as the app set it (read with the app's keys).
    const byCookie = await cli([
      'session',
      'revoke',
      '--json',
      '--cookie',
      b.cookie,
      '--cookie-name',
      app.cookieName,
      '--cookie-secret-file',
      secretsFile(keys),
    ]);
    expect(JSON.parse(byCookie.stdout)).toMatchObject({ revoked: 1, ids: [b.id] });
    expect(await app.me(b.cookie)).toMatchObject({ status: 401 });
  }, 30000);
});

test('ttl --hold re-applies the new lifetime when the app saves the session during the hold', async () => {
  app = await startGorillaApp(t.server.port, { serializer: 'gob', hashKey: HASH_KEY });
  const a = await app.login('alice', 7);
  const key = `session_${a.id}`;
  await t.redis.configSet('notify-keyspace-events', 'E$g');
  const hold = startCli(['session', 'ttl', '--hold', '4s', '--json', '--layout', 'gorilla', '--', a.id, '10m'], { env: t.env });
  await waitFor('the new lifetime', async () => Number(await t.redis.pTTL(key)) <= 600_000);
  await waitFor('the hold to subscribe', async () => (await t.redis.pubSubChannels('__keyevent@0__:set')).length > 0);
  expect(await app.touch(a.cookie)).toEqual({ status: 200, user: 'alice' });
  const r = await hold.done;
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ ttlSeconds: 600, held: { reapplied: 1, mode: 'notifications' } });
  expect(Number(await t.redis.pTTL(key))).toBeLessThanOrEqual(600_000);
  // The app's own change (the counter its save wrote) is kept: only the TTL was re-applied.
  const shown = await cli(['session', 'show', '--json', '--', a.id]);
  expect(JSON.parse(shown.stdout)['session']).toMatchObject({ seen: 1, username: 'alice' });
}, 30000);

test('session layouts and --layout auto find gorilla sessions beside other layouts; revoke --all leaves other keys under the prefix', async () => {
  app = await startGorillaApp(t.server.port, { serializer: 'gob', hashKey: HASH_KEY });
  await app.login('carol', 1);
  await app.login('dave', 2);
  await t.redis.set('sess:abc', JSON.stringify({ cookie: { originalMaxAge: 1000 }, passport: { user: 'zed' } }));
  await t.redis.set('session_counter', '12');
  await t.redis.set(`session_${'A'.repeat(52)}`, 'not gob');
  const r = await runCli(['session', 'layouts', '--json'], { env: t.env });
  expect(r.code).toBe(0);
  const found = ndjson(r.stdout).map(({ layout, prefix, keys }) => ({ layout, prefix, keys }));
  expect(found).toEqual(
    expect.arrayContaining([
      { layout: 'gorilla', prefix: 'session_', keys: 2 },
      { layout: 'connect-redis', prefix: 'sess:', keys: 1 },
    ]),
  );
  expect(found).toHaveLength(2);
  const auto = await runCli(['session', 'list', '--layout', 'auto', '--json'], { env: t.env });
  const users = ndjson(auto.stdout).map((row) => [row['layout'], row['user']]);
  expect(users.sort()).toEqual(
    [
      ['connect-redis', 'zed'],
      ['gorilla', 'carol'],
      ['gorilla', 'dave'],
      ['gorilla', null],
    ].sort(),
  );
  // The value under redistore's key shape that is not gob is listed as unreadable and counted.
  const plain = await cli(['session', 'list']);
  expect(plain.stderr).toMatch(/\(1 unreadable\)/);
  const all = await cli(['session', 'revoke', '--all', '--yes', '--json']);
  expect(JSON.parse(all.stdout)).toMatchObject({ revoked: 3 });
  expect(await dataKeys()).toEqual(['sess:abc', 'session_counter']);
}, 30000);
