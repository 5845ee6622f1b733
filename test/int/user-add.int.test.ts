/**
 * `user add` against a real throwaway redis-server, through the built CLI.
 *
 * What is proven here: the record holds exactly the documented fields; the hash is a
 * canonical argon2id PHC string that two independent argon2 implementations accept
 * (argon2-cffi and the reference `argon2` CLI); a taken name, a bad name, a bad password,
 * a missing terminal or a key of the wrong type are refused with the documented exit code
 * and nothing written; of 8 concurrent adds of one name exactly one wins; and no password
 * ever appears in the CLI's output.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from '@jest/globals';
import argon2 from 'argon2';
import type { RedisClientType } from 'redis';
import { runCli, startCli, type BackgroundCli, type CliResult } from '../helpers/cli.js';
import { dataKeys, useTestRedis } from '../helpers/fixture.js';
import { waitFor } from '../helpers/wait.js';

/** Cheap policy for tests where the cost is not the point. */
const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
const CANONICAL_DEFAULT = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const INSTALL_HINT = 'apt-get install python3-argon2 argon2 (CI installs them in .ci/run)';

let redis: RedisClientType;
let env: Record<string, string>;
/** Every secret typed into the CLI in this file, checked against every output at the end. */
const secrets = new Set<string>();
const outputs: CliResult[] = [];

async function cli(args: string[], input?: string | Buffer): Promise<CliResult> {
  const r = await runCli(args, { env, ...(input === undefined ? {} : { input }) });
  outputs.push(r);
  return r;
}

async function add(name: string, password: string, extra: string[] = CHEAP): Promise<CliResult> {
  secrets.add(password);
  return cli(['user', 'add', name, '--password-stdin', ...extra], `${password}\n`);
}

function expectNoSecretIn(r: CliResult, password: string): void {
  // A long password is checked by a distinctive slice (the whole string would never match
  // a truncated echo), a short one as a whole.
  const needle = password.length > 32 ? password.slice(0, 32) : password;
  if (needle === '') return;
  expect(r.stdout).not.toContain(needle);
  expect(r.stderr).not.toContain(needle);
}

/** A CLI process whose stdin stays open until the test writes to it; its output joins `outputs`. */
function startWithStdinOpen(args: string[], timeoutMs = 20000): BackgroundCli {
  const run = startCli(args, { env, keepStdinOpen: true, timeoutMs });
  const done = run.done.then((r) => {
    outputs.push(r);
    return r;
  });
  return { ...run, done };
}

/** How many clients of the test server have `command` as their last command. */
async function clientsLastRan(command: string): Promise<number> {
  const list = String(await redis.sendCommand(['CLIENT', 'LIST']));
  return list.split('\n').filter((l) => new RegExp(`\\bcmd=${command}\\b`).test(l)).length;
}

function requirePythonArgon2(): void {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import argon2'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`/usr/bin/python3 cannot import argon2 (argon2-cffi), needed as an independent verifier: ${INSTALL_HINT}`);
  }
}

function requireArgon2Cli(): void {
  const r = spawnSync('argon2', ['-h'], { encoding: 'utf8' });
  if (r.error) throw new Error(`the argon2 command-line tool is missing, needed as an independent verifier: ${INSTALL_HINT}`);
}

/**
 * argon2-cffi (Debian python3-argon2), a separate binding of the reference C library with
 * its own PHC decoder, which refuses non-canonical parameter order. The hash and password
 * go in on stdin, never in argv. Prints {"verified": bool, "needs_rehash": bool}, where
 * needs_rehash is against m=19456,t=2,p=1, 32-byte hash, 16-byte salt: false means cffi
 * read back exactly the parameters we claim to write.
 */
const PY_VERIFY = `
import argon2, json, sys
stored = sys.stdin.readline().rstrip('\\n')
password = sys.stdin.readline().rstrip('\\n')
ph = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16, type=argon2.Type.ID)
try:
    ok = ph.verify(stored, password)
except argon2.exceptions.VerifyMismatchError:
    ok = False
print(json.dumps({'verified': ok, 'needs_rehash': ph.check_needs_rehash(stored)}))
`;

function pythonVerify(stored: string, password: string): { verified: boolean; needs_rehash: boolean } {
  const r = spawnSync('/usr/bin/python3', ['-c', PY_VERIFY], { input: `${stored}\n${password}\n`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python argon2 verification crashed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { verified: boolean; needs_rehash: boolean };
}

/**
 * The reference `argon2` CLI (Debian package argon2) computes the hash from scratch with the
 * salt bytes that our CLI chose at random, and prints its own encoded string. Identical
 * output proves both the digest and the canonical encoding, with no code of ours involved.
 * That CLI takes the salt as a raw argv string, so the 16 random bytes are rebuilt by bash's
 * `printf -v` from \\xNN escapes (which keeps any byte, trailing newlines included, except
 * NUL: callers only pass salts without a zero byte). The password goes in on stdin.
 */
function argon2CliEncode(salt: Buffer, password: string): string {
  const escaped = [...salt].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  const r = spawnSync('bash', ['-c', 'printf -v salt "$SALT_ESCAPED"; exec argon2 "$salt" -id -t 2 -k 19456 -p 1 -l 32 -e'], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', SALT_ESCAPED: escaped },
    input: password,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`argon2 CLI failed: ${r.stderr}`);
  return r.stdout.trim();
}

useTestRedis((t) => {
  env = t.env;
  redis = t.redis;
});

describe('user add: what is stored', () => {
  test('exactly password_hash, status, created_at, updated_at and password_changed_at, with a canonical default-policy argon2id PHC string', async () => {
    const before = Date.now();
    // The default policy is the point here: no cheap flags.
    const r = await add('alice', 'correct horse battery', []);
    const after = Date.now();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Created user alice (user:{alice})');

    expect(await dataKeys(redis)).toEqual(['user:{alice}']);
    expect(await redis.type('user:{alice}')).toBe('hash');
    const rec = await redis.hGetAll('user:{alice}');
    expect(Object.keys(rec).sort()).toEqual(['created_at', 'password_changed_at', 'password_hash', 'status', 'updated_at']);
    expect(rec['status']).toBe('active');
    expect(rec['created_at']).toMatch(ISO);
    expect(rec['updated_at']).toBe(rec['created_at']);
    expect(rec['password_changed_at']).toBe(rec['created_at']);
    const created = Date.parse(rec['created_at'] ?? '');
    expect(created).toBeGreaterThanOrEqual(before - 1000);
    expect(created).toBeLessThanOrEqual(after + 1000);

    const m = CANONICAL_DEFAULT.exec(rec['password_hash'] ?? '');
    expect(m).not.toBeNull();
    const [, salt64, hash64] = m as RegExpExecArray;
    expect(Buffer.from(salt64 ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(hash64 ?? '', 'base64')).toHaveLength(32);
    // Unpadded base64 of 16 and 32 bytes.
    expect(salt64).toHaveLength(22);
    expect(hash64).toHaveLength(43);
  });

  test('two adds get different random salts', async () => {
    expect((await add('s1', 'same password here')).code).toBe(0);
    expect((await add('s2', 'same password here')).code).toBe(0);
    const [a, b] = await Promise.all([redis.hGet('user:{s1}', 'password_hash'), redis.hGet('user:{s2}', 'password_hash')]);
    expect(a?.split('$')[4]).not.toBe(b?.split('$')[4]);
  });

  test('independent check 1: argon2-cffi (python3-argon2) verifies the stored hash and reads the same parameters', async () => {
    requirePythonArgon2();
    const password = 'Tr0ub4dor&3 with spaces';
    expect((await add('py', password, [])).code).toBe(0);
    const stored = (await redis.hGet('user:{py}', 'password_hash')) ?? '';
    expect(pythonVerify(stored, password)).toEqual({ verified: true, needs_rehash: false });
    // Negative control: the verifier is really checking.
    expect(pythonVerify(stored, `${password}x`).verified).toBe(false);
  });

  test('independent check 2: the reference argon2 CLI recomputes exactly the stored PHC string from its salt', async () => {
    requireArgon2Cli();
    const password = 'reference-implementation pw';
    // The salt is random; a NUL byte cannot travel through argv, so (rarely, ~6%) add another
    // user until one has none. 20 tries all failing has probability ~1e-24.
    let stored = '';
    let salt = Buffer.alloc(0);
    for (let i = 0; i < 20; i += 1) {
      const name = `ref${i}`;
      expect((await add(name, password, [])).code).toBe(0);
      stored = (await redis.hGet(`user:{${name}}`, 'password_hash')) ?? '';
      salt = Buffer.from(stored.split('$')[4] ?? '', 'base64');
      if (!salt.includes(0)) break;
    }
    expect(salt).toHaveLength(16);
    expect(salt.includes(0)).toBe(false);
    expect(argon2CliEncode(salt, password)).toBe(stored);
    // Negative control: another password gives another string.
    expect(argon2CliEncode(salt, `${password}!`)).not.toBe(stored);
  });
});

describe('user add: refusals write nothing', () => {
  test('an existing user exits 4 and the record is unchanged', async () => {
    expect((await add('bob', 'first password 1')).code).toBe(0);
    const before = await redis.hGetAll('user:{bob}');
    const r = await add('bob', 'second password 2');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/user bob already exists/);
    expect(await redis.hGetAll('user:{bob}')).toEqual(before);
    expect(await argon2.verify(before['password_hash'] ?? '', 'first password 1')).toBe(true);
  });

  test("8 concurrent adds of one name: exactly one exits 0, the rest exit 4, the stored hash is the winner's", async () => {
    const passwords = Array.from({ length: 8 }, (_, i) => `race password #${i}`);
    passwords.forEach((p) => secrets.add(p));
    const runs = passwords.map(() => startWithStdinOpen(['user', 'add', 'racer', '--password-stdin', ...CHEAP]));
    // Make the race real and deterministic: every process has passed the courtesy "is the
    // name taken?" check (its last command is TYPE) and now waits for its password. Only
    // the atomic create script can separate them from here on.
    await waitFor('8 adds to pass the courtesy check', async () => (await clientsLastRan('type')) === 8);
    expect(await redis.exists('user:{racer}')).toBe(0);
    runs.forEach((r, i) => r.child.stdin.end(`${passwords[i]}\n`));
    const results = await Promise.all(runs.map((r) => r.done));

    const codes = results.map((r) => r.code);
    expect(codes.filter((c) => c === 0)).toHaveLength(1);
    expect(codes.filter((c) => c === 4)).toHaveLength(7);
    const winner = codes.indexOf(0);
    for (const [i, r] of results.entries()) {
      if (i !== winner) expect(r.stderr).toMatch(/user racer already exists/);
    }

    const stored = (await redis.hGet('user:{racer}', 'password_hash')) ?? '';
    const matches = await Promise.all(passwords.map((p) => argon2.verify(stored, p)));
    expect(matches.map((ok, i) => (ok ? i : -1)).filter((i) => i >= 0)).toEqual([winner]);
    // And through the CLI itself.
    secrets.add(passwords[winner] ?? '');
    expect((await cli(['user', 'verify', 'racer', '--password-stdin', ...CHEAP], `${passwords[winner]}\n`)).code).toBe(0);
  });

  test.each([
    ['a*b', /username contains "\*"/],
    ['a b', /username contains a control or space character \(U\+0020\)/],
    ['{x}', /username contains "\{"/],
    ['x'.repeat(65), /username is longer than 64 characters/],
    ['', /username is empty/],
    ['a\nb', /username contains a control or space character \(U\+000A\)/],
  ])('bad name %j exits 2 saying why, nothing written', async (name, why) => {
    const r = await add(name, 'a fine password');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(await dataKeys(redis)).toHaveLength(0);
  });

  // Issue 13 item 16: names that look like another user's are refused, each with its reason.
  test.each([
    [
      'a Cyrillic а in a Latin name',
      'p\u0430ypal',
      /^redis-accounts: username mixes scripts \(Latin, Cyrillic\): "\u0430" \(U\+0430\) is Cyrillic, which is not allowed \(hint: /,
    ],
    [
      'U+034F COMBINING GRAPHEME JOINER',
      'ali\u034fce',
      /^redis-accounts: username contains an invisible character \(U\+034F\), which is not allowed/,
    ],
    ['U+3164 HANGUL FILLER', 'ali\u3164ce', /^redis-accounts: username contains an invisible character \(U\+3164\), which is not allowed/],
    [
      'U+200B ZERO WIDTH SPACE',
      'ali\u200bce',
      /^redis-accounts: username contains an invisible character \(U\+200B\), which is not allowed/,
    ],
    [
      'U+202E RIGHT-TO-LEFT OVERRIDE',
      'ali\u202ece',
      /^redis-accounts: username contains a bidirectional control character \(U\+202E\), which is not allowed/,
    ],
  ])('look-alike name (%s) exits 2 with the reason, nothing written', async (_label, name, why) => {
    const r = await add(name, 'a fine password');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(await dataKeys(redis)).toHaveLength(0);
  });

  test('an NFD name is stored under its NFC form, and found again in either form', async () => {
    const nfd = 'Jose\u0301';
    const r = await add(nfd, 'a fine password', [...CHEAP, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toStrictEqual({ user: 'Jos\u00e9', key: 'user:{Jos\u00e9}', created: true });
    expect(await dataKeys(redis)).toEqual(['user:{Jos\u00e9}']);
    for (const name of [nfd, 'Jos\u00e9']) {
      expect((await cli(['user', 'verify', name, '--password-stdin', ...CHEAP], 'a fine password\n')).code).toBe(0);
    }
    // One user, whichever form is typed.
    expect((await add('Jos\u00e9', 'another password')).code).toBe(4);
  });

  // The rule (docs/schema.md): names are compared exactly, like the Redis keys they become.
  test('names differing only in case are different users', async () => {
    expect((await add('alice', 'password of the lower one')).code).toBe(0);
    expect((await add('Alice', 'password of the upper one')).code).toBe(0);
    expect(await dataKeys(redis)).toEqual(['user:{Alice}', 'user:{alice}']);
    expect((await cli(['user', 'verify', 'Alice', '--password-stdin', ...CHEAP], 'password of the lower one\n')).code).toBe(1);
    expect((await cli(['user', 'verify', 'ALICE', '--password-stdin', ...CHEAP], 'password of the lower one\n')).code).toBe(1);
    expect((await cli(['user', 'verify', 'alice', '--password-stdin', ...CHEAP], 'password of the lower one\n')).code).toBe(0);
  });

  test('64 characters is still a valid name (the boundary)', async () => {
    expect((await add('y'.repeat(64), 'a fine password')).code).toBe(0);
    expect(await redis.exists(`user:{${'y'.repeat(64)}}`)).toBe(1);
  });

  test.each([
    ['empty', '', /password is shorter than 15 characters/],
    ['14 characters', 'Sh0rt!7 but n0', /password is shorter than 15 characters/],
    ['on the list of common passwords', 'passwordpassword', /password is on the list of common passwords/],
    ['containing the username', 'this is carol speaking', /password contains the username/],
    ['1025 bytes', 'L'.repeat(1025), /password is longer than 1024 bytes/],
    ['1025 bytes of UTF-8 in fewer characters', 'é'.repeat(513), /password is longer than 1024 bytes/],
    ['1 MB', 'M'.repeat(1024 * 1024), /password is longer than 1024 bytes/],
  ])('password %s exits 2, nothing written, password not echoed', async (_label, password, why) => {
    const r = await add('carol', password);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
    expectNoSecretIn(r, password);
    expect(await dataKeys(redis)).toHaveLength(0);
  });

  // Issue 13 item 12: decoded leniently, both became eight U+FFFD and verified as each other.
  test('a password that is not valid UTF-8 exits 2, nothing written; two such passwords no longer collide', async () => {
    const ff = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0a]);
    const fe = Buffer.from([0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0x0a]);
    const r = await cli(['user', 'add', 'bytes', '--password-stdin', ...CHEAP], ff);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'redis-accounts: the password is not valid UTF-8; nothing was done (hint: set the terminal (or the program that writes to stdin) to UTF-8)\n',
    );
    expect(await dataKeys(redis)).toHaveLength(0);
    // verify refuses it the same way (exit 2, not a "does not match" that hides the cause).
    expect((await add('bytes', 'a valid password')).code).toBe(0);
    const v = await cli(['user', 'verify', 'bytes', '--password-stdin', ...CHEAP], fe);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/the password is not valid UTF-8/);
    // Latin-1 text (a terminal in another encoding) is refused too, not guessed at.
    expect((await cli(['user', 'verify', 'bytes', '--password-stdin', ...CHEAP], Buffer.from('caf\xe9 cr\xe8me\n', 'latin1'))).code).toBe(
      2,
    );
  });

  test('a 1 MB password without a newline is refused too (stdin is not read to the end)', async () => {
    const password = 'N'.repeat(1024 * 1024);
    secrets.add(password);
    const r = await cli(['user', 'add', 'carol', '--password-stdin', ...CHEAP], password);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/password is longer than 1024 bytes/);
    expectNoSecretIn(r, password);
    expect(await dataKeys(redis)).toHaveLength(0);
  });

  test('without a terminal and without --password-stdin: exit 2 at once with a hint, even if stdin never closes', async () => {
    // stdin is a pipe that stays open: a command that tried to read it would hang.
    const run = startWithStdinOpen(['user', 'add', 'dave', ...CHEAP], 10000);
    const r = await run.done;
    run.child.stdin.destroy();
    expect(r.signal).toBeNull(); // not killed by the timeout
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs a terminal/);
    expect(r.stderr).toContain('--password-stdin');
    expect(await dataKeys(redis)).toHaveLength(0);
  });

  test.each([
    ['string', async (k: string) => void (await redis.set(k, 'not a user'))],
    ['list', async (k: string) => void (await redis.rPush(k, 'not a user'))],
  ])('a key of the wrong type (%s) at the user key exits 5, left as it was', async (type, seed) => {
    await seed('user:{erin}');
    const dump = await redis.dump('user:{erin}');
    const r = await add('erin', 'a fine password');
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`user:{erin} holds a ${type}, not a user record`);
    expect(await redis.type('user:{erin}')).toBe(type);
    expect(await redis.dump('user:{erin}')).toEqual(dump);
    expect(await dataKeys(redis)).toHaveLength(1);
  });
});

describe('user add --json', () => {
  test('prints one object {user,key,created} on stdout and nothing on stderr', async () => {
    const r = await add('frank', 'json password 1', [...CHEAP, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toStrictEqual({ user: 'frank', key: 'user:{frank}', created: true });
  });

  test('honours --user-prefix in the key it reports and writes', async () => {
    const r = await add('gina', 'json password 2', [...CHEAP, '--json', '--user-prefix', 'app:users:']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toStrictEqual({ user: 'gina', key: 'app:users:{gina}', created: true });
    expect(await dataKeys(redis)).toEqual(['app:users:{gina}']);
  });

  test('a refusal with --json prints nothing on stdout', async () => {
    expect((await add('hank', 'json password 3')).code).toBe(0);
    const r = await add('hank', 'json password 4', [...CHEAP, '--json']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
  });
});

describe('secrecy', () => {
  // Declared last, so it runs after every other test of this file (jest keeps file order).
  test('no password typed in this file ever appeared on stdout or stderr', () => {
    expect(outputs.length).toBeGreaterThan(20);
    for (const r of outputs) for (const s of secrets) expectNoSecretIn(r, s);
  });
});
