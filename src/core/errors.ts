/**
 * The one list of failures a command can end in, each with its documented exit code.
 * Core modules throw these; only src/main.ts turns them into a message and an exit code.
 */
export const ExitCode = {
  ok: 0,
  /** A negative answer: wrong password, unknown user or session, outdated hashes found. */
  negative: 1,
  /** Usage error or invalid input. */
  usage: 2,
  /** Redis unreachable or refusing: authentication, ACL, TLS, out of memory, read-only replica, timeout. */
  connection: 3,
  /** Conflict: the thing exists already, or changed concurrently. */
  conflict: 4,
  /** Stored data is unusable: a password hash of no family the tool reads, cost above the caps, wrong key type. */
  badData: 5,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class AppError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  /** A short suggestion printed after the message, e.g. which flag to use. */
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.name = new.target.name;
  }
}

/** Exit 1: the answer is "no" (not a failure of the tool). */
export class NegativeAnswer extends AppError {
  readonly exitCode = ExitCode.negative;
}

/** Exit 2: the operator asked for something malformed. */
export class UsageError extends AppError {
  readonly exitCode = ExitCode.usage;
}

/** Exit 3: we could not talk to Redis (network, TLS, AUTH, ACL, timeout), or it refused (out of memory, a replica). */
export class ConnectionError extends AppError {
  readonly exitCode = ExitCode.connection;
}

/** Exit 3: a failover or resharding happened during a walk, which may have missed keys. */
export class TopologyChangedError extends ConnectionError {}

/** Exit 4: the target exists already or changed under us; nothing was written. */
export class ConflictError extends AppError {
  readonly exitCode = ExitCode.conflict;
}

/** Exit 5: what Redis holds cannot be used safely. */
export class BadDataError extends AppError {
  readonly exitCode = ExitCode.badData;
}

/** Exit 130: the operator pressed Ctrl-C; nothing further was written. */
export class InterruptedError extends AppError {
  readonly exitCode = ExitCode.interrupted;
  constructor(message = 'interrupted') {
    super(message);
  }
}
