import { describe, test, expect } from '@jest/globals';
import { DEFAULT_CAPS, DEFAULT_POLICY, DEFAULT_USER_FIELDS } from '../../src/core/defaults.js';
import { Command } from 'commander';
import {
  addConnectionOptions,
  addPolicyOptions,
  addSessionOptions,
  addUserOptions,
  connectionOptions,
  costCaps,
  DEFAULT_TIMEOUT,
  hashPolicy,
  policyAndCaps,
  parseInteger,
  parseTimeout,
  type ConnectionFlags,
  type PolicyFlags,
  type SessionFlags,
  type UserFlags,
  userFieldsOf,
} from '../../src/cli/options.js';
import { usageError } from '../helpers/errors.js';

/**
 * The options a command gets from this command line and environment: option groups are parsed
 * (and checked) by commander as the command line is read, so that is what these tests drive.
 */
function parsed<O extends object>(add: (cmd: Command) => Command, argv: string[] = [], env: Record<string, string> = {}): O {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const cmd = add(new Command('t').exitOverride().configureOutput({ writeErr: () => undefined }));
    cmd.parse(argv, { from: 'user' });
    return cmd.opts<O>();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
const policyFlags = (...argv: string[]) => parsed<PolicyFlags>(addPolicyOptions, argv);
const sessionFlags = (...argv: string[]) => parsed<SessionFlags>(addSessionOptions, argv);
const userFlags = (...argv: string[]) => parsed<UserFlags>(addUserOptions, argv);
const connectionFlags = (argv: string[], env: Record<string, string> = {}) => parsed<ConnectionFlags>(addConnectionOptions, argv, env);
const userFields = (field?: string) => userFieldsOf(sessionFlags(...(field === undefined ? [] : ['--user-field', field])));

describe('parseTimeout', () => {
  test.each([
    ['500ms', 500],
    ['5s', 5000],
    ['2m', 120000],
    ['5', 5000],
    ['1', 1000],
    ['10ms', 10],
    ['1m', 60000],
    ['60m', 3600000],
    ['3600', 3600000],
    ['3600s', 3600000],
    ['3600000ms', 3600000],
    [' 5s ', 5000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseTimeout(text)).toBe(ms);
  });

  test('the default is 5 seconds', () => {
    expect(parseTimeout(DEFAULT_TIMEOUT)).toBe(5000);
  });

  test.each([
    ['abc'],
    [''],
    ['0ms'],
    ['0'],
    ['0s'],
    ['9ms'],
    ['2h'],
    ['61m'],
    ['3601'],
    ['3600001ms'],
    ['-5s'],
    ['1.5s'],
    ['5 s'],
    ['5S'],
    ['5sec'],
    ['1e3'],
    ['ms'],
    ['99999999ms'],
    ['Infinity'],
  ])('rejects %j', (text) => {
    const err = usageError(() => parseTimeout(text));
    expect(err.message).toMatch(/--timeout/);
  });

  test('a long invalid value is not echoed in full', () => {
    const err = usageError(() => parseTimeout('z'.repeat(5000)));
    expect(err.message.length).toBeLessThan(80);
  });
});

describe('parseInteger', () => {
  test('accepts the bounds themselves and values between them', () => {
    expect(parseInteger('1', '--n', 1, 10)).toBe(1);
    expect(parseInteger('10', '--n', 1, 10)).toBe(10);
    expect(parseInteger('5', '--n', 1, 10)).toBe(5);
    expect(parseInteger('0', '--n', 0, 0)).toBe(0);
    expect(parseInteger(' 7 ', '--n', 1, 10)).toBe(7);
  });

  test('rejects just below the minimum and just above the maximum, naming the range', () => {
    const below = usageError(() => parseInteger('0', '--argon2-time', 1, 100));
    expect(below.message).toBe('--argon2-time must be between 1 and 100');
    const above = usageError(() => parseInteger('101', '--argon2-time', 1, 100));
    expect(above.message).toBe('--argon2-time must be between 1 and 100');
  });

  test.each(['', ' ', 'abc', '-1', '+1', '1.5', '1e3', '0x10', '1,000', '1 000', '١٢', 'NaN', 'Infinity', '1234567890123'])(
    'rejects %j as not a whole number, naming the option',
    (text) => {
      expect(usageError(() => parseInteger(text, '--min-length', 0, 1e12)).message).toMatch(/^--min-length must be a whole number/);
    },
  );

  test('a long invalid value is not echoed in full', () => {
    expect(usageError(() => parseInteger('q'.repeat(1000), '--n', 0, 10)).message.length).toBeLessThan(80);
  });
});

describe('userFields', () => {
  test('without --user-field, the default list', () => {
    expect(userFields()).toEqual(['passport.user', 'userId', 'user.id', 'username']);
    expect(userFields()).toEqual(DEFAULT_USER_FIELDS);
  });

  test.each(['passport.user', 'userId', 'user.id', 'user_id', 'a-b', '$user', 'a.b.c.d', 'A9', 'session.auth.sub'])(
    'a dotted path %s is used alone',
    (field) => {
      expect(userFields(field)).toEqual([field]);
    },
  );

  test.each(['', '.', '.user', 'user.', 'a..b', 'a b', ' user', 'user ', 'a[0]', "a['b']", 'a/b', 'a*', 'a:b', 'a\nb', 'a\u0000', 'ä'])(
    'rejects %j with a hint',
    (field) => {
      const err = usageError(() => userFields(field));
      expect(err.message).toMatch(/--user-field/);
      expect(err.hint).toMatch(/passport\.user/);
    },
  );

  test('a long invalid value is not echoed in full', () => {
    expect(usageError(() => userFields('!'.repeat(1000))).message.length).toBeLessThan(80);
  });
});

describe('hashPolicy and costCaps', () => {
  const policyArgs = ['--argon2-memory', '19456', '--argon2-time', '2', '--argon2-parallelism', '1'];
  const capArgs = ['--argon2-max-memory', '262144', '--argon2-max-time', '16', '--argon2-max-parallelism', '16'];

  test('convert the option strings (the defaults give the default policy and caps)', () => {
    expect(hashPolicy(policyFlags(...policyArgs))).toEqual(DEFAULT_POLICY);
    expect(costCaps(policyFlags(...capArgs))).toEqual(DEFAULT_CAPS);
    expect(hashPolicy(policyFlags())).toEqual(DEFAULT_POLICY);
    expect(costCaps(policyFlags())).toEqual(DEFAULT_CAPS);
  });

  test('an empty value is a usage error, not a silent default', () => {
    usageError(() => policyFlags('--argon2-time', ''));
    usageError(() => parsed(addPolicyOptions, [], { REDIS_ACCOUNTS_ARGON2_MAX_TIME: '' }));
  });

  test.each([
    ['--argon2-memory', '1023', /--argon2-memory/],
    ['--argon2-memory', '4194305', /--argon2-memory/],
    ['--argon2-time', '0', /--argon2-time/],
    ['--argon2-time', '101', /--argon2-time/],
    ['--argon2-parallelism', '0', /--argon2-parallelism/],
    ['--argon2-parallelism', '65', /--argon2-parallelism/],
    ['--argon2-memory', '19 MiB', /--argon2-memory/],
  ])('policy %s=%s is refused', (name, value, pattern) => {
    expect(usageError(() => policyFlags(...policyArgs, name, value)).message).toMatch(pattern);
  });

  test.each([
    ['--argon2-max-memory', '1023', /--argon2-max-memory/],
    ['--argon2-max-time', '0', /--argon2-max-time/],
    ['--argon2-max-parallelism', '256', /--argon2-max-parallelism/],
  ])('cap %s=%s is refused', (name, value, pattern) => {
    expect(usageError(() => policyFlags(...capArgs, name, value)).message).toMatch(pattern);
  });

  // An unknown user's decoy hash at a policy above the caps was refused (exit 5) where a known
  // user's wrong password got exit 1: that told which names exist.
  test.each([
    [['--argon2-memory', '300000'], /--argon2-memory 300000 is above --argon2-max-memory 262144/],
    [['--argon2-time', '20'], /--argon2-time 20 is above --argon2-max-time 16/],
    [['--argon2-parallelism', '17'], /--argon2-parallelism 17 is above --argon2-max-parallelism 16/],
  ])('a policy above the caps is refused: %j', (over, pattern) => {
    expect(usageError(() => policyAndCaps(policyFlags(...policyArgs, ...capArgs, ...over))).message).toMatch(pattern);
  });

  test('a policy within the caps passes', () => {
    expect(policyAndCaps(policyFlags(...policyArgs, ...capArgs))).toEqual({ policy: DEFAULT_POLICY, caps: DEFAULT_CAPS });
  });
});

describe('prefixes', () => {
  test('default to user: and, for sessions, the layout (connect-redis, whose prefix is sess:)', () => {
    expect(userFlags().userPrefix).toBe('user:');
    expect(sessionFlags().sessionPrefix).toBeUndefined();
    expect(sessionFlags().layout).toBe('connect-redis');
  });

  test('are validated, naming the option', () => {
    expect(usageError(() => userFlags('--user-prefix', 'a b')).message).toMatch(/--user-prefix/);
    expect(usageError(() => sessionFlags('--session-prefix', 'x{')).message).toMatch(/--session-prefix/);
    expect(sessionFlags('--session-prefix', 'myapp:').sessionPrefix).toBe('myapp:');
  });
});

describe('connectionOptions', () => {
  test('takes url, timeout and credentials from options and environment', () => {
    const c = connectionOptions(
      connectionFlags(['--url', 'redis://h:6380', '--timeout', '500ms', '--redis-password-file', '/run/pw']),
      'env',
      {
        REDIS_USERNAME: 'ops',
        REDIS_PASSWORD: 'pw',
      },
    );
    expect(c).toMatchObject({
      url: 'redis://h:6380',
      urlFromArgv: false,
      username: 'ops',
      password: 'pw',
      passwordFile: '/run/pw',
      timeoutMs: 500,
    });
  });

  test('marks a URL given on the command line, so a password in it can be warned about', () => {
    expect(connectionOptions(connectionFlags(['--url', 'redis://:pw@h']), 'cli', {}).urlFromArgv).toBe(true);
    expect(connectionOptions(connectionFlags(['--url', 'redis://:pw@h']), 'default', {}).urlFromArgv).toBe(false);
  });

  test('empty REDIS_USERNAME / REDIS_PASSWORD count as unset', () => {
    const c = connectionOptions(connectionFlags([]), undefined, { REDIS_USERNAME: '', REDIS_PASSWORD: '' });
    expect(c.username).toBeUndefined();
    expect(c.password).toBeUndefined();
    expect(c.url).toBe('redis://127.0.0.1:6379');
    expect(c.timeoutMs).toBe(5000);
  });

  test('an invalid timeout is a usage error, also from the environment', () => {
    usageError(() => connectionFlags(['--timeout', '2h']));
    usageError(() => connectionFlags([], { REDIS_ACCOUNTS_TIMEOUT: '2h' }));
  });
});

describe('parseInteger without an upper bound (--limit)', () => {
  test('0 says "at least 1", not "between 1 and 9007199254740991"', () => {
    expect(usageError(() => parseInteger('0', '--limit', 1, Number.MAX_SAFE_INTEGER)).message).toBe('--limit must be at least 1');
    expect(parseInteger('999999999999', '--limit', 1, Number.MAX_SAFE_INTEGER)).toBe(999999999999);
  });
});
