/**
 * The only place that asks the operator anything. Passwords are read without echo
 * (no mask characters either) on a TTY, or as one line from stdin with --password-stdin;
 * never from argv or the environment.
 */
import { InterruptedError, UsageError } from './errors.js';
import type { Io } from './io.js';
import { PASSWORD_MAX_BYTES } from './core/hashing.js';

/** Stop reading stdin past this: a longer "password" is refused without being hashed. */
const STDIN_READ_LIMIT = PASSWORD_MAX_BYTES * 4 + 2;

function isPromptExit(err: unknown): boolean {
  return err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError');
}

export function requireTty(io: Io, what: string, hint: string): void {
  if (io.stdin.isTTY !== true) throw new UsageError(`${what} needs a terminal, and stdin is not one`, { hint });
}

async function promptHidden(io: Io, message: string): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  try {
    return await password({ message, mask: false }, { input: io.stdin, output: io.stderr, clearPromptOnDone: false });
  } catch (err) {
    if (isPromptExit(err)) throw new InterruptedError();
    throw err;
  }
}

export async function confirm(io: Io, message: string): Promise<boolean> {
  const prompts = await import('@inquirer/prompts');
  try {
    return await prompts.confirm({ message, default: false }, { input: io.stdin, output: io.stderr });
  } catch (err) {
    if (isPromptExit(err)) throw new InterruptedError();
    throw err;
  }
}

/** One line from stdin, without its line ending. Reads at most STDIN_READ_LIMIT bytes. */
export async function readSecretLine(io: Io): Promise<string> {
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
  const line = (newline < 0 ? all : all.subarray(0, newline)).toString('utf8').replace(/\r$/, '');
  all.fill(0);
  return line;
}

export interface PasswordRequest {
  fromStdin: boolean;
  /** Ask twice and refuse a mismatch (when creating a password). */
  confirm: boolean;
  message?: string;
}

export async function readPassword(io: Io, req: PasswordRequest): Promise<string> {
  if (req.fromStdin) return readSecretLine(io);
  requireTty(io, 'reading a password', 'pipe the password in with --password-stdin');
  const first = await promptHidden(io, req.message ?? 'Password:');
  if (!req.confirm) return first;
  const second = await promptHidden(io, 'Repeat password:');
  if (first !== second) throw new UsageError('the passwords do not match; nothing was written');
  return first;
}
