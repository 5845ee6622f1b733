/**
 * `user import` through the built CLI against a real redis-server, from exports made by the
 * tools that write them (test/helpers/import-exports.ts: Django's dumpdata in a real project,
 * passlib's HtpasswdFile, PHP's password_hash, a Keycloak realm's credentials by hashlib, the
 * Firebase scrypt test vector): each imported user verifies with the right password (0) and
 * not with a wrong one (1); a crafted file is reported line by line and writes nothing wrong;
 * the conflict modes, --dry-run, the audit entry, a rerun after SIGKILL, and a race with
 * `user add`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { BIN, ndjson, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { AUDIT_KEY, dataKeys, useTestRedis } from '../helpers/fixture.js';
import { djangoDumpdata, keycloakRealm, passlibHtpasswd, phpBcrypt } from '../helpers/import-exports.js';
import { FIREBASE_VECTOR } from '../helpers/reference-hashes.js';
import { waitFor } from '../helpers/wait.js';

/** Not ASCII, so that every implementation's UTF-8 is exercised; NFC already. */
const PW = 'Grüße, correct horse battery staple';
const WRONG = 'Grüße, correct horse battery stapler';
const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];

const t = useTestRedis();
let dir: string;
let firebaseParams: string;
/** An argon2id hash of PW as `user add` writes it (made once, reused under other names; the record itself is emptied with the rest before each test). */
let argon2Hash: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ra-import-'));
  firebaseParams = join(dir, 'hash_config.txt');
  writeFileSync(firebaseParams, FIREBASE_VECTOR.params, { mode: 0o600 });
  const added = await runCli(['user', 'add', 'seed-user', '--password-stdin', ...CHEAP], { env: t.env, input: `${PW}\n` });
  expect(added.code).toBe(0);
  argon2Hash = (await t.redis.hGet('user:{seed-user}', 'password_hash')) ?? '';
  expect(argon2Hash).toMatch(/^\$argon2id\$/);
}, 60000);

let fileCount = 0;
function file(content: string | Buffer): string {
  fileCount += 1;
  const path = join(dir, `input-${fileCount}`);
  writeFileSync(path, content);
  return path;
}

const importCli = (args: string[], input?: string): Promise<CliResult> =>
  runCli(['user', 'import', ...args], { env: t.env, timeoutMs: 120000, ...(input === undefined ? {} : { input }) });

async function verifyCode(name: string, password: string, extra: string[] = []): Promise<number | null> {
  return (await runCli(['user', 'verify', name, '--password-stdin', ...extra], { env: t.env, input: `${password}\n` })).code;
}

/** Right password 0, wrong 1. */
async function expectVerifies(name: string, extra: string[] = [], password = PW, wrong = WRONG): Promise<void> {
  expect({ name, right: await verifyCode(name, password, extra), wrong: await verifyCode(name, wrong, extra) }).toEqual({
    name,
    right: 0,
    wrong: 1,
  });
}

function summaryOf(r: CliResult): Record<string, unknown> {
  const lines = ndjson(r.stdout).filter((l) => l['type'] === 'summary');
  expect(lines).toHaveLength(1);
  return lines[0] ?? {};
}

const rejectedOf = (r: CliResult) => ndjson(r.stdout).filter((l) => l['type'] === 'rejected');

/** No stack trace, nothing of a password on stderr. */
function expectCleanStderr(r: CliResult): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain(PW);
}

describe('each format: imported verbatim, then user verify 0 with the right password and 1 with a wrong one', () => {
  test('htpasswd: passlib HtpasswdFile ($2y$) and PHP password_hash lines, comments and blank lines', async () => {
    const passlib = passlibHtpasswd([
      { name: 'ht-passlib', password: PW, scheme: 'bcrypt' },
      { name: 'ht-other', password: PW, scheme: 'bcrypt' },
    ]);
    const php = `ht-php:${phpBcrypt(PW)}`;
    const input = `# made by passlib and PHP\n${passlib}\n${php}\r\n`;
    const r = await importCli([file(input), '--format', 'htpasswd', '--json']);
    expect(r.code).toBe(0);
    expectCleanStderr(r);
    expect(summaryOf(r)).toMatchObject({ read: 3, imported: 3, rejected: 0, skipped: 0, families: { bcrypt: 3 } });
    expect(r.stderr).toContain('3 records read; 3 users imported (bcrypt 3).');
    const stored = await t.redis.hGetAll('user:{ht-passlib}');
    expect(stored['password_hash']).toBe(/^ht-passlib:(\S+)$/m.exec(passlib)?.[1]);
    expect(stored['password_hash']).toMatch(/^\$2y\$/);
    expect(stored).toMatchObject({ status: 'active', created_at: expect.stringMatching(/Z$/), updated_at: expect.stringMatching(/Z$/) });
    for (const name of ['ht-passlib', 'ht-php']) await expectVerifies(name);
  }, 60000);

  test('htpasswd: the schemes this tool cannot verify are refused by name, with the line and a reason', async () => {
    const input = passlibHtpasswd([
      { name: 'ht-apr1', password: PW, scheme: 'apr_md5_crypt' },
      { name: 'ht-sha', password: PW, scheme: 'ldap_sha1' },
      { name: 'ht-des', password: PW, scheme: 'des_crypt' },
      { name: 'ht-md5', password: PW, scheme: 'md5_crypt' },
      { name: 'ht-sha512', password: PW, scheme: 'sha512_crypt' },
      { name: 'ht-ok', password: PW, scheme: 'bcrypt' },
    ]);
    const r = await importCli([file(input), '--format', 'htpasswd']);
    expect(r.code).toBe(5);
    expectCleanStderr(r);
    expect(r.stderr).toMatch(/^line 1 \(ht-apr1\): Apache's MD5 \(\$apr1\$\), which this tool does not verify/m);
    expect(r.stderr).toMatch(/^line 2 \(ht-sha\): Apache's unsalted SHA-1 \(\{SHA\}\)/m);
    expect(r.stderr).toMatch(/^line 3 \(ht-des\): crypt\(3\) DES/m);
    expect(r.stderr).toMatch(/^line 4 \(ht-md5\): MD5-crypt \(\$1\$\)/m);
    expect(r.stderr).toMatch(/^line 5 \(ht-sha512\): SHA-crypt/m);
    expect(r.stderr).toContain('6 records read; 1 user imported (bcrypt 1); 5 rejected.');
    expect(await dataKeys(t.redis)).toEqual(['user:{ht-ok}'].sort());
  }, 60000);

  test('django: dumpdata auth.user of a real project, every hasher; is_active false is disabled; an unusable password is rejected', async () => {
    const dump = djangoDumpdata(
      [
        { name: 'dj-pbkdf2', password: PW, hasher: 'pbkdf2_sha256' },
        { name: 'dj-bcrypt-sha256', password: PW, hasher: 'bcrypt_sha256' },
        { name: 'dj-bcrypt', password: PW, hasher: 'bcrypt' },
        { name: 'dj-argon2', password: PW, hasher: 'argon2' },
        { name: 'dj-off', password: PW, hasher: 'pbkdf2_sha1', active: false },
        { name: 'dj-none', password: null },
      ],
      2,
    );
    const doc = JSON.parse(dump) as Array<{ fields: Record<string, unknown> }>;
    const r = await importCli(['-', '--format', 'django', '--json'], dump);
    expect(r.code).toBe(5);
    expectCleanStderr(r);
    expect(summaryOf(r)).toMatchObject({
      read: 6,
      imported: 5,
      rejected: 1,
      families: { 'django-pbkdf2-sha256': 1, 'django-bcrypt-sha256': 1, 'django-bcrypt': 1, 'django-argon2': 1, 'django-pbkdf2-sha1': 1 },
    });
    // Record 6 of the indented dump starts on the line of its '{', two above its "pk".
    const line = dump.split('\n').findIndex((l) => l.includes('"pk": 6')) - 1;
    expect(rejectedOf(r)).toEqual([
      { type: 'rejected', line, record: 6, user: 'dj-none', reason: "the password is unusable (Django's set_unusable_password)" },
    ]);
    expect(r.stderr).toContain(`record 6 (line ${line}) (dj-none): the password is unusable`);
    for (const name of ['dj-pbkdf2', 'dj-bcrypt-sha256', 'dj-bcrypt', 'dj-argon2']) await expectVerifies(name);
    const pbkdf2 = await t.redis.hGetAll('user:{dj-pbkdf2}');
    expect(pbkdf2['password_hash']).toBe(doc[0]?.fields['password']);
    expect(pbkdf2['created_at']).toBe(new Date(String(doc[0]?.fields['date_joined'])).toISOString());
    const off = await t.redis.hGetAll('user:{dj-off}');
    expect(off).toMatchObject({ status: 'disabled', status_reason: 'is_active false in the Django export' });
    // A disabled account: the right password is refused (1) as for any disabled user, a wrong one too.
    const right = await runCli(['user', 'verify', 'dj-off', '--password-stdin', '--json'], { env: t.env, input: `${PW}\n` });
    expect(right.code).toBe(1);
    expect(ndjson(right.stdout)[0]).toMatchObject({ disabled: true });
  }, 120000);

  test('firebase: auth:export users with the project parameters; the uid is the principal; a user without a password is rejected', async () => {
    const users = {
      users: [
        {
          localId: 'kYi4EvWQlQTKSfnJ3dRSP6IH3ed2',
          email: 'user1@test.com',
          emailVerified: false,
          passwordHash: FIREBASE_VECTOR.passwordHash,
          salt: FIREBASE_VECTOR.salt,
          displayName: 'Test User 1',
          createdAt: '1700000000000',
          lastSignedInAt: '1700000100000',
          providerUserInfo: [{ providerId: 'password', email: 'user1@test.com' }],
        },
        {
          localId: 'uid-disabled',
          email: 'user2@test.com',
          passwordHash: FIREBASE_VECTOR.passwordHash,
          salt: FIREBASE_VECTOR.salt,
          disabled: true,
          createdAt: '1700000000000',
        },
        { localId: 'uid-google', email: 'google@test.com', providerUserInfo: [{ providerId: 'google.com' }] },
      ],
    };
    const path = file(JSON.stringify(users));
    const without = await importCli([path, '--format', 'firebase']);
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/--format firebase needs the project's password hash parameters/);
    expect(await dataKeys(t.redis)).toEqual([]);

    const r = await importCli([path, '--format', 'firebase', '--firebase-params', firebaseParams, '--json']);
    expect(r.code).toBe(5);
    expectCleanStderr(r);
    expect(r.stderr).not.toContain('jxspr8Ki0RYycVU8');
    expect(summaryOf(r)).toMatchObject({ read: 3, imported: 2, rejected: 1, families: { 'firebase-scrypt': 2 } });
    expect(rejectedOf(r)).toEqual([
      { type: 'rejected', line: 1, record: 3, user: 'google@test.com', reason: 'no passwordHash (a user of another sign-in provider)' },
    ]);
    const stored = await t.redis.hGetAll('user:{user1@test.com}');
    expect(stored).toMatchObject({
      password_hash: expect.stringMatching(
        new RegExp(`^\\$firebase-scrypt\\$ln=14,r=8,k=[0-9a-f]{16}\\$${FIREBASE_VECTOR.salt.replace(/\+/g, '\\+')}\\$`),
      ),
      principal: 'kYi4EvWQlQTKSfnJ3dRSP6IH3ed2',
      created_at: new Date(1700000000000).toISOString(),
      status: 'active',
    });
    expect(stored['password_hash']?.endsWith(`$${FIREBASE_VECTOR.passwordHash}`)).toBe(true);
    await expectVerifies('user1@test.com', ['--firebase-params', firebaseParams], FIREBASE_VECTOR.password, 'User1password');
    expect(await t.redis.hGet('user:{user2@test.com}', 'status')).toBe('disabled');
  }, 60000);

  test('keycloak: a realm export, PBKDF2-SHA256 and -SHA512 credentials; enabled false and UPDATE_PASSWORD are kept', async () => {
    const realm = keycloakRealm([
      { name: 'kc-256', password: PW, algorithm: 'pbkdf2-sha256', iterations: 27500, createdTimestamp: 1700000000000 },
      { name: 'kc-512', password: PW, algorithm: 'pbkdf2-sha512', iterations: 210000, requiredActions: ['UPDATE_PASSWORD'] },
      { name: 'kc-off', password: PW, algorithm: 'pbkdf2-sha256', iterations: 27500, enabled: false },
    ]);
    const r = await importCli([file(realm), '--format', 'keycloak', '--json']);
    expect(r.code).toBe(0);
    expectCleanStderr(r);
    expect(summaryOf(r)).toMatchObject({ read: 3, imported: 3, families: { 'keycloak-pbkdf2-sha256': 2, 'keycloak-pbkdf2-sha512': 1 } });
    for (const name of ['kc-256', 'kc-512']) await expectVerifies(name);
    // The credential's secretData and credentialData are stored as the export wrote them.
    const user = (JSON.parse(realm) as { users: Array<{ credentials: Array<Record<string, string>> }> }).users[0];
    const stored = JSON.parse((await t.redis.hGet('user:{kc-256}', 'password_hash')) ?? '') as Record<string, string>;
    expect(stored).toEqual({
      type: 'password',
      secretData: user?.credentials[0]?.['secretData'],
      credentialData: user?.credentials[0]?.['credentialData'],
    });
    expect(await t.redis.hGet('user:{kc-256}', 'created_at')).toBe(new Date(1700000000000).toISOString());
    expect(await t.redis.hGet('user:{kc-512}', 'must_change_password')).toBe('1');
    expect(await t.redis.hGet('user:{kc-off}', 'status')).toBe('disabled');
  }, 60000);

  test('jsonl: user export lines of records `user add` made are imported field for field', async () => {
    const added = await runCli(['user', 'add', 'jl-src', '--user-prefix', 'src:', '--principal', '7', '--password-stdin', ...CHEAP], {
      env: t.env,
      input: `${PW}\n`,
    });
    expect(added.code).toBe(0);
    const source = await t.redis.hGetAll('src:{jl-src}');
    // The export's line: name, then the record's fields (absent ones left out).
    const line = JSON.stringify({ name: 'jl-a', ...source });
    const second = JSON.stringify({
      name: 'jl-b',
      status: 'disabled',
      status_reason: 'INC-1',
      must_change_password: true,
      password_hash: argon2Hash,
    });
    const r = await importCli([file(`${line}\n\n${second}\n`), '--format', 'jsonl']);
    expect(r.code).toBe(0);
    expectCleanStderr(r);
    expect(await t.redis.hGetAll('user:{jl-a}')).toEqual(source);
    // Only what the line has: nothing added.
    expect(await t.redis.hGetAll('user:{jl-b}')).toEqual({
      status: 'disabled',
      status_reason: 'INC-1',
      must_change_password: '1',
      password_hash: argon2Hash,
    });
    await expectVerifies('jl-a');
  }, 60000);
});

describe('a crafted file is reported line by line and writes nothing wrong', () => {
  /** passlib's scrypt vector with N = 2^30, and Django's PBKDF2 vector at a billion iterations. */
  const SCRYPT_2_30 = '$scrypt$ln=30,r=8,p=1$6R0jxJjz3jvHOCcE4NzbOw$Jy8mNQf5MyPMBdSHOra25k5A3WcOeDkoeu3eLL+4wF4';
  const PBKDF2_1E9 = 'pbkdf2_sha256$1000000000$A86rYuU6lrXlWdzIJ2ukNA$TfAzti4Jpf33aGqxjoKdm/zTJ7rOcKMzLM4tGQDd4mg=';
  const BCRYPT_31 = '$2b$31$Z648vJjyAf7KmQwnH1SI0OQOpNJlCOQYquUa1k74jWoLPkKFf5hMC';

  test('jsonl: bad JSON, invalid UTF-8, a name twice, hostile costs, a 10 MB line, unknown keys, bad names, half a surrogate pair', async () => {
    const line = (o: Record<string, unknown>) => Buffer.from(`${JSON.stringify(o)}\n`);
    const input = Buffer.concat([
      line({ name: 'good-1', password_hash: argon2Hash }), // 1
      Buffer.from('{"name": "broken", \n'), // 2
      Buffer.concat([Buffer.from('{"name": "latin1-'), Buffer.from([0xe9, 0xff]), Buffer.from(`", "password_hash": "${argon2Hash}"}\n`)]), // 3
      line({ name: 'good-1', password_hash: argon2Hash }), // 4
      line({ name: 'bcrypt-31', password_hash: BCRYPT_31 }), // 5
      line({ name: 'scrypt-2-30', password_hash: SCRYPT_2_30 }), // 6
      line({ name: 'pbkdf2-1e9', password_hash: PBKDF2_1E9 }), // 7
      Buffer.from(`{"name": "huge", "password_hash": "${'a'.repeat(10 * 1024 * 1024)}"}\n`), // 8
      line({ name: 'good-2', password_hash: phpBcrypt(PW) }), // 9
      line({ name: 'extra', password_hash: argon2Hash, pepper: 'k1' }), // 10
      line({ name: 'bad name', password_hash: argon2Hash }), // 11
      line({ name: 'no-hash', status: 'active' }), // 12
      line({ name: 'argon2-4g', password_hash: argon2Hash.replace('m=1024', 'm=4194304') }), // 13
      line({ name: 'plain', password_hash: PW }), // 14
      Buffer.from(`{"name": "half-pair", "password_hash": "${argon2Hash}", "status_reason": "INC \\ud800"}\n`), // 15
    ]);
    const r = await importCli([file(input), '--format', 'jsonl', '--json']);
    expect(r.code).toBe(5);
    expectCleanStderr(r);
    const reasons = Object.fromEntries(rejectedOf(r).map((l) => [l['line'], l['reason']]));
    expect(reasons).toEqual({
      2: 'not valid JSON',
      3: 'not valid UTF-8',
      4: 'the name was given before, at line 1',
      5: 'the password hash asks for more than the caps allow (bcrypt cost 31 > 16)',
      6: expect.stringMatching(/^the password hash (asks for more than the caps allow|is unusable).*scrypt/),
      7: expect.stringMatching(/^the password hash asks for more than the caps allow \(PBKDF2.*1000000000/),
      8: 'the line is longer than 1 MB (not read)',
      10: 'unknown key "pepper"',
      11: expect.stringMatching(/^username contains a control or space character/),
      12: 'no password_hash (export with --include-hashes)',
      13: expect.stringMatching(/^the password hash asks for more than the caps allow \(m=4194304/),
      14: expect.stringMatching(/^the password hash is unusable: not a password hash this tool reads/),
      15: 'its status_reason is not valid Unicode (half a surrogate pair)',
    });
    for (const [n, reason] of Object.entries(reasons))
      expect(r.stderr).toMatch(new RegExp(`^line ${n}( \\([^)]*\\))?: ${String(reason).slice(0, 10).replace(/[()$]/g, '.')}`, 'm'));
    expect(summaryOf(r)).toMatchObject({ read: 15, imported: 2, rejected: 13 });
    expect(await dataKeys(t.redis)).toEqual(['user:{good-1}', 'user:{good-2}'].sort());
    expect(await t.redis.hGet('user:{good-1}', 'password_hash')).toBe(argon2Hash);
  }, 60000);

  test('a line of 200 MB is not held in memory: peak RSS stays far below it', async () => {
    const path = join(dir, 'huge-line');
    // Written in pieces, so the test itself never holds it either.
    writeFileSync(path, '{"name": "x", "password_hash": "');
    const piece = Buffer.alloc(8 * 1024 * 1024, 0x61);
    for (let i = 0; i < 25; i += 1) writeFileSync(path, piece, { flag: 'a' });
    writeFileSync(path, `"}\n${JSON.stringify({ name: 'after-huge', password_hash: argon2Hash })}\n`, { flag: 'a' });
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, 'user', 'import', path, '--format', 'jsonl'], {
      env: { PATH: process.env['PATH'] ?? '', REDIS_URL: t.env.REDIS_URL },
      encoding: 'utf8',
    });
    expect(r.status).toBe(5);
    expect(r.stderr).toContain('line 1: the line is longer than 1 MB (not read)');
    const peakMb = Number(r.stderr.trim().split('\n').pop()) / 1024;
    expect(peakMb).toBeLessThan(150);
    expect(await t.redis.exists('user:{after-huge}')).toBe(1);
  }, 60000);

  test('django: a 10 MB record is reported by its place and skipped, the others imported; a cut document stops with exit 5', async () => {
    const dump = JSON.parse(
      djangoDumpdata([
        { name: 'dj-small', password: PW, hasher: 'pbkdf2_sha256' },
        { name: 'dj-huge', password: PW, hasher: 'pbkdf2_sha256' },
        { name: 'dj-after', password: PW, hasher: 'pbkdf2_sha256' },
      ]),
    ) as Array<{ fields: Record<string, unknown> }>;
    (dump[1] as { fields: Record<string, unknown> }).fields['first_name'] = 'x'.repeat(10 * 1024 * 1024);
    const text = JSON.stringify(dump);
    const r = await importCli([file(text), '--format', 'django']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^record 2 \(line 1\): the record is longer than 1 MB \(not read\)$/m);
    expect(await dataKeys(t.redis)).toEqual(['user:{dj-after}', 'user:{dj-small}'].sort());
    await t.redis.unlink(['user:{dj-after}', 'user:{dj-small}']);

    // Cut inside the second record: the first is imported, then the cut stops the import.
    const cut = text.slice(0, text.indexOf('"dj-huge"'));
    const r2 = await importCli([file(cut), '--format', 'django']);
    expect(r2.code).toBe(5);
    expect(r2.stderr.trimEnd().split('\n')).toEqual([
      'Stopped: 1 record read; 1 user imported (django-pbkdf2-sha256 1).',
      'redis-accounts: the input is not the JSON document expected: the document ends early (cut short?) (line 1)',
    ]);
    expect(await dataKeys(t.redis)).toEqual(['user:{dj-small}']);
    await t.redis.unlink('user:{dj-small}');
    const notArray = await importCli([file('{"users": []}'), '--format', 'django']);
    expect(notArray.code).toBe(5);
    expect(notArray.stderr).toMatch(/a dumpdata export \(a JSON array\) starts with '\['/);
    expect(await dataKeys(t.redis)).toEqual([]);
  }, 60000);
});

describe('--dry-run and --on-conflict', () => {
  const lines = (...names: string[]) => names.map((name) => JSON.stringify({ name, password_hash: argon2Hash })).join('\n');

  test('--dry-run checks and reports but writes nothing, not even an audit entry', async () => {
    await t.redis.hSet('user:{old}', { password_hash: argon2Hash });
    const before = await t.redis.xLen(AUDIT_KEY);
    const r = await importCli([file(`${lines('new-1', 'old', 'new-2')}\n{"name":"x"}\n`), '--format', 'jsonl', '--dry-run', '--json']);
    expect(r.code).toBe(5);
    expect(summaryOf(r)).toMatchObject({ dryRun: true, read: 4, imported: 2, skipped: 1, rejected: 1 });
    expect(r.stderr).toContain(
      'Dry run, nothing written: 4 records read; 2 users would be imported (argon2id 2); 1 skipped (exist already); 1 rejected.',
    );
    expect(await dataKeys(t.redis)).toEqual(['user:{old}']);
    expect(await t.redis.xLen(AUDIT_KEY)).toBe(before);
  });

  test('skip (the default) leaves an existing user as it is; a rerun imports nothing twice; one audit entry per run', async () => {
    await t.redis.hSet('user:{old}', { password_hash: 'keep-me', totp_seed: 's' });
    const path = file(lines('a', 'old', 'b'));
    const r = await importCli([path, '--format', 'jsonl', '--reason', 'MIGRATE-1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('3 records read; 2 users imported (argon2id 2); 1 skipped (exist already).');
    expect(await t.redis.hGetAll('user:{old}')).toEqual({ password_hash: 'keep-me', totp_seed: 's' });
    const again = await importCli([path, '--format', 'jsonl', '--json']);
    expect(again.code).toBe(0);
    expect(summaryOf(again)).toMatchObject({ imported: 0, skipped: 3 });
    const audit = ndjson((await runCli(['audit', 'list', '--json'], { env: t.env })).stdout).filter((e) => e['command'] === 'user import');
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ target: `users of ${path} (--format jsonl)`, count: 2, outcome: 'ok', reason: 'MIGRATE-1' });
    expect(audit[1]).toMatchObject({ count: 0, outcome: 'ok' });
  });

  test('fail stops at the first existing user with exit 4, having written nothing after it', async () => {
    await t.redis.hSet('user:{old}', { password_hash: 'keep-me' });
    const path = file(lines('a', 'b', 'old', 'c', 'd'));
    const dry = await importCli([path, '--format', 'jsonl', '--on-conflict', 'fail', '--dry-run']);
    expect(dry.code).toBe(4);
    expect(dry.stderr).toContain('the import would stop there (--on-conflict fail)');
    expect(await dataKeys(t.redis)).toEqual(['user:{old}']);
    const r = await importCli([path, '--format', 'jsonl', '--on-conflict', 'fail']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(
      'redis-accounts: user old exists already (line 3): the import stopped there (--on-conflict fail); nothing after it was written',
    );
    expect(await dataKeys(t.redis)).toEqual(['user:{a}', 'user:{b}', 'user:{old}']);
    const audit = ndjson((await runCli(['audit', 'list', '--json'], { env: t.env })).stdout).filter((e) => e['command'] === 'user import');
    expect(audit).toEqual([expect.objectContaining({ outcome: 'failed', count: 2 })]);
  });

  test('overwrite replaces the hash and every lifecycle field, keeps the fields an application added; a key of another type is left alone', async () => {
    await t.redis.hSet('user:{old}', {
      password_hash: 'old-hash',
      status: 'disabled',
      status_reason: 'x',
      sessions_valid_after: '2020-01-01T00:00:00.000Z',
      principal: '9',
      totp_seed: 'secret-seed',
    });
    await t.redis.set('user:{str}', 'not a hash');
    const input = [
      JSON.stringify({ name: 'old', status: 'active', created_at: '2021-01-01T00:00:00.000Z', password_hash: argon2Hash }),
      JSON.stringify({ name: 'str', password_hash: argon2Hash }),
      JSON.stringify({ name: 'new', password_hash: argon2Hash }),
    ].join('\n');
    const r = await importCli([file(input), '--format', 'jsonl', '--on-conflict', 'overwrite', '--json']);
    expect(r.code).toBe(5);
    expect(summaryOf(r)).toMatchObject({ imported: 1, overwritten: 1, rejected: 1 });
    expect(rejectedOf(r)).toEqual([
      { type: 'rejected', line: 2, user: 'str', reason: 'user:{str} holds a string, not a user record (hash)' },
    ]);
    expect(await t.redis.hGetAll('user:{old}')).toEqual({
      password_hash: argon2Hash,
      status: 'active',
      created_at: '2021-01-01T00:00:00.000Z',
      totp_seed: 'secret-seed',
    });
    expect(await t.redis.get('user:{str}')).toBe('not a hash');
    await expectVerifies('old');
    // The overwrite is a change of its own in the trail, with the fields before and after (never
    // the hash, never the application's field); the run's entry counts both users written.
    const trail = await runCli(['audit', 'list', '--json'], { env: t.env });
    const audit = ndjson(trail.stdout).filter((e) => e['command'] === 'user import');
    expect(audit).toEqual([
      expect.objectContaining({
        target: 'user old',
        count: 1,
        outcome: 'ok',
        before: { status: 'disabled', status_reason: 'x', sessions_valid_after: '2020-01-01T00:00:00.000Z', principal: '9' },
        after: { status: 'active', created_at: '2021-01-01T00:00:00.000Z' },
      }),
      expect.objectContaining({ target: expect.stringMatching(/^users of .* \(--format jsonl\)$/), count: 2, outcome: 'ok' }),
    ]);
    expect(audit[1]).not.toHaveProperty('before');
    expect(trail.stdout).not.toMatch(/old-hash|secret-seed|\$argon2id/);
  });

  test('an overwrite that cannot be recorded says so once, and the import goes on', async () => {
    for (const name of ['o1', 'o2', 'o3']) await t.redis.hSet(`user:{${name}}`, { password_hash: 'old-hash', status: 'active' });
    await t.redis.set('redis-accounts:audit', 'not a stream');
    const input = ['o1', 'o2', 'o3'].map((name) => JSON.stringify({ name, password_hash: argon2Hash })).join('\n');
    const r = await importCli([file(input), '--format', 'jsonl', '--on-conflict', 'overwrite', '--json']);
    expect(r.code).toBe(0);
    expect(summaryOf(r)).toMatchObject({ overwritten: 3 });
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('Warning'));
    expect(warnings).toEqual([
      'Warning: the change was made but could not be recorded in the audit trail (redis-accounts:audit holds another type of value, not a stream).',
      'Warning: 2 more audit entries of this run could not be recorded either.',
      'Warning: the change was made but could not be recorded in the audit trail (redis-accounts:audit holds another type of value, not a stream).',
    ]);
    for (const name of ['o1', 'o2', 'o3']) expect(await t.redis.hGet(`user:{${name}}`, 'password_hash')).toBe(argon2Hash);
  });
});

describe('crashes and races', () => {
  test('killed with SIGKILL mid-way, a rerun finishes: every user present exactly once and whole', async () => {
    const COUNT = 60000;
    const names = Array.from({ length: COUNT }, (_, i) => `crash-${String(i).padStart(6, '0')}`);
    const path = file(
      names
        .map((name) => JSON.stringify({ name, status: 'active', created_at: '2022-01-01T00:00:00.000Z', password_hash: argon2Hash }))
        .join('\n'),
    );
    const first = startCli(['user', 'import', path, '--format', 'jsonl'], { env: t.env, timeoutMs: 120000 });
    await waitFor('the import to write some users', async () => (await t.redis.dbSize()) >= 2000, { timeoutMs: 60000, intervalMs: 5 });
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const part = await t.redis.dbSize();
    expect(part).toBeLessThan(COUNT);

    const rerun = await importCli([path, '--format', 'jsonl', '--json']);
    expect(rerun.code).toBe(0);
    const summary = summaryOf(rerun);
    expect(summary).toMatchObject({ read: COUNT, rejected: 0 });
    expect(Number(summary['imported']) + Number(summary['skipped'])).toBe(COUNT);
    expect(Number(summary['skipped'])).toBeGreaterThanOrEqual(2000);
    const keys = (await dataKeys(t.redis)).filter((k) => k.startsWith('user:{crash-'));
    expect(keys).toEqual(names.map((n) => `user:{${n}}`));
    const records: Array<Record<string, string>> = [];
    for (let i = 0; i < keys.length; i += 1000)
      records.push(...(await Promise.all(keys.slice(i, i + 1000).map((k) => t.redis.hGetAll(k)))));
    const whole = { status: 'active', created_at: '2022-01-01T00:00:00.000Z', password_hash: argon2Hash };
    const same = (rec: Record<string, string>) => Object.keys(rec).length === 3 && Object.entries(whole).every(([k, v]) => rec[k] === v);
    expect(records.filter((rec) => !same(rec))).toEqual([]);
  }, 180000);

  test('Ctrl-C stops after the writes in flight: exit 130, the audit entry says interrupted, a rerun finishes', async () => {
    const COUNT = 60000;
    const names = Array.from({ length: COUNT }, (_, i) => `int-${String(i).padStart(6, '0')}`);
    const path = file(names.map((name) => JSON.stringify({ name, status: 'active', password_hash: argon2Hash })).join('\n'));
    const first = startCli(['user', 'import', path, '--format', 'jsonl'], { env: t.env, timeoutMs: 120000 });
    await waitFor('the import to write some users', async () => (await t.redis.dbSize()) >= 2000, { timeoutMs: 60000, intervalMs: 5 });
    first.child.kill('SIGINT');
    const stopped = await first.done;
    expect(stopped.code).toBe(130);
    const written = (await dataKeys(t.redis)).filter((k) => k.startsWith('user:{int-')).length;
    expect(written).toBeLessThan(COUNT);
    expect(stopped.stderr).toMatch(
      new RegExp(`^Interrupted: \\d+ records read; ${written} users imported \\(argon2id ${written}\\)\\.$`, 'm'),
    );
    const audit = ndjson((await runCli(['audit', 'list', '--json'], { env: t.env })).stdout).filter((e) => e['command'] === 'user import');
    expect(audit).toEqual([expect.objectContaining({ outcome: 'interrupted', count: written })]);
    const rerun = await importCli([path, '--format', 'jsonl', '--json']);
    expect(rerun.code).toBe(0);
    expect(summaryOf(rerun)).toMatchObject({ imported: COUNT - written, skipped: written });
  }, 180000);

  test('import --on-conflict skip against user add of the same name: one wins, nothing half-written', async () => {
    const bcrypt = phpBcrypt(PW);
    for (let i = 0; i < 8; i += 1) {
      const name = `racer-${i}`;
      const path = file(`${name}:${bcrypt}\n`);
      const add = startCli(['user', 'add', name, '--password-stdin', ...CHEAP, '--json'], { env: t.env, input: `${PW}\n` });
      const imp = startCli(['user', 'import', path, '--format', 'htpasswd', '--json'], { env: t.env });
      const [added, imported] = await Promise.all([add.done, imp.done]);
      const record = await t.redis.hGetAll(`user:{${name}}`);
      const importWon = record['password_hash'] === bcrypt;
      expect(imported.code).toBe(0);
      expect(summaryOf(imported)).toMatchObject(importWon ? { imported: 1, skipped: 0 } : { imported: 0, skipped: 1 });
      expect(added.code).toBe(importWon ? 4 : 0);
      // Whole: exactly the fields its writer writes, never a mix.
      expect(Object.keys(record).sort()).toEqual(
        importWon
          ? ['created_at', 'password_hash', 'status', 'updated_at']
          : ['created_at', 'password_changed_at', 'password_hash', 'status', 'updated_at'],
      );
      if (!importWon) expect(record['password_hash']).toMatch(/^\$argon2id\$/);
      await expectVerifies(name);
    }
  }, 120000);
});
