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
  // Getters: Node opens each standard stream on first use, which costs a few ms when it is a
  // pipe, and most runs never touch stdin (nor --help stderr).
  return {
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    env: process.env,
  };
}

/**
 * Colors only on a terminal (and not TERM=dumb), and never when NO_COLOR is set to anything
 * non-empty (no-color.org) or FORCE_COLOR is 0 or false (chalk's and Node's own off switch;
 * our Chalk instances get an explicit level, so chalk never reads it itself). FORCE_COLOR
 * does not turn colors on in a pipe: data there stays plain.
 */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const noColor = env['NO_COLOR'];
  const forceColor = env['FORCE_COLOR'];
  if ((noColor !== undefined && noColor !== '') || forceColor === '0' || forceColor === 'false') return false;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

/** Write one line to stderr: messages, warnings, summaries. */
export function say(io: Io, line: string): void {
  io.stderr.write(`${line}\n`);
}
