/** Input rules shared by the session commands. */
import { UsageError } from '../../errors.js';

/**
 * A user to match sessions against. Compared for exact equality with the session's user
 * field, never placed in a SCAN pattern, so any printable text is safe.
 */
export function validateSessionUser(user: string): string {
  // eslint-disable-next-line no-control-regex
  if (user.length === 0 || user.length > 1024 || /[\u0000-\u001f\u007f]/.test(user)) {
    throw new UsageError('--user must be 1 to 1024 characters without control characters');
  }
  return user;
}
