/**
 * Run the CLI in-process: `main(argv, io)` from src/ (no build, no subprocess) with in-memory
 * stdout and stderr and a stdin that is not a terminal. For the in-process tier
 * (test/inproc): option parsing, validation, exit codes and output shapes, fast.
 */
import { Readable, Writable } from 'node:stream';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/main.js';

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface MainOptions {
  /** The whole environment of the run (nothing of the test process's own REDIS_* variables). */
  env?: Record<string, string>;
  /** What stdin holds; without it stdin is empty. Never a terminal. */
  input?: string | Buffer;
}

/** A stream that keeps what is written to it. */
function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/**
 * The variables the tool reads. commander's Option.env() reads them from process.env, not
 * from io.env, so a run sets them there too (and restores them): otherwise a REDIS_URL in the
 * environment jest was started from would change what a test does.
 */
const TOOL_VARIABLE = /^REDIS_/;

/** `redis-accounts ...args`, as main() is called by bin/redis-accounts.js. */
export async function runMain(args: string[], opts: MainOptions = {}): Promise<MainResult> {
  const env = { ...(opts.env ?? {}) };
  const stdout = collector();
  const stderr = collector();
  const io: Io = {
    stdin: Readable.from(opts.input === undefined ? [] : [Buffer.from(opts.input)]),
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
  };
  const saved = Object.entries(process.env).filter(([k]) => TOOL_VARIABLE.test(k));
  const given = Object.entries(env).filter(([k]) => TOOL_VARIABLE.test(k));
  for (const [k] of saved) delete process.env[k];
  Object.assign(process.env, Object.fromEntries(given));
  try {
    const code = await main(['node', 'redis-accounts', ...args], io);
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  } finally {
    for (const [k] of given) delete process.env[k];
    Object.assign(process.env, Object.fromEntries(saved));
  }
}
