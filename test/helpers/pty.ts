/**
 * A real pseudo-terminal for tests: the built CLI runs in a private tmux server (its own
 * socket and config), keys are typed with send-keys, and what the operator sees is read
 * back from the screen (capture-pane) and from every byte written (pipe-pane).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './cli.js';
import { waitFor } from './wait.js';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** One CLI run inside a private tmux server (its own socket name, its own config). */
export class Pty {
  private readonly socket = `ra-test-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private readonly dir = mkdtempSync(join(tmpdir(), 'ra-pty-'));
  private readonly exitFile = join(this.dir, 'exit');
  private readonly logFile = join(this.dir, 'output.log');
  private started = false;

  /** `width`: the terminal's columns (160 unless given), as `stty size` would report them. */
  constructor(private readonly opts: { width?: number } = {}) {}

  private tmux(args: string[], env?: Record<string, string>): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', ...(env ? { env } : {}) });
    if (r.error || r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.error?.message ?? r.stderr}`);
    return r.stdout;
  }

  /**
   * Start `redis-accounts <args>` on a fresh terminal with only the environment given here;
   * with `stdout` a file name, stdout goes to that file (as `> file` would), and with
   * `{ pipe: 'cat' }` into that shell command (as `| cat` would, which writes to the same
   * terminal); stderr stays on the terminal.
   */
  async start(args: string[], redisUrl: string, extraEnv: Record<string, string> = {}, stdout?: string | { pipe: string }): Promise<void> {
    const conf = join(this.dir, 'tmux.conf');
    // No status line (its window list marks the current window with `*`); keep the pane
    // after the program exits so the final screen can be read.
    writeFileSync(conf, 'set -g status off\nset -g remain-on-exit on\nset -g history-limit 2000\n');
    const cli = [process.execPath, BIN, ...args].map(quote).join(' ') + (typeof stdout === 'string' ? ` > ${quote(stdout)}` : '');
    // The exit code is the CLI's, also in a pipe (POSIX sh has no PIPESTATUS).
    const run = `${cli}; echo $? > ${quote(this.exitFile)}`;
    // `read` holds the program back until output capture is in place (one Enter below).
    const command = `read -r _; ${typeof stdout === 'object' ? `{ ${run}; } | ${stdout.pipe}` : run}`;
    // The tmux server and so the pane inherit exactly this environment; REDIS_URL is also
    // passed with -e so the test server is the only Redis the CLI can reach.
    const env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/tmp',
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
      ...extraEnv,
    };
    this.tmux(
      [
        '-f',
        conf,
        'new-session',
        '-d',
        '-s',
        'ra',
        '-x',
        String(this.opts.width ?? 160),
        '-y',
        '40',
        '-e',
        `REDIS_URL=${redisUrl}`,
        command,
      ],
      env,
    );
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

  /** Send raw bytes, valid UTF-8 or not (send-keys -H), as a terminal in another encoding would. */
  bytes(bytes: number[]): void {
    this.tmux(['send-keys', '-t', 'ra', '-H', ...bytes.map((b) => b.toString(16).padStart(2, '0'))]);
  }

  key(name: 'Enter' | 'C-c'): void {
    this.tmux(['send-keys', '-t', 'ra', name]);
  }

  async waitScreen(pattern: RegExp): Promise<string> {
    return waitFor(
      `${pattern} on screen`,
      () => {
        const s = this.screen();
        return pattern.test(s) ? s : undefined;
      },
      { timeoutMs: 15000, intervalMs: 25, state: () => this.screen() },
    );
  }

  /** The CLI's exit code, once the pane's shell has written it. */
  async exitCode(): Promise<number> {
    const text = await waitFor(
      'the CLI to exit',
      () => (existsSync(this.exitFile) ? readFileSync(this.exitFile, 'utf8') : '').match(/^\d+\n/)?.[0],
      { timeoutMs: 20000, intervalMs: 25, state: () => this.screen() },
    );
    return Number(text);
  }

  /** The output log once it contains `pattern` (the pipe may lag the screen slightly). */
  async waitLog(pattern: RegExp): Promise<string> {
    return waitFor(
      `${pattern} in the terminal output`,
      () => {
        const l = this.log();
        return pattern.test(l) ? l : undefined;
      },
      { timeoutMs: 15000, intervalMs: 25, state: () => this.log() },
    );
  }

  stop(): void {
    if (this.started) spawnSync('tmux', ['-L', this.socket, 'kill-server']);
    this.started = false;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
