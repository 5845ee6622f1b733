/**
 * `user verify` and `user rehash` against a real throwaway redis-server, through the built CLI.
 *
 * Outdated hashes are seeded with the node `argon2` package (which writes parameters in
 * m,p,t order, as applications using it do), so the tool is tested on data it did not write.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import argon2 from 'argon2';
import type { RedisClientType } from 'redis';
import { replaceHash } from '../../src/core/users/store.js';
import { BIN, ndjson, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { AUDIT_KEY, dataKeys, useTestRedis } from '../helpers/fixture.js';
import { waitFor } from '../helpers/wait.js';

/** Cheap policy for tests where the cost is not the point. */
const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
const CANONICAL_DEFAULT = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;
const PW = 'the right password';
const WRONG = 'the wrong password';

let redis: RedisClientType;
let env: Record<string, string>;
const outputs: CliResult[] = [];
const secrets = new Set<string>([PW, WRONG]);

async function cli(args: string[], password?: string): Promise<CliResult> {
  if (password !== undefined) secrets.add(password);
  const r = await runCli(args, { env, ...(password === undefined ? {} : { input: `${password}\n` }) });
  outputs.push(r);
  return r;
}

const verify = (name: string, password: string, extra: string[] = []) =>
  cli(['user', 'verify', name, '--password-stdin', ...extra], password);
const rehash = (name: string, password: string, extra: string[] = []) =>
  cli(['user', 'rehash', name, '--password-stdin', ...extra], password);

async function seed(name: string, passwordHash: string, prefix = 'user:'): Promise<string> {
  const key = `${prefix}{${name}}`;
  await redis.hSet(key, { password_hash: passwordHash, created_at: '2020-01-01T00:00:00.000Z', updated_at: '2020-01-01T00:00:00.000Z' });
  return key;
}

/** What applications using node `argon2` store: m,p,t order, whatever cost they chose. */
async function nodeArgon2(
  password: string,
  opts: { type?: 0 | 1 | 2; memoryCost: number; timeCost?: number; parallelism?: number },
): Promise<string> {
  return argon2.hash(password, {
    type: opts.type ?? argon2.argon2id,
    memoryCost: opts.memoryCost,
    timeCost: opts.timeCost ?? 2,
    parallelism: opts.parallelism ?? 1,
  });
}

/** The audit trail's entries, oldest first. */
async function auditEntries(): Promise<Array<Record<string, string>>> {
  return ((await redis.xRange(AUDIT_KEY, '-', '+')) ?? []).map((e) => e?.message as Record<string, string>);
}

/** Bytes a terminal acts on: ESC, BEL, the other C0 controls but tab and newline, DEL, C1 (CSI U+009B...). */

const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function json(r: CliResult): Record<string, unknown> {
  const lines = ndjson(r.stdout);
  expect(lines).toHaveLength(1);
  return lines[0] ?? {};
}

useTestRedis((t) => {
  env = t.env;
  redis = t.redis;
});

describe('user verify', () => {
  test('exit 0 on the right password, 1 on a wrong one, 1 for an unknown user', async () => {
    expect((await cli(['user', 'add', 'alice', '--password-stdin', ...CHEAP], PW)).code).toBe(0);
    const ok = await verify('alice', PW, CHEAP);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('Password matches for alice.');
    const bad = await verify('alice', WRONG, CHEAP);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Password does not match, or there is no user alice.');
    const unknown = await verify('nobody', PW, CHEAP);
    expect(unknown.code).toBe(1);
    // Same message as a wrong password: output does not reveal which names exist.
    expect(unknown.stderr).toContain('Password does not match, or there is no user nobody.');
    expect(await dataKeys(redis)).toEqual(['user:{alice}']);
  });

  test('--json: exactly {user,match,outdated,reasons,rehashed}, nothing on stderr', async () => {
    expect((await cli(['user', 'add', 'alice', '--password-stdin', ...CHEAP], PW)).code).toBe(0);
    const ok = await verify('alice', PW, [...CHEAP, '--json']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe('');
    expect(json(ok)).toStrictEqual({ user: 'alice', match: true, outdated: false, reasons: [], rehashed: false });
    const bad = await verify('alice', WRONG, [...CHEAP, '--json']);
    expect(bad.code).toBe(1);
    expect(json(bad)).toStrictEqual({ user: 'alice', match: false, outdated: false, reasons: [], rehashed: false });
    const unknown = await verify('nobody', PW, [...CHEAP, '--json']);
    expect(unknown.code).toBe(1);
    expect(json(unknown)).toStrictEqual({ user: 'nobody', match: false, outdated: false, reasons: [], rehashed: false });
  });

  test('a node-argon2 hash at m=4096 (m,p,t order) matches and is reported outdated against the default policy', async () => {
    const stored = await nodeArgon2(PW, { memoryCost: 4096 });
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=4096,p=1,t=2\$/);
    await seed('old', stored);
    const r = await verify('old', PW, ['--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toStrictEqual({ user: 'old', match: true, outdated: true, reasons: ['m=4096 (policy 19456)'], rehashed: false });
    const text = await verify('old', PW);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain('Hash is outdated: m=4096 (policy 19456). Run with --rehash to upgrade it.');
    expect(await redis.hGet('user:{old}', 'password_hash')).toBe(stored);
  });

  test('an argon2i hash is reported outdated by algorithm', async () => {
    await seed('legacy', await nodeArgon2(PW, { type: argon2.argon2i, memoryCost: 19456 }));
    const r = await verify('legacy', PW, ['--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ match: true, outdated: true, reasons: ['algorithm argon2i (policy argon2id)'], rehashed: false });
  });

  test('a wrong password against an outdated hash reports no details and rehashes nothing', async () => {
    const stored = await nodeArgon2(PW, { memoryCost: 4096 });
    await seed('old', stored);
    const r = await verify('old', WRONG, ['--json', '--rehash']);
    expect(r.code).toBe(1);
    expect(json(r)).toStrictEqual({ user: 'old', match: false, outdated: false, reasons: [], rehashed: false });
    expect(await redis.hGet('user:{old}', 'password_hash')).toBe(stored);
  });

  test('--rehash upgrades an outdated hash to a canonical default-policy hash that still verifies', async () => {
    const stored = await nodeArgon2(PW, { type: argon2.argon2i, memoryCost: 4096, timeCost: 3, parallelism: 1 });
    const key = await seed('old', stored);
    const r = await verify('old', PW, ['--json', '--rehash']);
    expect(r.code).toBe(0);
    expect(json(r)).toStrictEqual({
      user: 'old',
      match: true,
      outdated: true,
      reasons: ['algorithm argon2i (policy argon2id)', 'm=4096 (policy 19456)'],
      rehashed: true,
    });
    const rec = await redis.hGetAll(key);
    expect(rec['password_hash']).toMatch(CANONICAL_DEFAULT);
    expect(rec['created_at']).toBe('2020-01-01T00:00:00.000Z');
    expect(rec['updated_at']).not.toBe('2020-01-01T00:00:00.000Z');
    expect(await argon2.verify(rec['password_hash'] ?? '', PW)).toBe(true);
    const again = await verify('old', PW, ['--json']);
    expect(again.code).toBe(0);
    expect(json(again)).toStrictEqual({ user: 'old', match: true, outdated: false, reasons: [], rehashed: false });
  });

  test('a STRONGER hash (m=32768) is not outdated, and --rehash leaves it alone', async () => {
    const stored = await nodeArgon2(PW, { memoryCost: 32768, timeCost: 3 });
    await seed('strong', stored);
    const r = await verify('strong', PW, ['--json', '--rehash']);
    expect(r.code).toBe(0);
    expect(json(r)).toStrictEqual({ user: 'strong', match: true, outdated: false, reasons: [], rehashed: false });
    expect(await redis.hGet('user:{strong}', 'password_hash')).toBe(stored);
  });

  test.each([
    // bcrypt and scrypt are read since issue 17 (hash-families.int.test.ts); cut short they are not.
    ['bcrypt cut short', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lh', /not a bcrypt string/],
    [
      'PHC of an algorithm not read',
      '$md5$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
      /algorithm "md5" is not one this tool reads/,
    ],
    ['plaintext', 'correct horse battery staple', /not a password hash this tool reads/],
    ['truncated PHC (no hash part)', '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA', /unusable/],
    ['truncated PHC (cut inside the parameters)', '$argon2id$v=19$m=19456,t=', /unusable/],
    ['empty', '', /unusable/],
  ])('a stored %s password_hash exits 5', async (_label, stored, why) => {
    await seed('broken', stored);
    const r = await verify('broken', PW, ['--json']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/stored password hash is unusable/);
    expect(r.stderr).toMatch(why);
    expect(await redis.hGet('user:{broken}', 'password_hash')).toBe(stored);
  });

  // Issue 13 item 5: parse errors quote part of the stored hash; a hash holding escape
  // sequences once retitled (OSC 0) and cleared (CSI 2J) the operator's terminal.
  test.each([
    [
      'the algorithm',
      '$\u001b]0;pwned\u0007\u001b[2J$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    ],
    [
      'a parameter',
      '$argon2id$v=19$\u001b]0;pwned\u0007\u001b[2J,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    ],
    [
      'a parameter, with C1 CSI and bidi controls',
      '$argon2id$v=19$\u009b2J\u202e\u2066x,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    ],
  ])('escape sequences in %s of a stored hash never reach the terminal: exit 5, controls replaced', async (_label, stored) => {
    await seed('evil', stored);
    const r = await verify('evil', PW);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^redis-accounts: stored password hash is unusable: .*\ufffd.*\n$/);
    expect(r.stderr).not.toMatch(TERMINAL_CONTROL);
    expect(r.stderr).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    // The same through rehash --check, as a table row and as JSON (where the text is escaped
    // but round-trips to the same value).
    const check = await cli(['user', 'rehash', '--check', ...CHEAP]);
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).not.toMatch(TERMINAL_CONTROL);
    const asJson = await cli(['user', 'rehash', '--check', '--json', ...CHEAP]);
    expect(asJson.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(asJson.stdout).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    const [row] = ndjson(asJson.stdout);
    expect(String((row?.['reasons'] as string[])[0])).toContain(stored.includes('\u009b') ? '\u009b2J\u202e\u2066x' : '\u001b]0;pwned');
  });

  test('a record without password_hash exits 5', async () => {
    await redis.hSet('user:{nohash}', { created_at: '2020-01-01T00:00:00.000Z' });
    const r = await verify('nohash', PW);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('has no password_hash field');
  });

  test('a hostile hash asking for m=4194304 (4 GiB) exits 5 quickly, without hashing', async () => {
    // Well-formed, only the memory cost is absurd.
    const stored = (await nodeArgon2(PW, { memoryCost: 1024 })).replace('m=1024', 'm=4194304');
    await seed('hostile', stored);
    const started = Date.now();
    const r = await verify('hostile', PW);
    const elapsed = Date.now() - started;
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('m=4194304 > 262144');
    // A 4 GiB argon2 pass would take many seconds (or fail to allocate); this is start-up only.
    expect(elapsed).toBeLessThan(5000);
  });

  test('a user key holding a string (wrong type) exits 5', async () => {
    await redis.set('user:{str}', '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g');
    const r = await verify('str', PW);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/wrong kind of value/);
    expect(await redis.type('user:{str}')).toBe('string');
  });
});

describe('a hashing policy above the caps', () => {
  // The decoy hash of an unknown user is computed at the policy: above the caps it was refused
  // with exit 5 while a known user's wrong password got exit 1, telling which names exist.
  test('is refused with exit 2 by verify and rehash, before any lookup', async () => {
    await seed('bob', await nodeArgon2('right password', { memoryCost: 1024 }));
    for (const name of ['bob', 'ghost']) {
      for (const command of ['verify', 'rehash']) {
        const r = await cli(['user', command, name, '--password-stdin', '--argon2-memory', '300000'], 'wrong password');
        expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/--argon2-memory 300000 is above --argon2-max-memory 262144/)]);
      }
    }
  });
});

describe('user rehash <name>', () => {
  test('an outdated hash is rehashed at the policy, exit 0, and the new hash verifies', async () => {
    const stored = await nodeArgon2(PW, { memoryCost: 4096 });
    const key = await seed('bob', stored);
    const r = await rehash('bob', PW, ['--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toStrictEqual({ user: 'bob', rehashed: true, reasons: ['m=4096 (policy 19456)'] });
    const rec = await redis.hGetAll(key);
    expect(rec['password_hash']).toMatch(CANONICAL_DEFAULT);
    expect(rec['created_at']).toBe('2020-01-01T00:00:00.000Z');
    expect(Date.parse(rec['updated_at'] ?? '')).toBeGreaterThan(Date.parse('2020-01-02T00:00:00.000Z'));
    const v = await verify('bob', PW, ['--json']);
    expect(v.code).toBe(0);
    expect(json(v)).toMatchObject({ match: true, outdated: false });
  });

  test('a wrong password exits 1 and changes nothing', async () => {
    const stored = await nodeArgon2(PW, { memoryCost: 4096 });
    const key = await seed('bob', stored);
    const before = await redis.hGetAll(key);
    const r = await rehash('bob', WRONG);
    expect(r.code).toBe(1);
    // The wording changed with issue 13 item 27 (the same answer as for an unknown user).
    expect(r.stderr).toContain('password does not match, or there is no user bob; nothing was written');
    expect(await redis.hGetAll(key)).toEqual(before);
  });

  test('an unknown user exits 1 and creates nothing', async () => {
    const r = await rehash('ghost', PW);
    expect(r.code).toBe(1);
    expect(await dataKeys(redis)).toHaveLength(0);
  });

  // Issue 13 item 27: `verify` does not reveal which names exist, so neither may rehash.
  test('an unknown user gets exactly the answer of a wrong password (text, --json, exit code, audit)', async () => {
    await seed('bob', await nodeArgon2(PW, { memoryCost: 4096 }));
    const wrong = await rehash('bob', WRONG, CHEAP);
    const unknown = await rehash('ghost', WRONG, CHEAP);
    expect(unknown.code).toBe(wrong.code);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe(wrong.stdout);
    expect(unknown.stderr.replace(/ghost/g, 'NAME')).toBe(wrong.stderr.replace(/bob/g, 'NAME'));
    expect(unknown.stderr).toBe('redis-accounts: password does not match, or there is no user ghost; nothing was written\n');
    const wrongJson = await rehash('bob', WRONG, [...CHEAP, '--json']);
    const unknownJson = await rehash('ghost', WRONG, [...CHEAP, '--json']);
    expect([unknownJson.code, unknownJson.stdout]).toEqual([wrongJson.code, wrongJson.stdout]);
    const [a, b] = (await auditEntries()).slice(0, 2);
    expect({ ...b, time: '', clientTime: '', target: '' }).toEqual({
      ...a,
      time: '',
      clientTime: '',
      target: '',
      error: a?.['error']?.replace('bob', 'ghost'),
    });
    expect(b?.['outcome']).toBe('failed');
  });

  /**
   * Peak memory (KiB) of one CLI run: a preloaded hook writes VmHWM from /proc/self/status to
   * fd 3 at exit. An argon2 hash at m KiB needs m KiB, so this shows a hash was computed
   * without relying on timing. (Not process.resourceUsage().maxRSS: Linux carries the
   * spawning jest worker's resident size over exec into it, 141 MB for the cheap run once.)
   */
  async function peakKiB(args: string[], input: string): Promise<{ code: number | null; kib: number }> {
    const hook = join(mkdtempSync(join(tmpdir(), 'ra-rss-')), 'maxrss.cjs');
    writeFileSync(
      hook,
      "process.on('exit', () => { const fs = require('fs'); fs.writeSync(3, /VmHWM:\\s*(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); });\n",
    );
    const child = spawn(process.execPath, ['--require', hook, BIN, ...args], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', ...env },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    let rss = '';
    child.stdio[3]?.on('data', (d: Buffer) => (rss += d.toString()));
    child.stdout?.resume();
    child.stderr?.resume();
    child.stdin?.end(input);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    return { code, kib: Number(rss) };
  }

  test('an unknown user still costs one hash at the policy, like verify (peak memory shows it)', async () => {
    const cheap = await peakKiB(
      ['user', 'rehash', 'ghost', '--password-stdin', '--argon2-memory', '1024', '--argon2-time', '1'],
      `${WRONG}\n`,
    );
    const costly = await peakKiB(
      ['user', 'rehash', 'ghost', '--password-stdin', '--argon2-memory', '131072', '--argon2-time', '1'],
      `${WRONG}\n`,
    );
    expect([cheap.code, costly.code]).toEqual([1, 1]);
    expect(cheap.kib).toBeGreaterThan(0);
    // The decoy at m=131072 KiB (128 MiB) was really computed: ~128 MiB more at the peak.
    expect({ cheap: cheap.kib, costly: costly.kib, more: costly.kib - cheap.kib > 100 * 1024 }).toEqual({
      cheap: cheap.kib,
      costly: costly.kib,
      more: true,
    });
  });

  // Issue 13 item 3: the password was not checked when the hash already met the policy.
  test('a hash that meets the policy: a wrong password still exits 1, writes nothing, and is audited as failed', async () => {
    expect((await cli(['user', 'add', 'carl', '--password-stdin', ...CHEAP], PW)).code).toBe(0);
    const before = await redis.hGetAll('user:{carl}');
    const r = await rehash('carl', WRONG, CHEAP);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('redis-accounts: password does not match, or there is no user carl; nothing was written\n');
    expect(r.stderr).not.toMatch(/nothing to do/);
    const asJson = await rehash('carl', WRONG, [...CHEAP, '--json']);
    expect(asJson.code).toBe(1);
    expect(asJson.stdout).toBe('');
    expect(await redis.hGetAll('user:{carl}')).toEqual(before);
    const entries = (await auditEntries()).filter((e) => e['command'] === 'user rehash');
    expect(entries.map((e) => [e['outcome'], e['count']])).toEqual([
      ['failed', '0'],
      ['failed', '0'],
    ]);
    // The right password: only now "nothing to do", exit 0, audited ok.
    const ok = await rehash('carl', PW, CHEAP);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe('Password checked; the hash of carl meets the policy, nothing to do (--force rehashes anyway).\n');
    expect((await auditEntries()).at(-1)).toMatchObject({ command: 'user rehash', target: 'user carl', outcome: 'ok', count: '0' });
  });

  test('a hash that meets the policy is left alone without --force (exit 0)', async () => {
    expect((await cli(['user', 'add', 'carl', '--password-stdin', ...CHEAP], PW)).code).toBe(0);
    const before = await redis.hGetAll('user:{carl}');
    const r = await rehash('carl', PW, [...CHEAP, '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toStrictEqual({ user: 'carl', rehashed: false, reasons: [] });
    expect(await redis.hGetAll('user:{carl}')).toEqual(before);
  });

  test('--force rehashes a current hash: a new salt and digest, still verifying', async () => {
    expect((await cli(['user', 'add', 'carl', '--password-stdin', ...CHEAP], PW)).code).toBe(0);
    const before = (await redis.hGet('user:{carl}', 'password_hash')) ?? '';
    const r = await rehash('carl', PW, [...CHEAP, '--force', '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toStrictEqual({ user: 'carl', rehashed: true, reasons: [] });
    const after = (await redis.hGet('user:{carl}', 'password_hash')) ?? '';
    expect(after).not.toBe(before);
    expect(after).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect((await verify('carl', PW, CHEAP)).code).toBe(0);
  });

  test('--force with a wrong password exits 1 and changes nothing', async () => {
    expect((await cli(['user', 'add', 'carl', '--password-stdin', ...CHEAP], PW)).code).toBe(0);
    const before = await redis.hGetAll('user:{carl}');
    const r = await rehash('carl', WRONG, [...CHEAP, '--force']);
    expect(r.code).toBe(1);
    expect(await redis.hGetAll('user:{carl}')).toEqual(before);
  });

  test('an unusable stored hash exits 5 and is left as it was', async () => {
    const key = await seed('broken', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lh');
    const r = await rehash('broken', PW);
    expect(r.code).toBe(5);
    expect(await redis.hGet(key, 'password_hash')).toBe('$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lh');
  });

  test('a user key of the wrong type exits 5', async () => {
    await redis.set('user:{str}', 'x');
    expect((await rehash('str', PW)).code).toBe(5);
    expect(await redis.get('user:{str}')).toBe('x');
  });
});

describe('compare-and-set: a concurrent change is never overwritten', () => {
  test('core replaceHash with a stale expected hash answers "changed" and the newer hash survives', async () => {
    const key = 'user:{cas}';
    const h1 = await nodeArgon2('first password', { memoryCost: 1024 });
    const h2 = await nodeArgon2('second password', { memoryCost: 1024 });
    const h3 = await nodeArgon2('first password', { memoryCost: 2048 });
    await seed('cas', h1);
    // Someone (a password change) writes h2 after we read h1.
    await redis.hSet(key, 'password_hash', h2);
    expect(await replaceHash(redis, key, h1, h3, new Date())).toEqual({ result: 'changed' });
    expect(await redis.hGet(key, 'password_hash')).toBe(h2);
    // The guard is not simply "never write": with the current value as expected it replaces,
    // and it updates updated_at too.
    const now = new Date('2030-05-05T05:05:05.005Z');
    expect(await replaceHash(redis, key, h2, h3, now)).toMatchObject({ result: 'replaced' });
    expect(await redis.hGetAll(key)).toEqual({ password_hash: h3, created_at: '2020-01-01T00:00:00.000Z', updated_at: now.toISOString() });
    // A deleted user is reported as gone, and not re-created.
    await redis.del(key);
    expect(await replaceHash(redis, key, h3, h1, new Date())).toEqual({ result: 'gone' });
    expect(await redis.exists(key)).toBe(0);
  });

  test('real race through the CLI: the hash changes between rehash reading it and writing -> exit 4, newer hash survives', async () => {
    const old = await nodeArgon2(PW, { memoryCost: 4096 });
    const key = await seed('race', old);
    const run = startCli(['user', 'rehash', 'race', '--password-stdin'], { env, keepStdinOpen: true });
    // rehash reads the record (HGETALL), then waits for the password on stdin. Wait until its
    // connection's last command is HGETALL: it now holds the old hash in memory.
    await waitFor('rehash to read the record', async () => /\bcmd=hgetall\b/.test(String(await redis.sendCommand(['CLIENT', 'LIST']))));
    // Meanwhile the user changes their password.
    const newer = await nodeArgon2('a brand new password', { memoryCost: 19456 });
    await redis.hSet(key, { password_hash: newer, updated_at: '2021-01-01T00:00:00.000Z' });
    // Now the operator types the (old, still matching the in-memory hash) password.
    run.child.stdin.end(`${PW}\n`);
    const result = await run.done;
    outputs.push(result);
    const { code, stderr } = result;
    expect(code).toBe(4);
    expect(stderr).toContain('the hash of race changed while rehashing; nothing was written');
    expect(await redis.hGetAll(key)).toEqual({
      password_hash: newer,
      created_at: '2020-01-01T00:00:00.000Z',
      updated_at: '2021-01-01T00:00:00.000Z',
    });
  });
});

describe('user rehash --check', () => {
  // A policy cheap to meet, so "current" users are fast to create through the CLI.
  const POLICY = ['--argon2-memory', '8192', '--argon2-time', '1'];

  async function addCurrent(name: string, prefix = 'user:'): Promise<void> {
    const r = await cli(['user', 'add', name, '--password-stdin', ...POLICY, '--user-prefix', prefix], PW);
    expect(r.code).toBe(0);
  }

  test('no outdated hashes: exit 0, no rows', async () => {
    await addCurrent('a1');
    await addCurrent('a2');
    // A stronger one is not flagged either.
    await seed('strong', await nodeArgon2(PW, { memoryCost: 16384, timeCost: 2 }));
    const r = await cli(['user', 'rehash', '--check', ...POLICY]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('user\twhy\n');
    expect(r.stderr).toContain('3 users checked, 0 with outdated or unusable hashes.');
    const j = await cli(['user', 'rehash', '--check', '--json', ...POLICY]);
    expect(j.code).toBe(0);
    expect(j.stdout).toBe('');
  });

  test('outdated and unusable hashes: exit 1, the table names them, --json gives one {user,reasons} per flagged user', async () => {
    await addCurrent('fine1');
    await addCurrent('fine2');
    await seed('weak', await nodeArgon2(PW, { memoryCost: 4096, timeCost: 1 }));
    await seed('legacy', await nodeArgon2(PW, { type: argon2.argon2i, memoryCost: 8192, timeCost: 1 }));
    await seed('bcrypt', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy');
    await seed('garbage', 'not a hash');
    await redis.hSet('user:{nohash}', { created_at: '2020-01-01T00:00:00.000Z' });
    // Not user records: another type under the prefix, a key without braces.
    await redis.set('user:{stringkey}', 'x');
    await redis.hSet('user:plain', { password_hash: 'garbage' });

    const r = await cli(['user', 'rehash', '--check', ...POLICY]);
    expect(r.code).toBe(1);
    const rows = r.stdout.split('\n').filter(Boolean);
    expect(rows[0]).toBe('user\twhy');
    const byUser = new Map(rows.slice(1).map((l) => [l.split('\t')[0], l.split('\t')[1]]));
    expect([...byUser.keys()].sort()).toEqual(['bcrypt', 'garbage', 'legacy', 'nohash', 'weak']);
    expect(byUser.get('weak')).toBe('m=4096 (policy 8192)');
    expect(byUser.get('legacy')).toBe('algorithm argon2i (policy argon2id)');
    // Foreign families are outdated, not unusable, since issue 17.
    expect(byUser.get('bcrypt')).toBe('algorithm bcrypt (policy argon2id); reads only the first 72 bytes of a password');
    expect(byUser.get('garbage')).toMatch(/unusable/);
    expect(byUser.get('nohash')).toBe('no password hash');
    expect(r.stderr).toContain('7 users checked, 5 with outdated or unusable hashes (1 unusable).');

    const j = await cli(['user', 'rehash', '--check', '--json', ...POLICY]);
    expect(j.code).toBe(1);
    const objs = ndjson(j.stdout);
    expect(objs).toHaveLength(5);
    for (const o of objs) {
      expect(Object.keys(o).sort()).toEqual(['reasons', 'user']);
      expect(Array.isArray(o['reasons'])).toBe(true);
      expect((o['reasons'] as unknown[]).length).toBeGreaterThan(0);
    }
    const byName = Object.fromEntries(objs.map((o) => [o['user'] as string, o['reasons']]));
    expect(Object.keys(byName).sort()).toEqual(['bcrypt', 'garbage', 'legacy', 'nohash', 'weak']);
    expect(byName['weak']).toEqual(['m=4096 (policy 8192)']);
    expect(byName['legacy']).toEqual(['algorithm argon2i (policy argon2id)']);
    expect(byName['nohash']).toEqual(['no password hash']);
  });

  test('--check against the default policy flags the m=4096 hash exactly as the README shows', async () => {
    await seed('carol', await nodeArgon2(PW, { type: argon2.argon2i, memoryCost: 4096, timeCost: 3 }));
    const j = await cli(['user', 'rehash', '--check', '--json']);
    expect(j.code).toBe(1);
    expect(ndjson(j.stdout)).toEqual([{ user: 'carol', reasons: ['algorithm argon2i (policy argon2id)', 'm=4096 (policy 19456)'] }]);
  });

  test("--user-prefix 'app*:' is a literal prefix, not a glob: appX:{bob} is not read", async () => {
    const weak = await nodeArgon2(PW, { memoryCost: 4096, timeCost: 1 });
    await seed('alice', weak, 'app*:'); // under the literal prefix: flagged
    await addCurrent('carol', 'app*:'); // under the literal prefix, current: not flagged
    await seed('bob', weak, 'appX:'); // would match the glob app*: — must not be reported
    await seed('dan', weak, 'app:'); // likewise (* matches the empty string)
    await seed('eve', weak, 'app*:x:'); // longer prefix: "x:{eve}" is not a {name}
    await seed('fred', weak); // default prefix
    // Record every command the server runs (slowlog with a 0 µs threshold), to see which keys
    // the scan reads, not only what it reports.
    await redis.configSet('slowlog-log-slower-than', '0');
    await redis.sendCommand(['SLOWLOG', 'RESET']);
    const r = await cli(['user', 'rehash', '--check', '--json', ...POLICY, '--user-prefix', 'app*:']);
    const log = (await redis.sendCommand(['SLOWLOG', 'GET', '10000'])) as unknown as Array<[number, number, number, string[]]>;
    await redis.configSet('slowlog-log-slower-than', '10000');
    expect(r.code).toBe(1);
    expect(ndjson(r.stdout)).toEqual([{ user: 'alice', reasons: ['m=4096 (policy 8192)'] }]);
    expect(r.stderr).toContain('2 users checked, 1 with outdated or unusable hashes.');
    const commands = log.map((e) => e[3].map(String)).filter((args) => !/^(slowlog|config)$/i.test(args[0] ?? ''));
    const scans = commands.filter((args) => /^scan$/i.test(args[0] ?? ''));
    expect(scans.length).toBeGreaterThan(0);
    for (const args of scans) {
      const match = args[args.findIndex((a) => /^match$/i.test(a)) + 1];
      expect(match).toBe('app\\*:{*}'); // the * of the prefix is escaped: a literal asterisk
    }
    const keysRead = commands.filter((args) => /^(hget|hgetall|hmget|get|type|exists)$/i.test(args[0] ?? '')).map((args) => args[1]);
    expect(keysRead.sort()).toEqual(['app*:{alice}', 'app*:{carol}']);
    expect(commands.flat().some((a) => a.includes('appX:') || a.startsWith('app:') || a.startsWith('user:'))).toBe(false);
    // And the same through the environment variable.
    const viaEnv = await runCli(['user', 'rehash', '--check', '--json', ...POLICY], {
      env: { ...env, REDIS_ACCOUNTS_USER_PREFIX: 'app*:' },
    });
    outputs.push(viaEnv);
    expect(viaEnv.code).toBe(1);
    expect(ndjson(viaEnv.stdout)).toEqual([{ user: 'alice', reasons: ['m=4096 (policy 8192)'] }]);
  });

  // Issue 13 item 27: like `session list`, the check says how many keys it passed over.
  test('keys that look like user records but are not are counted as skipped', async () => {
    await addCurrent('fine');
    await seed('weak', await nodeArgon2(PW, { memoryCost: 4096, timeCost: 1 }));
    await redis.set('user:{stringkey}', 'x'); // another type
    await redis.rPush('user:{listkey}', 'x'); // another type
    await redis.hSet('user:{a}:{b}', { password_hash: 'x' }); // matches user:{*}, but not a {name}
    await redis.hSet('user:{}', { password_hash: 'x' }); // empty name
    await redis.hSet('user:plain', { password_hash: 'x' }); // not under user:{*}: not looked at
    const r = await cli(['user', 'rehash', '--check', ...POLICY]);
    expect(r.code).toBe(1);
    expect(
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]),
    ).toEqual(['user', 'weak']);
    expect(r.stderr).toBe('2 users checked, 1 with outdated or unusable hashes. 4 keys skipped (not a user record).\n');
    const j = await cli(['user', 'rehash', '--check', '--json', ...POLICY]);
    expect(ndjson(j.stdout)).toEqual([{ user: 'weak', reasons: ['m=4096 (policy 8192)'] }]);
    expect(j.stderr).toBe('2 users checked, 1 with outdated or unusable hashes. 4 keys skipped (not a user record).\n');
    // Nothing skipped: nothing said about it.
    await redis.del(['user:{stringkey}', 'user:{listkey}', 'user:{a}:{b}', 'user:{}']);
    expect((await cli(['user', 'rehash', '--check', ...POLICY])).stderr).toBe('2 users checked, 1 with outdated or unusable hashes.\n');
  });

  test('a name with --check is a usage error (exit 2)', async () => {
    const r = await cli(['user', 'rehash', 'alice', '--check']);
    expect(r.code).toBe(2);
  });
});

describe('secrecy', () => {
  // Declared last, so it runs after every other test of this file (jest keeps file order).
  test('no password typed in this file ever appeared on stdout or stderr', () => {
    expect(outputs.length).toBeGreaterThan(30);
    for (const r of outputs) {
      for (const s of secrets) {
        expect(r.stdout).not.toContain(s);
        expect(r.stderr).not.toContain(s);
      }
    }
  });
});
