/**
 * The session commands on the layouts of four real Node applications (test/helpers/apps):
 * fastify + @fastify/session + connect-redis (--layout connect-redis), koa + koa-session +
 * koa-redis (koa), Better Auth on secondaryStorage (better-auth) and Auth.js's unstorage adapter
 * (authjs). For each: list --user shows exactly that user's sessions, show --cookie takes the
 * cookie the app set, a changed lifetime is what the app's next request sees (or the tool says
 * the app will undo it), revoke --user logs that user out and no one else, cleaning the app's
 * per-user index, and revoke --all empties the layout and leaves other keys alone.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { startAuthjsApp } from '../helpers/apps/authjs.js';
import { BETTER_AUTH_SECRET, betterAuthEmail, startBetterAuthApp } from '../helpers/apps/better-auth.js';
import { FASTIFY_SECRET, startFastifyApp } from '../helpers/apps/fastify.js';
import { startKoaApp } from '../helpers/apps/koa.js';
import type { NodeApp } from '../helpers/apps/types.js';
import { ndjson, runCli, withOptions, startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { AUDIT_KEY, useTestRedis } from '../helpers/fixture.js';
import { seedBetterAuthSessions, seedSpringSessions } from '../helpers/seed.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const t = useTestRedis();
const JDK_VECTORS = JSON.parse(readFileSync('test/fixtures/jdk/vectors.json', 'utf8')) as Record<string, string>;
let app: NodeApp | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

interface Case {
  layout: string;
  start: (url: string) => Promise<NodeApp>;
  /** What --user takes for a user the app logged in (a name, or the app's user id found in the listing). */
  secret?: string;
}

const CASES: Case[] = [
  { layout: 'connect-redis', start: startFastifyApp, secret: FASTIFY_SECRET },
  { layout: 'koa', start: startKoaApp },
  { layout: 'better-auth', start: startBetterAuthApp, secret: BETTER_AUTH_SECRET },
  { layout: 'authjs', start: startAuthjsApp },
];

const cli = (layout: string, args: string[]) => runCli(withOptions(args, ['--layout', layout]), { env: t.env });

async function dataKeys(): Promise<string[]> {
  return (await t.redis.keys('*')).filter((k) => k !== AUDIT_KEY).sort();
}

/** Each listed session's key and user, from --json. */
async function listed(layout: string, extra: string[] = []): Promise<Array<{ key: string; user: string; userName?: string }>> {
  const r = await cli(layout, ['session', 'list', '--json', ...extra]);
  expect(r.code).toBe(0);
  return ndjson(r.stdout).map((row) => ({
    key: String(row['key']),
    user: String(row['user']),
    userName: row['userName'] as string | undefined,
  }));
}

/** The --user value that names `key`'s user in this layout (the app's user id where the session holds an opaque one). */
async function userOf(layout: string, key: string): Promise<string> {
  const row = (await listed(layout)).find((r) => r.key === key);
  if (row === undefined) throw new Error(`${key} not listed`);
  return row.user;
}

describe.each(CASES)('--layout $layout', ({ layout, start, secret }) => {
  test('list --user, show --cookie, ttl, revoke --user and revoke --all against the real app', async () => {
    app = await start(t.server.url);
    const a = await app.login('alice');
    const b = await app.login('bob');
    // A second session of alice's, written last: Auth.js's by-user-id pointer names only this one.
    const a2 = await app.login('alice');
    const keyA = await app.sessionKey(a);
    const keyB = await app.sessionKey(b);
    const keyA2 = await app.sessionKey(a2);
    const alice = await userOf(layout, keyA);
    if (layout === 'connect-redis' || layout === 'koa') expect(alice).toBe('alice');
    const alices = [keyA, keyA2].sort();

    // list --user: exactly alice's sessions.
    expect((await listed(layout, ['--user', alice])).map((r) => r.key).sort()).toEqual(alices);
    if (layout === 'better-auth')
      expect((await listed(layout, ['--user', betterAuthEmail('alice')])).map((r) => r.key).sort()).toEqual(alices);

    // show --cookie with the Cookie header the app set.
    const shown = await cli(layout, ['session', 'show', '--json', '--cookie', a, '--cookie-name', app.cookieName]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ key: keyA, layout });
    if (secret !== undefined) {
      const dir = mkdtempSync(join(tmpdir(), 'ra-node-'));
      writeFileSync(join(dir, 'secrets'), `${secret}\n`);
      const checked = await cli(layout, [
        'session',
        'show',
        '--json',
        '--cookie',
        a,
        '--cookie-name',
        app.cookieName,
        '--cookie-secret-file',
        join(dir, 'secrets'),
      ]);
      expect(checked.code).toBe(0);
      writeFileSync(join(dir, 'wrong'), 'not the secret\n');
      const forged = await cli(layout, [
        'session',
        'show',
        '--cookie',
        a,
        '--cookie-name',
        app.cookieName,
        '--cookie-secret-file',
        join(dir, 'wrong'),
      ]);
      expect(forged.code).toBe(1);
    }

    // ttl: 10 minutes; the app's next request still sees a session, and what it keeps.
    const id = JSON.parse(shown.stdout)['id'] as string;
    const set = await cli(layout, ['session', 'ttl', '--json', '--', id, '10m']);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ ttlSeconds: 600, valueUpdated: true });
    expect(await app.me(a)).toMatchObject({ status: 200 });
    const after = JSON.parse((await cli(layout, ['session', 'ttl', '--json', '--', id])).stdout) as { ttlSeconds: number };
    if (layout === 'authjs') {
      // Auth.js extends a session that is due (its expires minus maxAge plus updateAge has
      // passed): the shortened lifetime does not last, and the tool said so.
      expect(JSON.parse(set.stdout)['note']).toMatch(/undone by the user's next request/);
      expect(after.ttlSeconds).toBeGreaterThan(600);
    } else {
      expect(after.ttlSeconds).toBeLessThanOrEqual(600);
      expect(after.ttlSeconds).toBeGreaterThan(590);
    }
    if (layout === 'koa') expect(Number(await t.redis.pTTL(keyA))).toBeGreaterThan(605_000); // koa-redis's 10 s margin kept
    if (layout === 'authjs') expect(Number(await t.redis.pTTL(keyA))).toBe(-1); // no TTL the app never set
    if (layout === 'better-auth') {
      // The token's entry in the user's list moved with it (Better Auth's own refresh would have).
      const list = JSON.parse((await t.redis.get(`active-sessions-${alice}`)) ?? '[]') as Array<{ token: string; expiresAt: number }>;
      const entry = list.find((e) => e.token === keyA);
      expect(entry?.expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
      expect(entry?.expiresAt).toBeGreaterThan(Date.now() + 590_000);
      expect(Number(await t.redis.pTTL(`active-sessions-${alice}`))).toBeGreaterThan(0);
    }

    // --limit and --dry-run: one of three listed; a dry run names alice's two sessions and changes nothing.
    expect(await listed(layout, ['--limit', '1'])).toHaveLength(1);
    const before = await dataKeys();
    const dry = await cli(layout, ['session', 'revoke', '--dry-run', '--user', alice]);
    expect(dry.code).toBe(0);
    expect(dry.stdout.trim().split('\n')).toHaveLength(2);
    expect(dry.stdout.trim().split('\n')).toContain(id);
    expect(await dataKeys()).toEqual(before);

    // revoke --user: alice is logged out everywhere, bob is not, and no index names alice's sessions.
    const revoked = await cli(layout, ['session', 'revoke', '--json', '--user', alice]);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: 2 });
    expect(await app.me(a)).toMatchObject({ status: 401 });
    expect(await app.me(a2)).toMatchObject({ status: 401 });
    expect(await app.me(b)).toMatchObject({ status: 200, user: 'bob' });
    const left = await dataKeys();
    expect(left).not.toContain(keyA);
    expect(left).not.toContain(keyA2);
    for (const k of left) {
      const v = (await t.redis.type(k)) === 'string' ? ((await t.redis.get(k)) ?? '') : '';
      expect(v).not.toContain(keyA.slice(-20));
      expect(v).not.toContain(keyA2.slice(-20));
    }

    // revoke --all: the layout is empty; another application's keys of the same shape stay.
    // A key of the same shape as a koa or Better Auth session (a UUID, 32 characters) that is not one.
    const lookalike = layout === 'koa' ? '123e4567-e89b-42d3-a456-426614174000' : 'Q'.repeat(32);
    await t.redis.set(lookalike, '{"unrelated":true}');
    await t.redis.set('spring:session:sessions:keep-me', 'not a session of this layout');
    const all = await cli(layout, ['session', 'revoke', '--all', '--yes', '--json']);
    // fastify saves an anonymous session for a request it refused (saveUninitialized): more than bob's may go.
    expect(JSON.parse(all.stdout)['revoked']).toBeGreaterThanOrEqual(1);
    expect((await listed(layout)).length).toBe(0);
    // (fastify then saves a new anonymous session for the refused request: checked last.)
    expect(await app.me(b)).toMatchObject({ status: 401 });
    const kept = await dataKeys();
    expect(kept).toContain('spring:session:sessions:keep-me');
    expect(kept).toContain(lookalike);
    expect(kept).not.toContain(keyB);
  }, 30000);
});

test('one server holding every layout at once: session layouts finds each with its count, --layout auto lists them all, a revoke in one touches no other', async () => {
  const apps = [await startKoaApp(t.server.url), await startBetterAuthApp(t.server.url), await startAuthjsApp(t.server.url)];
  try {
    for (const a of apps) {
      await a.login('carol');
      await a.login('dave');
    }
    await t.redis.set('sess:abc', JSON.stringify({ cookie: { originalMaxAge: 1000 }, passport: { user: 'zed' } }));
    await seedSpringSessions(t.server.port, { to: 3, users: 2, indexed: true, vectors: JDK_VECTORS });
    const r = await runCli(['session', 'layouts', '--json'], { env: t.env });
    const found = ndjson(r.stdout).map(({ layout, prefix, keys }) => ({ layout, prefix, keys }));
    expect(found).toEqual([
      { layout: 'spring', prefix: 'spring:session:', keys: 3 },
      { layout: 'authjs', prefix: 'user:session:', keys: 2 },
      { layout: 'better-auth', prefix: '', keys: 2 },
      { layout: 'koa', prefix: '', keys: 2 },
      { layout: 'connect-redis', prefix: 'sess:', keys: 1 },
    ]);
    const auto = await runCli(['session', 'list', '--layout', 'auto', '--json'], { env: t.env });
    const byLayout = new Map<string, number>();
    for (const row of ndjson(auto.stdout)) byLayout.set(String(row['layout']), (byLayout.get(String(row['layout'])) ?? 0) + 1);
    expect(Object.fromEntries(byLayout)).toEqual({ 'connect-redis': 1, spring: 3, koa: 2, 'better-auth': 2, authjs: 2 });
    // A revoke in one layout touches no other layout's keys.
    const before = await dataKeys();
    const koaAll = await runCli(['session', 'revoke', '--layout', 'koa', '--all', '--yes'], { env: t.env });
    expect(koaAll.code).toBe(0);
    const after = await dataKeys();
    expect(before.filter((k) => !after.includes(k))).toHaveLength(2);
    expect((await listed('better-auth')).length).toBe(2);
    expect((await listed('authjs')).length).toBe(2);
    expect((await listed('spring')).length).toBe(3);
    expect((await listed('connect-redis')).length).toBe(1);
  } finally {
    for (const a of apps) await a.close();
  }
}, 30000);

describe.each<[string, (url: string) => Promise<NodeApp>]>([
  ['koa', startKoaApp],
  ['better-auth', startBetterAuthApp],
  ['authjs', startAuthjsApp],
])('--layout %s: revoke --hold', (layout, start) => {
  test('a save by a request in flight (the session written back) is revoked again; the user stays logged out', async () => {
    app = await start(t.server.url);
    const a = await app.login('alice');
    const key = await app.sessionKey(a);
    const stored = (await t.redis.get(key)) as string;
    const id = String(ndjson((await cli(layout, ['session', 'list', '--json'])).stdout).find((r) => r['key'] === key)?.['id']);
    await t.redis.configSet('notify-keyspace-events', 'E$g');
    const hold = startCli(['session', 'revoke', '--hold', '4s', '--json', '--layout', layout, '--', id], { env: t.env });
    await waitFor('the revoke', async () => (await t.redis.exists(key)) === 0);
    await waitFor('the hold to subscribe', async () => (await t.redis.pubSubChannels('__keyevent@0__:set')).length > 0);
    // What the in-flight request's save writes: the session, as it loaded it.
    await t.redis.set(key, stored, { EX: 3600 });
    const r = await hold.done;
    expect(JSON.parse(r.stdout)).toMatchObject({ revoked: 1, held: { caught: 1, mode: 'notifications' } });
    expect(await t.redis.exists(key)).toBe(0);
    expect(await app.me(a)).toMatchObject({ status: 401 });
  }, 30000);
});

test('a Better Auth listing takes each expiry from session.expiresAt and asks for no TTL; a key of another type where a token would be is skipped and counted', async () => {
  await seedBetterAuthSessions(t.server.port, { to: 30, users: 3 });
  await t.redis.hSet('A'.repeat(32), 'f', 'v');
  await t.redis.configResetStat();
  const r = await cli('better-auth', ['session', 'list', '--json']);
  expect(r.code).toBe(0);
  const rows = ndjson(r.stdout);
  expect(rows).toHaveLength(30);
  for (const row of rows) {
    expect(row['expiresBy']).toBe('session.expiresAt');
    expect(Date.parse(String(row['expiresAt']))).toBeGreaterThan(Date.now());
  }
  expect(r.stderr).toMatch(/1 skipped \(not a string key\)/);
  // The read script's PTTLs count here too: a listing that read them would show cmdstat_pttl.
  expect(await t.redis.info('commandstats')).not.toMatch(/cmdstat_pttl:/);
});
