/**
 * `user passwd`, `user disable`, `user enable` and `user delete` through the built CLI against
 * a real redis-server: what each writes to the record (and only that), which sessions each
 * revokes (the user's, by name or by the record's principal; never another user's), what
 * `user verify` answers for a disabled account, what the audit entry keeps (fields before and
 * after, never a hash or a password), the password rules of `user passwd`, refusals that write
 * nothing, and races: passwd against passwd, delete against passwd.
 */
import { describe, expect, test } from '@jest/globals';
import argon2 from 'argon2';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisClientType } from 'redis';
import { ndjson, runCli, startCli, type BackgroundCli, type CliResult } from '../helpers/cli.js';
import { sessionJson } from '../helpers/client.js';
import { AUDIT_KEY, dataKeys, useTestRedis } from '../helpers/fixture.js';
import { waitFor } from '../helpers/wait.js';

const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const PW = 'correct horse battery';
const NEW_PW = 'seven purple kites at dawn';

let redis: RedisClientType;
let env: Record<string, string>;
/** Every password typed or printed in this file, checked against the audit trail at the end of each test that writes one. */
const secrets = new Set<string>([PW, NEW_PW]);

useTestRedis((t) => {
  redis = t.redis;
  env = t.env;
});

async function cli(args: string[], input?: string, extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { env: { ...env, ...extraEnv }, ...(input === undefined ? {} : { input }) });
}

async function addUser(name: string, password = PW, extra: string[] = []): Promise<void> {
  const r = await cli(['user', 'add', name, '--password-stdin', ...CHEAP, ...extra], `${password}\n`);
  expect([r.code, r.stderr]).toEqual([0, expect.stringContaining('Created user')]);
}

async function verify(name: string, password: string): Promise<CliResult> {
  return cli(['user', 'verify', name, '--password-stdin', '--json', ...CHEAP], `${password}\n`);
}

/** Sessions as connect-redis stores them, `sess:<id>` with passport.user. */
async function seedSessions(sessions: Record<string, string>, prefix = 'sess:'): Promise<void> {
  for (const [id, user] of Object.entries(sessions))
    await redis.set(`${prefix}${id}`, sessionJson({ passport: { user } }), { expiration: { type: 'EX', value: 3600 } });
}

async function sessionIds(prefix = 'sess:'): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}*` })) keys.push(...batch);
  return keys.map((k) => k.slice(prefix.length)).sort();
}

async function auditEntries(): Promise<Array<Record<string, unknown>>> {
  return ndjson((await cli(['audit', 'list', '--json'])).stdout);
}

/** The audit trail never holds a password hash or a password (stored raw, as XRANGE gives it). */
async function expectNoSecretInTrail(): Promise<void> {
  const raw = JSON.stringify(await redis.xRange(AUDIT_KEY, '-', '+'));
  expect(raw).not.toContain('$argon2');
  expect(raw).not.toContain('password_hash');
  for (const s of secrets) expect(raw).not.toContain(s);
}

describe('user disable and user enable', () => {
  test('disable: status, reason, times in one write; the user sessions revoked, the others kept; audited', async () => {
    await addUser('alice');
    await addUser('bob');
    await seedSessions({ a1: 'alice', a2: 'alice', b1: 'bob', x1: 'alicex', x2: 'Alice' });
    const before = await redis.hGetAll('user:{alice}');
    const r = await cli(['user', 'disable', 'alice', '--reason', 'INC-4711', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toEqual({
      user: 'alice',
      status: 'disabled',
      changed: true,
      reason: 'INC-4711',
      sessionsValidAfter: expect.stringMatching(ISO),
      principal: 'alice',
      sessionsRevoked: 2,
    });
    const rec = await redis.hGetAll('user:{alice}');
    expect(rec).toEqual({
      ...before,
      status: 'disabled',
      status_reason: 'INC-4711',
      status_changed_at: expect.stringMatching(ISO),
      sessions_valid_after: out['sessionsValidAfter'],
    });
    expect(rec['status_changed_at']).toBe(rec['sessions_valid_after']);
    // Exactly alice's sessions: not a longer name, not another case.
    expect(await sessionIds()).toEqual(['b1', 'x1', 'x2']);

    const entry = (await auditEntries()).at(-1);
    expect(entry).toMatchObject({
      command: 'user disable',
      target: 'user alice',
      count: 1,
      outcome: 'ok',
      reason: 'INC-4711',
      sessionsRevoked: 2,
      before: { status: 'active' },
      after: { status: 'disabled', status_reason: 'INC-4711', sessions_valid_after: rec['sessions_valid_after'] },
    });
    expect((entry?.['before'] as Record<string, string>)['status_reason']).toBeUndefined();
    await expectNoSecretInTrail();

    // The text form says the same on stderr, nothing on stdout.
    await seedSessions({ b2: 'bob' });
    const text = await cli(['user', 'disable', 'bob']);
    expect([text.code, text.stdout]).toEqual([0, '']);
    expect(text.stderr).toBe('Disabled bob.\nRevoked 2 sessions of bob.\n');
  });

  test('disable again: still disabled with its first reason and time, the sessions revoked again, sessions_valid_after moved on', async () => {
    await addUser('alice');
    expect((await cli(['user', 'disable', 'alice', '--reason', 'first'])).code).toBe(0);
    const first = await redis.hGetAll('user:{alice}');
    // An application that ignores the status logged alice in meanwhile.
    await seedSessions({ late: 'alice', b1: 'bob' });
    const r = await cli(['user', 'disable', 'alice', '--reason', 'second', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ changed: false, reason: 'first', sessionsRevoked: 1 });
    const again = await redis.hGetAll('user:{alice}');
    expect(again['status_reason']).toBe('first');
    expect(again['status_changed_at']).toBe(first['status_changed_at']);
    expect(Date.parse(again['sessions_valid_after'] ?? '')).toBeGreaterThan(Date.parse(first['sessions_valid_after'] ?? ''));
    expect(await sessionIds()).toEqual(['b1']);
  });

  test('verify of a disabled account: the right password answers exit 1 with "disabled":true; a wrong one answers as for anyone', async () => {
    await addUser('alice');
    await addUser('carol');
    expect((await cli(['user', 'disable', 'alice'])).code).toBe(0);
    const right = await verify('alice', PW);
    expect(right.code).toBe(1);
    // Only the right password can learn this: the hash was computed, as for any verify.
    expect(JSON.parse(right.stdout)).toEqual({
      user: 'alice',
      match: false,
      outdated: false,
      reasons: [],
      rehashed: false,
      disabled: true,
    });
    const wrong = await verify('alice', 'not the password at all');
    const wrongActive = await verify('carol', 'not the password at all');
    const unknown = await verify('nobody', 'not the password at all');
    expect(wrong.code).toBe(1);
    // A wrong password of a disabled account reads exactly as one of an active account or an
    // unknown user: the status is not told before the password is checked.
    expect(wrong.stdout.replace('alice', 'X')).toBe(wrongActive.stdout.replace('carol', 'X'));
    expect(wrong.stdout.replace('alice', 'X')).toBe(unknown.stdout.replace('nobody', 'X'));
    const text = await cli(['user', 'verify', 'alice', '--password-stdin', ...CHEAP], `${PW}\n`);
    expect([text.code, text.stderr]).toEqual([1, 'The account alice is disabled: the password is not accepted.\n']);
    // --rehash changes nothing for a disabled account.
    const stored = await redis.hGet('user:{alice}', 'password_hash');
    expect((await cli(['user', 'verify', 'alice', '--password-stdin', '--rehash'], `${PW}\n`)).code).toBe(1);
    expect(await redis.hGet('user:{alice}', 'password_hash')).toBe(stored);
  });

  test('a status an application wrote (not "active") fails closed in verify; user enable makes it active', async () => {
    await addUser('dave');
    await redis.hSet('user:{dave}', 'status', 'locked');
    expect(JSON.parse((await verify('dave', PW)).stdout)).toMatchObject({ match: false, disabled: true });
    // Records from before the field existed are active.
    await redis.hDel('user:{dave}', 'status');
    expect((await verify('dave', PW)).code).toBe(0);
  });

  test('enable: active again, verify accepts; the revoked sessions stay gone and sessions_valid_after stays; enabling an active user writes nothing', async () => {
    await addUser('alice');
    await seedSessions({ a1: 'alice' });
    expect((await cli(['user', 'disable', 'alice', '--reason', 'INC-1'])).code).toBe(0);
    const disabled = await redis.hGetAll('user:{alice}');
    const r = await cli(['user', 'enable', 'alice', '--reason', 'INC-1 closed', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ user: 'alice', status: 'active', changed: true });
    const rec = await redis.hGetAll('user:{alice}');
    expect(rec['status']).toBe('active');
    expect(rec['status_reason']).toBe('INC-1 closed');
    expect(rec['sessions_valid_after']).toBe(disabled['sessions_valid_after']);
    expect(Date.parse(rec['status_changed_at'] ?? '')).toBeGreaterThanOrEqual(Date.parse(disabled['status_changed_at'] ?? ''));
    expect(await sessionIds()).toEqual([]);
    expect((await verify('alice', PW)).code).toBe(0);

    const again = await cli(['user', 'enable', 'alice']);
    expect([again.code, again.stderr]).toEqual([0, 'alice was already active; nothing was changed.\n']);
    expect(await redis.hGetAll('user:{alice}')).toEqual(rec);
    expect((await auditEntries()).at(-1)).toMatchObject({ command: 'user enable', count: 0, outcome: 'ok' });
  });

  test('an unknown user: exit 1 and no record created; a key of another type: exit 5, left alone', async () => {
    await seedSessions({ g1: 'ghost' });
    for (const cmd of ['disable', 'enable']) {
      const r = await cli(['user', cmd, 'ghost']);
      expect([r.code, r.stderr]).toEqual([1, 'redis-accounts: no user ghost; nothing was changed\n']);
    }
    expect(await dataKeys(redis)).toEqual(['sess:g1']);
    await redis.set('user:{str}', 'x');
    const r = await cli(['user', 'disable', 'str']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/user:\{str\} holds a string, not a user record/);
    expect(await redis.get('user:{str}')).toBe('x');
    const failed = (await auditEntries()).filter((e) => e['outcome'] === 'failed');
    expect(failed.map((e) => e['command'])).toEqual(['user disable', 'user enable', 'user disable']);
  });

  test('the record principal names the sessions (user add --principal); a session of the bare name is not the user', async () => {
    await addUser('erin', PW, ['--principal', '7']);
    expect(await redis.hGet('user:{erin}', 'principal')).toBe('7');
    await seedSessions({ p1: '7', p2: '7', n1: 'erin', o1: '70' });
    const r = await cli(['user', 'disable', 'erin', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ principal: '7', sessionsRevoked: 2 });
    expect(await sessionIds()).toEqual(['n1', 'o1']);
    const text = await cli(['user', 'disable', 'erin']);
    expect(text.stderr).toMatch(/Revoked 0 sessions of erin \(principal 7\)\./);
  });

  test('the session options: --session-prefix and --user-field, as the session commands take them', async () => {
    await addUser('fay');
    await redis.set('app1:s1', JSON.stringify({ cookie: {}, account: { name: 'fay' } }), { expiration: { type: 'EX', value: 3600 } });
    await redis.set('app1:s2', JSON.stringify({ cookie: {}, account: { name: 'gus' } }), { expiration: { type: 'EX', value: 3600 } });
    await seedSessions({ d1: 'fay' }); // under the default prefix: not this application's
    const r = await cli(['user', 'disable', 'fay', '--session-prefix', 'app1:', '--user-field', 'account.name', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ sessionsRevoked: 1 });
    expect(await sessionIds('app1:')).toEqual(['s2']);
    expect(await sessionIds()).toEqual(['d1']);
    // The environment variable of --layout, as for the session commands.
    const bad = await cli(['user', 'disable', 'fay'], undefined, { REDIS_ACCOUNTS_LAYOUT: 'nope' });
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/unknown --layout "nope"/)]);
  });
});

describe('user delete', () => {
  test('without a terminal and without --yes: exit 2 at once, nothing read or written', async () => {
    await addUser('alice');
    await seedSessions({ a1: 'alice' });
    const before = await redis.hGetAll('user:{alice}');
    const trail = await redis.xLen(AUDIT_KEY);
    // No input at all, and stdin stays open: a prompt would wait until the 5 s timeout.
    const run = startCli(['user', 'delete', 'alice'], { env, keepStdinOpen: true, timeoutMs: 5000 });
    const r = await run.done;
    expect(r.signal).toBeNull();
    expect([r.code, r.stderr]).toEqual([
      2,
      'redis-accounts: user delete removes alice for good; add --yes to confirm when not on a terminal\n',
    ]);
    expect(await redis.hGetAll('user:{alice}')).toEqual(before);
    expect(await sessionIds()).toEqual(['a1']);
    expect(await redis.xLen(AUDIT_KEY)).toBe(trail);
  });

  test('--yes: the record gone, the user sessions revoked, the others kept; the audit keeps the fact and the fields it had', async () => {
    await addUser('alice', PW, ['--principal', 'u-1']);
    await addUser('bob');
    await seedSessions({ a1: 'u-1', a2: 'u-1', b1: 'bob', n1: 'alice' });
    const before = await redis.hGetAll('user:{alice}');
    const r = await cli(['user', 'delete', 'alice', '--yes', '--reason', 'OFFBOARD-3', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ user: 'alice', deleted: true, principal: 'u-1', sessionsRevoked: 2 });
    expect(await redis.exists('user:{alice}')).toBe(0);
    expect(await redis.exists('user:{bob}')).toBe(1);
    expect(await sessionIds()).toEqual(['b1', 'n1']);
    const { password_hash: _hash, ...fields } = before;
    expect((await auditEntries()).at(-1)).toEqual(
      expect.objectContaining({
        command: 'user delete',
        target: 'user alice',
        count: 1,
        outcome: 'ok',
        reason: 'OFFBOARD-3',
        before: fields,
        after: null,
        sessionsRevoked: 2,
      }),
    );
    await expectNoSecretInTrail();
    // The user is gone for verify too.
    expect((await verify('alice', PW)).code).toBe(1);
  });

  test('text output, an unknown user (exit 1, with a hint), a key of another type (exit 5)', async () => {
    await addUser('carol');
    const r = await cli(['user', 'delete', 'carol', '--yes']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', 'Deleted user carol.\nRevoked 0 sessions of carol.\n']);
    const gone = await cli(['user', 'delete', 'carol', '--yes']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(
      'redis-accounts: no user carol; nothing was deleted (hint: session revoke --user carol revokes sessions left behind by a user deleted before)\n',
    );
    await redis.lPush('user:{list}', 'x');
    expect((await cli(['user', 'delete', 'list', '--yes'])).code).toBe(5);
    expect(await redis.type('user:{list}')).toBe('list');
  });
});

describe('user passwd', () => {
  test('--password-stdin: the new hash verifies (argon2 itself agrees), the old password no longer does; times and sessions', async () => {
    await addUser('alice');
    await addUser('bob');
    await seedSessions({ a1: 'alice', a2: 'alice', b1: 'bob' });
    const before = await redis.hGetAll('user:{alice}');
    const r = await cli(['user', 'passwd', 'alice', '--password-stdin', '--json', ...CHEAP], `${NEW_PW}\n`);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toEqual({
      user: 'alice',
      changed: true,
      mustChange: false,
      sessionsValidAfter: expect.stringMatching(ISO),
      sessionsKept: false,
      principal: 'alice',
      sessionsRevoked: 2,
    });
    const rec = await redis.hGetAll('user:{alice}');
    expect(rec).toEqual({
      ...before,
      password_hash: expect.stringMatching(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/),
      updated_at: out['sessionsValidAfter'],
      password_changed_at: out['sessionsValidAfter'],
      sessions_valid_after: out['sessionsValidAfter'],
      must_change_password: '0',
    });
    expect(await argon2.verify(rec['password_hash'] ?? '', NEW_PW)).toBe(true);
    expect((await verify('alice', NEW_PW)).code).toBe(0);
    expect((await verify('alice', PW)).code).toBe(1);
    expect(await sessionIds()).toEqual(['b1']);
    expect((await verify('bob', PW)).code).toBe(0);

    const entry = (await auditEntries()).at(-1);
    expect(entry).toMatchObject({
      command: 'user passwd',
      target: 'user alice',
      count: 1,
      outcome: 'ok',
      sessionsRevoked: 2,
      before: { password_changed_at: before['password_changed_at'] },
      after: { password_changed_at: rec['password_changed_at'], must_change_password: '0' },
    });
    await expectNoSecretInTrail();
  });

  test('text output: messages on stderr, nothing on stdout', async () => {
    await addUser('alice');
    await seedSessions({ a1: 'alice' });
    const r = await cli(['user', 'passwd', 'alice', '--password-stdin', ...CHEAP], `${NEW_PW}\n`);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', 'Changed the password of alice.\nRevoked 1 session of alice.\n']);
  });

  test('--random: printed once on stdout, strong, verifies, and marked as one the user must change', async () => {
    await addUser('alice');
    await seedSessions({ a1: 'alice' });
    const r = await cli(['user', 'passwd', 'alice', '--random', ...CHEAP]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(2);
    const random = lines[0] as string;
    secrets.add(random);
    expect(random).toMatch(/^[A-HJ-NP-Za-km-np-z2-9]{4}(-[A-HJ-NP-Za-km-np-z2-9]{4}){5}$/);
    expect(r.stderr).toBe(
      'Changed the password of alice to the random one printed above (shown once); alice must change it at the next login.\nRevoked 1 session of alice.\n',
    );
    expect(r.stderr).not.toContain(random);
    expect(await redis.hGet('user:{alice}', 'must_change_password')).toBe('1');
    expect((await verify('alice', random)).code).toBe(0);

    const json = await cli(['user', 'passwd', 'alice', '--random', '--json', ...CHEAP]);
    const out = JSON.parse(json.stdout) as Record<string, unknown>;
    secrets.add(String(out['password']));
    expect(out).toMatchObject({ mustChange: true, password: expect.stringMatching(/^[A-Za-z2-9-]{29}$/) });
    expect(json.stdout.split('\n')).toHaveLength(2);
    expect((await verify('alice', String(out['password']))).code).toBe(0);
    expect(out['password']).not.toBe(random);
    // A password the operator chooses clears the mark.
    expect((await cli(['user', 'passwd', 'alice', '--password-stdin', ...CHEAP], `${NEW_PW}\n`)).code).toBe(0);
    expect(await redis.hGet('user:{alice}', 'must_change_password')).toBe('0');
    await expectNoSecretInTrail();
    // --random makes the password: one from stdin as well is a usage error.
    expect((await cli(['user', 'passwd', 'alice', '--random', '--password-stdin'], `${NEW_PW}\n`)).code).toBe(2);
  });

  test('--keep-sessions: the sessions stay, and sessions_valid_after is not moved', async () => {
    await addUser('alice');
    await seedSessions({ a1: 'alice' });
    const r = await cli(['user', 'passwd', 'alice', '--password-stdin', '--keep-sessions', '--json', ...CHEAP], `${NEW_PW}\n`);
    expect(JSON.parse(r.stdout)).toEqual({ user: 'alice', changed: true, mustChange: false, sessionsValidAfter: null, sessionsKept: true });
    expect(await sessionIds()).toEqual(['a1']);
    expect(await redis.hGet('user:{alice}', 'sessions_valid_after')).toBeNull();
    const text = await cli(['user', 'passwd', 'alice', '--password-stdin', '--keep-sessions', ...CHEAP], `${PW} again\n`);
    expect(text.stderr).toBe('Changed the password of alice.\nSessions of alice kept (--keep-sessions).\n');
  });

  test.each([
    ['14 characters', 'fourteen chars', /password is shorter than 15 characters/, []],
    ['7 characters with --min-length 8', 'Sh0rt!7', /password is shorter than 8 characters/, ['--min-length', '8']],
    ['a common password', 'passwordpassword', /password is on the list of common passwords/, []],
    ['a common password at --min-length 8, in capitals', 'PASSWORD1', /password is on the list of common passwords/, ['--min-length', '8']],
    ['the username in it', 'Alice in wonderland', /password contains the username/, []],
    ['a control character', 'violet harbor\u0007engines', /password contains a control character/, []],
  ])('%s: exit 2, the record and the sessions untouched, the password not echoed', async (_what, password, why, extra) => {
    await addUser('alice');
    await seedSessions({ a1: 'alice' });
    const before = await redis.hGetAll('user:{alice}');
    const r = await cli(['user', 'passwd', 'alice', '--password-stdin', ...CHEAP, ...extra], `${password}\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).not.toContain(password);
    expect(await redis.hGetAll('user:{alice}')).toEqual(before);
    expect(await sessionIds()).toEqual(['a1']);
  });

  test('--blocklist <file>: refused (exit 2) when listed; a missing file is exit 2 before anything is read', async () => {
    await addUser('alice');
    const dir = mkdtempSync(join(tmpdir(), 'blocklist-'));
    const file = join(dir, 'ours.txt');
    writeFileSync(file, 'acme corp spring 2026\n');
    const before = await redis.hGetAll('user:{alice}');
    const r = await cli(['user', 'passwd', 'alice', '--password-stdin', '--blocklist', file, ...CHEAP], 'ACME Corp Spring 2026\n');
    expect([r.code, r.stderr]).toEqual([2, `redis-accounts: password is on the blocklist ${file}\n`]);
    const missing = await cli(['user', 'passwd', 'alice', '--password-stdin', ...CHEAP], `${NEW_PW}\n`, {
      REDIS_ACCOUNTS_BLOCKLIST: join(dir, 'nope.txt'),
    });
    expect([missing.code, missing.stderr]).toEqual([2, `redis-accounts: cannot read --blocklist ${join(dir, 'nope.txt')}: ENOENT\n`]);
    expect(await redis.hGetAll('user:{alice}')).toEqual(before);
    // user add takes the same list.
    const add = await cli(['user', 'add', 'bob', '--password-stdin', '--blocklist', file, ...CHEAP], 'acme corp spring 2026\n');
    expect(add.code).toBe(2);
    expect(await redis.exists('user:{bob}')).toBe(0);
  });

  test('an unknown user is exit 1 before a password is read; no terminal without --password-stdin is exit 2', async () => {
    const r = await cli(['user', 'passwd', 'ghost', '--password-stdin', ...CHEAP], `${NEW_PW}\n`);
    expect([r.code, r.stderr]).toEqual([1, 'redis-accounts: no user ghost; nothing was written\n']);
    expect(await dataKeys(redis)).toEqual([]);
    await addUser('alice');
    const before = await redis.hGetAll('user:{alice}');
    const noTty = await cli(['user', 'passwd', 'alice', ...CHEAP], `${NEW_PW}\n`);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/reading a password needs a terminal/);
    expect(await redis.hGetAll('user:{alice}')).toEqual(before);
  });
});

describe('a revocation that fails after the account changed', () => {
  test('passwd --random --json: the change stays, the password is still printed, the error says how to finish, the audit entry says failed with before and after', async () => {
    await addUser('alice');
    await seedSessions({ a1: 'alice' });
    // An ACL user that may write user records and the trail, but not read sessions: the
    // password change succeeds and the revocation after it is refused.
    await redis.sendCommand(['ACL', 'SETUSER', 'nosess', 'on', '>nosess-pw', 'resetkeys', '~user:{*', `~${AUDIT_KEY}`, '+@all']);
    const r = await cli(['user', 'passwd', 'alice', '--random', '--json', ...CHEAP], undefined, {
      REDIS_USERNAME: 'nosess',
      REDIS_PASSWORD: 'nosess-pw',
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /permission denied by Redis ACL.* \(the password of alice was changed, but revoking the sessions of alice failed after 0 sessions: run session revoke --user alice with the same session options to finish\)/,
    );
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toEqual({ user: 'alice', changed: true, mustChange: true, password: expect.any(String) });
    secrets.add(String(out['password']));
    expect((await verify('alice', String(out['password']))).code).toBe(0);
    expect(await sessionIds()).toEqual(['a1']);
    expect((await auditEntries()).at(-1)).toMatchObject({
      command: 'user passwd',
      outcome: 'failed',
      count: 1,
      sessionsRevoked: 0,
      before: { status: 'active' },
      after: { must_change_password: '1' },
    });
    await expectNoSecretInTrail();
  });
});

/** The CLI processes of a race, stdin open until the test feeds them. */
function startWaiting(args: string[]): BackgroundCli {
  return startCli(args, { env, keepStdinOpen: true, timeoutMs: 20000 });
}

/** How many clients of the test server ran `command` last. */
async function clientsLastRan(command: string): Promise<number> {
  const list = String(await redis.sendCommand(['CLIENT', 'LIST']));
  return list.split('\n').filter((l) => new RegExp(`\\bcmd=${command}\\b`).test(l)).length;
}

describe('races: one wins, nothing is half-written', () => {
  test('passwd against passwd: both read the same hash; exactly one writes (exit 0), the other exits 4; the winner revoked the sessions', async () => {
    await addUser('alice');
    await seedSessions({ a1: 'alice', a2: 'alice', b1: 'bob' });
    const passwords = ['first racing passphrase', 'second racing passphrase'];
    passwords.forEach((p) => secrets.add(p));
    const runs = passwords.map(() => startWaiting(['user', 'passwd', 'alice', '--password-stdin', '--json', ...CHEAP]));
    // Both have read the record (their last command is HGETALL) and wait for their password:
    // from here only the compare-and-set can tell them apart.
    await waitFor('both passwd runs to read the record', async () => (await clientsLastRan('hgetall')) === 2);
    runs.forEach((r, i) => r.child.stdin.end(`${passwords[i]}\n`));
    const results = await Promise.all(runs.map((r) => r.done));
    const codes = results.map((r) => r.code);
    expect([...codes].sort()).toEqual([0, 4]);
    const winner = codes.indexOf(0);
    const loser = 1 - winner;
    expect(results[loser]?.stderr).toMatch(/the password of alice was changed by someone else meanwhile; nothing was written/);
    expect(results[loser]?.stdout).toBe('');
    const stored = (await redis.hGet('user:{alice}', 'password_hash')) ?? '';
    expect(await argon2.verify(stored, passwords[winner] ?? '')).toBe(true);
    expect(await argon2.verify(stored, passwords[loser] ?? '')).toBe(false);
    expect(JSON.parse(results[winner]?.stdout ?? '')).toMatchObject({ sessionsRevoked: 2 });
    expect(await sessionIds()).toEqual(['b1']);
    const entries = (await auditEntries()).filter((e) => e['command'] === 'user passwd');
    expect(entries.map((e) => e['outcome']).sort()).toEqual(['failed', 'ok']);
    const failed = entries.find((e) => e['outcome'] === 'failed');
    expect(failed).toMatchObject({ count: 0, sessionsRevoked: 0 });
    expect(failed?.['before']).toBeUndefined();
  });

  test('delete against passwd: passwd has read the record, delete removes it; passwd then exits 4 and does not re-create it', async () => {
    await addUser('alice');
    await seedSessions({ a1: 'alice', b1: 'bob' });
    const passwd = startWaiting(['user', 'passwd', 'alice', '--password-stdin', ...CHEAP]);
    await waitFor('passwd to read the record', async () => (await clientsLastRan('hgetall')) === 1);
    const del = await cli(['user', 'delete', 'alice', '--yes', '--json']);
    expect(del.code).toBe(0);
    expect(JSON.parse(del.stdout)).toMatchObject({ deleted: true, sessionsRevoked: 1 });
    passwd.child.stdin.end(`${NEW_PW}\n`);
    const r = await passwd.done;
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/user alice was deleted while its password was being changed; nothing was written/);
    // Not a half-record holding only what passwd writes.
    expect(await dataKeys(redis)).toEqual(['sess:b1']);
  });

  test('delete and passwd started together, repeatedly: whatever the order, no record is left and no session of the user', async () => {
    for (let round = 0; round < 6; round += 1) {
      await addUser('alice');
      await seedSessions({ [`a${round}`]: 'alice', [`b${round}`]: 'bob' });
      const [del, pw] = await Promise.all([
        cli(['user', 'delete', 'alice', '--yes']),
        cli(['user', 'passwd', 'alice', '--password-stdin', ...CHEAP], `${NEW_PW}\n`),
      ]);
      expect(del.code).toBe(0);
      // passwd ran first (0), lost the compare-and-set (4), or found no user (1).
      expect([0, 1, 4]).toContain(pw.code);
      expect(await redis.exists('user:{alice}')).toBe(0);
      expect((await sessionIds()).filter((id) => id.startsWith('a'))).toEqual([]);
    }
  });
});
