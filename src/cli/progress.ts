/**
 * A one-line progress display on stderr for long scans, only on a terminal: scripts see
 * nothing but the final summary, and output piped to another program on the terminal is
 * not mixed with it unless --progress asks. Redrawn at most ten times a second.
 */
import { fstatSync } from 'node:fs';
import type { Io } from './io.js';

export interface Progress {
  update(counts: Record<string, number>): void;
  /** Erase the line (before the summary); the next update redraws it. */
  clear(): void;
  /**
   * Call before writing data to stdout: when stdout is the same terminal, the line is erased
   * first, or the data would be glued to its end. Redirected data leaves it alone.
   */
  beforeData(): void;
}

const NONE: Progress = { update: () => undefined, clear: () => undefined, beforeData: () => undefined };

/**
 * Whether stdout goes into another program (a pipe or a socket): `session list | grep`.
 * That program writes to the same terminal as our stderr, so its lines would land on the
 * progress line, and we cannot erase the line before them as we do before our own rows.
 * A regular file (`> out.ndjson`), /dev/null and a terminal are not pipes; neither is a
 * stream without a file descriptor (one an embedding program passed in).
 */
export function stdoutIsPipe(io: Io): boolean {
  if (io.stdout.isTTY === true) return false;
  const fd = (io.stdout as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return false;
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

/**
 * Drawn when stderr is a terminal, unless stdout is a pipe (see stdoutIsPipe) and `asked`
 * (--progress) is not set.
 */
export function progressLine(io: Io, label: string, asked = false): Progress {
  if (io.stderr.isTTY !== true) return NONE;
  if (!asked && stdoutIsPipe(io)) return NONE;
  const started = Date.now();
  let last = 0;
  let drawn = false;
  const clear = () => {
    if (!drawn) return;
    io.stderr.write('\r\u001b[2K');
    drawn = false;
  };
  return {
    update(counts) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const seconds = Math.max((now - started) / 1000, 0.001);
      const scanned = counts['scanned'] ?? 0;
      const parts = Object.entries(counts).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`);
      io.stderr.write(`\r\u001b[2K${label}: ${parts.join(', ')} (${Math.round(scanned / seconds).toLocaleString('en-US')} keys/s)`);
      drawn = true;
    },
    clear,
    beforeData() {
      if (io.stdout.isTTY === true) clear();
    },
  };
}

/**
 * Ctrl-C asks a bulk operation to stop after the batch in flight. A second Ctrl-C is not
 * caught (the handler is registered once) and ends the process at once.
 */
export function stopOnInterrupt(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}
