/**
 * The interactive password prompt, driven through a real pseudo-terminal: the built CLI runs
 * in a private tmux server, keys are typed with send-keys, and what the operator would see is
 * read back two ways:
 *   - capture-pane: the screen (and its scrollback) as finally drawn;
 *   - pipe-pane: every byte the program wrote to the terminal, so an echo that was drawn and
 *     later redrawn away (the prompt line is re-rendered on each key) is caught too.
 * The password is only ever typed (send-keys), never put on the command line the pane runs.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { runCli } from '../helpers/cli.js';
import { dataKeys } from '../helpers/fixture.js';
import { Pty } from '../helpers/pty.js';
import { adminClient } from '../helpers/client.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
/** Characters a masking prompt would draw instead of the password. */
const MASKS = /[*•●·∙]/;

let server: RedisServer;
let redis: RedisClientType;

function expectNotShown(pty: Pty, ...passwords: string[]): void {
  const screen = pty.screen();
  const log = pty.log();
  for (const pw of passwords) {
    expect(screen).not.toContain(pw);
    expect(log).not.toContain(pw);
    // Not even a fragment: the first 4 characters, in case of a partial echo.
    expect(log).not.toContain(pw.slice(0, 4));
  }
  expect(screen).not.toMatch(MASKS);
  expect(log).not.toMatch(MASKS);
}

let pty: Pty;

beforeAll(async () => {
  const v = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (v.error || v.status !== 0)
    throw new Error('tmux is needed for the pseudo-terminal tests: apt-get install tmux (CI installs it in .ci/run)');
  server = await startRedis();
  redis = await adminClient(server.url);
});

afterAll(async () => {
  await redis?.quit().catch(() => undefined);
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushAll();
  pty = new Pty();
});

afterEach(() => {
  pty.stop();
});

describe('password prompt on a real terminal', () => {
  test('user add: the password is typed twice, nothing is echoed (not even *), exit 0, and the stored hash verifies', async () => {
    const password = 'Qz7-pty-s3cret-Xw';
    await pty.start(['user', 'add', 'alice', ...CHEAP], server.url);
    await pty.waitScreen(/Password for alice:/);
    pty.type(password);
    pty.key('Enter');
    // The second prompt appears only after the first answer was read: no race with the check.
    await pty.waitScreen(/Repeat password:/);
    expectNotShown(pty, password);
    pty.type(password);
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    const screen = await pty.waitScreen(/Created user alice \(user:\{alice\}\)\./);
    await pty.waitLog(/Created user alice/);
    expectNotShown(pty, password);
    expect(screen).toMatch(/Password for alice:/);

    const rec = await redis.hGetAll('user:{alice}');
    expect(Object.keys(rec).sort()).toEqual(['created_at', 'password_changed_at', 'password_hash', 'status', 'updated_at']);
    const ok = await runCli(['user', 'verify', 'alice', '--password-stdin', ...CHEAP], {
      input: `${password}\n`,
      env: { REDIS_URL: server.url },
    });
    expect(ok.code).toBe(0);
    const bad = await runCli(['user', 'verify', 'alice', '--password-stdin', ...CHEAP], {
      input: `${password}x\n`,
      env: { REDIS_URL: server.url },
    });
    expect(bad.code).toBe(1);
  });

  test('user add: a different second entry exits 2 and writes nothing', async () => {
    const first = 'first-Entry-9931';
    const second = 'second-Entry-4417';
    await pty.start(['user', 'add', 'bob', ...CHEAP], server.url);
    await pty.waitScreen(/Password for bob:/);
    pty.type(first);
    pty.key('Enter');
    await pty.waitScreen(/Repeat password:/);
    pty.type(second);
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(2);
    await pty.waitScreen(/the passwords do not match; nothing was written/);
    await pty.waitLog(/the passwords do not match/);
    expectNotShown(pty, first, second);
    expect(await dataKeys(redis)).toHaveLength(0);
  });

  test('user add: Ctrl-C at the first prompt exits 130 and writes nothing', async () => {
    await pty.start(['user', 'add', 'carol', ...CHEAP], server.url);
    await pty.waitScreen(/Password for carol:/);
    pty.type('half-typed');
    pty.key('C-c');
    expect(await pty.exitCode()).toBe(130);
    await pty.waitScreen(/redis-accounts: interrupted/);
    expectNotShown(pty, 'half-typed');
    expect(await dataKeys(redis)).toHaveLength(0);
  });

  test('user add: Ctrl-C at the repeat prompt exits 130 and writes nothing', async () => {
    const password = 'Ctrl-C-Later-5521';
    await pty.start(['user', 'add', 'dan', ...CHEAP], server.url);
    await pty.waitScreen(/Password for dan:/);
    pty.type(password);
    pty.key('Enter');
    await pty.waitScreen(/Repeat password:/);
    pty.key('C-c');
    expect(await pty.exitCode()).toBe(130);
    await pty.waitLog(/interrupted/);
    expectNotShown(pty, password);
    expect(await dataKeys(redis)).toHaveLength(0);
  });

  test('user verify: the prompt does not echo either, and the answer is right', async () => {
    const password = 'Verify-Me-7730pty';
    const add = await runCli(['user', 'add', 'erin', '--password-stdin', ...CHEAP], {
      input: `${password}\n`,
      env: { REDIS_URL: server.url },
    });
    expect(add.code).toBe(0);
    await pty.start(['user', 'verify', 'erin', ...CHEAP], server.url);
    await pty.waitScreen(/Password for erin:/);
    pty.type(password);
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    await pty.waitScreen(/Password matches for erin\./);
    await pty.waitLog(/Password matches/);
    expectNotShown(pty, password);
  });

  // Issue 13 item 12: the terminal's bytes are decoded leniently by the prompt, so invalid
  // ones arrive as U+FFFD; they are caught in the raw input and refused.
  test('user add: bytes that are not UTF-8, typed at the prompt, exit 2 and nothing is written', async () => {
    await pty.start(['user', 'add', 'latin1', ...CHEAP], server.url);
    await pty.waitScreen(/Password for latin1:/);
    const typeIt = () => {
      pty.type('caf');
      pty.bytes([0xe9, 0xff, 0xfe]); // Latin-1 é, then bytes no encoder writes
      pty.type('au-lait-pw');
      pty.key('Enter');
    };
    typeIt();
    const screen = await pty.waitScreen(/Repeat password:|not valid UTF-8/);
    if (/Repeat password:/.test(screen)) typeIt(); // (the code before the fix got here)
    expect(await pty.exitCode()).toBe(2);
    await pty.waitScreen(/redis-accounts: the password is not valid UTF-8; nothing was done/);
    expectNotShown(pty, 'au-lait-pw');
    expect(await dataKeys(redis)).toHaveLength(0);
  });

  test('user add: a U+FFFD that was really typed (valid UTF-8) is an ordinary character', async () => {
    const password = 'typed-\ufffd-replacement-char';
    await pty.start(['user', 'add', 'fffd', ...CHEAP], server.url);
    await pty.waitScreen(/Password for fffd:/);
    pty.type(password);
    pty.key('Enter');
    await pty.waitScreen(/Repeat password:/);
    pty.type(password);
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    expectNotShown(pty, password);
    const ok = await runCli(['user', 'verify', 'fffd', '--password-stdin', ...CHEAP], {
      input: `${password}\n`,
      env: { REDIS_URL: server.url },
    });
    expect(ok.code).toBe(0);
  });

  // Issue 13 item 17: a terminal echoes a line read plainly; --password-stdin on a terminal
  // now reads at the hidden prompt (and, for a new password, twice).
  test('user add --password-stdin with a terminal on stdin: the password is not echoed', async () => {
    const password = 'Stdin-On-A-Tty-8842';
    await pty.start(['user', 'add', 'gail', '--password-stdin', ...CHEAP], server.url);
    await pty.waitScreen(/Password for gail:/);
    pty.type(password);
    pty.key('Enter');
    await pty.waitScreen(/Repeat password:/);
    expectNotShown(pty, password);
    pty.type(password);
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    await pty.waitLog(/Created user gail/);
    expectNotShown(pty, password);
    const ok = await runCli(['user', 'verify', 'gail', '--password-stdin', ...CHEAP], {
      input: `${password}\n`,
      env: { REDIS_URL: server.url },
    });
    expect(ok.code).toBe(0);
  });

  test('user verify --password-stdin with a terminal on stdin: one hidden prompt', async () => {
    const password = 'Verify-Stdin-Tty-5150';
    expect(
      (await runCli(['user', 'add', 'hal', '--password-stdin', ...CHEAP], { input: `${password}\n`, env: { REDIS_URL: server.url } })).code,
    ).toBe(0);
    await pty.start(['user', 'verify', 'hal', '--password-stdin', ...CHEAP], server.url);
    await pty.waitScreen(/Password for hal:/);
    pty.type(password);
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    await pty.waitLog(/Password matches for hal\./);
    expectNotShown(pty, password);
  });

  // Issue 13 item 27: an unknown name is asked for its password like any other.
  test('user rehash of an unknown user prompts, then answers as for a wrong password', async () => {
    await pty.start(['user', 'rehash', 'ghost', ...CHEAP], server.url);
    const first = await pty.waitScreen(/Password for ghost:|redis-accounts:/);
    expect(first).toMatch(/Password for ghost:/);
    pty.type('any-password-1');
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(1);
    await pty.waitScreen(/redis-accounts: password does not match, or there is no user ghost; nothing was written/);
    expectNotShown(pty, 'any-password-1');
    expect(await dataKeys(redis)).toHaveLength(0);
  });
  test('user passwd: the new password is asked twice without echo; the old one no longer verifies', async () => {
    const old = 'Old-Password-9081pty';
    const password = 'New-Password-4417pty';
    const env = { REDIS_URL: server.url };
    expect((await runCli(['user', 'add', 'ivy', '--password-stdin', ...CHEAP], { input: `${old}\n`, env })).code).toBe(0);
    await pty.start(['user', 'passwd', 'ivy', ...CHEAP], server.url);
    await pty.waitScreen(/New password for ivy:/);
    pty.type(password);
    pty.key('Enter');
    await pty.waitScreen(/Repeat password:/);
    expectNotShown(pty, password);
    pty.type(password);
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    await pty.waitLog(/Changed the password of ivy\./);
    expectNotShown(pty, password, old);
    expect((await runCli(['user', 'verify', 'ivy', '--password-stdin', ...CHEAP], { input: `${password}\n`, env })).code).toBe(0);
    expect((await runCli(['user', 'verify', 'ivy', '--password-stdin', ...CHEAP], { input: `${old}\n`, env })).code).toBe(1);
  });

  test('user passwd: a different second entry exits 2 and changes nothing', async () => {
    const env = { REDIS_URL: server.url };
    expect((await runCli(['user', 'add', 'jon', '--password-stdin', ...CHEAP], { input: 'Old-Password-5521pty\n', env })).code).toBe(0);
    const before = await redis.hGetAll('user:{jon}');
    await pty.start(['user', 'passwd', 'jon', ...CHEAP], server.url);
    await pty.waitScreen(/New password for jon:/);
    pty.type('first-Entry-99312');
    pty.key('Enter');
    await pty.waitScreen(/Repeat password:/);
    pty.type('second-Entry-44173');
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(2);
    await pty.waitScreen(/the passwords do not match; nothing was written/);
    expect(await redis.hGetAll('user:{jon}')).toEqual(before);
  });

  test('user delete on a terminal asks first: no keeps the user, yes deletes it; Ctrl-C at the question exits 130', async () => {
    const env = { REDIS_URL: server.url };
    expect((await runCli(['user', 'add', 'kai', '--password-stdin', ...CHEAP], { input: 'Some-Password-1234\n', env })).code).toBe(0);
    await redis.set('sess:k1', JSON.stringify({ cookie: {}, passport: { user: 'kai' } }));
    await pty.start(['user', 'delete', 'kai'], server.url);
    await pty.waitScreen(/Delete user kai \(active, created \S+\) and revoke their sessions\? \(y\/N\)/);
    pty.type('n');
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    await pty.waitScreen(/Nothing deleted\./);
    expect(await dataKeys(redis)).toEqual(['sess:k1', 'user:{kai}']);
    pty.stop();

    pty = new Pty();
    await pty.start(['user', 'delete', 'kai'], server.url);
    await pty.waitScreen(/Delete user kai/);
    pty.key('C-c');
    expect(await pty.exitCode()).toBe(130);
    expect(await dataKeys(redis)).toEqual(['sess:k1', 'user:{kai}']);
    pty.stop();

    pty = new Pty();
    await pty.start(['user', 'delete', 'kai'], server.url);
    await pty.waitScreen(/Delete user kai/);
    pty.type('y');
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    await pty.waitScreen(/Deleted user kai\.\s+Revoked 1 session of kai\./);
    expect(await dataKeys(redis)).toEqual([]);
  });
});
