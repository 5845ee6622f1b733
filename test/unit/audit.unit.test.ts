/** The audit fields an operator types, and the server time of an entry. */
import { describe, expect, test } from '@jest/globals';
import { Command } from 'commander';
import { auditFields, type AuditedContext } from '../../src/cli/audited.js';
import { addAuditOptions, addConnectionOptions } from '../../src/cli/options.js';
import { idTime } from '../../src/core/audit.js';
import { processIo } from '../../src/cli/io.js';
import { usageError } from '../helpers/errors.js';

/** The context of a command given these audit options: parsed (and checked) as commander reads the command line. */
function ctx(given: { reason?: string; actor?: string }): AuditedContext {
  const cmd = addConnectionOptions(addAuditOptions(new Command('t').exitOverride()));
  cmd.parse(
    Object.entries(given).flatMap(([k, v]) => [`--${k}`, v]),
    { from: 'user' },
  );
  return { io: processIo(), opts: cmd.opts<AuditedContext['opts']>(), urlSource: 'default', readerGone: new AbortController().signal };
}

describe('--reason and --actor', () => {
  test('plain text, accents and emoji pass', () => {
    expect(auditFields(ctx({ reason: 'INC-42: café ☕ (Jörg)', actor: 'jane@ops-01' }))).toEqual({
      reason: 'INC-42: café ☕ (Jörg)',
      actor: 'jane@ops-01',
    });
  });

  // Each would let a reason or actor break a line, or reorder what a reader of the trail sees.
  test.each([
    ['NUL', '\u0000'],
    ['LF', '\n'],
    ['CR', '\r'],
    ['ESC', '\u001b'],
    ['DEL', '\u007f'],
    ['C1 NEL', '\u0085'],
    ['C1 CSI', '\u009b'],
    ['line separator', '\u2028'],
    ['paragraph separator', '\u2029'],
    ['LRE', '\u202a'],
    ['RLE', '\u202b'],
    ['PDF', '\u202c'],
    ['LRO', '\u202d'],
    ['RLO', '\u202e'],
    ['LRI', '\u2066'],
    ['RLI', '\u2067'],
    ['FSI', '\u2068'],
    ['PDI', '\u2069'],
    ['LRM', '\u200e'],
    ['RLM', '\u200f'],
    ['ALM', '\u061c'],
  ])('%s is refused in --reason and in --actor, naming the code point', (_name, ch) => {
    const code = `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    expect(usageError(() => auditFields(ctx({ reason: `ticket${ch}42` }))).message).toContain(`--reason contains ${code}`);
    expect(usageError(() => auditFields(ctx({ actor: `${ch}jane` }))).message).toContain(`--actor contains ${code}`);
  });

  test('too long is refused', () => {
    expect(usageError(() => auditFields(ctx({ reason: 'x'.repeat(1001) }))).message).toMatch(/--reason must be at most 1000 characters/);
    expect(usageError(() => auditFields(ctx({ actor: 'x'.repeat(201) }))).message).toMatch(/--actor must be at most 200 characters/);
  });
});

describe('idTime', () => {
  test('the milliseconds of a stream id, as ISO time', () => {
    expect(idTime('1795830964664-0')).toBe(new Date(1795830964664).toISOString());
    expect(idTime('1795830964664-17')).toBe('2026-11-28T01:56:04.664Z');
  });
  test('anything else is empty', () => {
    expect(idTime('')).toBe('');
    expect(idTime('abc-0')).toBe('');
  });
});
