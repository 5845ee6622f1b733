import { describe, test, expect } from '@jest/globals';
import { UsageError } from '../../src/errors.js';
import {
  DEFAULT_SESSION_PREFIX,
  DEFAULT_USER_PREFIX,
  escapeGlob,
  sessionKey,
  USERNAME_MAX_CHARS,
  userKey,
  usernameFromKey,
  validatePrefix,
  validateSessionId,
  validateUsername,
} from '../../src/core/keys.js';
import { usageError } from '../helpers/errors.js';


/** Any C0 control, DEL or C1 control: bytes a terminal may act on. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

describe('validateUsername: accepted', () => {
  test.each([
    'alice',
    'a',
    'Alice42',
    'a.b-c_d@example.com',
    'first+tag@example.org',
    'José',
    'Zoë',
    '名前',
    'Ωμέγα',
    'користувач',
    'مستخدم',
    '١٢٣',
    'a'.repeat(64),
  ])('%s', (name) => {
    expect(validateUsername(name)).toBe(name);
  });

  test("'José' is accepted in NFC (precomposed é)", () => {
    const nfc = 'Jos\u00e9';
    expect(nfc.normalize('NFC')).toBe(nfc);
    expect(validateUsername(nfc)).toBe(nfc);
  });

  test('the limit is 64 characters, not UTF-16 code units or bytes', () => {
    expect(USERNAME_MAX_CHARS).toBe(64);
    expect(validateUsername('名'.repeat(64))).toHaveLength(64);
    // U+1D49C MATHEMATICAL SCRIPT CAPITAL A is a letter outside the BMP: 2 code units each.
    const astral = '\u{1D49C}'.repeat(64);
    expect(astral.length).toBe(128);
    expect(validateUsername(astral)).toBe(astral);
    expect(() => validateUsername('\u{1D49C}'.repeat(65))).toThrow(UsageError);
  });
});

describe('validateUsername: rejected', () => {
  test('empty', () => {
    expect(usageError(() => validateUsername('')).message).toMatch(/empty/);
  });

  test('65 characters', () => {
    expect(usageError(() => validateUsername('a'.repeat(65))).message).toMatch(/longer than 64/);
  });

  test('10,000 characters, quickly and without echoing the input', () => {
    const long = 'b'.repeat(10_000);
    const started = process.hrtime.bigint();
    const err = usageError(() => validateUsername(long));
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(100);
    expect(err.message).not.toContain('bbbbbbbbbb');
  });

  test.each([
    ['*', 'U+002A'],
    ['?', 'U+003F'],
    ['[', 'U+005B'],
    [']', 'U+005D'],
    ['\\', 'U+005C'],
    ['{', 'U+007B'],
    ['}', 'U+007D'],
    [':', 'U+003A'],
    ['/', 'U+002F'],
    ['"', 'U+0022'],
    ["'", 'U+0027'],
    ['$', 'U+0024'],
    ['%', 'U+0025'],
  ])('%s, named in the message', (c, hex) => {
    for (const name of [`ali${c}ce`, `${c}alice`, `alice${c}`, c]) {
      const err = usageError(() => validateUsername(name));
      expect(err.message).toContain(hex);
      expect(err.message).toContain(`"${c}"`);
      expect(err.hint).toMatch(/letters, digits/);
    }
  });

  test('names the first offending character', () => {
    const err = usageError(() => validateUsername('a*b?c'));
    expect(err.message).toContain('U+002A');
    expect(err.message).not.toContain('U+003F');
  });

  test.each([
    ['space', ' ', 'U+0020'],
    ['tab', '\t', 'U+0009'],
    ['CR', '\r', 'U+000D'],
    ['LF', '\n', 'U+000A'],
    ['NUL', '\u0000', 'U+0000'],
    ['ESC', '\u001b', 'U+001B'],
    ['DEL', '\u007f', 'U+007F'],
    ['no-break space', '\u00a0', 'U+00A0'],
    ['line separator', '\u2028', 'U+2028'],
    ['C1 NEL', '\u0085', 'U+0085'],
    ['C1 CSI', '\u009b', 'U+009B'],
    ['right-to-left override', '\u202e', 'U+202E'],
    ['zero-width space', '\u200b', 'U+200B'],
    ['byte order mark', '\ufeff', 'U+FEFF'],
  ])('%s: rejected and named by code point, never echoed raw', (_, c, hex) => {
    for (const name of [`ali${c}ce`, `${c}alice`, `alice${c}`]) {
      const err = usageError(() => validateUsername(name));
      expect(err.message).toContain(hex);
      // The message itself has ordinary spaces; the character must not appear quoted.
      expect(err.message).not.toContain(`"${c}"`);
      if (c !== ' ') expect(err.message).not.toContain(c);
      expect(err.message).not.toMatch(RAW_CONTROL);
    }
  });

  test('an escape sequence in a name does not reach the message', () => {
    const err = usageError(() => validateUsername('x\u001b[2J\u001b]0;pwned\u0007'));
    expect(err.message).not.toMatch(RAW_CONTROL);
    expect(err.message).toContain('U+001B');
  });

  test('emoji and symbols are not letters or digits', () => {
    expect(usageError(() => validateUsername('bob\u{1F600}')).message).toContain('U+1F600');
    usageError(() => validateUsername('a=b'));
    usageError(() => validateUsername('a,b'));
  });

  test('NFD form (decomposed é) is rejected with a hint to type it precomposed', () => {
    const nfd = 'Jose\u0301';
    expect(nfd.normalize('NFC')).not.toBe(nfd);
    const err = usageError(() => validateUsername(nfd));
    expect(err.message).toMatch(/NFC/);
    expect(err.hint).toMatch(/precomposed/);
  });

  test('NFD Hangul is rejected, its NFC form accepted', () => {
    const nfd = '\u1112\u1161\u11ab';
    usageError(() => validateUsername(nfd));
    expect(validateUsername(nfd.normalize('NFC'))).toBe('\ud55c');
  });
});

describe('escapeGlob', () => {
  test.each([
    ['*', '\\*'],
    ['?', '\\?'],
    ['[', '\\['],
    [']', '\\]'],
    ['\\', '\\\\'],
  ])('escapes %s', (c, escaped) => {
    expect(escapeGlob(c)).toBe(escaped);
    expect(escapeGlob(`a${c}b`)).toBe(`a${escaped}b`);
  });

  test('escapes every occurrence', () => {
    expect(escapeGlob('a*b*c??[x]\\\\')).toBe('a\\*b\\*c\\?\\?\\[x\\]\\\\\\\\');
  });

  test('leaves other characters alone', () => {
    expect(escapeGlob('user:')).toBe('user:');
    expect(escapeGlob('app:sess:{x}-^!.+é')).toBe('app:sess:{x}-^!.+é');
    expect(escapeGlob('')).toBe('');
  });

  test('an escaped prefix followed by * matches only keys that start with the literal prefix', () => {
    // A minimal Redis-compatible glob matcher: \x literal, * any run, ? one char, [..] class.
    const globToRegExp = (pattern: string): RegExp => {
      let out = '';
      for (let i = 0; i < pattern.length; i += 1) {
        const c = pattern[i] as string;
        if (c === '\\') out += (pattern[++i] ?? '').replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
        else if (c === '*') out += '[\\s\\S]*';
        else if (c === '?') out += '[\\s\\S]';
        else if (c === '[') {
          const end = pattern.indexOf(']', i + 1);
          out += `[${pattern.slice(i + 1, end)}]`;
          i = end;
        } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
      }
      return new RegExp(`^${out}$`);
    };
    const prefix = 'p*[ab]?\\:';
    const re = globToRegExp(`${escapeGlob(prefix)}*`);
    expect(re.test(`${prefix}session1`)).toBe(true);
    expect(re.test('pXXa1\\:session1')).toBe(false);
    expect(re.test('p*bZ\\:session1')).toBe(false);
    // Without escaping, the pattern would match these foreign keys.
    expect(globToRegExp(`${prefix}*`).test('pXXa1:session1')).toBe(true);
  });
});

describe('userKey and usernameFromKey', () => {
  test("userKey('user:', 'alice') is user:{alice}", () => {
    expect(DEFAULT_USER_PREFIX).toBe('user:');
    expect(userKey('user:', 'alice')).toBe('user:{alice}');
    expect(userKey('app:users:', 'José')).toBe('app:users:{José}');
  });

  test.each(['alice', 'a.b-c_d@example.com', 'José', '名前', 'a'.repeat(64)])('usernameFromKey inverts userKey for %s', (name) => {
    for (const prefix of ['user:', '', 'app:users:', 'x*[?]\\']) {
      expect(usernameFromKey(prefix, userKey(prefix, name))).toBe(name);
    }
  });

  test.each([
    ['a session key', 'sess:abc'],
    ['another prefix', 'account:{alice}'],
    ['no braces', 'user:alice'],
    ['opening brace only', 'user:{alice'],
    ['closing brace only', 'user:alice}'],
    ['a per-user key under the record', 'user:{alice}:sessions'],
    ['a per-user key ending in a brace', 'user:{alice}:{x}'],
    ['nested braces', 'user:{{alice}}'],
    ['a prefix of the prefix', 'use{alice}'],
    ['empty braces', 'user:{}'],
    ['the prefix alone', 'user:'],
    ['empty key', ''],
  ])('usernameFromKey returns undefined for %s', (_, key) => {
    expect(usernameFromKey('user:', key)).toBeUndefined();
  });

  test('the prefix is compared literally, not as a pattern', () => {
    expect(usernameFromKey('u*:', 'user:{alice}')).toBeUndefined();
    expect(usernameFromKey('u*:', 'u*:{alice}')).toBe('alice');
  });
});

describe('sessionKey', () => {
  test('is the prefix followed by the id', () => {
    expect(DEFAULT_SESSION_PREFIX).toBe('sess:');
    expect(sessionKey('sess:', 'Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6Js')).toEqual(Buffer.from('sess:Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6Js'));
  });
});

describe('validateSessionId', () => {
  test.each(['Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6Js', 'a', 'abc-DEF_123', 'x'.repeat(256), 's:abc.def', '!~'])('accepts %s', (id) => {
    expect(validateSessionId(id)).toBe(id);
  });

  test('rejects empty', () => {
    usageError(() => validateSessionId(''));
  });

  test('rejects more than 256 characters', () => {
    const err = usageError(() => validateSessionId('y'.repeat(257)));
    expect(err.message.length).toBeLessThan(100);
    expect(err.hint).toMatch(/1 to 256/);
    usageError(() => validateSessionId('y'.repeat(100_000)));
  });

  test.each([
    ['space', 'abc def'],
    ['leading space', ' abc'],
    ['trailing space', 'abc '],
    ['tab', 'abc\tdef'],
    ['CR', 'abc\r'],
    ['LF', 'abc\ndef'],
    ['NUL', 'abc\u0000'],
    ['ESC', '\u001b[31mabc'],
    ['DEL', 'abc\u007f'],
    ['C1 CSI', 'abc\u009b2J'],
    ['C1 NEL', 'abc\u0085'],
  ])('rejects %s, without echoing the raw character', (_, id) => {
    const err = usageError(() => validateSessionId(id));
    expect(err.message).not.toMatch(RAW_CONTROL);
    expect(err.message).toContain('abc');
  });
});

describe('validatePrefix', () => {
  test.each(['user:', 'sess:', 'myapp:sess:', 'a*b?[c]\\'])('accepts %j', (p) => {
    expect(validatePrefix(p, '--user-prefix')).toBe(p);
  });

  test.each([
    ['space', 'my app:'],
    ['tab', 'app\t'],
    ['NUL', 'app\u0000'],
    ['DEL', 'app\u007f'],
    ['opening brace', 'app{'],
    ['closing brace', 'app}'],
    ['129 characters', 'p'.repeat(129)],
  ])('rejects %s, naming the option', (_, p) => {
    expect(usageError(() => validatePrefix(p, '--session-prefix')).message).toContain('--session-prefix');
  });

  // Issue 13 item 2: an empty prefix used to be accepted, and `revoke --all` then unlinked every string key.
  test('refuses an empty prefix, which would match every key', () => {
    const err = usageError(() => validatePrefix('', '--session-prefix'));
    expect(err.message).toMatch(/--session-prefix may not be empty/);
  });

  test('accepts 128 characters', () => {
    expect(validatePrefix('p'.repeat(128), '--user-prefix')).toHaveLength(128);
  });
});
