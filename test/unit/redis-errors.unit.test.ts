import { describe, expect, test } from '@jest/globals';
import { ErrorReply } from 'redis';
import { toAppError } from '../../src/core/redis-errors.js';
import { ExitCode } from '../../src/errors.js';

describe('toAppError', () => {
  test('a CROSSSLOT reply is not mistaken for a TLS failure', () => {
    const err = toAppError(new ErrorReply("CROSSSLOT Keys in request don't hash to the same slot"));
    expect(err?.message).not.toMatch(/TLS/);
  });

  test('ACL denials, also inside scripts, are exit 3 and name the command', () => {
    const direct = toAppError(new ErrorReply("NOPERM this user has no permissions to run the 'unlink' command"));
    expect(direct?.exitCode).toBe(ExitCode.connection);
    expect(direct?.message).toMatch(/permission denied by Redis ACL: .*'unlink'/);
    const inScript = toAppError(new ErrorReply("ERR ACL failure in script: this user has no permissions to run the 'set' command script: abc"));
    expect(inScript?.message).toMatch(/permission denied by Redis ACL: .*'set'/);
  });

  test('WRONGTYPE is stored data unusable (exit 5); a TLS error code is exit 3', () => {
    expect(toAppError(new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'))?.exitCode).toBe(ExitCode.badData);
    const tls = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(toAppError(tls)?.exitCode).toBe(ExitCode.connection);
    expect(toAppError(tls)?.message).toMatch(/TLS failure/);
  });

  test('a programming error is not disguised as a Redis failure', () => {
    expect(toAppError(new TypeError('x is undefined'))).toBeUndefined();
  });
});
