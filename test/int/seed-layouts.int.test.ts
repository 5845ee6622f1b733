/**
 * The bench's bulk seeders for the PHP, Python, Ruby and Go layouts (test/helpers/seed-php.ts,
 * seed-python.ts, seed-ruby.ts, seed-go.ts) against the real applications: each app logs `user7`
 * in, the seeder writes session 7 (of `user7`) beside it, and the two must agree: the key's shape,
 * the TTL, and the value byte for byte once the parts that differ between any two logins are
 * masked (ids, tokens, times; the user id where the app's are integers and the seeder's the text
 * `user<n>`). Where masks hide a length, the language's own encoder must write the seeded value
 * again byte for byte (serialize, pickle, Marshal); where the app takes any user, the app itself
 * must read the seeded value, put under its session's key, as `user7` logged in. A framework
 * upgrade that changes what it writes fails here, not silently in the bench. Then the tool lists
 * exactly the seeded sessions, each with its user, and `--user` finds all of a user's.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { RESP_TYPES } from 'redis';
import { startLaravelApp, startPhpApp, startSymfonyApp } from '../helpers/apps/php.js';
import { PYTHON, startDjangoApp, startFlaskApp } from '../helpers/apps/python.js';
import { startRailsApp } from '../helpers/apps/rails.js';
import { ndjson, runCli } from '../helpers/cli.js';
import { AUDIT_KEY, useTestRedis, type TestRedis } from '../helpers/fixture.js';
import { startGorillaApp } from '../helpers/gorilla.js';
import type { NodeSeedOptions } from '../helpers/seed.js';
import { seedGorillaSessions } from '../helpers/seed-go.js';
import { seedLaravelSessions, seedPhpSessions, seedSymfonySessions } from '../helpers/seed-php.js';
import { seedDjangoSessions, seedFlaskSessions } from '../helpers/seed-python.js';
import { seedRailsCacheSessions, seedRailsSessions } from '../helpers/seed-ruby.js';

const t = useTestRedis();
const bytes = () => t.redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });

/** A real application, started: it logs `user7` in, and (where it takes any user) says who a cookie's session belongs to. */
interface RunningApp {
  login(): Promise<string>;
  me?(cookie: string): Promise<{ status: number; user?: string }>;
  close(): Promise<void>;
}

/** The language's own decoder and encoder, run on the seeded value: exit 0 when they write it back byte for byte. */
type Reencode = [command: string, args: string[]];
const PICKLE: Reencode = [PYTHON, ['-c', 'import pickle,sys; b=sys.stdin.buffer.read(); sys.exit(pickle.dumps(pickle.loads(b), 4) != b)']];
const marshal = (requires: string): Reencode => [
  'ruby',
  ['-e', `${requires}b = STDIN.binmode.read; exit(Marshal.dump(Marshal.load(b)) == b)`],
];

interface Case {
  layout: string;
  start: (t: TestRedis) => Promise<RunningApp>;
  seed: (port: number, opts: NodeSeedOptions) => Promise<void>;
  /** Both keys' shape. */
  key: RegExp;
  /** The value (latin1) with what differs between two logins masked; undefined where Go's random map order rules a byte comparison out. */
  mask?: (text: string) => string;
  reencode?: Reencode;
}

const UUID4 = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
/** Warden's [[id], salt]: the app's integer id (a fixnum) or the seeder's text id, a String linking symbol E. */
const wardenId = (text: string) => text.replace(/\[\x06(?:i[\s\S]|I"[\s\S][^\x06]*\x06;[\s\S]T)/, '[\x06<user id>');

const CASES: Case[] = [
  {
    layout: 'php',
    async start(t) {
      const app = await startPhpApp(t.server.port, 'php');
      return {
        // user_id 7, as the seeder gives user7 (PhpApp.login knows only its four users' ids).
        async login() {
          const res = await fetch(`${app.base}/login?user=user7&id=7`, { method: 'POST' });
          // session_regenerate_id sets the cookie again: the last one is the session's.
          const pair = res.headers
            .getSetCookie()
            .filter((c) => c.startsWith('PHPSESSID='))
            .at(-1);
          if (res.status !== 200 || pair === undefined) throw new Error(`php login answered ${res.status}:\n${app.log()}`);
          return pair.split(';')[0] as string;
        },
        me: (cookie) => app.me(cookie),
        close: () => app.close(),
      };
    },
    seed: seedPhpSessions,
    key: /^PHPREDIS_SESSION:[0-9a-v]{26}$/,
    mask: (text) => text.replace(/login_at\|i:\d+;/, 'login_at|i:<time>;'),
  },
  {
    layout: 'symfony',
    async start(t) {
      const app = await startSymfonyApp(t.server.port);
      return { login: () => app.login('user7'), me: (cookie) => app.me(cookie), close: () => app.close() };
    },
    seed: seedSymfonySessions,
    key: /^sf_s[0-9a-v]{26}$/,
    mask: (text) => text.replace(/s:1:"u";i:\d+;s:1:"c";i:\d+;/, 's:1:"u";i:<time>;s:1:"c";i:<time>;'),
  },
  {
    layout: 'laravel',
    async start(t) {
      // Its users are alice, bob, carol and dave, with integer ids.
      const app = await startLaravelApp(t.server.port);
      return { login: () => app.login('alice'), close: () => app.close() };
    },
    seed: seedLaravelSessions,
    key: /^laravel_database_laravel_cache:[A-Za-z0-9]{40}$/,
    mask: (text) =>
      text
        .replace(/^s:\d+:"/, 's:<length>:"')
        .replace(/"_token";s:40:"[A-Za-z0-9]{40}"/, '"_token";s:40:"<token>"')
        .replace(/(login_web_[0-9a-f]{40}";)(?:i:\d+|s:\d+:"[^"]*");/, '$1<user id>;'),
    reencode: ['php', ['-r', '$v = stream_get_contents(STDIN); exit(serialize(serialize(unserialize(unserialize($v)))) === $v ? 0 : 1);']],
  },
  {
    layout: 'django',
    async start(t) {
      const app = await startDjangoApp(t.server.port, 'cache');
      return { login: () => app.login('user7'), close: () => app.close() };
    },
    seed: seedDjangoSessions,
    key: /^:1:django\.contrib\.sessions\.cache[a-z0-9]{32}$/,
    mask: (text) =>
      text
        .replace(/^\x80\x04\x95[\s\S]{8}/, '<frame>')
        .replace(/(_auth_user_id\x94\x8c)[\s\S][^\x94]*\x94/, '$1<user id>\x94')
        .replace(/(_auth_user_hash\x94\x8c@)[0-9a-f]{64}/, '$1<hash>'),
    reencode: PICKLE,
  },
  {
    layout: 'flask',
    async start(t) {
      const app = await startFlaskApp(t.server.port, '0.3');
      return { login: () => app.login('user7'), me: (cookie) => app.me(cookie), close: () => app.close() };
    },
    seed: seedFlaskSessions,
    key: new RegExp(`^session:${UUID4}$`),
    // Flask-Login's identifier is a hash of the client's address and User-Agent.
    mask: (text) => text.replace(/(_id\x94\x8c\x80)[0-9a-f]{128}/, '$1<identifier>'),
    reencode: PICKLE,
  },
  {
    layout: 'rails',
    async start(t) {
      const app = await startRailsApp(t.server.url, { store: 'redis_store' });
      return { login: async () => (await app.login('user7')).cookie, close: () => app.close() };
    },
    seed: seedRailsSessions,
    key: /^rack:session:2::[0-9a-f]{64}$/,
    mask: wardenId,
    reencode: marshal(''),
  },
  {
    layout: 'rails-cache',
    async start(t) {
      const app = await startRailsApp(t.server.url, { store: 'cache_store' });
      return { login: async () => (await app.login('user7')).cookie, close: () => app.close() };
    },
    seed: seedRailsCacheSessions,
    key: /^_session_id:2::[0-9a-f]{64}$/,
    mask: (text) => wardenId(text).replace(/(@created_atf)[\s\S][0-9.e-]+/, '$1<time>'),
    reencode: marshal('require "active_support"; require "active_support/cache"; '),
  },
  {
    layout: 'gorilla',
    async start(t) {
      const app = await startGorillaApp(t.server.port, { serializer: 'gob', hashKey: 'gorilla-hash-key-for-the-seeder-test' });
      return { login: async () => (await app.login('user7', 7)).cookie, me: (cookie) => app.me(cookie), close: () => app.close() };
    },
    seed: seedGorillaSessions,
    key: /^session_[A-Z2-7]{51}[AQ]$/,
  },
];

interface Stored {
  key: string;
  value: Buffer;
  pttl: number;
}

async function stored(key: string): Promise<Stored> {
  return { key, value: (await bytes().get(key)) as Buffer, pttl: Number(await t.redis.pTTL(key)) };
}

async function dataKeys(): Promise<string[]> {
  return (await t.redis.keys('*')).filter((k) => k !== AUDIT_KEY);
}

/** What `session show` reads in a session, its times masked. */
async function shown(layout: string, key: string, prefix: string): Promise<unknown> {
  const r = await runCli(['session', 'show', '--layout', layout, '--json', key.slice(prefix.length)], { env: t.env });
  expect(r.code).toBe(0);
  return JSON.parse(JSON.stringify(JSON.parse(r.stdout)['session']).replace(/"@time":"[^"]*"/g, '"@time":"<time>"'));
}

describe.each(CASES)('$layout seeder', ({ layout, start, seed, key, mask, reencode }) => {
  test('writes what the real app writes', async () => {
    const app = await start(t);
    try {
      const cookie = await app.login();
      const [appKey, ...others] = await dataKeys();
      expect(others).toEqual([]);
      const written = await stored(appKey as string);
      await seed(t.server.port, { from: 7, to: 8, users: 1000 });
      const seededKey = (await dataKeys()).find((k) => k !== written.key) as string;
      const seeded = await stored(seededKey);

      expect(written.key).toMatch(key);
      expect(seeded.key).toMatch(key);
      // The same TTL, give or take the moments between the two writes and reads.
      expect(Math.abs(seeded.pttl - written.pttl)).toBeLessThan(5000);
      if (mask !== undefined) expect(mask(seeded.value.toString('latin1'))).toBe(mask(written.value.toString('latin1')));
      else {
        // gob: the same values as the tool reads them (Go writes a map's entries in random order).
        const prefix = 'session_';
        expect(await shown(layout, seeded.key, prefix)).toEqual(await shown(layout, written.key, prefix));
      }
      if (reencode !== undefined) {
        const [command, args] = reencode;
        const r = spawnSync(command, args, { input: seeded.value, encoding: 'latin1' });
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      }
      if (app.me !== undefined) {
        // The app reads the seeded value under its own session's key: user7, logged in.
        await bytes().set(written.key, seeded.value, { KEEPTTL: true });
        expect(await app.me(cookie)).toEqual({ status: 200, user: 'user7' });
      }
    } finally {
      await app.close();
    }
  });

  test('the tool lists every seeded session with its user, and --user finds all of a user', async () => {
    await seed(t.server.port, { to: 500, users: 40 });
    await seed(t.server.port, { from: 500, to: 1000, users: 40 });
    const listed = await runCli(['session', 'list', '--layout', layout, '--json'], { env: t.env });
    expect(listed.stderr).toMatch(/^1000 sessions\./);
    expect(listed.stderr).not.toMatch(/unreadable|skipped/);
    const rows = ndjson(listed.stdout);
    expect(rows).toHaveLength(1000);
    expect(new Set(rows.map((r) => r['key'])).size).toBe(1000);
    const perUser = new Map<unknown, number>();
    for (const r of rows) perUser.set(r['user'], (perUser.get(r['user']) ?? 0) + 1);
    expect(perUser).toEqual(new Map(Array.from({ length: 40 }, (_, n) => [`user${n}`, 25])));
    // Through the server-side prefilter of --user, which must keep every session of the user.
    const user7 = await runCli(['session', 'list', '--layout', layout, '--scan', '--user', 'user7', '--json'], { env: t.env });
    expect(ndjson(user7.stdout).map((r) => r['user'])).toEqual(Array(25).fill('user7'));
  });
});
