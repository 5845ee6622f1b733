/** `session show`: one session in full, by id or from the cookie a responder holds. */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { runCli } from '../helpers/cli.js';
import { sessionJson } from '../helpers/client.js';
import { useTestRedis } from '../helpers/fixture.js';

const t = useTestRedis();
const secretDir = mkdtempSync(join(tmpdir(), 'ra-secret-'));
const secretFile = join(secretDir, 'secrets');
writeFileSync(secretFile, 'old secret\nkeyboard cat\n');

function cookieFor(id: string, secret = 'keyboard cat'): string {
  return `s:${id}.${createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '')}`;
}

async function seed(): Promise<void> {
  await t.redis.set('sess:abc123', sessionJson({ passport: { user: 'alice' } }, 86400000, { ip: '203.0.113.7', csrfSecret: 'kept' }), {
    EX: 3600,
  });
}

describe('session show', () => {
  test('by id: user, TTL, expiry and the whole contents; --json shape', async () => {
    await seed();
    const r = await runCli(['session', 'show', 'abc123'], { env: t.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^id:\s+abc123$/m);
    expect(r.stdout).toMatch(/^user:\s+alice$/m);
    expect(r.stdout).toMatch(/^ttl:\s+(1h|59m \d+s) \(\d+s\)$/m);
    expect(r.stdout).toContain('"csrfSecret": "kept"');
    const j = await runCli(['session', 'show', 'abc123', '--json'], { env: t.env });
    const detail = JSON.parse(j.stdout) as Record<string, unknown>;
    expect(Object.keys(detail)).toEqual(['id', 'user', 'ttlSeconds', 'expiresAt', 'readable', 'extra', 'layout', 'key', 'session']);
    expect(detail).toMatchObject({ id: 'abc123', user: 'alice', readable: true });
    expect(detail['session']).toMatchObject({ passport: { user: 'alice' }, ip: '203.0.113.7', csrfSecret: 'kept' });
  });

  test('--cookie: plain, URL-encoded, or a copied header; signature checked with --cookie-secret-file', async () => {
    await seed();
    const cookie = cookieFor('abc123');
    for (const value of [cookie, encodeURIComponent(cookie), `connect.sid=${encodeURIComponent(cookie)}; Path=/`]) {
      const r = await runCli(['session', 'show', '--cookie', value, '--cookie-secret-file', secretFile, '--json'], { env: t.env });
      expect([value, r.code, r.stderr]).toEqual([value, 0, '']);
      expect(JSON.parse(r.stdout)).toMatchObject({ id: 'abc123', user: 'alice' });
    }
  });

  test('--cookie - reads the cookie from stdin, keeping the live credential out of argv', async () => {
    await seed();
    const r = await runCli(['session', 'show', '--cookie', '-', '--json'], {
      env: t.env,
      input: `${encodeURIComponent(cookieFor('abc123'))}\n`,
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'abc123' });
  });

  test('a forged or foreign signature: exit 1, nothing shown', async () => {
    await seed();
    const r = await runCli(['session', 'show', '--cookie', cookieFor('abc123', 'attacker'), '--cookie-secret-file', secretFile], {
      env: t.env,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/signature does not match/);
  });

  test('not found: exit 1; not a session (hash): exit 5; not a cookie / both id and cookie: exit 2', async () => {
    await t.redis.hSet('sess:h', { a: 'b' });
    expect((await runCli(['session', 'show', 'nope'], { env: t.env })).code).toBe(1);
    expect((await runCli(['session', 'show', '--cookie', cookieFor('nope')], { env: t.env })).code).toBe(1);
    expect((await runCli(['session', 'show', 'h'], { env: t.env })).code).toBe(5);
    expect((await runCli(['session', 'show', '--cookie', 'garbage'], { env: t.env })).code).toBe(2);
    expect((await runCli(['session', 'show', 'abc', '--cookie', cookieFor('abc')], { env: t.env })).code).toBe(2);
    expect((await runCli(['session', 'show'], { env: t.env })).code).toBe(2);
  });

  test('a value that is not JSON is shown as text, never a crash', async () => {
    await t.redis.set('sess:raw', 'not json {\u001b[31m', { EX: 60 });
    const r = await runCli(['session', 'show', 'raw'], { env: t.env });
    expect(r.code).toBe(0);
    // One JSON string literal (issue 13 item 16: stored line breaks cannot forge lines).
    expect(r.stdout).toContain('(unreadable: not JSON) "not json {\\u001b[31m"');
    // Control characters from stored data never reach the terminal.
    expect(r.stdout).not.toContain('\u001b');
  });

  test("an id that begins with '-' is reached after '--' (express-session ids can)", async () => {
    await t.redis.set('sess:-dash1', sessionJson({ passport: { user: 'alice' } }), { EX: 60 });
    expect((await runCli(['session', 'show', '--json', '--', '-dash1'], { env: t.env })).code).toBe(0);
    expect((await runCli(['session', 'ttl', '--', '-dash1', '30m'], { env: t.env })).code).toBe(0);
    expect((await runCli(['session', 'revoke', '--', '-dash1'], { env: t.env })).code).toBe(0);
    expect(await t.redis.exists('sess:-dash1')).toBe(0);
  });

  test("such an id without '--' is a usage error (2) that says to put '--' before it, and nothing is revoked", async () => {
    const id = '-Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6J';
    await t.redis.set(`sess:${id}`, sessionJson({ passport: { user: 'alice' } }), { EX: 60 });
    const r = await runCli(['session', 'revoke', id], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: unknown option '${id}'\n(an argument that begins with '-', as some session ids do, goes after '--', and options before it: redis-accounts session revoke -- ${id})\n(run with --help for usage)\n`,
    );
    expect(await t.redis.exists(`sess:${id}`)).toBe(1);
    // A short unknown option is a typo, not an id: no such hint.
    const typo = await runCli(['session', 'list', '-x'], { env: t.env });
    expect([typo.code, typo.stderr]).toEqual([2, "error: unknown option '-x'\n(run with --help for usage)\n"]);
  });
});
