/**
 * Durations as operators type them, one grammar for every option that takes one (--timeout,
 * --hold, `session ttl`, `audit list --since`): digits, then optionally a unit: ms, s, m, h, d
 * or w; no unit means seconds (3600, 500ms, 90s, 30m, 12h, 7d, 2w). Each option adds its own
 * bounds. And TTLs as operators read them.
 */
import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Ten years: longer is certainly a typo, and keeps millisecond arithmetic exact. */
export const MAX_DURATION_SECONDS = 10 * 365 * 86400;
/** What every duration message's hint says. */
export const DURATION_HINT = 'use seconds (3600) or a number with ms, s, m, h, d or w (500ms, 90s, 30m, 12h, 7d)';

/** Milliseconds of a duration in the one grammar, or undefined when the text is not one. */
export function durationMs(text: string): number | undefined {
  const match = /^([0-9]{1,12})(ms|[smhdw])?$/.exec(text.trim());
  return match ? Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000) : undefined;
}

/** A lifetime or a hold: whole seconds, at least one, at most ten years. Throws UsageError. */
export function parseDuration(text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new UsageError(`invalid duration "${text.slice(0, 40)}"`, { hint: DURATION_HINT });
  if (ms < 1000) throw new UsageError('duration must be at least one second');
  // Ten years first: beyond 2^53 ms (999999999999w) the arithmetic is no longer exact.
  if (ms / 1000 > MAX_DURATION_SECONDS) throw new UsageError('duration is longer than ten years');
  if (ms % 1000 !== 0) throw new UsageError('duration must be whole seconds', { hint: DURATION_HINT });
  return ms / 1000;
}

/** "23h 4m", "5m 10s", "12s": the two most significant units. */
export function formatTtl(seconds: number): string {
  if (seconds < 0) return 'none';
  const parts: string[] = [];
  let rest = Math.floor(seconds);
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    const started = parts.length > 0;
    if (n > 0 || (unit === 's' && !started)) parts.push(`${n}${unit}`);
    // Stop at the unit after the first significant one: "1d 3h", never "1d 3h 2m 1s".
    if (started) break;
  }
  return parts.join(' ');
}
