/**
 * Every layout's sessions side by side on one server, as on a Redis several applications share:
 * connect-redis, Spring (indexed, with its shadow keys and index sets), koa, Better Auth (with its
 * active-sessions lists), Auth.js (with its by-user-id pointers), and the PHP, Python, Ruby and
 * Go layouts, each seeded as its real app writes it (test/helpers/seed*.ts), a different number
 * of sessions each. `session layouts` must name each layout with its default prefix and its exact
 * count, `session list --layout auto` must list every session once, tagged with its layout, and
 * `session revoke --layout <one> --all` must delete that layout's keys and no other's: flask's
 * `session:` beside gorilla's `session_`, koa's and Better Auth's keys without a prefix, Rails'
 * two stores, and the rest, one layout after another. Beside them, other applications' keys of
 * the same shapes, which none of this may count, list or delete.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { ndjson, runCli } from '../helpers/cli.js';
import { AUDIT_KEY, useServer } from '../helpers/fixture.js';
import { seederOf } from '../helpers/seed-all.js';

const t = useServer();

interface Layout {
  layout: string;
  /** The prefix `session layouts` reports: the layout's default. */
  prefix: string;
  /** Sessions seeded: a different number for each layout, so that no count can stand for another's. */
  sessions: number;
}

const LAYOUTS: Layout[] = [
  { layout: 'connect-redis', prefix: 'sess:', sessions: 11 },
  { layout: 'spring', prefix: 'spring:session:', sessions: 12 },
  { layout: 'koa', prefix: '', sessions: 13 },
  { layout: 'better-auth', prefix: '', sessions: 14 },
  { layout: 'authjs', prefix: 'user:session:', sessions: 15 },
  { layout: 'php', prefix: 'PHPREDIS_SESSION:', sessions: 16 },
  { layout: 'symfony', prefix: 'sf_s', sessions: 17 },
  { layout: 'laravel', prefix: 'laravel_database_laravel_cache:', sessions: 18 },
  { layout: 'django', prefix: ':1:django.contrib.sessions.cache', sessions: 19 },
  { layout: 'flask', prefix: 'session:', sessions: 20 },
  { layout: 'rails', prefix: 'rack:session:2::', sessions: 21 },
  { layout: 'rails-cache', prefix: '_session_id:2::', sessions: 22 },
  { layout: 'gorilla', prefix: 'session_', sessions: 23 },
];

/**
 * Other applications' keys of the same shapes, which no layout may take for a session: a cache
 * entry under a 32-character key (Better Auth's tokens), a UUID key holding JSON without koa's
 * `_expire`, a counter under Flask-Session's prefix, and a Laravel cache entry (an integer) beside
 * its sessions under the cache prefix.
 */
const BYSTANDERS: Array<[key: string, value: string]> = [
  ['Zq3Xk9Wm2Lp7Rt5Yv8Bn4Hc6Jd1Fg0Sa', '{"hits":3}'],
  ['3f2b8c1e-9d4a-4e7b-a6c5-0f1e2d3c4b5a', '{"cart":[1,2]}'],
  ['session:visitors', '42'],
  ['laravel_database_laravel_cache:Q2w3E4r5T6y7U8i9O0p1A2s3D4f5G6h7J8k9L0zX', 'i:5;'],
];

/** Each key's layout: what its seeding added (the session keys and the layout's own bookkeeping). */
const owner = new Map<string, string>();

async function dataKeys(): Promise<string[]> {
  return (await t.redis.keys('*')).filter((k) => k !== AUDIT_KEY).sort();
}

beforeAll(async () => {
  for (const { layout, sessions } of LAYOUTS) {
    await seederOf(layout)(t.server.port, { to: sessions, users: 4 });
    for (const key of await dataKeys()) if (!owner.has(key)) owner.set(key, layout);
  }
  for (const [key, value] of BYSTANDERS) await t.redis.set(key, value);
});

const cli = (args: string[]) => runCli(args, { env: t.env });

describe('every layout on one server', () => {
  test('session layouts names each layout with its prefix and exact count', async () => {
    const r = await cli(['session', 'layouts', '--all', '--json']);
    expect(r.code).toBe(0);
    const found = ndjson(r.stdout).map(({ layout, prefix, keys }) => ({ layout, prefix, keys }));
    const expected = LAYOUTS.map(({ layout, prefix, sessions }) => ({ layout, prefix, keys: sessions }));
    const byName = (a: { layout: unknown }, b: { layout: unknown }) => String(a.layout).localeCompare(String(b.layout));
    expect(found.sort(byName)).toEqual(expected.sort(byName));
  });

  test('session list --layout auto lists every session once, tagged with its layout', async () => {
    const r = await cli(['session', 'list', '--layout', 'auto', '--json']);
    expect(r.code).toBe(0);
    const rows = ndjson(r.stdout);
    const total = LAYOUTS.reduce((n, l) => n + l.sessions, 0);
    expect(r.stderr).toMatch(new RegExp(`^${total} sessions\\.`));
    expect(r.stderr).not.toMatch(/unreadable|skipped/);
    // Each row's key is a key its layout's seeding wrote, and each user is one the seeders gave.
    expect(rows.filter((row) => owner.get(String(row['key'])) !== row['layout'])).toEqual([]);
    expect(rows.filter((row) => !/^user[0-3]$/.test(String(row['user'])))).toEqual([]);
    expect(new Set(rows.map((row) => row['key'])).size).toBe(total);
    const counts: Record<string, number> = {};
    for (const row of rows) counts[String(row['layout'])] = (counts[String(row['layout'])] ?? 0) + 1;
    expect(counts).toEqual(Object.fromEntries(LAYOUTS.map((l) => [l.layout, l.sessions])));
  });

  // Last in the file: it empties the server one layout at a time. Those whose keys look alike first.
  const REVOKE_ORDER = [
    'flask',
    'gorilla',
    'koa',
    'better-auth',
    'rails',
    'rails-cache',
    'php',
    'symfony',
    'laravel',
    'django',
    'authjs',
    'spring',
    'connect-redis',
  ];
  test.each(REVOKE_ORDER)('session revoke --layout %s --all deletes its keys and no one else’s', async (layout) => {
    const before = await dataKeys();
    const r = await cli(['session', 'revoke', '--layout', layout, '--all', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(await dataKeys()).toEqual(before.filter((k) => owner.get(k) !== layout));
  });

  test("after every layout's revoke, only the other applications' keys are left", async () => {
    expect([...REVOKE_ORDER].sort()).toEqual(LAYOUTS.map((l) => l.layout).sort());
    expect(await dataKeys()).toEqual(BYSTANDERS.map(([key]) => key).sort());
  });
});
