import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { isoOrNull, parseTime, storedIso } from '../../src/core/sessions/records.js';

/** Text shaped like JSON's Date (`YYYY-MM-DDTHH:MM:SS.sssZ`), each field anywhere in its digits' range. */
const dateShaped = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 999 }),
  )
  .map(([y, mo, d, h, mi, s, ms]) => {
    const p = (n: number, w: number) => String(n).padStart(w, '0');
    return `${p(y, 4)}-${p(mo, 2)}-${p(d, 2)}T${p(h, 2)}:${p(mi, 2)}:${p(s, 2)}.${p(ms, 3)}Z`;
  });

/** Valid dates as JSON writes them, from year 0 to 9999. */
const jsonDates = fc
  .date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

describe('parseTime and storedIso: the listing reads stored times as Date.parse does', () => {
  test.each([
    '2026-12-05T12:34:56.789Z',
    '2026-02-30T00:00:00.000Z', // Date.parse rolls it over to March 2
    '2026-02-28T23:59:59.999Z',
    '2024-02-29T00:00:00.000Z',
    '2026-01-01T24:00:00.000Z',
    '2026-13-01T00:00:00.000Z',
    '2026-00-10T00:00:00.000Z',
    '2026-01-00T00:00:00.000Z',
    '0099-01-01T00:00:00.000Z', // Date.UTC alone would read the year as 1999
    '0999-06-15T10:00:00.000Z',
    '2026-12-05T12:34:56.789+01:00',
    '2026-12-05T12:34:56Z',
    '2026-12-05',
    '2026-12-05T12:34:56.78xZ',
    '+275760-09-13T00:00:00.000Z',
    '',
    'not a date at all, 24 ch',
  ])('%s', (text) => {
    expect(parseTime(text)).toBe(Date.parse(text));
    expect(storedIso(text)).toBe(isoOrNull(Date.parse(text)));
  });

  test('any text shaped like a JSON date, valid or not', () => {
    fc.assert(
      fc.property(dateShaped, (text) => {
        expect(parseTime(text)).toBe(Date.parse(text));
        expect(storedIso(text)).toBe(isoOrNull(Date.parse(text)));
      }),
      { numRuns: 20_000 },
    );
  });

  test('every valid date JSON writes is shown as written', () => {
    fc.assert(
      fc.property(jsonDates, (text) => {
        expect(parseTime(text)).toBe(Date.parse(text));
        expect(storedIso(text)).toBe(text);
      }),
      { numRuns: 5_000 },
    );
  });
});
