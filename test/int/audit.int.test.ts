/**
 * The audit trail: each change appends one entry to a capped stream, with who, what, how
 * many and why, failures included, and never a password, a hash or a session's contents.
 */
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { ndjson, runCli } from '../helpers/cli.js';
import { sessionJson } from '../helpers/client.js';
import { appendAudit } from '../../src/core/audit.js';
import { AUDIT_KEY, useTestRedis } from '../helpers/fixture.js';
import { seedSessions } from '../helpers/seed.js';

const t = useTestRedis();
const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
const PASSWORD = 'correct horse battery';

async function entries(): Promise<Array<Record<string, string>>> {
  return ((await t.redis.xRange(AUDIT_KEY, '-', '+')) ?? []).map((e) => e?.message as Record<string, string>);
}

describe('audit trail', () => {
  test('user add, verify --rehash and rehash are recorded with actor, target, count and reason', async () => {
    const env = { ...t.env, REDIS_ACCOUNTS_ACTOR: 'ops-jane' };
    expect(
      (await runCli(['user', 'add', 'alice', '--password-stdin', '--reason', 'INC-42', ...CHEAP], { env, input: `${PASSWORD}\n` })).code,
    ).toBe(0);
    expect((await runCli(['user', 'rehash', 'alice', '--password-stdin', '--force', ...CHEAP], { env, input: `${PASSWORD}\n` })).code).toBe(
      0,
    );
    const list = await entries();
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({
      actor: 'ops-jane',
      command: 'user add',
      target: 'user alice',
      count: '1',
      outcome: 'ok',
      reason: 'INC-42',
      error: '',
    });
    expect(list[1]).toMatchObject({ command: 'user rehash', target: 'user alice', count: '1', outcome: 'ok' });
    expect(Date.parse(list[0]?.['clientTime'] ?? '')).toBeGreaterThan(Date.now() - 60000);
  });

  test('the default actor is the OS user and host', async () => {
    await runCli(['user', 'add', 'bob', '--password-stdin', ...CHEAP], { env: t.env, input: `${PASSWORD}\n` });
    expect((await entries())[0]?.['actor']).toMatch(/^[^@\s]+@[^@\s]+$/);
  });

  test('a failed change is recorded as failed, with its error', async () => {
    await runCli(['user', 'add', 'carol', '--password-stdin', ...CHEAP], { env: t.env, input: `${PASSWORD}\n` });
    const again = await runCli(['user', 'add', 'carol', '--password-stdin', ...CHEAP], { env: t.env, input: `${PASSWORD}\n` });
    expect(again.code).toBe(4);
    const list = await entries();
    expect(list[1]).toMatchObject({ command: 'user add', target: 'user carol', outcome: 'failed', count: '0' });
    expect(list[1]?.['error']).toMatch(/already exists/);
  });

  test('verify without --rehash changes nothing and records nothing', async () => {
    await runCli(['user', 'add', 'dave', '--password-stdin', ...CHEAP], { env: t.env, input: `${PASSWORD}\n` });
    await runCli(['user', 'verify', 'dave', '--password-stdin', ...CHEAP], { env: t.env, input: `${PASSWORD}\n` });
    expect(await entries()).toHaveLength(1);
  });

  test('never a password or a hash in any entry', async () => {
    await runCli(['user', 'add', 'erin', '--password-stdin', ...CHEAP], { env: t.env, input: `${PASSWORD}\n` });
    await runCli(['user', 'add', 'erin', '--password-stdin', ...CHEAP], { env: t.env, input: `${PASSWORD}\n` });
    await runCli(['user', 'add', 'frank', '--password-stdin', ...CHEAP], { env: t.env, input: 'Zq7!x\n' });
    const hash = await t.redis.hGet('user:{erin}', 'password_hash');
    const all = JSON.stringify(await entries());
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain('Zq7!x');
    expect(all).not.toContain(String(hash).split('$').pop());
    expect(all).not.toContain('$argon2');
  });

  test('session ttl: setting is recorded, reading is not, a missing session is a failed entry', async () => {
    await t.redis.set('sess:s1', sessionJson({ passport: { user: 'alice' } }), { EX: 3600 });
    expect((await runCli(['session', 'ttl', 's1'], { env: t.env })).code).toBe(0);
    expect((await runCli(['session', 'ttl', 's1', '30m', '--reason', 'INC-9'], { env: t.env })).code).toBe(0);
    expect((await runCli(['session', 'ttl', 'gone', '30m'], { env: t.env })).code).toBe(1);
    const list = await entries();
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ command: 'session ttl', target: 'session s1', count: '1', outcome: 'ok', reason: 'INC-9' });
    expect(list[1]).toMatchObject({ command: 'session ttl', target: 'session gone', count: '0', outcome: 'failed' });
    // Never the session's contents.
    expect(JSON.stringify(list)).not.toContain('passport');
  });

  test('audit list: table, --json, --since and --limit', async () => {
    // Changed by issue 13 (items 19, 26): the JSON gains clientTime after time, the table an error column.
    // Changed by issue 17: a change of a user record has the record's fields before and after it.
    await runCli(['user', 'add', 'gina', '--password-stdin', '--reason', 'ticket 7', ...CHEAP], { env: t.env, input: `${PASSWORD}\n` });
    await runCli(['user', 'add', 'hank', '--password-stdin', ...CHEAP], { env: t.env, input: `${PASSWORD}\n` });
    const json = await runCli(['audit', 'list', '--json'], { env: t.env });
    expect(json.code).toBe(0);
    const rows = ndjson(json.stdout);
    expect(rows.map((r) => r['target'])).toEqual(['user gina', 'user hank']);
    expect(Object.keys(rows[0] ?? {})).toEqual([
      'id',
      'time',
      'clientTime',
      'actor',
      'command',
      'target',
      'count',
      'outcome',
      'reason',
      'error',
      'before',
      'after',
    ]);
    expect(rows[0]).toMatchObject({ count: 1, outcome: 'ok', reason: 'ticket 7', before: null, after: { status: 'active' } });
    const plain = await runCli(['audit', 'list'], { env: t.env });
    expect(plain.stdout.split('\n')[0]).toBe('time\tactor\tcommand\ttarget\tcount\toutcome\treason\terror');
    expect(plain.stderr).toBe('2 entries.\n');
    expect(ndjson((await runCli(['audit', 'list', '--json', '--since', '1h'], { env: t.env })).stdout)).toHaveLength(2);
    expect(ndjson((await runCli(['audit', 'list', '--json', '--since', '2999-01-01'], { env: t.env })).stdout)).toHaveLength(0);
    expect(ndjson((await runCli(['audit', 'list', '--json', '--limit', '1'], { env: t.env })).stdout)).toHaveLength(1);
    expect((await runCli(['audit', 'list', '--since', 'yesterday'], { env: t.env })).code).toBe(2);
  });

  test('--reason with a control character is refused before anything changes', async () => {
    const r = await runCli(['user', 'add', 'ivan', '--password-stdin', '--reason', 'a\nb', ...CHEAP], {
      env: t.env,
      input: `${PASSWORD}\n`,
    });
    expect(r.code).toBe(2);
    expect(await t.redis.exists('user:{ivan}')).toBe(0);
  });

  test('the stream is capped (XADD MAXLEN ~): old entries go, the newest stay', async () => {
    const entry = {
      clientTime: new Date().toISOString(),
      actor: 'a@h',
      command: 'user add',
      target: 'user x',
      count: 1,
      outcome: 'ok' as const,
      reason: '',
      error: '',
    };
    for (let i = 0; i < 1000; i += 1) await appendAudit(t.redis, AUDIT_KEY, { ...entry, target: `user u${i}` }, 100);
    const length = Number(await t.redis.xLen(AUDIT_KEY));
    // "~" trims whole stream nodes (100 entries each by default): at most one node over.
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThanOrEqual(200);
    const last = await t.redis.xRevRange(AUDIT_KEY, '+', '-', { COUNT: 1 });
    expect(last?.[0]?.message['target']).toBe('user u999');
  });
});

/** A file path in a fresh private directory. */
function tempFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'ra-audit-')), name);
}

function fileLines(path: string): Array<Record<string, unknown>> {
  return ndjson(readFileSync(path, 'utf8'));
}

const NOT_RECORDED = /^Warning: this failure could not be recorded in the audit trail \(.+\)\./m;

describe('a change that fails part-way is still audited (issue 13 item 4)', () => {
  test('revoke --user whose connections are killed midway: exit 3 with the count, and the failed entry written over a new connection', async () => {
    const TOTAL = 100_000;
    await seedSessions(t.server.port, { to: TOTAL, users: 1 });
    const cli = runCli(['session', 'revoke', '--user', 'user0', '--reason', 'INC-77'], { env: t.env, timeoutMs: 60_000 });
    // Once deletion is well under way, kill every client but ours: the CLI's connections break.
    const started = Date.now();
    let left = TOTAL;
    while (left > TOTAL - 5000 && Date.now() - started < 30_000) {
      left = Number(await t.redis.dbSize());
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(left).toBeGreaterThan(0);
    await t.redis.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
    const r = await cli;
    expect(r.code).toBe(3);
    const reported = Number(/after revoking (?:at least )?(\d+) sessions?/.exec(r.stderr)?.[1]);
    expect(reported).toBeGreaterThan(0);
    expect(r.stderr).not.toMatch(/could not be recorded/);
    const list = await entries();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      command: 'session revoke',
      target: 'sessions of user0',
      outcome: 'failed',
      count: String(reported),
      reason: 'INC-77',
    });
    expect(list[0]?.['error']).not.toBe('');
  }, 90_000);

  test.each([
    ['session ttl', ['session', 'ttl', 's1', '30m'], undefined],
    ['user add', ['user', 'add', 'oom-olga', '--password-stdin', ...CHEAP], `${PASSWORD}\n`],
  ])(
    '%s refused for lack of memory (maxmemory, noeviction): the failure cannot reach the stream, stderr says so, the file has it',
    async (command, args, input) => {
      await t.redis.set('sess:s1', sessionJson({ passport: { user: 'alice' } }), { EX: 3600 });
      const log = tempFile('audit.log');
      const run = (extra: string[]) => runCli([...args, ...extra], { env: t.env, ...(input === undefined ? {} : { input }) });
      await t.redis.configSet({ maxmemory: '1', 'maxmemory-policy': 'noeviction' });
      let plain, logged;
      try {
        plain = await run([]);
        logged = await run(['--audit-log', log]);
      } finally {
        await t.redis.configSet('maxmemory', '0');
      }
      expect(plain.code).toBe(3);
      expect(plain.stderr).toMatch(NOT_RECORDED);
      expect(await t.redis.exists(AUDIT_KEY)).toBe(0);
      // With --audit-log the entry Redis refused is in the file, and the warning says where.
      expect(logged.code).toBe(3);
      expect(logged.stderr).toMatch(new RegExp(`${NOT_RECORDED.source.slice(1)} It is in the audit log file ${log}\\.`));
      expect(fileLines(log)).toEqual([
        expect.objectContaining({
          id: null,
          time: null,
          command,
          outcome: 'failed',
          count: 0,
          stored: false,
          storeError: expect.any(String),
        }),
      ]);
    },
  );

  test('an audit key of the wrong type: a success and a failure both warn; the change itself stands', async () => {
    await t.redis.set('sess:s1', sessionJson({ passport: { user: 'alice' } }), { EX: 3600 });
    await t.redis.set(AUDIT_KEY, 'not a stream');
    const ok = await runCli(['session', 'ttl', 's1', '30m'], { env: t.env });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(
      /^Warning: the change was made but could not be recorded in the audit trail \(redis-accounts:audit holds another type of value, not a stream\)\./m,
    );
    expect(Number(await t.redis.ttl('sess:s1'))).toBeLessThanOrEqual(1800);
    const failed = await runCli(['session', 'ttl', 'gone', '30m'], { env: t.env });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /^Warning: this failure could not be recorded in the audit trail \(redis-accounts:audit holds another type of value, not a stream\)\./m,
    );
    expect(failed.stderr).toMatch(/^redis-accounts: session gone not found/m);
    expect(await t.redis.get(AUDIT_KEY)).toBe('not a stream');
  });
});

describe('--reason and --actor refuse separators and bidi controls (issue 13 item 16)', () => {
  test.each([
    ['--reason with a line separator', ['--reason', 'INC-1\u2028user: root'], {}],
    ['--reason with a paragraph separator', ['--reason', 'INC-1\u2029'], {}],
    ['--reason with NEL', ['--reason', 'INC-1\u0085x'], {}],
    ['--actor with a right-to-left override', ['--actor', 'jane\u202enimda'], {}],
    ['REDIS_ACCOUNTS_ACTOR with a bidi isolate', [], { REDIS_ACCOUNTS_ACTOR: '\u2067evil\u2069' }],
  ])('%s: exit 2 before anything changes', async (_what, extra, env) => {
    await t.redis.set('sess:s1', sessionJson({ passport: { user: 'alice' } }), { EX: 3600 });
    const r = await runCli(['session', 'ttl', 's1', '30m', ...extra], { env: { ...t.env, ...env } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/contains U\+[0-9A-F]{4}: control characters, line or paragraph separators and bidi controls are not allowed/);
    expect(Number(await t.redis.ttl('sess:s1'))).toBeGreaterThan(3500);
    expect(await t.redis.exists(AUDIT_KEY)).toBe(0);
  });
});

describe('time from the server, and a copy outside Redis (issue 13 item 19)', () => {
  test("an entry's time is the server's (its stream id), whatever the operator's clock says; the client's is kept apart", async () => {
    await t.redis.set('sess:s1', sessionJson({ passport: { user: 'alice' } }), { EX: 3600 });
    // The CLI runs with its clock a year behind.
    const clock = tempFile('clock.mjs');
    writeFileSync(
      clock,
      'const Real = Date; const shift = -365 * 86400000;\n' +
        'globalThis.Date = class extends Real { constructor(...a) { if (a.length === 0) super(Real.now() + shift); else super(...a); } static now() { return Real.now() + shift; } };\n',
    );
    const before = Date.now();
    expect((await runCli(['session', 'ttl', 's1', '30m'], { env: { ...t.env, NODE_OPTIONS: `--import ${clock}` } })).code).toBe(0);
    const [raw] = (await t.redis.xRange(AUDIT_KEY, '-', '+')) ?? [];
    expect(Object.keys(raw?.message ?? {})).not.toContain('time');
    const [entry] = ndjson((await runCli(['audit', 'list', '--json'], { env: t.env })).stdout);
    expect(entry?.['time']).toBe(new Date(Number(String(entry?.['id']).split('-')[0])).toISOString());
    expect(Math.abs(Date.parse(String(entry?.['time'])) - before)).toBeLessThan(60_000);
    expect(Date.parse(String(entry?.['clientTime']))).toBeLessThan(before - 300 * 86400000);
  });

  test('entries written before clientTime existed show their old "time" as clientTime', async () => {
    const id = await t.redis.xAdd(AUDIT_KEY, '*', {
      time: '2020-01-01T00:00:00.000Z',
      actor: 'a@h',
      command: 'user add',
      target: 'user old',
      count: '1',
      outcome: 'ok',
      reason: '',
      error: '',
    });
    const [entry] = ndjson((await runCli(['audit', 'list', '--json'], { env: t.env })).stdout);
    expect(entry).toMatchObject({
      id,
      time: new Date(Number(id.split('-')[0])).toISOString(),
      clientTime: '2020-01-01T00:00:00.000Z',
      target: 'user old',
    });
  });

  test('--audit-log and REDIS_ACCOUNTS_AUDIT_LOG append one JSON line per entry to a 0600 file, the same entry as the stream', async () => {
    await t.redis.set('sess:s1', sessionJson({ passport: { user: 'alice' } }), { EX: 3600 });
    const log = tempFile('audit.log');
    writeFileSync(log, '{"earlier":"line"}\n', { mode: 0o600 });
    chmodSync(log, 0o600);
    const fresh = tempFile('new.log');
    expect((await runCli(['session', 'ttl', 's1', '30m', '--reason', 'INC-5', '--audit-log', log], { env: t.env })).code).toBe(0);
    expect((await runCli(['session', 'ttl', 'gone', '30m'], { env: { ...t.env, REDIS_ACCOUNTS_AUDIT_LOG: log } })).code).toBe(1);
    expect(
      (await runCli(['user', 'add', 'lena', '--password-stdin', ...CHEAP, '--audit-log', fresh], { env: t.env, input: `${PASSWORD}\n` }))
        .code,
    ).toBe(0);
    const stream = ndjson((await runCli(['audit', 'list', '--json'], { env: t.env })).stdout);
    const lines = fileLines(log);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({ earlier: 'line' });
    for (const [i, line] of lines.slice(1).entries()) {
      expect(line).toEqual({ ...stream[i], auditKey: AUDIT_KEY, server: t.server.url, stored: true });
    }
    expect(lines[1]).toMatchObject({ target: 'session s1', outcome: 'ok', reason: 'INC-5' });
    expect(lines[2]).toMatchObject({ target: 'session gone', outcome: 'failed', error: 'session gone not found (no key sess:gone)' });
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
    expect(fileLines(fresh)).toEqual([expect.objectContaining({ command: 'user add', target: 'user lena', stored: true })]);
    // Never a password or a hash in the file either.
    expect(readFileSync(fresh, 'utf8')).not.toContain(PASSWORD);
    expect(readFileSync(fresh, 'utf8')).not.toContain('$argon2');
  });

  // REDIS_URL=host:port is read as redis://host:port (item 25); the file named the server
  // "127.0.0.1://..." when it parsed the bare address on its own.
  test('the audit log names the server as the connection reads a bare host:port', async () => {
    const log = tempFile('bare.log');
    const bare = t.server.url.replace(/^redis:\/\//, '');
    expect(
      (
        await runCli(['user', 'add', 'bare-bo', '--password-stdin', ...CHEAP, '--audit-log', log], {
          env: { REDIS_URL: bare },
          input: `${PASSWORD}\n`,
        })
      ).code,
    ).toBe(0);
    expect(fileLines(log)).toEqual([expect.objectContaining({ target: 'user bare-bo', server: t.server.url, stored: true })]);
  });

  test('an audit log file that cannot be opened stops the change before it is made (exit 2)', async () => {
    await t.redis.set('sess:s1', sessionJson({ passport: { user: 'alice' } }), { EX: 3600 });
    const r = await runCli(['session', 'ttl', 's1', '30m', '--audit-log', join(tempFile('x'), 'no-such-dir', 'audit.log')], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot open the audit log file .*ENOENT/);
    expect(Number(await t.redis.ttl('sess:s1'))).toBeGreaterThan(3500);
    expect(await t.redis.exists(AUDIT_KEY)).toBe(0);
  });
});

describe('audit list --limit takes the newest (issue 13 item 26)', () => {
  async function seedEntries(n: number): Promise<void> {
    for (let i = 0; i < n; i += 1) {
      await t.redis.xAdd(AUDIT_KEY, '*', {
        clientTime: new Date().toISOString(),
        actor: 'a@h',
        command: 'user add',
        target: `user u${i}`,
        count: '1',
        outcome: 'ok',
        reason: '',
        error: '',
      });
    }
  }

  test('--limit N: the newest N, printed oldest first; --oldest-first: the oldest N', async () => {
    await seedEntries(5);
    const newest = ndjson((await runCli(['audit', 'list', '--json', '--limit', '3'], { env: t.env })).stdout);
    expect(newest.map((e) => e['target'])).toEqual(['user u2', 'user u3', 'user u4']);
    const oldest = ndjson((await runCli(['audit', 'list', '--json', '--limit', '2', '--oldest-first'], { env: t.env })).stdout);
    expect(oldest.map((e) => e['target'])).toEqual(['user u0', 'user u1']);
    const all = ndjson((await runCli(['audit', 'list', '--json', '--limit', '50'], { env: t.env })).stdout);
    expect(all).toHaveLength(5);
    expect((await runCli(['audit', 'list', '--oldest-first'], { env: t.env })).code).toBe(2);
  });

  test('--limit with --since: the newest N from that time on', async () => {
    await seedEntries(4);
    const r = await runCli(['audit', 'list', '--json', '--since', '1h', '--limit', '2'], { env: t.env });
    expect(ndjson(r.stdout).map((e) => e['target'])).toEqual(['user u2', 'user u3']);
    expect(
      ndjson((await runCli(['audit', 'list', '--json', '--since', '2999-01-01', '--limit', '2'], { env: t.env })).stdout),
    ).toHaveLength(0);
  });

  test("a failed entry's error has its own column", async () => {
    await runCli(['session', 'ttl', 'gone', '30m', '--reason', 'INC-8'], { env: t.env });
    const plain = await runCli(['audit', 'list'], { env: t.env });
    const [header, row] = plain.stdout.split('\n');
    expect(header?.split('\t').slice(-2)).toEqual(['reason', 'error']);
    expect(row?.split('\t').slice(-3)).toEqual(['failed', 'INC-8', 'session gone not found (no key sess:gone)']);
  });
});

describe('an empty audit key is refused (issue 13 item 2)', () => {
  test('--audit-key "" and REDIS_ACCOUNTS_AUDIT_KEY= : exit 2 before anything changes or is read, no entry anywhere', async () => {
    await t.redis.set('sess:s1', sessionJson({ passport: { user: 'alice' } }), { EX: 3600 });
    const runs: Array<[string[], Record<string, string>, string?]> = [
      [['user', 'add', 'ivan', '--password-stdin', '--audit-key', '', ...CHEAP], {}, `${PASSWORD}\n`],
      [['user', 'add', 'ivan', '--password-stdin', ...CHEAP], { REDIS_ACCOUNTS_AUDIT_KEY: '' }, `${PASSWORD}\n`],
      [['session', 'revoke', '--all', '--yes'], { REDIS_ACCOUNTS_AUDIT_KEY: '' }],
      [['session', 'revoke', 's1', '--audit-key', ''], {}],
      [['session', 'ttl', 's1', '30m'], { REDIS_ACCOUNTS_AUDIT_KEY: '' }],
      [['audit', 'list'], { REDIS_ACCOUNTS_AUDIT_KEY: '' }],
      [['audit', 'list', '--audit-key', ''], {}],
    ];
    for (const [args, env, input] of runs) {
      const r = await runCli(args, { env: { ...t.env, ...env }, ...(input === undefined ? {} : { input }) });
      expect([args, env, r.code, r.stdout]).toEqual([args, env, 2, '']);
      expect(r.stderr).toMatch(/^redis-accounts: --audit-key \(REDIS_ACCOUNTS_AUDIT_KEY\) may not be empty/);
    }
    expect(await t.redis.exists(['user:{ivan}', AUDIT_KEY])).toBe(0);
    expect(await t.redis.get('sess:s1')).not.toBeNull();
    expect(Number(await t.redis.pTTL('sess:s1'))).toBeGreaterThan(1800 * 1000);
    expect(await t.redis.dbSize()).toBe(1);
  });
});
