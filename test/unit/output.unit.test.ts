/**
 * printable() and printJson(): stored text must not drive or disguise the operator's terminal.
 * fitColumns() and tableTime(): tables fit the terminal and say their time zone.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { fitColumns, printable, printJson, tableTime, tableWidth, type Column } from '../../src/cli/output.js';

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

describe('fitColumns (issue 13 item 22)', () => {
  const columns: Column[] = [
    { header: 'ID', width: 34, min: 32, shrink: 3 },
    { header: 'User', width: 20, min: 8, shrink: 2 },
    { header: 'TTL', width: 8 },
    { header: 'Details', width: 50, min: 12, shrink: 1, optional: 1 },
  ];
  const preferred = [34, 20, 8, 50];

  test('a table is as wide as its columns plus three cells each, less one', () => {
    expect(tableWidth(preferred)).toBe(34 + 20 + 8 + 50 + 4 * 3 - 1);
    expect(tableWidth([34, 0, 8, 0])).toBe(34 + 8 + 2 * 3 - 1);
  });

  test('unknown width (or 0): the preferred widths; wide enough: the same', () => {
    expect(fitColumns(columns, undefined)).toEqual(preferred);
    expect(fitColumns(columns, 0)).toEqual(preferred);
    expect(fitColumns(columns, 500)).toEqual(preferred);
  });

  test('the lowest rank narrows first, and the table then fills the width exactly', () => {
    const widths = fitColumns(columns, 100);
    expect(widths).toEqual([34, 20, 8, 50 - (tableWidth(preferred) - 100)]);
    expect(tableWidth(widths)).toBe(100);
  });

  test('the next rank only once the first is at its minimum; the id never below its minimum', () => {
    const widths = fitColumns(columns, 80);
    expect(widths[3]).toBe(12);
    expect(widths[1]).toBeGreaterThanOrEqual(8);
    expect(widths[0]).toBeGreaterThanOrEqual(32);
    expect(tableWidth(widths)).toBe(80);
  });

  test('when the minimums do not fit, an optional column is left out and the others widen again', () => {
    const widths = fitColumns(columns, 70);
    expect(widths[3]).toBe(0);
    expect(tableWidth(widths)).toBe(70);
    expect(widths[1]).toBe(70 - tableWidth([34, 0, 8, 0]) - 3); // User gets all the room the id does not need
  });

  test('nothing left to narrow or leave out: the minimums, wider than the terminal, never less', () => {
    expect(fitColumns(columns, 20)).toEqual([32, 8, 8, 0]);
  });

  test('columns of one rank share the cut in proportion to what each can give, exactly', () => {
    const pair: Column[] = [
      { header: 'A', width: 30, min: 10, shrink: 1 },
      { header: 'B', width: 50, min: 10, shrink: 1 },
    ];
    for (let total = tableWidth([20, 20]); total <= tableWidth([30, 50]); total += 1) {
      const [a = 0, b = 0] = fitColumns(pair, total);
      expect(tableWidth([a, b])).toBe(total);
      expect(a).toBeGreaterThanOrEqual(10);
      expect(b).toBeGreaterThanOrEqual(10);
    }
    // 20 of A's slack and 40 of B's: a cut of 30 takes 10 and 20.
    expect(fitColumns(pair, tableWidth([30, 50]) - 30)).toEqual([20, 30]);
  });

  test('optional columns go in their order, not their position', () => {
    const audit: Column[] = [
      { header: 'Time', width: 20 },
      { header: 'Count', width: 8, min: 7, shrink: 0, optional: 3 },
      { header: 'Reason', width: 30, min: 8, shrink: 1, optional: 1 },
      { header: 'Error', width: 40, min: 10, shrink: 1, optional: 2 },
    ];
    expect(fitColumns(audit, tableWidth([20, 7, 0, 10]))).toEqual([20, 7, 0, 10]);
    expect(fitColumns(audit, tableWidth([20, 7, 0, 0]))).toEqual([20, 7, 0, 0]);
    expect(fitColumns(audit, tableWidth([20, 7, 0, 0]) - 1)).toEqual([20, 0, 0, 0]);
  });
});

describe('tableTime', () => {
  test('UTC, to the second, with a Z; none is "-" (or what the caller says)', () => {
    expect(tableTime('2026-11-28T03:08:53.134Z')).toBe('2026-11-28T03:08:53Z');
    expect(tableTime('2026-11-28T04:08:53.134+01:00')).toBe('2026-11-28T03:08:53Z');
    expect(tableTime(null)).toBe('-');
    expect(tableTime('', '')).toBe('');
  });
});
