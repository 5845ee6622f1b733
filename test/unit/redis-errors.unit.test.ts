import { describe, expect, test } from '@jest/globals';
import { ErrorReply } from 'redis';
import { toAppError } from '../../src/core/redis/redis-errors.js';
import { ExitCode } from '../../src/core/errors.js';

describe('toAppError', () => {
  test('a CROSSSLOT reply is not mistaken for a TLS failure', () => {
    const err = toAppError(new ErrorReply("CROSSSLOT Keys in request don't hash to the same slot"));
    expect(err?.message).not.toMatch(/TLS/);
  });

  test('ACL denials, also inside scripts, are exit 3 and name the command', () => {
    const direct = toAppError(new ErrorReply("NOPERM this user has no permissions to run the 'unlink' command"));
    expect(direct?.exitCode).toBe(ExitCode.connection);
    expect(direct?.message).toMatch(/permission denied by Redis ACL: .*'unlink'/);
    const inScript = toAppError(
      new ErrorReply("ERR ACL failure in script: this user has no permissions to run the 'set' command script: abc"),
    );
    expect(inScript?.message).toMatch(/permission denied by Redis ACL: .*'set'/);
  });

  test('WRONGTYPE is stored data unusable (exit 5); a TLS error code is exit 3', () => {
    expect(toAppError(new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'))?.exitCode).toBe(
      ExitCode.badData,
    );
    const tls = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(toAppError(tls)?.exitCode).toBe(ExitCode.connection);
    expect(toAppError(tls)?.message).toMatch(/TLS failure/);
  });

  test('a programming error is not disguised as a Redis failure', () => {
    expect(toAppError(new TypeError('x is undefined'))).toBeUndefined();
  });
});

describe('authentication replies say what to do', () => {
  test.each([
    [
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    ],
    ['NOAUTH Authentication required.'],
  ])('%s: the server needs a password, and how to give it', (reply) => {
    const err = toAppError(new ErrorReply(reply), 'cannot connect to redis://h:6379');
    expect(err?.exitCode).toBe(ExitCode.connection);
    expect(err?.message).toBe(
      'cannot connect to redis://h:6379: authentication required: the server needs a password and none was given (NOAUTH)',
    );
    expect(err?.hint).toMatch(/REDIS_PASSWORD.*--redis-password-file.*URL.*REDIS_USERNAME/);
  });

  test('WRONGPASS: rejected, not required', () => {
    const err = toAppError(
      new ErrorReply('WRONGPASS invalid username-password pair or user is disabled.'),
      'cannot connect to redis://h:6379',
    );
    expect(err?.exitCode).toBe(ExitCode.connection);
    expect(err?.message).toMatch(
      /^cannot connect to redis:\/\/h:6379: authentication failed: the server rejected the user name or password/,
    );
    expect(err?.hint).toMatch(/REDIS_USERNAME and REDIS_PASSWORD/);
  });
});

describe('a server that refuses writes', () => {
  test.each([
    ["OOM command not allowed when used memory > 'maxmemory'."],
    ["OOM command not allowed when used memory > 'maxmemory'. script: 3caf198c5d2139d6fa3c3b0f65baab55eb68c347, on @user_script:3."],
    [
      "ERR Error running script (call to f_3caf198c): @user_script:3: @user_script: 3: -OOM command not allowed when used memory > 'maxmemory'.",
    ],
  ])('%s: out of memory, exit 3', (reply) => {
    const err = toAppError(new ErrorReply(reply));
    expect(err?.exitCode).toBe(ExitCode.connection);
    expect(err?.message).toBe('Redis refused the write (out of memory)');
    expect(err?.hint).toMatch(/maxmemory/);
  });

  test('READONLY: a replica, use the master', () => {
    const err = toAppError(new ErrorReply("READONLY You can't write against a read only replica. script: abc, on @user_script:1."));
    expect(err?.exitCode).toBe(ExitCode.connection);
    expect(err?.message).toBe('Redis refused the write: the server is a read-only replica');
    expect(err?.hint).toMatch(/master/);
  });

  test('MISCONF: snapshots failing', () => {
    const err = toAppError(
      new ErrorReply(
        "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled",
      ),
    );
    expect(err?.exitCode).toBe(ExitCode.connection);
    expect(err?.message).toMatch(/^Redis refused the write: it cannot save its snapshots to disk \(MISCONF\)/);
  });
});

test('a TLS client reading a plaintext reply: the hint says the server may not speak TLS', () => {
  const wrongVersion = Object.assign(new Error('C0D7A3F5A17F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), {
    code: 'ERR_SSL_WRONG_VERSION_NUMBER',
  });
  const err = toAppError(wrongVersion, 'cannot connect to rediss://h:6379');
  expect(err?.exitCode).toBe(ExitCode.connection);
  expect(err?.hint).toMatch(/does not seem to speak TLS.*redis:\/\//);
});
