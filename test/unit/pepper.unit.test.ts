/**
 * core/users/pepper.ts: the pepper file's format, and the exact bytes argon2id hashes (the
 * computation README gives applications), checked against a fixed HMAC-SHA-256 vector.
 */
import { describe, expect, test } from '@jest/globals';
import { BadDataError, UsageError } from '../../src/core/errors.js';
import { onOldPepper, parsePepperKeys, pepperPassword, pepperShortfalls, storedHashInput } from '../../src/core/users/pepper.js';

const KEY = Buffer.alloc(32, 0x0b);
const OTHER = Buffer.alloc(32, 0x0c);
const file = (...lines: string[]) => lines.join('\n');
const keys = parsePepperKeys(file('# comment', '', `new:${OTHER.toString('base64')}`, `  old:${KEY.toString('base64')}  `), 'f');

describe('parsePepperKeys', () => {
  test('the first key is current; comments, blank lines and surrounding spaces are skipped', () => {
    expect(keys.current.id).toBe('new');
    expect([...keys.byId.keys()]).toEqual(['new', 'old']);
    expect(keys.byId.get('old')?.secret).toEqual(KEY);
  });

  test.each([
    ['short key', `k:${Buffer.alloc(31).toString('base64')}`, /31 bytes; a pepper must be at least 32/],
    ['no id', KEY.toString('base64'), /line 1 is not <id>:<base64 key>/],
    ['bad id', `a b:${KEY.toString('base64')}`, /line 1 is not <id>:<base64 key>/],
    ['not base64', `k:${KEY.toString('hex')}z`, /not standard base64/],
    ['hex (valid base64 of other bytes)', `k:${KEY.toString('hex')}`, /looks like hex; give it in base64/],
    ['empty', '# only a comment', /holds no key/],
  ])('%s: a UsageError (exit 2) that does not quote the line', (_what, text, message) => {
    let err: unknown;
    try {
      parsePepperKeys(text, 'f');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain(text.slice(text.indexOf(':') + 1, text.indexOf(':') + 12));
  });
});

describe('the peppered password', () => {
  test('is base64(HMAC-SHA-256(key, password bytes)) as ASCII: RFC 4231 test case 1 (20-byte key 0x0b, "Hi There")', () => {
    // RFC 4231 4.2: HMAC-SHA-256 = b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7
    const rfcKey = { id: 'rfc', secret: Buffer.alloc(20, 0x0b) };
    const expected = Buffer.from('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7', 'hex').toString('base64');
    expect(pepperPassword(Buffer.from('Hi There'), rfcKey).toString('ascii')).toBe(expected);
  });

  test('storedHashInput: the record names the key; none: the password as is; a key not given: BadDataError (exit 5)', () => {
    const pw = Buffer.from('password');
    expect(storedHashInput(pw, undefined, keys, 'u')).toBe(pw);
    expect(storedHashInput(pw, '', keys, 'u')).toBe(pw);
    expect(storedHashInput(pw, 'old', keys, 'u')).toEqual(pepperPassword(pw, { id: 'old', secret: KEY }));
    expect(() => storedHashInput(pw, 'gone', keys, 'u')).toThrow(BadDataError);
    expect(() => storedHashInput(pw, 'old', undefined, 'u')).toThrow(/peppered with key old: give --pepper-file/);
  });

  test('shortfalls and the roll-out rule', () => {
    expect(pepperShortfalls('new', keys)).toEqual({ reasons: [], usable: true });
    expect(pepperShortfalls('old', undefined)).toEqual({ reasons: [], usable: true });
    expect(pepperShortfalls(undefined, keys).reasons).toEqual(['not peppered (current pepper key new)']);
    expect(pepperShortfalls('old', keys).reasons).toEqual(['pepper key old (current new)']);
    expect(pepperShortfalls('gone', keys)).toEqual({ reasons: ['pepper key gone is not in the pepper file'], usable: false });
    expect([onOldPepper('old', keys), onOldPepper('new', keys), onOldPepper(undefined, keys), onOldPepper('old', undefined)]).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });
});
