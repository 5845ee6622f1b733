import { describe, test, expect } from '@jest/globals';
import { ExitCode, UsageError } from '../../src/core/errors.js';
import { durationMs, formatTtl, MAX_DURATION_SECONDS, parseDuration } from '../../src/core/duration.js';
import { parseSince, parseTimeout } from '../../src/cli/options.js';

function expectUsageError(text: string): UsageError {
  try {
    parseDuration(text);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    expect((err as UsageError).exitCode).toBe(2);
    return err as UsageError;
  }
  throw new Error(`parseDuration(${JSON.stringify(text)}) did not throw`);
}

describe('parseDuration', () => {
  test.each([
    ['3600', 3600],
    ['1', 1],
    ['90s', 90],
    ['30m', 1800],
    ['12h', 43200],
    ['7d', 604800],
    ['1w', 604800],
    ['2w', 1209600],
    ['1s', 1],
    ['60m', 3600],
    ['0090s', 90],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  test('ten years exactly is allowed, one second more is not', () => {
    expect(MAX_DURATION_SECONDS).toBe(315360000);
    expect(parseDuration('3650d')).toBe(MAX_DURATION_SECONDS);
    expect(parseDuration(String(MAX_DURATION_SECONDS))).toBe(MAX_DURATION_SECONDS);
    expect(expectUsageError(String(MAX_DURATION_SECONDS + 1)).message).toMatch(/ten years/);
  });

  test.each(['3651d', '522w', '87601h', '5256001m', '999999999999', '999999999999w'])('longer than ten years is refused: %s', (text) => {
    expect(expectUsageError(text).message).toMatch(/ten years/);
  });

  test.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['zero', '0'],
    ['zero with unit', '0s'],
    ['zero hours', '0h'],
    ['negative', '-5'],
    ['explicit plus', '+5'],
    ['fraction', '1.5h'],
    ['comma fraction', '1,5h'],
    ['unknown unit y', '10y'],
    ['unknown unit ms', '500ms'],
    ['upper-case unit', '5M'],
    ['unit only', 'h'],
    ['unit before number', 'h5'],
    ['two units', '1h30m'],
    ['space inside', ' 5 m'],
    ['space between', '5 m'],
    ['14 digits', '99999999999999'],
    ['13 digits', '1000000000000'],
    ['exponent', '1e3'],
    ['hex', '0x10'],
    ['word', 'forever'],
    ['Infinity', 'Infinity'],
    ['NaN', 'NaN'],
    ['non-ASCII digits', '٥m'],
    ['full-width digits', '５m'],
  ])('rejects %s', (_, text) => {
    expectUsageError(text);
  });

  test('a too-long invalid input is not echoed back in full', () => {
    const err = expectUsageError('x'.repeat(10000));
    expect(err.message.length).toBeLessThan(120);
    expect(err.hint).toMatch(/90s/);
  });
});

describe('formatTtl', () => {
  test.each([
    [0, '0s'],
    [1, '1s'],
    [59, '59s'],
    [60, '1m'],
    [61, '1m 1s'],
    [119, '1m 59s'],
    [3599, '59m 59s'],
    [3600, '1h'],
    [3601, '1h'],
    [3661, '1h 1m'],
    [83040, '23h 4m'],
    [83038, '23h 3m'],
    [86399, '23h 59m'],
    [86400, '1d'],
    [86401, '1d'],
    [90000, '1d 1h'],
    [93784, '1d 2h'],
    [604800, '7d'],
    [MAX_DURATION_SECONDS, '3650d'],
  ])('%i -> %s', (seconds, text) => {
    expect(formatTtl(seconds)).toBe(text);
  });

  test('never shows more than two units', () => {
    for (const s of [1, 61, 3661, 90061, 987654, 31536000 + 3661]) {
      expect(formatTtl(s).split(' ').length).toBeLessThanOrEqual(2);
    }
  });

  test('rounds fractions of a second down', () => {
    expect(formatTtl(59.9)).toBe('59s');
    expect(formatTtl(0.5)).toBe('0s');
  });

  test('-1 (no expiry) and other negatives are "none"', () => {
    expect(formatTtl(-1)).toBe('none');
    expect(formatTtl(-2)).toBe('none');
  });

  test('round-trips with parseDuration for single-unit values', () => {
    for (const text of ['90s', '30m', '12h', '7d']) {
      const seconds = parseDuration(text);
      expect(formatTtl(seconds)).toBe(text === '90s' ? '1m 30s' : text);
    }
  });
});

describe('one grammar for every duration (issue 14)', () => {
  test.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['3600', 3_600_000],
  ])('%s is %i ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  test.each(['', '5M', '1h30m', '1.5h', '-1s', '5 s', '10y', 'ms'])('%j is not a duration', (text) => {
    expect(durationMs(text)).toBeUndefined();
  });

  test('--timeout takes hours and days within its bounds, ttl and --hold take milliseconds in whole seconds', () => {
    expect(parseTimeout('1h')).toBe(3_600_000);
    expect(() => parseTimeout('1d')).toThrow(/between 10ms and 1h/);
    expect(parseDuration('2000ms')).toBe(2);
    expect(expectUsageError('1500ms').message).toMatch(/whole seconds/);
    expect(expectUsageError('500ms').message).toMatch(/at least one second/);
  });

  test('--since counts back in the same grammar', () => {
    expect(parseSince('90s', 1_000_000)).toBe(910_000);
    expect(parseSince('500ms', 1_000_000)).toBe(999_500);
  });
});
