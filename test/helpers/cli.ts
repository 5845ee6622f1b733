/** Run the built CLI as a subprocess, as an operator or a script would. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'redis-accounts.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to stdin, then stdin is closed. Without it stdin is empty (not a TTY). */
  input?: string | Buffer;
  /** Added to a minimal environment (PATH and HOME only: no REDIS_URL from outside). */
  env?: Record<string, string | undefined>;
  /** SIGKILL after this long (default 20 s). */
  timeoutMs?: number;
}

export interface BackgroundOptions extends CliOptions {
  /** Leave stdin open for the test to write to (`child.stdin.end(...)`) instead of writing `input` and closing it. */
  keepStdinOpen?: boolean;
}

/** A CLI process started in the background: the test can watch, feed or signal it while it runs. */
export interface BackgroundCli {
  child: ChildProcessWithoutNullStreams;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once the process has exited and its output is read. */
  done: Promise<CliResult>;
}

/** The minimal environment plus `extra`. */
function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Start the built CLI and return at once; `done` has its exit and output. */
export function startCli(args: string[], opts: BackgroundOptions = {}): BackgroundCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  child.stdin.on('error', () => undefined); // the CLI may exit before reading everything
  if (!opts.keepStdinOpen) child.stdin.end(opts.input ?? '');
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Run the built CLI to its end. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** Parse NDJSON output into objects. */
export function ndjson(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * args with options added where commander still reads them: before a '--' if there is one.
 * Real apps' session ids may begin with '-' (base64url), so tests pass them after '--'.
 */
export function withOptions(args: string[], options: string[]): string[] {
  const end = args.indexOf('--');
  return end === -1 ? [...args, ...options] : [...args.slice(0, end), ...options, ...args.slice(end)];
}
