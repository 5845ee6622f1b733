/** printable() and printJson(): stored text must not drive or disguise the operator's terminal. */
import { PassThrough } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { printable, printJson } from '../../src/output.js';

function jsonLine(value: unknown): string {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString('utf8')));
  printJson(out, value);
  return text;
}

describe('printable', () => {
  test.each([
    ['ESC (an escape sequence)', '\u001b]0;pwned\u0007\u001b[2J'],
    ['C1 CSI U+009B', '\u009b2J'],
    ['C1 NEL U+0085', 'a\u0085b'],
    ['DEL', 'a\u007fb'],
    ['RIGHT-TO-LEFT OVERRIDE U+202E', 'a\u202eb'],
    ['LEFT-TO-RIGHT EMBEDDING U+202A', 'a\u202ab'],
    ['POP DIRECTIONAL FORMATTING U+202C', 'a\u202cb'],
    ['RIGHT-TO-LEFT ISOLATE U+2067', 'a\u2067b'],
    ['POP DIRECTIONAL ISOLATE U+2069', 'a\u2069b'],
    ['RIGHT-TO-LEFT MARK U+200F', 'a\u200fb'],
    ['ARABIC LETTER MARK U+061C', 'a\u061cb'],
    ['LINE SEPARATOR U+2028', 'a\u2028b'],
    ['PARAGRAPH SEPARATOR U+2029', 'a\u2029b'],
  ])('replaces %s with U+FFFD', (_, text) => {
    const shown = printable(text);
    expect(shown).toContain('\ufffd');
    // eslint-disable-next-line no-control-regex
    expect(shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect([...shown]).toHaveLength([...text].length);
  });

  test('leaves ordinary text, including right-to-left letters, alone', () => {
    for (const text of ['alice', 'Mozilla/5.0 (X11; Linux x86_64)', 'José 名前 مستخدم עברית', '']) expect(printable(text)).toBe(text);
  });
});

describe('printJson', () => {
  test('escapes C1 controls as \\u0080..\\u009f: the line holds no raw C1 and parses back to the same value', () => {
    const value = { reason: 'unknown parameter "\u009b2J"', all: String.fromCharCode(...Array.from({ length: 33 }, (_, i) => 0x7f + i)) };
    const line = jsonLine(value);
    expect(line).not.toMatch(/[\u007f-\u009f]/);
    expect(line).toContain('\\u009b2J');
    expect(line).toContain('\\u0080');
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toStrictEqual(value);
  });

  test('escapes bidi controls and line/paragraph separators too', () => {
    const value = { user: 'a\u202eb\u2066c\u200fd\u2028e\u2029f' };
    const line = jsonLine(value);
    expect(line).toBe('{"user":"a\\u202eb\\u2066c\\u200fd\\u2028e\\u2029f"}\n');
    expect(JSON.parse(line)).toStrictEqual(value);
  });

  test('C0 controls stay escaped as JSON.stringify writes them, and plain output is unchanged', () => {
    expect(jsonLine({ a: '\u001b[2J', b: 'x\ny' })).toBe('{"a":"\\u001b[2J","b":"x\\ny"}\n');
    expect(jsonLine({ user: 'José', n: 1, list: ['名前'] })).toBe('{"user":"José","n":1,"list":["名前"]}\n');
  });
});
