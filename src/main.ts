/**
 * The entry point and the only place that decides exit codes and prints errors:
 * typed errors become one line on stderr (a hint where one helps), nothing becomes a stack
 * trace unless --debug is given.
 */
import { CommanderError } from 'commander';
import { AppError, ExitCode } from './core/errors.js';
import { processIo, type Io } from './cli/io.js';
import { makeProgram } from './program.js';
import { printable } from './cli/output.js';
import { toAppError } from './core/redis/redis-errors.js';

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  // dist/ is a bundle: map --debug stack traces back to src/ (the maps ship beside it).
  if (argv.includes('--debug')) process.setSourceMapsEnabled(true);
  let exitCode: number = ExitCode.ok;
  // stdout's reader went away (`| head`): listings stop at their next batch and return
  // normally, so connections close and the exit code is set here like any other time.
  const readerGone = new AbortController();
  io.stdout.on?.('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') readerGone.abort();
  });
  const program = makeProgram(
    io,
    (code) => {
      exitCode = code;
    },
    readerGone.signal,
  );
  program.exitOverride();
  // Propagate exitOverride to every subcommand, so usage errors come back to us too.
  const all = (c: typeof program): (typeof program)[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) c.exitOverride();

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    return report(err, io, argv.includes('--debug'));
  }
}

function report(err: unknown, io: Io, debug: boolean): number {
  if (err instanceof CommanderError) {
    // Help and version end in exitCode 0; commander has already printed its message.
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  // Messages may quote stored data (a PHC parse error quotes part of the hash, Redis errors
  // name keys): every line goes through the same filter as stored data shown elsewhere.
  const lines = (text: string) => text.split('\n').map(printable).join('\n');
  const known = toAppError(err);
  if (known instanceof AppError) {
    io.stderr.write(`redis-accounts: ${printable(known.message)}${known.hint ? ` (hint: ${printable(known.hint)})` : ''}\n`);
    if (debug && known.cause) io.stderr.write(`${lines(String((known.cause as Error).stack ?? known.cause))}\n`);
    return known.exitCode;
  }
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
  io.stderr.write(
    `redis-accounts: unexpected error: ${printable(message)}${debug ? '' : ' (hint: run again with --debug for details, and report it as a bug)'}\n`,
  );
  if (debug && err instanceof Error) io.stderr.write(`${lines(String(err.stack))}\n`);
  return 1;
}
