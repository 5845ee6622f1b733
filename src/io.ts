/**
 * The streams and environment a command runs with. Passed in (never taken from
 * `process` inside the core) so tests and embedding programs can supply their own.
 */
import type { Readable, Writable } from 'node:stream';

export interface Io {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export function processIo(): Io {
  return {
    // A getter: opening stdin costs a few ms at start-up, and most commands never read it.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  };
}

/** Colors only on a terminal, and never when NO_COLOR is set to anything non-empty. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const noColor = env['NO_COLOR'];
  return stream.isTTY === true && (noColor === undefined || noColor === '') && env['TERM'] !== 'dumb';
}

/** Write one line to stderr: messages, warnings, summaries. */
export function say(io: Io, line: string): void {
  io.stderr.write(`${line}\n`);
}
