import { describe, test, expect } from '@jest/globals';
import { DEFAULT_SESSION_PREFIX, DEFAULT_USER_PREFIX } from '../../src/core/defaults.js';
import { UsageError } from '../../src/core/errors.js';
import { sessionKey, validateSessionId } from '../../src/core/sessions/ids.js';
import { USERNAME_MAX_CHARS, userKey, usernameFromKey, validateNewUsername, validateUsername } from '../../src/core/users/names.js';
import { escapeGlob, validatePrefix } from '../../src/core/redis/keys.js';
import { SCRIPT_NAMES, scriptMix } from '../../src/core/users/script-mix.js';
import { usageError } from '../helpers/errors.js';

/** Any C0 control, DEL or C1 control: bytes a terminal may act on. */

const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Names valid before issue 13 item 16, which stay valid for every command and for new users. */
const VALID_NAMES = [
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
];

describe('validateUsername: accepted', () => {
  test.each(VALID_NAMES)('%s', (name) => {
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
});

// Issue 13 item 16 changed this: NFD input was refused, it is now normalized (the two tests
// above it, "NFD form ... is rejected" and "NFD Hangul is rejected", became these).
describe('validateUsername: normalization to NFC', () => {
  test('NFD form (decomposed é) is accepted and returned in NFC', () => {
    const nfd = 'Jose\u0301';
    expect(nfd.normalize('NFC')).not.toBe(nfd);
    expect(validateUsername(nfd)).toBe('Jos\u00e9');
    expect(validateNewUsername(nfd)).toBe('Jos\u00e9');
  });

  test('NFD Hangul is returned as its NFC syllable', () => {
    expect(validateUsername('\u1112\u1161\u11ab')).toBe('\ud55c');
    expect(validateNewUsername('\u1112\u1161\u11ab')).toBe('\ud55c');
  });

  test('the 64-character limit applies to the NFC form', () => {
    const nfd = 'e\u0301'.repeat(64); // 128 code points, 64 characters in NFC
    expect(validateUsername(nfd)).toBe('\u00e9'.repeat(64));
    expect(usageError(() => validateUsername('e\u0301'.repeat(65))).message).toMatch(/longer than 64/);
  });

  test('compatibility forms are not folded: NFC only (fullwidth letters stay what they are)', () => {
    expect(validateUsername('\uff41\uff42')).toBe('\uff41\uff42');
  });
});

describe('validateNewUsername: names for new users', () => {
  // Every name valid before issue 13 item 16 stays valid.
  test.each([...VALID_NAMES, '\u{1D49C}'.repeat(64)])('accepts %s', (name) => {
    expect(validateNewUsername(name)).toBe(name);
  });

  test.each([
    ['Latin with Han, Hiragana and Katakana (Japanese)', 'tanaka田中たなかタナカ'],
    ['Latin with Han and Hangul (Korean)', 'kim김金'],
    ['Latin with Han and Bopomofo (Chinese)', 'li李ㄌㄧ'],
    ['Han, Hiragana and Katakana', '山田はなこカタ'],
    ['one script with digits and punctuation', 'иван.петров-2@почта'],
    ['Greek with a combining mark (Inherited)', 'Ω\u0301μέγα'],
    ['Arabic with Arabic-Indic digits', 'مستخدم١٢'],
    ['Devanagari', 'उपयोगकर्ता'],
  ])('accepts %s', (_, name) => {
    expect(validateNewUsername(name)).toBe(name.normalize('NFC'));
  });

  test.each([
    ['U+034F COMBINING GRAPHEME JOINER (a mark)', 'ali\u034fce', 'U+034F'],
    ['U+3164 HANGUL FILLER (a letter)', 'ali\u3164ce', 'U+3164'],
    ['U+115F HANGUL CHOSEONG FILLER', '\u115falice', 'U+115F'],
    ['U+FFA0 HALFWIDTH HANGUL FILLER', 'alice\uffa0', 'U+FFA0'],
    ['U+FE0F VARIATION SELECTOR-16', 'alice\ufe0f', 'U+FE0F'],
    ['U+180B MONGOLIAN FREE VARIATION SELECTOR', 'alice\u180b', 'U+180B'],
    ['U+17B4 KHMER VOWEL INHERENT AQ', 'alice\u17b4', 'U+17B4'],
  ])('refuses the invisible %s, naming it by code point only', (_, name, hex) => {
    const err = usageError(() => validateNewUsername(name));
    expect(err.message).toBe(`username contains an invisible character (${hex}), which is not allowed`);
    expect(err.hint).toMatch(/display as nothing/);
    // Accepted (as before) where an existing name is only looked up.
    expect(validateUsername(name)).toBe(name);
  });

  test.each([
    ['U+200B ZERO WIDTH SPACE', '\u200b', 'an invisible character (U+200B)'],
    ['U+200D ZERO WIDTH JOINER', '\u200d', 'an invisible character (U+200D)'],
    ['U+00AD SOFT HYPHEN', '\u00ad', 'an invisible character (U+00AD)'],
    ['U+202E RIGHT-TO-LEFT OVERRIDE', '\u202e', 'a bidirectional control character (U+202E)'],
    ['U+2067 RIGHT-TO-LEFT ISOLATE', '\u2067', 'a bidirectional control character (U+2067)'],
    ['U+200F RIGHT-TO-LEFT MARK', '\u200f', 'a bidirectional control character (U+200F)'],
  ])('refuses %s with its reason, never raw', (_, c, described) => {
    for (const fn of [validateUsername, validateNewUsername]) {
      const err = usageError(() => fn(`ali${c}ce`));
      expect(err.message).toBe(`username contains ${described}, which is not allowed`);
      expect(err.message).not.toContain(c);
    }
  });

  test.each([
    ['Cyrillic а (U+0430) in a Latin name', 'p\u0430ypal', 'Latin, Cyrillic', '"\u0430" (U+0430) is Cyrillic'],
    ['Cyrillic о (U+043E) in a Latin name', 'r\u043eot', 'Latin, Cyrillic', '"\u043e" (U+043E) is Cyrillic'],
    ['a Latin name starting with Cyrillic а', '\u0430dmin', 'Cyrillic, Latin', '"\u0430" (U+0430) is Cyrillic'],
    ['Greek ο (U+03BF) in a Latin name', 'g\u03bfogle', 'Latin, Greek', '"\u03bf" (U+03BF) is Greek'],
    ['Latin a in a Cyrillic name', 'п\u0061роль', 'Cyrillic, Latin', '"a" (U+0061) is Latin'],
    ['Latin with Cyrillic and Greek', 'ab\u0430\u03b1', 'Latin, Cyrillic, Greek', '"\u0430" (U+0430) is Cyrillic'],
    ['Latin with Arabic', 'aliمستخدم', 'Latin, Arabic', '"a" (U+0061) is Latin'],
    ['Hangul with Hiragana', '김はな', 'Hangul, Hiragana', '"김" (U+AE40) is Hangul'],
    ['Latin with Armenian look-alike', 'sc\u0585pe', 'Latin, Armenian', '"\u0585" (U+0585) is Armenian'],
  ])('refuses %s, naming the scripts and the odd character', (_, name, scripts, odd) => {
    const err = usageError(() => validateNewUsername(name));
    expect(err.message).toContain(`username mixes scripts (${scripts}): `);
    expect(err.message).toContain(odd);
    expect(err.hint).toMatch(/one script/);
    // An existing user with such a name can still be verified (the key is safe).
    expect(validateUsername(name)).toBe(name);
  });

  test('the script table knows every letter, mark and digit this Node knows', () => {
    // A character of a script missing from SCRIPT_NAMES would count as "an unknown script":
    // this fails when a Node with a newer Unicode adds scripts, so the list can be updated.
    const compiles = (name: string): boolean => {
      try {
        return new RegExp(`\\p{scx=${name}}`, 'u') instanceof RegExp;
      } catch {
        return false; // newer than this Node: script-mix.ts drops it the same way
      }
    };
    const known = new RegExp(
      `[\\p{scx=Zyyy}\\p{scx=Zinh}${SCRIPT_NAMES.filter(compiles)
        .map((n) => `\\p{scx=${n}}`)
        .join('')}]`,
      'u',
    );
    const letterMarkDigit = /[\p{L}\p{M}\p{N}]/u;
    const missing: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp += 1) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      if (letterMarkDigit.test(c) && !known.test(c)) missing.push(cp.toString(16));
    }
    expect(missing).toEqual([]);
  });

  test('scriptMix: undefined for a single script, quickly for 64 non-ASCII characters', () => {
    expect(scriptMix('alice')).toBeUndefined();
    const started = process.hrtime.bigint();
    expect(scriptMix('ж'.repeat(64))).toBeUndefined();
    expect(scriptMix(`${'ж'.repeat(63)}a`)).toMatchObject({ odd: 'a', oddScript: 'Latin' });
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(200);
  });
});

describe('usernames and case', () => {
  test('names are kept exactly as given: case is neither folded nor compared', () => {
    expect(validateNewUsername('Alice')).toBe('Alice');
    expect(userKey('user:', validateNewUsername('Alice'))).not.toBe(userKey('user:', validateNewUsername('alice')));
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
