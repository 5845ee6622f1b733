import { describe, expect, test } from '@jest/globals';
import { useColor } from '../../src/cli/io.js';

describe('useColor', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };

  test('on a terminal by default; never in a pipe, nor on TERM=dumb', () => {
    expect(useColor(tty, {})).toBe(true);
    expect(useColor(tty, { TERM: 'xterm-256color' })).toBe(true);
    expect(useColor(pipe, {})).toBe(false);
    expect(useColor({}, {})).toBe(false);
    expect(useColor(tty, { TERM: 'dumb' })).toBe(false);
  });

  test('NO_COLOR set to anything non-empty turns colors off; empty does not', () => {
    expect(useColor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(tty, { NO_COLOR: 'yes' })).toBe(false);
    expect(useColor(tty, { NO_COLOR: '' })).toBe(true);
  });

  test('FORCE_COLOR=0 (or false) turns colors off', () => {
    expect(useColor(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(useColor(tty, { FORCE_COLOR: 'false' })).toBe(false);
  });

  test('FORCE_COLOR=1 does not put colors into a pipe, and changes nothing on a terminal', () => {
    expect(useColor(pipe, { FORCE_COLOR: '1' })).toBe(false);
    expect(useColor(tty, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor(tty, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });
});
