/**
 * `session list`, `session revoke` and `session ttl` against a real, throwaway redis-server,
 * through the built CLI, with sessions seeded exactly as express-session + connect-redis
 * write them (a `sess:<id>` string holding JSON, with a TTL).
 */
import { describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { ndjson, runCli, type CliResult } from '../helpers/cli.js';
import { sessionJson } from '../helpers/client.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { dataKeys, useTestRedis } from '../helpers/fixture.js';

const DAY_MS = 86400000;
const LIST_FIELDS = ['id', 'user', 'ttlSeconds', 'expiresAt', 'readable', 'extra', 'layout', 'key'];

let server: RedisServer;
let redis: RedisClientType;

useTestRedis((t) => {
  server = t.server;
  redis = t.redis;
});

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { env: { REDIS_URL: server.url, ...env } });
}

/** A connect-redis session for `user` (passport.user), with the TTL connect-redis gives it. */
async function seed(
  id: string,
  user: string | null,
  opts: { prefix?: string; maxAgeMs?: number; extra?: Record<string, unknown> } = {},
): Promise<void> {
  const maxAgeMs = opts.maxAgeMs ?? DAY_MS;
  const value = sessionJson(user === null ? null : { passport: { user } }, maxAgeMs, opts.extra ?? {});
  await redis.set(`${opts.prefix ?? 'sess:'}${id}`, value, { expiration: { type: 'PX', value: maxAgeMs } });
}

async function exists(...keys: string[]): Promise<boolean[]> {
  return Promise.all(keys.map(async (k) => Number(await redis.exists(k)) === 1));
}

async function allKeys(): Promise<string[]> {
  return dataKeys(redis);
}

function ids(result: CliResult): string[] {
  return ndjson(result.stdout)
    .map((r) => String(r['id']))
    .sort();
}

/** Data lines of the tab-separated (non-TTY) listing, header excluded, split into cells. */
function rows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

describe('session list', () => {
  test('in a pipe: a tab-separated header, then one row per session, summary on stderr', async () => {
    await seed('s-alice', 'alice', { extra: { ip: '203.0.113.7' } });
    await seed('s-bob', 'bob', { maxAgeMs: 2 * 3600 * 1000 });
    await seed('s-anon', null);
    const r = await cli(['session', 'list']);
    expect(r.stderr).toBe('3 sessions.\n');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('id\tuser\tttl\texpires at\tdetails');
    expect(lines[lines.length - 1]).toBe(''); // ends with a newline
    const data = rows(r.stdout).sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
    expect(data).toHaveLength(3);
    for (const row of data) expect(row).toHaveLength(5);
    const [alice, anon, bob] = data as [string[], string[], string[]];
    expect(alice.slice(0, 2)).toEqual(['s-alice', 'alice']);
    expect(alice[2]).toMatch(/^(23h 59m|1d)$/);
    // Changed by issue 13 item 22: table times say their zone (ISO 8601 UTC to the second, `Z`).
    expect(alice[3]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(alice[4]).toBe('ip=203.0.113.7');
    expect(bob.slice(0, 2)).toEqual(['s-bob', 'bob']);
    expect(bob[2]).toMatch(/^(1h 59m|2h)$/);
    expect(bob[4]).toBe('');
    expect(anon.slice(0, 2)).toEqual(['s-anon', '-']);
  });

  test('--json is NDJSON with exactly id, user, ttlSeconds, expiresAt, readable, extra, layout, key', async () => {
    await seed('j1', 'alice', { extra: { ip: '203.0.113.7', userAgent: 'curl/8' } });
    await seed('j2', 'bob');
    await redis.set('sess:j3', sessionJson({ userId: 42 }));
    const before = Date.now();
    const r = await cli(['session', 'list', '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(3);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const byId = new Map(records.map((rec) => [rec['id'], rec]));
    for (const rec of records) expect(Object.keys(rec)).toEqual(LIST_FIELDS);

    const j1 = byId.get('j1') as Record<string, unknown>;
    expect(j1['user']).toBe('alice');
    expect(j1['readable']).toBe(true);
    expect(j1['extra']).toEqual({ ip: '203.0.113.7', userAgent: 'curl/8' });
    expect(j1['ttlSeconds']).toBeGreaterThan(86300);
    expect(j1['ttlSeconds']).toBeLessThanOrEqual(86400);
    const expiresAt = Date.parse(String(j1['expiresAt']));
    expect(new Date(expiresAt).toISOString()).toBe(j1['expiresAt']);
    expect(expiresAt).toBeGreaterThan(before + DAY_MS - 100000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + DAY_MS);

    expect(byId.get('j2')).toMatchObject({ user: 'bob', readable: true, extra: null });
    // A numeric user id counts, as a string; a key without expiry has ttlSeconds -1, expiresAt null.
    expect(byId.get('j3')).toEqual({
      id: 'j3',
      user: '42',
      ttlSeconds: -1,
      expiresAt: null,
      readable: true,
      extra: null,
      layout: 'connect-redis',
      key: 'sess:j3',
    });
  });

  test('--user matches exactly: never as a pattern, a prefix or case-insensitively', async () => {
    await seed('alice-1', 'alice');
    await seed('alice-2', 'alice');
    await seed('star', 'a*');
    await seed('al', 'al');
    await seed('upper', 'ALICE');
    await seed('q', 'a?ice');
    await seed('bob', 'bob');
    const of = async (user: string) => {
      const r = await cli(['session', 'list', '--json', '--user', user]);
      expect(r.code).toBe(0);
      return ids(r);
    };
    expect(await of('alice')).toEqual(['alice-1', 'alice-2']);
    expect(await of('a*')).toEqual(['star']);
    expect(await of('al')).toEqual(['al']);
    expect(await of('a?ice')).toEqual(['q']);
    expect(await of('*')).toEqual([]);
    expect(await of('ali')).toEqual([]);
    const plain = await cli(['session', 'list', '--user', 'a*']);
    expect(rows(plain.stdout).map((row) => row[0])).toEqual(['star']);
    expect(plain.stderr).toBe('1 session.\n');
  });

  test('--limit N stops after N sessions; a bad --limit is a usage error', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => seed(`lim-${i}`, i % 2 === 0 ? 'alice' : 'bob')));
    const r = await cli(['session', 'list', '--json', '--limit', '7']);
    expect(r.code).toBe(0);
    const listed = ids(r);
    expect(listed).toHaveLength(7);
    expect(new Set(listed).size).toBe(7);
    const withUser = await cli(['session', 'list', '--json', '--limit', '3', '--user', 'bob']);
    expect(ndjson(withUser.stdout).map((rec) => rec['user'])).toEqual(['bob', 'bob', 'bob']);
    const plain = await cli(['session', 'list', '--limit', '5']);
    expect(rows(plain.stdout)).toHaveLength(5);
    expect(plain.stderr).toBe('5 sessions.\n');
    for (const bad of ['0', '-1', 'abc', '2.5']) {
      const b = await cli(['session', 'list', '--limit', bad]);
      expect([bad, b.code]).toEqual([bad, 2]);
      expect(b.stdout).toBe('');
    }
  });

  test('a value that is not a JSON object is listed as unreadable, never a crash', async () => {
    await seed('ok', 'alice');
    await redis.set('sess:garbage', 'not json {', { expiration: { type: 'EX', value: 3600 } });
    await redis.set('sess:array', '[1,2,3]');
    await redis.set('sess:binary', Buffer.from([0xff, 0xfe, 0x00, 0x1b, 0x5b]));
    const r = await cli(['session', 'list', '--json']);
    expect(r.code).toBe(0);
    const byId = new Map(ndjson(r.stdout).map((rec) => [rec['id'], rec]));
    expect([...byId.keys()].sort()).toEqual(['array', 'binary', 'garbage', 'ok']);
    const garbage = byId.get('garbage') as Record<string, unknown>;
    expect(garbage).toMatchObject({ user: null, readable: false, extra: null });
    expect(garbage['ttlSeconds']).toBeGreaterThan(3500);
    expect(byId.get('array')).toMatchObject({ user: null, readable: false, extra: null, ttlSeconds: -1 });
    expect(byId.get('binary')).toMatchObject({ readable: false });
    expect(byId.get('ok')).toMatchObject({ user: 'alice', readable: true });

    const plain = await cli(['session', 'list']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe('4 sessions (3 unreadable).\n');
    const garbageRow = rows(plain.stdout).find((row) => row[0] === 'garbage');
    expect(garbageRow?.[1]).toBe('-');
    expect(garbageRow?.[4]).toBe('(unreadable: not JSON)');
  });

  test('a key under the prefix that is not a string is skipped and counted in the summary', async () => {
    await seed('s1', 'alice');
    await redis.hSet('sess:h', { passport: 'alice' });
    await redis.rPush('sess:l', ['x']);
    const r = await cli(['session', 'list']);
    expect(r.code).toBe(0);
    expect(rows(r.stdout).map((row) => row[0])).toEqual(['s1']);
    expect(r.stderr).toBe('1 session (2 skipped (not a string key)).\n');
    const json = await cli(['session', 'list', '--json']);
    expect(json.code).toBe(0);
    expect(ids(json)).toEqual(['s1']);
    // Scripts get the counts too: the summary is on stderr with --json as well.
    expect(json.stderr).toBe('1 session (2 skipped (not a string key)).\n');
    const user = await cli(['session', 'list', '--json', '--user', 'alice']);
    expect(user.code).toBe(0);
    expect(ids(user)).toEqual(['s1']);
    // The hash and list are untouched.
    expect(await redis.type('sess:h')).toBe('hash');
    expect(await redis.type('sess:l')).toBe('list');
  });

  test('--session-prefix and --user-field (and their environment variables)', async () => {
    await seed('default-1', 'alice');
    await redis.set(
      'app:s:x1',
      JSON.stringify({ cookie: { originalMaxAge: null, httpOnly: true, path: '/' }, account: { name: 'carol' }, theme: 'dark' }),
    );
    await redis.set(
      'app:s:x2',
      JSON.stringify({ cookie: { originalMaxAge: null, httpOnly: true, path: '/' }, passport: { user: 'dave' } }),
    );
    // Glob characters in a prefix are literal: `t*:` must not match `tX:`.
    await seed('1', 'erin', { prefix: 't*:' });
    await seed('2', 'erin', { prefix: 'tX:' });

    const r = await cli(['session', 'list', '--json', '--session-prefix', 'app:s:', '--user-field', 'account.name']);
    expect(r.code).toBe(0);
    const byId = new Map(ndjson(r.stdout).map((rec) => [rec['id'], rec]));
    expect([...byId.keys()].sort()).toEqual(['x1', 'x2']);
    expect(byId.get('x1')).toMatchObject({ user: 'carol', extra: { theme: 'dark' } });
    // With an explicit --user-field, the default fields are not consulted.
    expect(byId.get('x2')).toMatchObject({ user: null, extra: { passport: { user: 'dave' } } });

    const carol = await cli(['session', 'list', '--json', '--user', 'carol', '--user-field', 'account.name'], {
      REDIS_ACCOUNTS_SESSION_PREFIX: 'app:s:',
    });
    expect(ids(carol)).toEqual(['x1']);
    const viaEnv = await cli(['session', 'list', '--json', '--user', 'carol'], {
      REDIS_ACCOUNTS_SESSION_PREFIX: 'app:s:',
      REDIS_ACCOUNTS_USER_FIELD: 'account.name',
    });
    expect(ids(viaEnv)).toEqual(['x1']);

    const star = await cli(['session', 'list', '--json', '--session-prefix', 't*:']);
    expect(star.code).toBe(0);
    expect(ids(star)).toEqual(['1']);

    const badField = await cli(['session', 'list', '--user-field', 'a..b']);
    expect(badField.code).toBe(2);
    const badPrefix = await cli(['session', 'list', '--session-prefix', 'a b']);
    expect(badPrefix.code).toBe(2);
  });

  test('5,000 sessions: every one listed exactly once', async () => {
    const total = 5000;
    const expected: string[] = [];
    const value = sessionJson({ passport: { user: 'bulk' } });
    for (let start = 0; start < total; start += 500) {
      const multi = redis.multi();
      for (let i = start; i < start + 500; i += 1) {
        const id = `bulk-${String(i).padStart(5, '0')}`;
        expected.push(id);
        multi.set(`sess:${id}`, value, { expiration: { type: 'EX', value: 86400 } });
      }
      await multi.exec();
    }
    await redis.set('other:1', 'x'); // outside the prefix: not listed, not counted
    const r = await cli(['session', 'list', '--json'], {});
    expect(r.code).toBe(0);
    const listed = ids(r);
    expect(listed).toHaveLength(total);
    expect(new Set(listed).size).toBe(total);
    expect(listed).toEqual(expected.sort());

    const plain = await cli(['session', 'list', '--user', 'bulk']);
    expect(plain.code).toBe(0);
    const plainIds = rows(plain.stdout).map((row) => row[0]);
    expect(new Set(plainIds).size).toBe(total);
    expect(plainIds).toHaveLength(total);
    expect(plain.stderr).toBe('5000 sessions.\n');
  });
});

describe('session revoke', () => {
  test('<id...> deletes those sessions and reports how many', async () => {
    await seed('r1', 'alice');
    await seed('r2', 'alice');
    await seed('r3', 'bob');
    const r = await cli(['session', 'revoke', 'r1', 'r3']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Revoked 2 of 2 sessions.\n');
    expect(r.stdout).toBe('');
    expect(await exists('sess:r1', 'sess:r2', 'sess:r3')).toEqual([false, true, false]);

    const json = await cli(['session', 'revoke', 'r2', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ dryRun: false, revoked: 1, ids: ['r2'], missing: [], notSessions: [] });
    expect(await allKeys()).toEqual([]);
  });

  test('a missing id is reported on stderr with exit 1; the existing ones are still deleted', async () => {
    await seed('here-1', 'alice');
    await seed('here-2', 'bob');
    await seed('keep', 'carol');
    const r = await cli(['session', 'revoke', 'here-1', 'gone-123', 'here-2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Session gone-123 not found.');
    expect(r.stderr).toContain('Revoked 2 of 3 sessions.');
    expect(await allKeys()).toEqual(['sess:keep']);

    await seed('here-3', 'alice');
    const json = await cli(['session', 'revoke', 'nope', 'here-3', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ dryRun: false, revoked: 1, ids: ['here-3'], missing: ['nope'], notSessions: [] });
    expect(await allKeys()).toEqual(['sess:keep']);
  });

  test("--user deletes exactly that user's sessions and leaves every other key alone", async () => {
    for (const id of ['a1', 'a2', 'a3']) await seed(id, 'alice');
    await seed('b1', 'bob');
    await seed('b2', 'bob');
    await seed('star', 'a*');
    await seed('al', 'al');
    await seed('upper', 'ALICE');
    await seed('other-app', 'alice', { prefix: 'app:' });
    await redis.set('sess:garbage', 'alice');
    await redis.hSet('sess:h', { 'passport.user': 'alice' });
    const before = await allKeys();
    const r = await cli(['session', 'revoke', '--user', 'alice', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ dryRun: false, revoked: 3, user: 'alice' });
    expect(out['scanned']).toBe(10); // every key under sess:, of any type
    expect(await allKeys()).toEqual(before.filter((k) => !['sess:a1', 'sess:a2', 'sess:a3'].includes(k)));

    await seed('b3', 'bob');
    const plain = await cli(['session', 'revoke', '--user', 'bob']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/^Revoked 3 sessions of bob \(\d+ keys scanned\)\.\n$/);
    expect(await exists('sess:b1', 'sess:b2', 'sess:b3', 'sess:star', 'app:other-app')).toEqual([false, false, false, true, true]);
  });

  test('--user with no sessions: exit 0, count 0', async () => {
    await seed('a1', 'alice');
    const r = await cli(['session', 'revoke', '--user', 'nobody', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dryRun: false, revoked: 0, user: 'nobody' });
    const plain = await cli(['session', 'revoke', '--user', 'ali']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/^Revoked 0 sessions of ali /);
    expect(await exists('sess:a1')).toEqual([true]);
  });

  test('--all without --yes and without a terminal: exit 2, nothing deleted', async () => {
    await seed('a1', 'alice');
    await seed('b1', 'bob');
    const r = await cli(['session', 'revoke', '--all']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect(await allKeys()).toEqual(['sess:a1', 'sess:b1']);
  });

  test('--all --yes deletes every session under the prefix, but no other prefix and no non-string key', async () => {
    for (let i = 0; i < 25; i += 1) await seed(`s${i}`, i % 3 === 0 ? 'alice' : 'bob');
    await redis.set('sess:garbage', 'not json');
    await redis.hSet('sess:h', { f: 'v' });
    await redis.sAdd('sess:set', 'm');
    await seed('x', 'alice', { prefix: 'app:' });
    await seed('y', 'alice', { prefix: 'sessions:' });
    await redis.set('sessX', 'v');
    await redis.hSet('user:{alice}', { password_hash: 'x' });
    const r = await cli(['session', 'revoke', '--all', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dryRun: false, revoked: 26 });
    expect(await allKeys()).toEqual(['app:x', 'sess:h', 'sess:set', 'sessX', 'sessions:y', 'user:{alice}']);

    // A custom prefix: only that prefix goes.
    await seed('z', 'bob');
    const custom = await cli(['session', 'revoke', '--all', '--yes', '--session-prefix', 'app:']);
    expect(custom.code).toBe(0);
    expect(custom.stderr).toMatch(/^Revoked 1 session /);
    expect(await allKeys()).toEqual(['sess:h', 'sess:set', 'sess:z', 'sessX', 'sessions:y', 'user:{alice}']);
  });

  test('--dry-run lists the ids on stdout and deletes nothing', async () => {
    await seed('a1', 'alice');
    await seed('a2', 'alice');
    await seed('b1', 'bob');
    await redis.hSet('sess:h', { f: 'v' });
    const before = await allKeys();
    const sorted = (s: string) => s.split('\n').filter(Boolean).sort();

    const user = await cli(['session', 'revoke', '--user', 'alice', '--dry-run']);
    expect(user.code).toBe(0);
    expect(sorted(user.stdout)).toEqual(['a1', 'a2']);
    expect(user.stderr).toMatch(/^Would revoke 2 sessions of alice/);

    const all = await cli(['session', 'revoke', '--all', '--dry-run']); // no --yes needed: nothing changes
    expect(all.code).toBe(0);
    expect(sorted(all.stdout)).toEqual(['a1', 'a2', 'b1']);
    expect(all.stderr).toMatch(/^Would revoke 3 sessions/);

    const byId = await cli(['session', 'revoke', 'b1', 'missing', '--dry-run']);
    expect(byId.code).toBe(1);
    expect(sorted(byId.stdout)).toEqual(['b1']);
    expect(byId.stderr).toContain('Session missing not found.');

    // Changed by issue 13 item 23: the ids, then a summary whose count is `wouldRevoke` (was only `revoked`: 2).
    const json = await cli(['session', 'revoke', '--user', 'alice', '--dry-run', '--json']);
    expect(json.code).toBe(0);
    expect(ndjson(json.stdout).slice(-1)[0]).toMatchObject({ dryRun: true, wouldRevoke: 2, user: 'alice' });

    expect(await allKeys()).toEqual(before);
  });

  test('--dry-run --json: one {"id"} line per session that would go, then {"dryRun":true,"wouldRevoke":N,...}; exactly what a revoke then removes', async () => {
    // Enough sessions for several SCAN batches; users a, b, c in turn; and keys a revoke leaves alone.
    for (let start = 0; start < 1200; start += 400) {
      const multi = redis.multi();
      for (let i = start; i < start + 400; i += 1)
        multi.set(`sess:dry-${i}`, sessionJson({ passport: { user: 'abc'[i % 3] as string } }), { EX: 3600 });
      await multi.exec();
    }
    await redis.hSet('sess:h', { passport: 'a' });
    await redis.set('other:1', sessionJson({ passport: { user: 'a' } }));

    /** The dry run's id lines (checked to be exactly {"id"}) and its summary. */
    const dryRun = async (args: string[]) => {
      const r = await cli(['session', 'revoke', ...args, '--dry-run', '--json']);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const lines = ndjson(r.stdout);
      const summary = lines.pop() as Record<string, unknown>;
      for (const line of lines) expect(Object.keys(line)).toEqual(['id']);
      return { ids: lines.map((l) => String(l['id'])).sort(), summary };
    };
    const gone = async (run: () => Promise<CliResult>) => {
      const before = new Set(await allKeys());
      expect((await run()).code).toBe(0);
      const after = new Set(await allKeys());
      return [...before]
        .filter((k) => !after.has(k))
        .map((k) => k.slice('sess:'.length))
        .sort();
    };

    const a = await dryRun(['--user', 'a']);
    expect(a.ids).toHaveLength(400);
    expect(a.summary).toEqual({ dryRun: true, wouldRevoke: 400, scanned: expect.any(Number), user: 'a' });
    expect(a.summary['scanned']).toBeGreaterThanOrEqual(1201); // every key under sess:, of any type
    expect(await gone(() => cli(['session', 'revoke', '--user', 'a']))).toEqual(a.ids);

    const all = await dryRun(['--all']);
    expect(all.ids).toHaveLength(800);
    expect(all.summary).toEqual({ dryRun: true, wouldRevoke: 800, scanned: expect.any(Number) });
    // Without --dry-run the JSON is as before: only the summary, the count called `revoked`.
    let real: CliResult | undefined;
    expect(await gone(async () => (real = await cli(['session', 'revoke', '--all', '--yes', '--json'])))).toEqual(all.ids);
    expect(ndjson(real?.stdout ?? '')).toEqual([{ dryRun: false, revoked: 800, scanned: expect.any(Number) }]);
    expect(await allKeys()).toEqual(['other:1', 'sess:h']);
  });

  test('ids together with --user or --all, or no target at all, is a usage error and deletes nothing', async () => {
    await seed('a1', 'alice');
    await seed('b1', 'bob');
    for (const args of [['a1', '--user', 'alice'], ['a1', '--all', '--yes'], ['--user', 'alice', '--all', '--yes'], []]) {
      const r = await cli(['session', 'revoke', ...args]);
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.stdout).toBe('');
    }
    expect(await allKeys()).toEqual(['sess:a1', 'sess:b1']);
  });
});

describe('session ttl', () => {
  test('<id> prints the remaining lifetime', async () => {
    await seed('t1', 'alice');
    const r = await cli(['session', 'ttl', 't1']);
    expect(r.code).toBe(0);
    const m = /^(23h 59m|1d) \((\d+)s\) {2}expires (\S+)\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m?.[2])).toBeGreaterThan(86300);
    expect(Number(m?.[2])).toBeLessThanOrEqual(86400);

    await redis.set('sess:forever', sessionJson({ passport: { user: 'bob' } }));
    const forever = await cli(['session', 'ttl', 'forever']);
    expect(forever.code).toBe(0);
    expect(forever.stdout).toBe('none (no expiry)\n');
  });

  test('--json is exactly {id, ttlSeconds, expiresAt}', async () => {
    await seed('t1', 'alice', { maxAgeMs: 3600 * 1000 });
    const before = Date.now();
    const r = await cli(['session', 'ttl', 't1', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['id', 'ttlSeconds', 'expiresAt']);
    expect(out['id']).toBe('t1');
    expect(out['ttlSeconds']).toBeGreaterThan(3550);
    expect(out['ttlSeconds']).toBeLessThanOrEqual(3600);
    const expiresAt = Date.parse(String(out['expiresAt']));
    expect(expiresAt).toBeGreaterThan(before + 3500 * 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600 * 1000);

    await redis.set('sess:forever', 'x');
    const forever = await cli(['session', 'ttl', 'forever', '--json']);
    expect(JSON.parse(forever.stdout)).toEqual({ id: 'forever', ttlSeconds: -1, expiresAt: null });
  });

  test('<id> 30m sets the TTL and rewrites cookie.originalMaxAge and cookie.expires, keeping every other field', async () => {
    const original = {
      cookie: {
        originalMaxAge: DAY_MS,
        expires: new Date(Date.now() + DAY_MS).toISOString(),
        secure: false,
        httpOnly: true,
        path: '/',
        sameSite: 'lax',
      },
      passport: { user: 'alice' },
      csrfSecret: 'abc',
      flash: { info: ['hello'] },
      visits: 3,
    };
    await redis.set('sess:t1', JSON.stringify(original), { expiration: { type: 'PX', value: DAY_MS } });
    const before = Date.now();
    const r = await cli(['session', 'ttl', 't1', '30m', '--json']);
    const after = Date.now();
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ id: 't1', ttlSeconds: 1800, cookieUpdated: true });

    const pttl = Number(await redis.pTTL('sess:t1'));
    expect(pttl).toBeGreaterThan(1800000 - 60000);
    expect(pttl).toBeLessThanOrEqual(1800000);
    const stored = JSON.parse((await redis.get('sess:t1')) ?? 'null') as typeof original;
    expect(stored.cookie.originalMaxAge).toBe(1800000);
    const expires = Date.parse(stored.cookie.expires);
    expect(expires).toBeGreaterThanOrEqual(before + 1800000);
    expect(expires).toBeLessThanOrEqual(after + 1800000);
    expect(Date.parse(String(out['expiresAt']))).toBe(expires);
    // Everything else exactly as it was.
    expect(stored).toEqual({ ...original, cookie: { ...original.cookie, originalMaxAge: 1800000, expires: stored.cookie.expires } });

    const plain = await cli(['session', 'ttl', 't1', '2h']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^2h \(7200s\) {2}expires \S+\n$/);
    expect(plain.stderr).toBe('');
    expect((JSON.parse((await redis.get('sess:t1')) ?? 'null') as typeof original).cookie.originalMaxAge).toBe(7200000);
  });

  test('a session that is gone: exit 1, and no key is created', async () => {
    for (const args of [['gone'], ['gone', '30m']]) {
      const r = await cli(['session', 'ttl', ...args]);
      expect([args, r.code]).toEqual([args, 1]);
      expect(r.stderr).toContain('session gone not found');
      expect(r.stdout).toBe('');
    }
    expect(await allKeys()).toEqual([]);
  });

  test("invalid durations ('0', '-5', '1.5h', 'abc', '99999999999d') are usage errors and change nothing", async () => {
    await seed('t1', 'alice');
    const value = await redis.get('sess:t1');
    for (const d of ['0', '-5', '1.5h', 'abc', '99999999999d', '', '30 m', '5y']) {
      const r = await cli(['session', 'ttl', 't1', d]);
      expect([d, r.code]).toEqual([d, 2]);
      expect(r.stdout).toBe('');
    }
    expect(await redis.get('sess:t1')).toBe(value);
    expect(Number(await redis.pTTL('sess:t1'))).toBeGreaterThan(DAY_MS - 120000);
  });

  test('a key of the wrong type: exit 5, untouched', async () => {
    await redis.hSet('sess:h', { f: 'v' });
    const read = await cli(['session', 'ttl', 'h']);
    expect(read.code).toBe(5);
    expect(read.stderr).toMatch(/sess:h is a hash, not a session/);
    const revoke = await cli(['session', 'revoke', 'h', '--json']);
    expect(revoke.code).toBe(5);
    expect(JSON.parse(revoke.stdout)).toMatchObject({ revoked: 0, missing: [], notSessions: ['h'] });
    const r = await cli(['session', 'ttl', 'h', '30m']);
    expect(r.code).toBe(5);
    // Issue 13 item 25: setting names the key and its type, as reading does (was "wrong kind of value").
    expect(r.stderr).toMatch(/sess:h is a hash, not a session/);
    expect(await redis.hGetAll('sess:h')).toEqual({ f: 'v' });
    expect(Number(await redis.pTTL('sess:h'))).toBe(-1);
  });

  test('a value that is not express-session JSON: only the TTL changes, the value is untouched', async () => {
    const cases: Array<[string, string]> = [
      ['raw', 'not json {'],
      ['nocookie', '{"passport":{"user":"alice"}}'],
      ['arr', '[{"cookie":{}}]'],
      ['nullcookie', '{"cookie":null,"a":1}'],
    ];
    for (const [id, value] of cases) {
      await redis.set(`sess:${id}`, value, { expiration: { type: 'EX', value: 86400 } });
      const r = await cli(['session', 'ttl', id, '30m']);
      expect([id, r.code]).toEqual([id, 0]);
      expect(r.stderr).toContain('only the key TTL was changed');
      expect(await redis.get(`sess:${id}`)).toBe(value);
      const pttl = Number(await redis.pTTL(`sess:${id}`));
      expect(pttl).toBeGreaterThan(1800000 - 60000);
      expect(pttl).toBeLessThanOrEqual(1800000);
    }
  });
});
