/**
 * The only place that asks the operator anything. Passwords are read without echo
 * (no mask characters either) on a TTY, or as one line from stdin with --password-stdin;
 * never from argv or the environment. With a terminal on stdin, --password-stdin reads at
 * the same hidden prompt: a terminal echoes a plainly read line as it is typed.
 *
 * Secrets must be valid UTF-8: a lenient decoder turns every invalid byte into U+FFFD, so
 * different passwords (`\xff...` and `\xfe...`) would become the same one. Invalid input is
 * refused (exit 2), never repaired.
 */
import { InterruptedError, UsageError } from '../core/errors.js';
import type { Io } from './io.js';
import { PASSWORD_MAX_BYTES } from '../core/users/hashing.js';

/** Stop reading stdin past this: a longer "password" is refused without being hashed. */
const STDIN_READ_LIMIT = PASSWORD_MAX_BYTES * 4 + 2;

function isPromptExit(err: unknown): boolean {
  return err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError');
}

export function requireTty(io: Io, what: string, hint: string): void {
  if (io.stdin.isTTY !== true) throw new UsageError(`${what} needs a terminal, and stdin is not one`, { hint });
}

function notUtf8(what: string): UsageError {
  // Never quote the input: it is a secret.
  return new UsageError(`the ${what} is not valid UTF-8; nothing was done`, {
    hint: 'set the terminal (or the program that writes to stdin) to UTF-8',
  });
}

/**
 * A line typed at a hidden prompt. The prompt's readline decodes keystrokes leniently, so a
 * typed U+FFFD and an invalid byte look the same in its answer; the raw bytes are checked
 * here, by a listener of our own on the same stream, with a strict decoder.
 */
async function promptHidden(io: Io, message: string, what = 'password'): Promise<string> {
  const { default: password } = await import('@inquirer/password');
  let decoder = new TextDecoder('utf-8', { fatal: true });
  let invalid = false;
  const check = (chunk: Buffer | string): void => {
    if (typeof chunk === 'string' || invalid) return; // a string was decoded by someone else already
    try {
      decoder.decode(chunk, { stream: true });
    } catch {
      invalid = true;
      decoder = new TextDecoder('utf-8', { fatal: true });
    }
  };
  // Attached in the same tick as the prompt's own reader, so both see every chunk.
  const answer = password({ message, mask: false }, { input: io.stdin, output: io.stderr, clearPromptOnDone: false });
  io.stdin.on('data', check);
  try {
    const line = await answer;
    if (invalid) throw notUtf8(what);
    return line;
  } catch (err) {
    if (isPromptExit(err)) throw new InterruptedError();
    throw err;
  } finally {
    io.stdin.off('data', check);
  }
}

export async function confirm(io: Io, message: string): Promise<boolean> {
  const { default: confirmPrompt } = await import('@inquirer/confirm');
  try {
    return await confirmPrompt({ message, default: false }, { input: io.stdin, output: io.stderr });
  } catch (err) {
    if (isPromptExit(err)) throw new InterruptedError();
    throw err;
  }
}

/**
 * One line from stdin, without its line ending: `what` names it in errors ("password").
 * Reads at most STDIN_READ_LIMIT bytes; refuses a line that is not valid UTF-8. On a terminal
 * the line is read at a hidden prompt instead, so it is not echoed.
 */
export async function readSecretLine(io: Io, what = 'input'): Promise<string> {
  if (io.stdin.isTTY === true) return promptHidden(io, `${what[0]?.toUpperCase() ?? ''}${what.slice(1)}:`, what);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(buf);
    size += buf.length;
    if (buf.includes(0x0a) || size > STDIN_READ_LIMIT) break;
  }
  const all = Buffer.concat(chunks);
  const newline = all.indexOf(0x0a);
  if (newline < 0 && size > STDIN_READ_LIMIT) throw new UsageError(`password is longer than ${PASSWORD_MAX_BYTES} bytes`);
  try {
    // ignoreBOM keeps a leading U+FEFF in the line, as Buffer#toString did.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
      .decode(newline < 0 ? all : all.subarray(0, newline))
      .replace(/\r$/, '');
  } catch {
    throw notUtf8(what);
  } finally {
    all.fill(0);
  }
}

export interface PasswordRequest {
  fromStdin: boolean;
  /** Ask twice and refuse a mismatch (when creating a password). */
  confirm: boolean;
  message?: string;
}

export async function readPassword(io: Io, req: PasswordRequest): Promise<string> {
  // A terminal on stdin gets the prompt even with --password-stdin: no echo, and a new
  // password is asked twice, as a typo cannot be seen.
  if (req.fromStdin && io.stdin.isTTY !== true) return readSecretLine(io, 'password');
  requireTty(io, 'reading a password', 'pipe the password in with --password-stdin');
  const first = await promptHidden(io, req.message ?? 'Password:');
  if (!req.confirm) return first;
  const second = await promptHidden(io, 'Repeat password:');
  if (first !== second) throw new UsageError('the passwords do not match; nothing was written');
  return first;
}
