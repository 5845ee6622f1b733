/** Assertions on the typed errors that pure functions throw. */
import { expect } from '@jest/globals';
import { ExitCode, UsageError } from '../../src/core/errors.js';

/** `fn` must throw a UsageError (exit 2); returns it for checks on the message. */
export function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    return err as UsageError;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}
