/**
 * Redis ACL credentials end to end: every way of passing them works, a wrong one is one
 * line and exit 3, an ACL user without a needed command is exit 3 naming that command,
 * and no password ever reaches stdout or stderr.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisClientType } from 'redis';
import { adminClient, sessionJson } from '../helpers/client.js';
import { ndjson, runCli, type CliOptions, type CliResult } from '../helpers/cli.js';
import { expectConnectionFailure } from '../helpers/fixture.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

const ADMIN_PASSWORD = 'admin-Secret-9f3k';
const APP_PASSWORD = 'app-Secret-Q7xw2';
const NOEVAL_PASSWORD = 'noeval-Secret-Lm4p';
const NOUNLINK_PASSWORD = 'nounlink-Secret-Zt8r';
/** Characters that must be percent-encoded in a URL: proves the URL password is decoded. */
const ODD_PASSWORD = 'odd@Pa:ss/w%rd#1';
const LEGACY_PASSWORD = 'legacy-Secret-Hb5n';
const WRONG_PASSWORD = 'wrong-Guess-Vc6y';
const SECRETS = [
  ADMIN_PASSWORD,
  APP_PASSWORD,
  NOEVAL_PASSWORD,
  NOUNLINK_PASSWORD,
  ODD_PASSWORD,
  encodeURIComponent(ODD_PASSWORD),
  LEGACY_PASSWORD,
  WRONG_PASSWORD,
];

const FAST_ARGON2 = ['--argon2-memory', '1024', '--argon2-time', '1', '--argon2-parallelism', '1'];
/** A successful run may print its summary on stderr ("2 sessions."), but no warning and no error. */
const QUIET_VIOLATION = /warning|error|redis-accounts:/i;
const URL_WARNING = 'Warning: a password in --url';

/** Every CLI result of this file, checked at the end for leaked secrets. */
const outputs: Array<{ args: string[]; r: CliResult }> = [];

async function run(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const r = await runCli(args, opts);
  outputs.push({ args, r });
  return r;
}

function expectNoSecrets(r: CliResult): void {
  for (const secret of SECRETS) {
    expect(r.stdout).not.toContain(secret);
    expect(r.stderr).not.toContain(secret);
  }
}

function expectFailureWithoutSecrets(r: CliResult, pattern: RegExp): void {
  expectConnectionFailure(r, pattern);
  expectNoSecrets(r);
}

describe('ACL authentication', () => {
  let server: RedisServer;
  let admin: RedisClientType;
  let dir: string;
  let base: string;
  const withCreds = (user: string, password: string) =>
    `redis://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${server.port}`;

  beforeAll(async () => {
    server = await startRedis({
      args: [
        // No anonymous access at all: every connection must authenticate.
        '--user',
        'default',
        'off',
        '--user',
        'admin',
        'on',
        `>${ADMIN_PASSWORD}`,
        '~*',
        '&*',
        '+@all',
        '--user',
        'app',
        'on',
        `>${APP_PASSWORD}`,
        '~*',
        '&*',
        '+@all',
        '--user',
        'odd',
        'on',
        `>${ODD_PASSWORD}`,
        '~*',
        '&*',
        '+@all',
        '--user',
        'noeval',
        'on',
        `>${NOEVAL_PASSWORD}`,
        '~*',
        '&*',
        '+@all',
        '-eval',
        '-evalsha',
        '--user',
        'nounlink',
        'on',
        `>${NOUNLINK_PASSWORD}`,
        '~*',
        '&*',
        '+@all',
        '-unlink',
      ],
    });
    base = server.url;
    admin = await adminClient(server.url, { username: 'admin', password: ADMIN_PASSWORD });
    await admin.set('sess:auth-1', sessionJson({ username: 'alice' }), { EX: 3600 });
    dir = mkdtempSync(join(tmpdir(), 'ra-auth-'));
  });

  afterAll(async () => {
    await admin?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the server really refuses anonymous clients: no credentials -> exit 3, authentication failed', async () => {
    const r = await run(['session', 'list', '--json', '--url', base]);
    expectFailureWithoutSecrets(r, /authentication|NOAUTH/i);
  });

  describe('credentials in the URL', () => {
    test('--url on the command line works but warns on stderr that argv is visible', async () => {
      const r = await run(['session', 'list', '--json', '--url', withCreds('app', APP_PASSWORD)]);
      expect(r.code).toBe(0);
      expect(ndjson(r.stdout).map((s) => s['id'])).toEqual(['auth-1']);
      // The warning comes first, once; nothing else on stderr but the summary.
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).toContain(URL_WARNING);
      expect(lines.slice(1).join('\n')).not.toMatch(QUIET_VIOLATION);
      expectNoSecrets(r);
    });

    test('the same URL from REDIS_URL works without a warning', async () => {
      const r = await run(['session', 'list', '--json'], { env: { REDIS_URL: withCreds('app', APP_PASSWORD) } });
      expect(r.code).toBe(0);
      expect(ndjson(r.stdout)).toHaveLength(1);
      expect(r.stderr).not.toMatch(QUIET_VIOLATION);
    });

    test('percent-encoded user and password are decoded before AUTH', async () => {
      const r = await run(['session', 'list', '--json'], { env: { REDIS_URL: withCreds('odd', ODD_PASSWORD) } });
      expect(r.stderr).not.toMatch(QUIET_VIOLATION);
      expect(r.code).toBe(0);
      expect(ndjson(r.stdout)).toHaveLength(1);
    });

    test('a URL without a password prints no warning', async () => {
      const r = await run(['session', 'list', '--json', '--url', `redis://app@127.0.0.1:${server.port}`], {
        env: { REDIS_PASSWORD: APP_PASSWORD },
      });
      expect(r.code).toBe(0);
      expect(r.stderr).not.toMatch(QUIET_VIOLATION);
    });
  });

  test('REDIS_USERNAME and REDIS_PASSWORD', async () => {
    const r = await run(['session', 'list', '--json', '--url', base], { env: { REDIS_USERNAME: 'app', REDIS_PASSWORD: APP_PASSWORD } });
    expect(r.stderr).not.toMatch(QUIET_VIOLATION);
    expect(r.code).toBe(0);
    expect(ndjson(r.stdout)).toHaveLength(1);
  });

  describe('password file', () => {
    test('--redis-password-file (a trailing newline is not part of the password)', async () => {
      const file = join(dir, 'app-password');
      writeFileSync(file, `${APP_PASSWORD}\n`, { mode: 0o600 });
      const r = await run(['session', 'list', '--json', '--url', base, '--redis-password-file', file], { env: { REDIS_USERNAME: 'app' } });
      expect(r.stderr).not.toMatch(QUIET_VIOLATION);
      expect(r.code).toBe(0);
      expect(ndjson(r.stdout)).toHaveLength(1);
    });

    test('REDIS_PASSWORD_FILE, with the user name in the URL', async () => {
      const file = join(dir, 'app-password-nonl');
      writeFileSync(file, APP_PASSWORD, { mode: 0o600 });
      const r = await run(['session', 'list', '--json'], {
        env: { REDIS_URL: `redis://app@127.0.0.1:${server.port}`, REDIS_PASSWORD_FILE: file },
      });
      expect(r.stderr).not.toMatch(QUIET_VIOLATION);
      expect(r.code).toBe(0);
      expect(ndjson(r.stdout)).toHaveLength(1);
    });

    test('a wrong password in the file: exit 3, one line, the file content not shown', async () => {
      const file = join(dir, 'wrong-password');
      writeFileSync(file, `${WRONG_PASSWORD}\n`, { mode: 0o600 });
      const r = await run(['session', 'list', '--json', '--url', base, '--redis-password-file', file], { env: { REDIS_USERNAME: 'app' } });
      expectFailureWithoutSecrets(r, /authentication failed/);
    });
  });

  describe('wrong password', () => {
    test('in --url: exit 3, one line after the argv warning, password not echoed', async () => {
      const r = await run(['session', 'list', '--json', '--url', withCreds('app', WRONG_PASSWORD)]);
      expect(r.code).toBe(3);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain(URL_WARNING);
      expect(lines[1]).toMatch(/^redis-accounts: cannot connect to redis:\/\/127\.0\.0\.1:\d+: authentication failed/);
      expect(r.stderr).not.toContain('    at ');
      expectNoSecrets(r);
    });

    test('in REDIS_PASSWORD: exit 3, exactly one line', async () => {
      const r = await run(['session', 'list', '--json', '--url', base], { env: { REDIS_USERNAME: 'app', REDIS_PASSWORD: WRONG_PASSWORD } });
      expectFailureWithoutSecrets(r, /^redis-accounts: cannot connect to redis:\/\/127\.0\.0\.1:\d+: authentication failed/);
    });

    test("another user's password: exit 3", async () => {
      const r = await run(['session', 'list', '--json', '--url', base], { env: { REDIS_USERNAME: 'app', REDIS_PASSWORD: ADMIN_PASSWORD } });
      expectFailureWithoutSecrets(r, /authentication failed/);
    });

    test('an unknown user: exit 3', async () => {
      const r = await run(['session', 'list', '--json', '--url', base], {
        env: { REDIS_USERNAME: 'nobody', REDIS_PASSWORD: APP_PASSWORD },
      });
      expectFailureWithoutSecrets(r, /authentication failed/);
    });

    test('even with --debug the password does not appear', async () => {
      const r = await run(['session', 'list', '--json', '--debug', '--url', base], {
        env: { REDIS_USERNAME: 'app', REDIS_PASSWORD: WRONG_PASSWORD },
      });
      expect(r.code).toBe(3);
      expectNoSecrets(r);
    });

    test('a failed AUTH is not retried: the server logs exactly one failed attempt per run', async () => {
      const before = await aclAuthFailures(admin, 'app');
      const r = await run(['session', 'list', '--json', '--url', base], { env: { REDIS_USERNAME: 'app', REDIS_PASSWORD: WRONG_PASSWORD } });
      expect(r.code).toBe(3);
      expect((await aclAuthFailures(admin, 'app')) - before).toBe(1);
    });
  });

  describe('ACL user lacking a command the operation needs', () => {
    test('no EVAL/EVALSHA: user add ends in exit 3 naming evalsha (every script runs by EVALSHA), and nothing is written', async () => {
      const r = await run(['user', 'add', 'acl-dave', '--password-stdin', '--url', base, ...FAST_ARGON2], {
        input: 'correct horse battery\n',
        env: { REDIS_USERNAME: 'noeval', REDIS_PASSWORD: NOEVAL_PASSWORD },
      });
      expectFailureWithoutSecrets(r, /permission denied by Redis ACL: .*'evalsha'/i);
      expect(await admin.exists('user:{acl-dave}')).toBe(0);
    });

    test('no UNLINK: session revoke --user ends in exit 3 naming unlink, and the session survives', async () => {
      const r = await run(['session', 'revoke', '--user', 'alice', '--url', base], {
        env: { REDIS_USERNAME: 'nounlink', REDIS_PASSWORD: NOUNLINK_PASSWORD },
      });
      expectFailureWithoutSecrets(r, /permission denied by Redis ACL: .*'unlink'/i);
      expect(await admin.exists('sess:auth-1')).toBe(1);
    });

    test('no UNLINK, denied inside the revoke-by-id script: still exit 3 reported as an ACL denial', async () => {
      // Redis 7.0 does not name the command denied inside a script (7.2+ does); the class of failure must still be clear.
      const r = await run(['session', 'revoke', 'auth-1', '--url', base], {
        env: { REDIS_USERNAME: 'nounlink', REDIS_PASSWORD: NOUNLINK_PASSWORD },
      });
      expectFailureWithoutSecrets(r, /permission denied by Redis ACL/i);
      expect(await admin.exists('sess:auth-1')).toBe(1);
    });

    test('the same user can still do what its ACL allows (session list)', async () => {
      const r = await run(['session', 'list', '--json', '--url', base], {
        env: { REDIS_USERNAME: 'nounlink', REDIS_PASSWORD: NOUNLINK_PASSWORD },
      });
      expect(r.code).toBe(0);
      expect(ndjson(r.stdout)).toHaveLength(1);
    });
  });

  test('no Redis password appeared in any output of this file', () => {
    expect(outputs.length).toBeGreaterThan(10);
    const leaks = outputs
      .filter(({ r }) => SECRETS.some((s) => r.stdout.includes(s) || r.stderr.includes(s)))
      .map(({ args }) => args.join(' '));
    expect(leaks).toEqual([]);
  });
});

describe('legacy requirepass (password only, default user)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ args: ['--requirepass', LEGACY_PASSWORD] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('REDIS_PASSWORD without REDIS_USERNAME authenticates as the default user', async () => {
    const r = await runCli(['session', 'list', '--json', '--url', server.url], { env: { REDIS_PASSWORD: LEGACY_PASSWORD } });
    expect(r.stderr).not.toMatch(QUIET_VIOLATION);
    expect(r.code).toBe(0);
  });

  test('a password-only URL (redis://:pw@host) works, with the argv warning', async () => {
    const r = await runCli(['session', 'list', '--json', '--url', `redis://:${LEGACY_PASSWORD}@127.0.0.1:${server.port}`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(URL_WARNING);
    expectNoSecrets(r);
  });

  test('no password: exit 3, one line', async () => {
    const r = await runCli(['session', 'list', '--json', '--url', server.url]);
    expectFailureWithoutSecrets(r, /authentication|NOAUTH/i);
  });
});

/** Failed AUTH attempts the server recorded for `user` (ACL LOG counts repeats of one entry). */
async function aclAuthFailures(admin: RedisClientType, user: string): Promise<number> {
  const entries = await admin.aclLog(128);
  return entries.filter((e) => e.reason === 'auth' && e.username === user).reduce((sum, e) => sum + Number(e.count), 0);
}
