/**
 * Session commands from argv to behaviour, in-process: what each option accepts, what it
 * refuses (exit 2, one message, nothing on stdout, nothing changed in Redis), and the hint for
 * session ids that begin with '-'.
 */
import { describe, expect, test } from '@jest/globals';
import { sessionJson } from '../helpers/client.js';
import { dataKeys, useTestRedis } from '../helpers/fixture.js';
import { runMain, type MainResult } from '../helpers/inproc.js';

const t = useTestRedis();
const run = (args: string[]) => runMain(args, { env: t.env });

async function seed(id: string, user: string, ttlSeconds = 3600): Promise<void> {
  await t.redis.set(`sess:${id}`, sessionJson({ passport: { user } }, ttlSeconds * 1000), { EX: ttlSeconds });
}

/** A usage error: exit 2, one `redis-accounts:` line matching `message`, stdout empty. */
function expectUsage(r: MainResult, message: RegExp): void {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
  expect(r.stderr).toMatch(/^redis-accounts: .*\n$/);
  expect(r.stderr).toMatch(message);
}

describe('session list --limit', () => {
  test.each([
    ['0', /--limit must be at least 1/],
    ['abc', /--limit must be a whole number, got "abc"/],
    ['1.5', /--limit must be a whole number, got "1.5"/],
    ['-3', /--limit must be a whole number, got "-3"/],
    ['1e3', /--limit must be a whole number, got "1e3"/],
    ['9999999999999', /--limit must be a whole number/],
  ])('--limit %s is refused', async (value, message) => {
    await seed('s1', 'alice');
    expectUsage(await run(['session', 'list', '--json', '--limit', value]), message);
  });

  test('--limit with no value: commander says the argument is missing (exit 2)', async () => {
    const r = await run(['session', 'list', '--limit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: option '--limit <n>' argument missing");
    expect(r.stdout).toBe('');
  });

  test('--limit 2 of 5 sessions lists exactly 2', async () => {
    for (let i = 0; i < 5; i += 1) await seed(`s${i}`, 'alice');
    const r = await run(['session', 'list', '--json', '--limit', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(r.stderr).toBe('2 sessions.\n');
  });
});

describe('durations', () => {
  test.each([
    ['0', /duration must be at least one second/],
    ['1.5h', /invalid duration "1\.5h" \(hint: use seconds/],
    ['90x', /invalid duration "90x"/],
    ['3651d', /duration is longer than ten years/],
  ])('session ttl <id> %s is refused and the lifetime is unchanged', async (value, message) => {
    await seed('s1', 'alice', 3600);
    expectUsage(await run(['session', 'ttl', 's1', value]), message);
    expect(await t.redis.ttl('sess:s1')).toBeGreaterThan(3500);
  });

  test('session ttl <id> 90s sets 90 seconds, in Redis and in the cookie', async () => {
    await seed('s1', 'alice', 3600);
    const r = await run(['session', 'ttl', 's1', '90s', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 's1', ttlSeconds: 90, cookieUpdated: true });
    expect(await t.redis.ttl('sess:s1')).toBeLessThanOrEqual(90);
    const cookie = (JSON.parse(String(await t.redis.get('sess:s1'))) as { cookie: { originalMaxAge: number } }).cookie;
    expect(cookie.originalMaxAge).toBe(90_000);
  });

  test('revoke --hold with a bad duration is refused before anything is revoked', async () => {
    await seed('s1', 'alice');
    expectUsage(await run(['session', 'revoke', '--user', 'alice', '--hold', '5x']), /invalid duration "5x"/);
    expect(await dataKeys(t.redis)).toEqual(['sess:s1']);
  });

  test('ttl --hold without a new lifetime is refused', async () => {
    await seed('s1', 'alice');
    expectUsage(await run(['session', 'ttl', 's1', '--hold', '5s']), /--hold guards a new lifetime: give one/);
  });

  test('revoke --hold cannot go with --dry-run', async () => {
    await seed('s1', 'alice');
    expectUsage(
      await run(['session', 'revoke', '--user', 'alice', '--dry-run', '--hold', '1s']),
      /--hold guards what was revoked; it cannot go with --dry-run/,
    );
    expect(await dataKeys(t.redis)).toEqual(['sess:s1']);
  });

  test.each([
    ['fast', /invalid --timeout "fast" \(hint: e\.g\. 500ms, 5s, 1m\)/],
    ['2h', /--timeout must be between 10ms and 1h/], // one duration grammar: h is a unit, 2h is past the bound
    ['5ms', /--timeout must be between 10ms and 1h/],
    ['61m', /--timeout must be between 10ms and 1h/],
  ])('--timeout %s is refused', async (value, message) => {
    expectUsage(await run(['session', 'list', '--timeout', value]), message);
  });

  test('--timeout 500ms is accepted', async () => {
    await seed('s1', 'alice');
    const r = await run(['session', 'list', '--json', '--timeout', '500ms']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '1 session.\n' });
  });
});

describe('session revoke: which sessions', () => {
  test('ids and --user together are refused (exactly one way to choose), nothing revoked', async () => {
    await seed('s1', 'alice');
    expectUsage(await run(['session', 'revoke', 's1', '--user', 'alice']), /exactly one of them/);
    expect(await dataKeys(t.redis)).toEqual(['sess:s1']);
  });

  test('--all without --yes on a stdin that is not a terminal is refused, nothing revoked', async () => {
    await seed('s1', 'alice');
    expectUsage(await run(['session', 'revoke', '--all']), /--all deletes every session; add --yes to confirm/);
    expect(await dataKeys(t.redis)).toEqual(['sess:s1']);
  });

  test('an empty --session-prefix and a malformed --user-field are refused', async () => {
    expectUsage(await run(['session', 'list', '--session-prefix', '']), /--session-prefix may not be empty: it would match every key/);
    expectUsage(
      await run(['session', 'list', '--user-field', 'passport..user']),
      /invalid --user-field "passport\.\.user" \(hint: a dotted path/,
    );
  });
});

describe("session ids that begin with '-'", () => {
  const HINT = "(an argument that begins with '-', as some session ids do, goes after '--', and options before it: ";

  test('session revoke -abcdefgh12345: exit 2, the hint names the line to type, the session stays', async () => {
    await seed('-abcdefgh12345', 'alice');
    const r = await run(['session', 'revoke', '-abcdefgh12345']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: unknown option '-abcdefgh12345'\n${HINT}redis-accounts session revoke -- -abcdefgh12345)\n(run with --help for usage)\n`,
    );
    expect(await dataKeys(t.redis)).toEqual(['sess:-abcdefgh12345']);
  });

  test('the hint keeps the options typed (in the order the command lists them), before the --, and hides a password in --url', async () => {
    const r = await run(['session', 'show', '--url', 'redis://u:secret@127.0.0.1:1', '--json', '-abcdefgh12345']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${HINT}redis-accounts session show --json --url 'redis://u:****@127.0.0.1:1' -- -abcdefgh12345)`);
    expect(r.stderr).not.toContain('secret');
  });

  test('a short unknown option gets no session-id hint', async () => {
    const r = await run(['session', 'revoke', '-x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown option '-x'");
    expect(r.stderr).not.toContain(HINT);
  });

  test('after --, the id is revoked', async () => {
    await seed('-abcdefgh12345', 'alice');
    await seed('other', 'alice');
    const r = await run(['session', 'revoke', '--json', '--', '-abcdefgh12345']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ revoked: 1 });
    expect(await dataKeys(t.redis)).toEqual(['sess:other']);
  });
});
