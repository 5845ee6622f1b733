/** The SCAN pattern of `user list --match`, and what a reply of the record read says of a record. */
import { describe, expect, test } from '@jest/globals';
import { UsageError } from '../../src/core/errors.js';
import { checkNameGlob, recordFrom, recordMatch } from '../../src/core/users/records.js';
import { hashCell, recordJson } from '../../src/commands/user/record-json.js';

describe('recordMatch', () => {
  test('the prefix escaped, the glob as given inside the braces', () => {
    expect(recordMatch('user:')).toBe('user:{*}');
    expect(recordMatch('user:', 'adm*')).toBe('user:{adm*}');
    expect(recordMatch('u*[x]?:', '[ab]?')).toBe('u\\*\\[x\\]\\?:{[ab]?}');
    expect(recordMatch('u:', 'a\\*')).toBe('u:{a\\*}');
  });

  test('a glob in NFD is matched as the NFC names are stored', () => {
    expect(recordMatch('user:', 'Jose\u0301*')).toBe('user:{Jos\u00e9*}');
  });

  test.each(['', 'a{b', '*}{*', '}', 'a b', 'a\u0000', 'a\u202e', '*\\', 'a\\\\\\', 'x'.repeat(257)])('%j is refused', (glob) => {
    expect(() => checkNameGlob(glob)).toThrow(UsageError);
  });

  test('an escaped backslash at the end is a literal one', () => {
    expect(checkNameGlob('a\\\\')).toBe('a\\\\');
  });
});

describe('recordFrom', () => {
  const fields = ['password_hash', 'status', 'principal'] as const;
  test('fields as text, the hash apart; a field the record lacks is left out', () => {
    const reply = [Buffer.from('$2b$...'), Buffer.from('disabled'), null];
    expect(recordFrom('bob', 'user:{bob}', reply, fields)).toStrictEqual({
      kind: 'user',
      name: 'bob',
      key: 'user:{bob}',
      hash: '$2b$...',
      state: { status: 'disabled' },
    });
  });

  test('gone, another type, a field that is not UTF-8', () => {
    expect(recordFrom('bob', 'user:{bob}', null, fields)).toBeUndefined();
    expect(recordFrom('bob', 'user:{bob}', 'string', fields)).toMatchObject({ kind: 'unreadable', type: 'string' });
    expect(recordFrom('bob', 'user:{bob}', [null, Buffer.from([0xff]), null], fields)).toMatchObject({
      kind: 'unreadable',
      reason: 'its status is not UTF-8',
    });
  });
});

describe('recordJson and hashCell', () => {
  test("the record's own keys, in order; empty reason and principal left out; must_change_password a boolean", () => {
    const line = recordJson({
      kind: 'user',
      name: 'a',
      key: 'user:{a}',
      hash: 'h',
      state: { principal: '', status_reason: '', must_change_password: '0', created_at: 't', sessions_valid_after: 's' },
    });
    expect(line).toStrictEqual({ name: 'a', status: 'active', created_at: 't', must_change_password: false });
    expect(Object.keys(line)).toEqual(['name', 'status', 'created_at', 'must_change_password']);
  });

  test('the cost parameters, not the variant or sizes, and the version after the costs', () => {
    expect(hashCell({ family: 'argon2id', params: { variant: 'argon2id', version: 19, m: 19456, t: 2, p: 1, hashBytes: 32 } })).toBe(
      'argon2id m=19456,t=2,p=1,version=19',
    );
    expect(hashCell({ family: 'bcrypt', params: { variant: '2y', cost: 10 } })).toBe('bcrypt cost=10');
  });
});
