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
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { RedisClientType } from 'redis';
import { BIN, runCli } from '../helpers/cli.js';
import { adminClient } from '../helpers/client.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
/** Characters a masking prompt would draw instead of the password. */
const MASKS = /[*•●·∙]/;

let server: RedisServer;
let redis: RedisClientType;

/** Poll (no fixed sleep) until `cond` returns a value, or fail after `timeoutMs`. */
async function waitFor<T>(what: string, cond: () => T | undefined | false, timeoutMs = 15000, describeState?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = cond();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${describeState ? `; state:\n${describeState()}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** One CLI run inside a private tmux server (its own socket name, its own config). */
class Pty {
  private readonly socket = `ra-test-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private readonly dir = mkdtempSync(join(tmpdir(), 'ra-pty-'));
  private readonly exitFile = join(this.dir, 'exit');
  private readonly logFile = join(this.dir, 'output.log');
  private started = false;

  private tmux(args: string[], env?: Record<string, string>): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', ...(env ? { env } : {}) });
    if (r.error || r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.error?.message ?? r.stderr}`);
    return r.stdout;
  }

  /** Start `redis-accounts <args>` on a fresh terminal with only the environment given here. */
  async start(args: string[]): Promise<void> {
    const conf = join(this.dir, 'tmux.conf');
    // No status line (its window list marks the current window with `*`); keep the pane
    // after the program exits so the final screen can be read.
    writeFileSync(conf, 'set -g status off\nset -g remain-on-exit on\nset -g history-limit 2000\n');
    const cli = [process.execPath, BIN, ...args].map(quote).join(' ');
    // `read` holds the program back until output capture is in place (one Enter below).
    const command = `read -r _; ${cli}; echo $? > ${quote(this.exitFile)}`;
    // The tmux server and so the pane inherit exactly this environment; REDIS_URL is also
    // passed with -e so the test server is the only Redis the CLI can reach.
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', TERM: 'xterm-256color', LANG: 'C.UTF-8' };
    this.tmux(['-f', conf, 'new-session', '-d', '-s', 'ra', '-x', '160', '-y', '40', '-e', `REDIS_URL=${server.url}`, command], env);
    this.started = true;
    this.tmux(['pipe-pane', '-o', '-t', 'ra', `cat >> ${quote(this.logFile)}`]);
    this.tmux(['send-keys', '-t', 'ra', 'Enter']);
  }

  screen(): string {
    return this.tmux(['capture-pane', '-p', '-J', '-S', '-', '-t', 'ra']);
  }

  /** Everything written to the terminal so far, escape sequences included. */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** Type text literally (no key-name lookup), as a person would. */
  type(text: string): void {
    this.tmux(['send-keys', '-t', 'ra', '-l', text]);
  }

  key(name: 'Enter' | 'C-c'): void {
    this.tmux(['send-keys', '-t', 'ra', name]);
  }

  async waitScreen(pattern: RegExp): Promise<string> {
    return waitFor(`${pattern} on screen`, () => {
      const s = this.screen();
      return pattern.test(s) ? s : undefined;
    }, 15000, () => this.screen());
  }

  /** The CLI's exit code, once the pane's shell has written it. */
  async exitCode(): Promise<number> {
    const text = await waitFor('the CLI to exit', () => (existsSync(this.exitFile) ? readFileSync(this.exitFile, 'utf8') : '').match(/^\d+\n/)?.[0], 20000, () => this.screen());
    return Number(text);
  }

  /** The output log once it contains `pattern` (the pipe may lag the screen slightly). */
  async waitLog(pattern: RegExp): Promise<string> {
    return waitFor(`${pattern} in the terminal output`, () => {
      const l = this.log();
      return pattern.test(l) ? l : undefined;
    }, 15000, () => this.log());
  }

  stop(): void {
    if (this.started) spawnSync('tmux', ['-L', this.socket, 'kill-server']);
    this.started = false;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

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
  if (v.error || v.status !== 0) throw new Error('tmux is needed for the pseudo-terminal tests: apt-get install tmux (CI installs it in .ci/run)');
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
    await pty.start(['user', 'add', 'alice', ...CHEAP]);
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
    expect(Object.keys(rec).sort()).toEqual(['created_at', 'password_hash', 'updated_at']);
    const ok = await runCli(['user', 'verify', 'alice', '--password-stdin', ...CHEAP], { input: `${password}\n`, env: { REDIS_URL: server.url } });
    expect(ok.code).toBe(0);
    const bad = await runCli(['user', 'verify', 'alice', '--password-stdin', ...CHEAP], { input: `${password}x\n`, env: { REDIS_URL: server.url } });
    expect(bad.code).toBe(1);
  });

  test('user add: a different second entry exits 2 and writes nothing', async () => {
    const first = 'first-Entry-9931';
    const second = 'second-Entry-4417';
    await pty.start(['user', 'add', 'bob', ...CHEAP]);
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
    expect(await redis.dbSize()).toBe(0);
  });

  test('user add: Ctrl-C at the first prompt exits 130 and writes nothing', async () => {
    await pty.start(['user', 'add', 'carol', ...CHEAP]);
    await pty.waitScreen(/Password for carol:/);
    pty.type('half-typed');
    pty.key('C-c');
    expect(await pty.exitCode()).toBe(130);
    await pty.waitScreen(/redis-accounts: interrupted/);
    expectNotShown(pty, 'half-typed');
    expect(await redis.dbSize()).toBe(0);
  });

  test('user add: Ctrl-C at the repeat prompt exits 130 and writes nothing', async () => {
    const password = 'Ctrl-C-Later-5521';
    await pty.start(['user', 'add', 'dan', ...CHEAP]);
    await pty.waitScreen(/Password for dan:/);
    pty.type(password);
    pty.key('Enter');
    await pty.waitScreen(/Repeat password:/);
    pty.key('C-c');
    expect(await pty.exitCode()).toBe(130);
    await pty.waitLog(/interrupted/);
    expectNotShown(pty, password);
    expect(await redis.dbSize()).toBe(0);
  });

  test('user verify: the prompt does not echo either, and the answer is right', async () => {
    const password = 'Verify-Me-7730pty';
    const add = await runCli(['user', 'add', 'erin', '--password-stdin', ...CHEAP], { input: `${password}\n`, env: { REDIS_URL: server.url } });
    expect(add.code).toBe(0);
    await pty.start(['user', 'verify', 'erin', ...CHEAP]);
    await pty.waitScreen(/Password for erin:/);
    pty.type(password);
    pty.key('Enter');
    expect(await pty.exitCode()).toBe(0);
    await pty.waitScreen(/Password matches for erin\./);
    await pty.waitLog(/Password matches/);
    expectNotShown(pty, password);
  });
});
