/** Durations as operators type them (3600, 90s, 30m, 12h, 7d) and TTLs as they read them. */
import { UsageError } from './errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
/** Ten years: longer is certainly a typo, and keeps millisecond arithmetic exact. */
export const MAX_DURATION_SECONDS = 10 * 365 * 86400;

/** Parse a duration into whole seconds (> 0). Throws UsageError on anything else. */
export function parseDuration(text: string): number {
  const match = /^([0-9]{1,12})([smhdw]?)$/.exec(text.trim());
  if (!match) {
    throw new UsageError(`invalid duration "${text.slice(0, 40)}"`, { hint: 'use seconds (3600) or a number with s, m, h, d or w (90s, 30m, 12h, 7d)' });
  }
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
  if (seconds < 1) throw new UsageError('duration must be at least one second');
  if (seconds > MAX_DURATION_SECONDS) throw new UsageError('duration is longer than ten years');
  return seconds;
}

/** "23h 4m", "5m 10s", "12s": the two most significant units. */
export function formatTtl(seconds: number): string {
  if (seconds < 0) return 'none';
  const parts: string[] = [];
  let rest = Math.floor(seconds);
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    const started = parts.length > 0;
    if (n > 0 || (unit === 's' && !started)) parts.push(`${n}${unit}`);
    // Stop at the unit after the first significant one: "1d 3h", never "1d 3h 2m 1s".
    if (started) break;
  }
  return parts.join(' ');
}
