/**
 * The rules of new passwords (src/core/users/policy.ts), after NIST SP 800-63B-4 §3.1.1.2 and
 * ASVS 5.0 6.2: 15 characters by default and 8 at the lowest, counted as code points of the NFC
 * form; long passwords (64 characters and far more) accepted; no composition rule; the whole
 * password compared with the bundled list of common passwords and the operator's file, without
 * regard to case; no password containing the username. And the random passwords of --random.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { ExitCode, UsageError } from '../../src/core/errors.js';
import {
  bundledBlocklist,
  checkBlocklistFile,
  lengthOrNameProblem,
  nameParts,
  PASSWORD_MIN_CHARS,
  PASSWORD_MIN_DEFAULT,
  prepareNewPassword,
  RANDOM_ALPHABET,
  randomPassword,
  type PasswordRules,
} from '../../src/core/users/policy.js';

const dir = mkdtempSync(join(tmpdir(), 'policy-'));
const RULES: PasswordRules = { username: 'alice', minChars: PASSWORD_MIN_DEFAULT };

async function refusal(password: string, rules: PasswordRules = RULES): Promise<UsageError> {
  try {
    await prepareNewPassword(password, rules);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    // A refusal names the rule, never the password.
    expect((err as UsageError).message).not.toContain(password);
    expect((err as UsageError).hint ?? '').not.toContain(password);
    return err as UsageError;
  }
  throw new Error('expected the password to be refused');
}

async function accepted(password: string, rules: PasswordRules = RULES): Promise<Buffer> {
  return prepareNewPassword(password, rules);
}

describe('length', () => {
  test('the defaults: 15 characters, 8 at the lowest', () => {
    expect(PASSWORD_MIN_DEFAULT).toBe(15);
    expect(PASSWORD_MIN_CHARS).toBe(8);
  });

  test('14 characters are refused by default, 15 accepted', async () => {
    expect((await refusal('plum tree lake')).message).toBe('password is shorter than 15 characters');
    expect((await accepted('plum tree lakes')).length).toBe(15);
  });

  test('--min-length 8 accepts 8 characters (with a second factor), never fewer', async () => {
    const eight = { ...RULES, minChars: 8 };
    expect((await accepted('vZ4#kq9!', eight)).length).toBe(8);
    expect((await refusal('vZ4#kq9', eight)).message).toBe('password is shorter than 8 characters');
    expect((await refusal('vZ4#kq9!xxxxxxxxx', { ...RULES, minChars: 7 })).message).toMatch(/may not be below 8/);
  });

  test('the refusal for length hints at passphrases and --min-length', async () => {
    expect((await refusal('short one')).hint).toMatch(/passphrase.*--min-length lowers the minimum to 8/);
  });

  test('length counts code points of the NFC form: a decomposed é is one character', async () => {
    // 14 letters + 'e' + U+0301: 16 UTF-16 units, 15 code points as typed, 14 after NFC.
    const nfd = 'montagne bleue'.replace('bleue', 'bleu') + 'e\u0301';
    expect([...nfd].length).toBe(15);
    expect([...nfd.normalize('NFC')].length).toBe(14);
    expect((await refusal(nfd)).message).toBe('password is shorter than 15 characters');
    // Astral characters count once each (not as two UTF-16 units).
    const emoji = '🔐'.repeat(15);
    expect(emoji.length).toBe(30);
    await accepted(emoji);
    expect((await refusal('🔐'.repeat(14))).message).toBe('password is shorter than 15 characters');
  });

  test('64 characters and far more are allowed (up to the 1024-byte bound of every password)', async () => {
    const long = 'wandering clouds over quiet hills '.repeat(40).slice(0, 1024);
    expect(Buffer.byteLength(long)).toBe(1024);
    expect((await accepted(long.slice(0, 64))).length).toBe(64);
    expect((await accepted(long)).length).toBe(1024);
    expect((await refusal(`${long}x`)).message).toBe('password is longer than 1024 bytes');
  });
});

describe('no composition rules', () => {
  test.each([
    ['lower case letters and spaces only', 'violet harbor engines'],
    ['digits only', '748219365018273645'],
    ['no digit, no symbol, no capital', 'quietlylandingcranes'],
    ['non-Latin letters', 'ночная тишина города'],
  ])('%s is accepted', async (_what, password) => {
    await accepted(password);
  });

  test('the bytes are the NFC form in UTF-8 (as user verify hashes them)', async () => {
    const nfd = 'cafe\u0301 au lait matin';
    expect((await accepted(nfd)).toString('utf8')).toBe(nfd.normalize('NFC'));
  });

  test('control characters are still refused (the rule of every password)', async () => {
    expect((await refusal('violet harbor\u0007engines')).message).toBe('password contains a control character');
  });
});

describe('the bundled blocklist', () => {
  test('is the list of @zxcvbn-ts/language-common: about 49,000 common passwords, lower case', async () => {
    const list = await bundledBlocklist();
    expect(list.size).toBeGreaterThan(49000);
    expect(list.has('123456')).toBe(true);
    expect(list.has('password')).toBe(true);
    expect([...list].every((p) => p === p.toLowerCase())).toBe(true);
  });

  test('refuses a listed password of 15 characters or more at the default minimum', async () => {
    expect((await refusal('passwordpassword')).message).toBe('password is on the list of common passwords');
    expect((await refusal('1qaz2wsx3edc4rfv')).message).toBe('password is on the list of common passwords');
  });

  test('refuses listed passwords at --min-length 8, in any case', async () => {
    const eight = { ...RULES, minChars: 8 };
    for (const p of ['password1', 'PASSWORD1', 'PassWord1', 'iloveyou', 'trustno1', 'qwerty123'])
      expect((await refusal(p, eight)).message).toBe('password is on the list of common passwords');
  });

  test('compares the whole password: a listed one inside a longer one is accepted', async () => {
    await accepted('password1 is what I never use', { ...RULES, minChars: 8 });
  });
});

describe('--blocklist <file>', () => {
  const file = join(dir, 'blocked.txt');
  writeFileSync(file, 'Our Company Name 2026\r\nsummer holidays in rome\n\nÉté à Paris chaque année\n');

  test('refuses a listed password, whole, without regard to case, CRLF or not', async () => {
    const rules = { ...RULES, blocklistFile: file };
    expect((await refusal('our company name 2026', rules)).message).toBe(`password is on the blocklist ${file}`);
    expect((await refusal('SUMMER HOLIDAYS IN ROME', rules)).message).toBe(`password is on the blocklist ${file}`);
    // NFC on both sides: the file's precomposed line matches a decomposed password.
    expect((await refusal('e\u0301te\u0301 a\u0300 paris chaque anne\u0301e', rules)).message).toBe(`password is on the blocklist ${file}`);
    await accepted('summer holidays in rome!', rules);
    // The empty line lists no password (and an empty password is refused for length anyway).
    await accepted('winter holidays in oslo', rules);
  });

  test('is read as a stream: a list of 200,000 lines works', async () => {
    const big = join(dir, 'big.txt');
    const lines = Array.from({ length: 200_000 }, (_, i) => `generated entry number ${i}`);
    writeFileSync(big, `${lines.join('\n')}\n`);
    expect((await refusal('generated entry number 199999', { ...RULES, blocklistFile: big })).message).toMatch(/on the blocklist/);
    await accepted('generated entry number 200000', { ...RULES, blocklistFile: big });
  });

  test('a file that cannot be read is exit 2, checked before any password is asked for', async () => {
    await expect(checkBlocklistFile(join(dir, 'missing.txt'))).rejects.toThrow(/cannot read --blocklist .*missing\.txt: ENOENT/);
    const sub = join(dir, 'a-directory');
    mkdirSync(sub, { recursive: true });
    await expect(checkBlocklistFile(sub)).rejects.toThrow(/cannot read --blocklist .*: not a file/);
    await expect(checkBlocklistFile(file)).resolves.toBeUndefined();
    await expect(checkBlocklistFile(undefined)).resolves.toBeUndefined();
  });
});

describe('the username', () => {
  test('a password containing the username is refused, in any case', async () => {
    expect((await refusal('my name is alice ok')).message).toBe('password contains the username');
    expect((await refusal('ALICEalicealiceALICE')).message).toBe('password contains the username');
  });

  test('an e-mail address: its local part too', async () => {
    const rules = { ...RULES, username: 'jsmith@example.com' };
    expect(nameParts('jsmith@example.com')).toEqual(['jsmith@example.com', 'jsmith']);
    expect((await refusal('jsmith likes long walks', rules)).message).toBe('password contains the username');
    await accepted('john likes long walks', rules);
  });

  test('names of one or two characters are not looked for (they occur in most passphrases)', async () => {
    expect(nameParts('al')).toEqual([]);
    await accepted('totally normal words', { ...RULES, username: 'al' });
    expect(nameParts('bob')).toEqual(['bob']);
    expect(lengthOrNameProblem('kebob sandwich stand', { username: 'bob', minChars: 15 })).toBe('password contains the username');
  });
});

describe('randomPassword (--random)', () => {
  test('24 symbols of the unambiguous alphabet in groups of four: about 139 bits', () => {
    const pw = randomPassword(RULES);
    expect(pw).toMatch(/^[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){5}$/);
    for (const c of pw.replace(/-/g, '')) expect(RANDOM_ALPHABET).toContain(c);
    expect(RANDOM_ALPHABET).toHaveLength(56);
    expect(RANDOM_ALPHABET).not.toMatch(/[0O1lIo]/);
    expect(24 * Math.log2(RANDOM_ALPHABET.length)).toBeGreaterThan(139);
  });

  test('meets the rules it is given, also a higher minimum', async () => {
    const long = randomPassword({ username: 'alice', minChars: 50 });
    expect(long.length).toBeGreaterThanOrEqual(50);
    await accepted(long, { ...RULES, minChars: 50 });
    await accepted(randomPassword(RULES));
  });

  test('is drawn afresh each time, every symbol used', () => {
    const many = Array.from({ length: 400 }, () => randomPassword(RULES));
    expect(new Set(many).size).toBe(400);
    const seen = new Set(many.join('').replace(/-/g, ''));
    expect(seen.size).toBe(RANDOM_ALPHABET.length);
  });

  test('never contains the username (a 3-letter name is drawn around)', () => {
    // With the alphabet's 56 symbols, "abc" turns up in about 1 of 8,000 passwords.
    for (let i = 0; i < 3000; i += 1) expect(randomPassword({ username: 'abc', minChars: 15 }).toLowerCase()).not.toContain('abc');
  });
});
