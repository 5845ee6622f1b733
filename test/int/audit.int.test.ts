/**
 * The audit trail: each change appends one entry to a capped stream, with who, what, how
 * many and why, failures included, and never a password, a hash or a session's contents.
 */
import { describe, expect, test } from '@jest/globals';
import { ndjson, runCli } from '../helpers/cli.js';
import { sessionJson } from '../helpers/client.js';
import { appendAudit } from '../../src/core/audit.js';
import { AUDIT_KEY, useTestRedis } from '../helpers/fixture.js';

const t = useTestRedis();
const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
const PASSWORD = 'correct horse battery';

async function entries(): Promise<Array<Record<string, string>>> {
  return ((await t.redis.xRange(AUDIT_KEY, '-', '+')) ?? []).map((e) => e?.message as Record<string, string>);
}

describe('audit trail', () => {
  test('user add, verify --rehash and rehash are recorded with actor, target, count and reason', async () => {
    const env = { ...t.env, REDIS_ACCOUNTS_ACTOR: 'ops-jane' };
    expect((await runCli(['user', 'add', 'alice', '--password-stdin', '--reason', 'INC-42', ...CHEAP], { env, input: `${PASSWORD}\n` })).code).toBe(0);
    expect((await runCli(['user', 'rehash', 'alice', '--password-stdin', '--force', ...CHEAP], { env, input: `${PASSWORD}\n` })).code).toBe(0);
    const list = await entries();
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ actor: 'ops-jane', command: 'user add', target: 'user alice', count: '1', outcome: 'ok', reason: 'INC-42', error: '' });
    expect(list[1]).toMatchObject({ command: 'user rehash', target: 'user alice', count: '1', outcome: 'ok' });
    expect(Date.parse(list[0]?.['time'] ?? '')).toBeGreaterThan(Date.now() - 60000);
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
    await runCli(['user', 'add', 'gina', '--password-stdin', '--reason', 'ticket 7', ...CHEAP], { env: t.env, input: `${PASSWORD}\n` });
    await runCli(['user', 'add', 'hank', '--password-stdin', ...CHEAP], { env: t.env, input: `${PASSWORD}\n` });
    const json = await runCli(['audit', 'list', '--json'], { env: t.env });
    expect(json.code).toBe(0);
    const rows = ndjson(json.stdout);
    expect(rows.map((r) => r['target'])).toEqual(['user gina', 'user hank']);
    expect(Object.keys(rows[0] ?? {})).toEqual(['id', 'time', 'actor', 'command', 'target', 'count', 'outcome', 'reason', 'error']);
    expect(rows[0]).toMatchObject({ count: 1, outcome: 'ok', reason: 'ticket 7' });
    const plain = await runCli(['audit', 'list'], { env: t.env });
    expect(plain.stdout.split('\n')[0]).toBe('time\tactor\tcommand\ttarget\tcount\toutcome\treason');
    expect(plain.stderr).toBe('2 entries.\n');
    expect(ndjson((await runCli(['audit', 'list', '--json', '--since', '1h'], { env: t.env })).stdout)).toHaveLength(2);
    expect(ndjson((await runCli(['audit', 'list', '--json', '--since', '2999-01-01'], { env: t.env })).stdout)).toHaveLength(0);
    expect(ndjson((await runCli(['audit', 'list', '--json', '--limit', '1'], { env: t.env })).stdout)).toHaveLength(1);
    expect((await runCli(['audit', 'list', '--since', 'yesterday'], { env: t.env })).code).toBe(2);
  });

  test('--reason with a control character is refused before anything changes', async () => {
    const r = await runCli(['user', 'add', 'ivan', '--password-stdin', '--reason', 'a\nb', ...CHEAP], { env: t.env, input: `${PASSWORD}\n` });
    expect(r.code).toBe(2);
    expect(await t.redis.exists('user:{ivan}')).toBe(0);
  });

  test('the stream is capped (XADD MAXLEN ~): old entries go, the newest stay', async () => {
    const entry = { time: new Date().toISOString(), actor: 'a@h', command: 'user add', target: 'user x', count: 1, outcome: 'ok' as const, reason: '', error: '' };
    for (let i = 0; i < 1000; i += 1) await appendAudit(t.redis, AUDIT_KEY, { ...entry, target: `user u${i}` }, 100);
    const length = Number(await t.redis.xLen(AUDIT_KEY));
    // "~" trims whole stream nodes (100 entries each by default): at most one node over.
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThanOrEqual(200);
    const last = await t.redis.xRevRange(AUDIT_KEY, '+', '-', { COUNT: 1 });
    expect(last?.[0]?.message['target']).toBe('user u999');
  });
});
