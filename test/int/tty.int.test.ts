/**
 * What an operator sees on a real terminal: the session table, colors only without
 * NO_COLOR, tables that fit the terminal's width, and the confirmation that
 * `session revoke --all` asks for.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { ndjson, runCli } from '../helpers/cli.js';
import { adminClient, sessionJson } from '../helpers/client.js';
import type { NodeSeedOptions } from '../helpers/seed.js';
import { seedGorillaSessions } from '../helpers/seed-go.js';
import { seedFlaskSessions } from '../helpers/seed-python.js';
import { seedRailsSessions } from '../helpers/seed-ruby.js';
import { Pty } from '../helpers/pty.js';
import { AUDIT_KEY, useServer } from '../helpers/fixture.js';
import type { RedisServer } from '../helpers/redis-server.js';

let server: RedisServer;
let redis: RedisClientType;
let pty: Pty;

useServer((t) => {
  server = t.server;
  redis = t.redis;
});
beforeEach(async () => {
  await redis.flushAll();
  await redis.set('sess:tty-alice', sessionJson({ passport: { user: 'alice' } }, 86400000, { ip: '203.0.113.7' }), { EX: 86400 });
  await redis.set('sess:tty-bob', sessionJson({ passport: { user: 'bob' } }), { EX: 3600 });
  pty = new Pty();
});
afterEach(() => pty.stop());

const ESC = '\u001b[';

/** The lines of the final screen, without blank lines and tmux's own "Pane is dead" note. */
function screenLines(screen: string): string[] {
  return screen.split('\n').filter((l) => l.trim() !== '' && !/^Pane is dead/.test(l));
}

/** Run the CLI on a terminal `width` columns wide; its final screen (-J: wrapped lines joined). */
async function onTerminal(width: number, args: string[], exit = 0): Promise<string[]> {
  pty.stop();
  pty = new Pty({ width });
  await pty.start(args, server.url, { NO_COLOR: '1' });
  expect(await pty.exitCode()).toBe(exit);
  return screenLines(pty.screen());
}

/** Character cells a line takes (every character here is one cell wide). */
const cells = (line: string) => [...line].length;

describe('session list on a terminal', () => {
  test('a table with a header row and one row per session', async () => {
    await pty.start(['session', 'list'], server.url, { NO_COLOR: '1' });
    expect(await pty.exitCode()).toBe(0);
    const screen = pty.screen();
    expect(screen).toMatch(/ID\s+User\s+TTL\s+Expires at\s+Details/);
    // Changed by issue 13 item 22: table times say their zone (ISO 8601 UTC, to the second, `Z`).
    expect(screen).toMatch(/tty-alice\s+alice\s+(1d|23h 59m)\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+ip=203\.0\.113\.7/);
    expect(screen).toMatch(/tty-bob\s+bob\s+(59m \d+s|1h)\s/);
    expect(screen).toContain('2 sessions.');
  });

  test('NO_COLOR: no color or style escapes at all', async () => {
    await pty.start(['session', 'list'], server.url, { NO_COLOR: '1' });
    expect(await pty.exitCode()).toBe(0);
    const log = await pty.waitLog(/2 sessions/);
    expect(log).not.toContain(`${ESC}1m`);
    expect(log).not.toMatch(/\u001b\[[0-9;]*m/);
  });

  test('without NO_COLOR the header is bold (colors only on a terminal)', async () => {
    await pty.start(['session', 'list'], server.url);
    expect(await pty.exitCode()).toBe(0);
    const log = await pty.waitLog(/2 sessions/);
    expect(log).toMatch(/\u001b\[1mID/);
  });
});

describe('session revoke --all asks on a terminal', () => {
  // Changed by issue 13 item 2: the question names the count, the prefix and the server
  // (it was `Revoke EVERY session under "sess:"?`).
  const QUESTION = /Revoke all 2 sessions under "sess:" on 127\.0\.0\.1:\d+\/0\?/;

  test('answering no revokes nothing', async () => {
    await pty.start(['session', 'revoke', '--all'], server.url, { NO_COLOR: '1' });
    await pty.waitScreen(QUESTION);
    pty.type('n');
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    expect(pty.screen()).toContain('Nothing revoked.');
    expect(await redis.exists(['sess:tty-alice', 'sess:tty-bob'])).toBe(2);
  });

  test('answering yes revokes every session', async () => {
    await pty.start(['session', 'revoke', '--all'], server.url, { NO_COLOR: '1' });
    await pty.waitScreen(QUESTION);
    pty.type('y');
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    expect(pty.screen()).toMatch(/Revoked 2 sessions/);
    expect(await redis.exists(['sess:tty-alice', 'sess:tty-bob'])).toBe(0);
  });

  test('Ctrl-C at the question: exit 130, nothing revoked', async () => {
    await pty.start(['session', 'revoke', '--all'], server.url, { NO_COLOR: '1' });
    await pty.waitScreen(QUESTION);
    pty.key('C-c');
    expect(await pty.exitCode()).toBe(130);
    expect(await redis.exists(['sess:tty-alice', 'sess:tty-bob'])).toBe(2);
  });
});

describe('tables fit the terminal (issue 13 item 22)', () => {
  /** express-session ids are 32 characters: such an id is never cut. */
  const IDS = ['Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6Js', 'q1Hs8dLk2PzXv9RtYw4BnCe7Ma0Gf5Ju', 'AbCdEfGhIjKlMnOpQrStUvWxYz012345'];
  const AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0 with a long tail';
  /** A valid argon2id hash at m=4096, t=1: weaker than the default policy. */
  const WEAK_HASH = '$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$xfF/Ea1d90eoahh0XhATEcsAEOYqBPVgDyjvWTbfA+k';
  const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/;

  beforeEach(async () => {
    for (const [i, id] of IDS.entries()) {
      await redis.set(
        `sess:${id}`,
        sessionJson({ passport: { user: `alexandra.konstantinopoulou${i}@example.com` } }, 86400000, {
          ip: '203.0.113.7',
          userAgent: AGENT,
        }),
        { EX: 86400 },
      );
    }
  });

  test.each([80, 120])('session list at %i columns: no line wider, every id whole, times in UTC', async (width) => {
    const lines = await onTerminal(width, ['session', 'list']);
    expect(lines.filter((l) => cells(l) > width)).toEqual([]);
    for (const id of IDS) expect(lines.some((l) => l.startsWith(`${id} `))).toBe(true);
    // Details narrows first: cut at 120, left out at 80 (where an id, the TTL and the time fill the line).
    expect(lines[0]).toMatch(width === 80 ? /^ID\s+User\s+TTL\s+Expires at\s*$/ : /^ID\s+User\s+TTL\s+Expires at\s+Details\s*$/);
    const row = lines.find((l) => l.startsWith(IDS[0] as string)) ?? '';
    expect(row).toMatch(TIME);
    if (width === 120) expect(row).toMatch(/ip=203\.0\.113\.7 \S*…\s*$/);
    expect(lines[lines.length - 1]).toBe('5 sessions.');
  });

  // Flask-Session 0.3's ids are UUIDs (36), 0.8's token_urlsafe(32) (43); gorilla's 52; Rails' 64.
  // A 64-character id, a user cut to 8 and the TTL take 88 columns: there the id stays whole
  // and the line is wider than the terminal.
  test.each<[string, number, number, (port: number, opts: NodeSeedOptions) => Promise<void>]>([
    ['flask', 36, 80, seedFlaskSessions],
    ['gorilla', 52, 80, seedGorillaSessions],
    ['rails', 64, 88, seedRailsSessions],
  ])(
    'session list --layout %s: its %i-character ids whole at 80 columns (Expires at left out first)',
    async (layout, length, widest, seed) => {
      await seed(server.port, { to: 3, users: 3 });
      const listed = await runCli(['session', 'list', '--json', '--layout', layout], { env: { REDIS_URL: server.url } });
      const ids = ndjson(listed.stdout).map((r) => String(r['id']));
      expect(ids.map((id) => id.length)).toEqual([length, length, length]);
      const lines = await onTerminal(80, ['session', 'list', '--layout', layout]);
      expect(lines.filter((l) => cells(l) > widest)).toEqual([]);
      expect(lines[0]).toMatch(/^ID\s+User\s+TTL\s*$/);
      for (const id of ids) expect(lines.some((l) => l.startsWith(`${id} `) && /\buser\d\b/.test(l))).toBe(true);
    },
  );

  test.each([80, 120])('audit list at %i columns: no line wider, times in UTC', async (width) => {
    const fields = {
      clientTime: new Date().toISOString(),
      actor: 'jane.operator@ops-bastion-01.example.com',
      command: 'session revoke',
      count: '1843',
      outcome: 'failed',
    };
    for (let i = 0; i < 3; i += 1) {
      await redis.xAdd(AUDIT_KEY, '*', {
        ...fields,
        target: `sessions of alexandra.konstantinopoulou${i}@example.com`,
        reason: `INC-4711 ${'x'.repeat(80)}`,
        error: `Redis command failed: connection lost ${'y'.repeat(80)}`,
      });
    }
    const lines = await onTerminal(width, ['audit', 'list']);
    expect(lines.filter((l) => cells(l) > width)).toEqual([]);
    expect(lines[0]).toMatch(/^Time\s+Actor\s+Command\s+Target\s/);
    const rows = lines.filter((l) => TIME.test(l));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+jane\.\S*…?\s+session revoke\s+sessions\S*…?\s/);
    expect(lines[lines.length - 1]).toBe('3 entries.');
  });

  test.each([80, 120])('user rehash --check at %i columns: no line wider', async (width) => {
    for (let i = 0; i < 3; i += 1)
      await redis.hSet(`user:{alexandra.konstantinopoulou${i}@example.com}`, {
        password_hash: WEAK_HASH.replace('argon2id', i === 0 ? 'argon2i' : 'argon2id'),
      });
    const lines = await onTerminal(width, ['user', 'rehash', '--check'], 1);
    expect(lines.filter((l) => cells(l) > width)).toEqual([]);
    expect(lines[0]).toMatch(/^User\s+Why\s*$/);
    expect(lines.filter((l) => l.startsWith('alexandra.'))).toHaveLength(3);
    expect(lines[lines.length - 1]).toBe('3 users checked, 3 with outdated or unusable hashes.');
  });
});

describe('user list on a terminal', () => {
  test.each([80, 120])('at %i columns: no line wider, long names cut with an ellipsis, Updated then Created left out', async (width) => {
    for (let i = 0; i < 3; i += 1)
      await redis.hSet(`user:{alexandra.konstantinopoulou${i}@example.com}`, {
        password_hash: '$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$xfF/Ea1d90eoahh0XhATEcsAEOYqBPVgDyjvWTbfA+k',
        status: i === 0 ? 'disabled' : 'active',
        status_reason: 'INC-4711 a reason long enough to be cut in any table',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-02T00:00:00.000Z',
        password_changed_at: '2026-01-01T00:00:00.000Z',
      });
    const lines = await onTerminal(width, ['user', 'list']);
    expect(lines.filter((l) => cells(l) > width)).toEqual([]);
    expect(lines[0]).toMatch(
      width === 80
        ? /^User\s+Status\s+Hash\s+Password changed\s+Notes\s*$/
        : /^User\s+Status\s+Hash\s+Created\s+Password changed\s+Notes\s*$/,
    );
    expect(lines.filter((l) => /^alexandra\.\S*…\s+(active|disabled)\s+argon2id/.test(l))).toHaveLength(3);
    // Notes (most records have none) narrows before Hash, whose cell starts with the costs.
    const costs = width === 80 ? /\sargon2id m=4096…\s/ : /\sargon2id m=4096,t=1,…\s/;
    expect(lines.filter((l) => costs.test(l))).toHaveLength(3);
    expect(lines[lines.length - 1]).toBe('3 users listed.');
  });

  test('--outdated at 120 columns: Notes, which says why, narrows last', async () => {
    await redis.hSet('user:{alexandra.konstantinopoulou@example.com}', {
      password_hash: '$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$xfF/Ea1d90eoahh0XhATEcsAEOYqBPVgDyjvWTbfA+k',
      status: 'active',
    });
    const lines = await onTerminal(120, ['user', 'list', '--outdated']);
    expect(lines.filter((l) => cells(l) > 120)).toEqual([]);
    expect(lines.filter((l) => /^alexandra\.\S*…\s+active\s+argon2id m=4096…\s+-\s+-\s+outdated: m=4096 \(policy/.test(l))).toHaveLength(1);
  });
});

describe('session revoke --all counts and names the server before asking (issue 13 item 2)', () => {
  test('the question names the count, the prefix and the server with its database', async () => {
    // Database 3 holds three sessions under app:, database 0 the two of beforeEach.
    const db3 = await adminClient(`${server.url}/3`);
    try {
      for (const id of ['a', 'b', 'c']) await db3.set(`app:${id}`, sessionJson({ passport: { user: 'carol' } }), { EX: 3600 });
      await db3.set('app:h', 'x'); // a string too: --all revokes every string key under the prefix
      await db3.hSet('app:not-a-session', { f: 'v' }); // not a string: not counted
      await pty.start(['session', 'revoke', '--all', '--session-prefix', 'app:'], `${server.url}/3`, { NO_COLOR: '1' });
      await pty.waitScreen(new RegExp(`Revoke all 4 sessions under "app:" on 127\\.0\\.0\\.1:${server.port}/3\\?`));
      pty.type('n');
      pty.key('Enter');
      expect(await pty.exitCode()).toBe(0);
      expect(pty.screen()).toContain('Nothing revoked.');
      expect(Number(await db3.dbSize())).toBe(5);
      expect(await redis.exists(['sess:tty-alice', 'sess:tty-bob'])).toBe(2);
    } finally {
      await db3.flushDb();
      await db3.quit();
    }
  });

  test('nothing to revoke: says so, asks nothing', async () => {
    await pty.start(['session', 'revoke', '--all', '--session-prefix', 'none:'], server.url, { NO_COLOR: '1' });
    expect(await pty.exitCode()).toBe(0);
    expect(pty.screen()).toMatch(new RegExp(`^No sessions under "none:" on 127\\.0\\.0\\.1:${server.port}/0; nothing revoked\\.$`, 'm'));
    expect(pty.screen()).not.toMatch(/Revoke/);
    expect(await redis.exists(['sess:tty-alice', 'sess:tty-bob'])).toBe(2);
  });
});
