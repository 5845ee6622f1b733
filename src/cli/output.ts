/**
 * Turning command results into text. Data goes to stdout: a table on a terminal,
 * tab-separated columns in a pipe, or JSON with --json. Colors only where useColor() allows.
 */
import { UNPRINTABLE } from '../core/text.js';
import type { Writable } from 'node:stream';
import { safeJson } from '../core/json-safe.js';
import { toAppError } from '../core/redis/redis-errors.js';
import { TopologyChangedError } from '../core/errors.js';
import { useColor, type Io } from './io.js';

export interface Column {
  header: string;
  /** Width on a terminal wide enough (or of unknown width); longer cells are cut with an ellipsis. */
  width: number;
  /** The narrowest it gets on a narrower terminal (default: width, never narrowed). */
  min?: number;
  /**
   * Which columns narrow first: lower ranks down to their minimum before higher ones; columns
   * of one rank share the cut in proportion to what each can give. Default: after all others.
   */
  shrink?: number;
  /**
   * When even the minimum widths do not fit, optional columns are left out, lowest number
   * first (details, reasons), and the rest widen again into the room they leave.
   */
  optional?: number;
}

/**
 * What a column takes beyond its width in the layout below: a cell is width + 2 (a cut cell
 * fills at most `width`, then one padding space), and one space separates two cells.
 */
const GAP = 3;

/** How wide a table of these column widths is (0 = left out), its last column's padding included. */
export function tableWidth(widths: readonly number[]): number {
  const shown = widths.filter((w) => w > 0);
  return shown.reduce((sum, w) => sum + w, 0) + GAP * shown.length - 1;
}

/** Narrow the columns in `keep` by rank until the table fits `total`, or all are at their minimum. */
function narrowed(columns: readonly Column[], keep: readonly boolean[], total: number): number[] {
  const widths = columns.map((c, i) => (keep[i] === true ? c.width : 0));
  let over = tableWidth(widths) - total;
  const ranks = [...new Set(columns.map((c) => c.shrink ?? Infinity))].sort((a, b) => a - b);
  for (const rank of ranks) {
    if (over <= 0) break;
    const group = columns.flatMap((c, i) => (keep[i] === true && (c.shrink ?? Infinity) === rank ? [i] : []));
    const slack = group.map((i) => (columns[i] as Column).width - ((columns[i] as Column).min ?? (columns[i] as Column).width));
    const room = slack.reduce((sum, n) => sum + n, 0);
    if (room <= 0) continue;
    const cut = Math.min(over, room);
    // Cumulative rounding: the cuts add up to exactly `cut`, each within its column's slack.
    let given = 0;
    let before = 0;
    group.forEach((i, j) => {
      given += slack[j] ?? 0;
      const upTo = Math.round((given * cut) / room);
      widths[i] = (widths[i] ?? 0) - (upTo - before);
      before = upTo;
    });
    over -= cut;
  }
  return widths;
}

/**
 * Column widths for a terminal `total` columns wide (undefined: unknown, the preferred widths).
 * 0 means the column is left out. When nothing more can be narrowed or left out, the lines
 * are wider than the terminal: columns never go below their minimum (a session id stays whole).
 */
export function fitColumns(columns: readonly Column[], total: number | undefined): number[] {
  const keep = columns.map(() => true);
  if (total === undefined || !(total > 0)) return columns.map((c) => c.width);
  const droppable = columns
    .flatMap((c, i) => (c.optional === undefined ? [] : [{ i, order: c.optional }]))
    .sort((a, b) => a.order - b.order);
  for (;;) {
    const widths = narrowed(columns, keep, total);
    const next = droppable.shift();
    if (tableWidth(widths) <= total || next === undefined) return widths;
    keep[next.i] = false;
  }
}

/**
 * A time as tables show it: UTC, ISO 8601 to the second, with its zone (`2026-11-28T03:08:53Z`).
 * The one rule for every table and tab-separated listing; --json keeps milliseconds.
 */
export function tableTime(iso: string | null | undefined, none = '-'): string {
  if (iso === null || iso === undefined || iso === '') return none;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/**
 * Print an object as one line of JSON (NDJSON when called per item). C0 controls are
 * escaped by JSON.stringify itself; the rest of what printable() filters is escaped here,
 * so the text stays the same JSON value and cannot drive a terminal it is printed on.
 */
export function printJson(out: Writable, value: unknown): void {
  out.write(jsonLine(value));
}

/** The line printJson writes, newline included: for callers that write many in one go. */
export function jsonLine(value: unknown): string {
  return `${safeJson(JSON.stringify(value))}\n`;
}

function fit(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

/**
 * Characters that let stored data drive or disguise the operator's terminal: C0 controls,
 * DEL and C1 controls (escape sequences, CSI), the bidi controls (U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069: they reorder the rest of a line) and U+2028/U+2029 (line
 * and paragraph separators, a new line to some viewers).
 */
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'g');

/** Replace (with U+FFFD) every character that would let stored data drive the operator's terminal. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE_ALL, '\ufffd');
}

export interface RowPrinter {
  row(cells: string[]): void;
  /** Rows are buffered per batch so a table renders in chunks while the scan goes on. */
  flush(): void;
}

/**
 * A streaming table: the header once, then rows in chunks with fixed column widths, so
 * output starts before a long scan ends and memory does not grow with the row count.
 * The widths fit the terminal's width when it is known (fitColumns). `beforeTerminalWrite`
 * runs before each chunk reaches the terminal (a progress line's beforeData, say).
 */
export async function createRowPrinter(io: Io, columns: Column[], beforeTerminalWrite: () => void = () => undefined): Promise<RowPrinter> {
  const tty = io.stdout.isTTY === true;
  if (!tty) {
    io.stdout.write(`${columns.map((c) => c.header.toLowerCase()).join('\t')}\n`);
    // Rows go out a hundred at a time, as on a terminal: one write per row was a system call
    // per session when stdout is a file (a third of a 1M listing's time).
    let lines = '';
    let count = 0;
    const flush = (): void => {
      if (count === 0) return;
      io.stdout.write(lines);
      lines = '';
      count = 0;
    };
    return {
      row(cells) {
        lines += `${cells.map((c) => printable(c).replace(/\t/g, ' ')).join('\t')}\n`;
        count += 1;
        if (count >= 100) flush();
      },
      flush,
    };
  }
  const [{ default: Table }, { Chalk }] = await Promise.all([import('cli-table3'), import('chalk')]);
  const chalk = new Chalk({ level: useColor(io.stdout, io.env) ? 1 : 0 });
  const blank = {
    top: '',
    'top-mid': '',
    'top-left': '',
    'top-right': '',
    bottom: '',
    'bottom-mid': '',
    'bottom-left': '',
    'bottom-right': '',
    left: '',
    'left-mid': '',
    mid: '',
    'mid-mid': '',
    right: '',
    'right-mid': '',
    middle: ' ',
  };
  // Fixed when the table starts: the rows of one table line up even if the window is resized.
  const widths = fitColumns(columns, (io.stdout as { columns?: number }).columns);
  const shown = widths.flatMap((w, i) => (w > 0 ? [i] : []));
  const make = () =>
    new Table({
      chars: blank,
      colWidths: shown.map((i) => (widths[i] ?? 0) + 2),
      style: { head: [], border: [], 'padding-left': 0, 'padding-right': 1 },
      wordWrap: false,
    });
  const header = make();
  header.push(shown.map((i) => chalk.bold(columns[i]?.header ?? '')));
  io.stdout.write(`${header.toString()}\n`);
  let pending = make();
  let count = 0;
  const flush = (): void => {
    if (count === 0) return;
    beforeTerminalWrite();
    io.stdout.write(`${pending.toString()}\n`);
    pending = make();
    count = 0;
  };
  return {
    row(cells) {
      pending.push(shown.map((i) => fit(printable(cells[i] ?? ''), widths[i] ?? 20)));
      count += 1;
      if (count >= 100) flush();
    },
    flush,
  };
}

/**
 * A listing that failed after writing `rows` rows (a lost connection, a timeout): its one
 * error line says so, or the rows above it would pass for the whole list.
 */
export function incomplete(err: unknown, rows: number, noun: string, nouns = `${noun}s`): unknown {
  const failure = toAppError(err) ?? err;
  // A failover or resharding found after the walk already says its results may be incomplete.
  if (rows > 0 && failure instanceof Error && !(failure instanceof TopologyChangedError))
    failure.message += ` after listing ${plural(rows, noun, nouns)}: the output is incomplete`;
  return failure;
}

/** "1 session", "2 sessions". */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}

/**
 * Wait until a stream that reported a full buffer has drained: a slow reader (`| less`)
 * then slows the scan down instead of making our memory grow.
 */
export async function drained(out: Writable): Promise<void> {
  if (!out.writableNeedDrain) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}

/**
 * One batch of lines as UTF-8 bytes, each line followed by a newline. Encoding line by line
 * into one buffer measured ~3x cheaper than `lines.join('\n')`, which must first flatten
 * every line's string pieces into one big string that is then encoded again.
 */
export function ndjson(lines: string[]): Buffer {
  let units = 0;
  for (const line of lines) units += line.length + 1;
  // A UTF-16 unit never takes more than 3 bytes; past a megabyte (sessions holding large
  // values) the exact size is worth a second pass rather than a buffer three times too big.
  const size = units < 1 << 20 ? units * 3 : lines.reduce((n, line) => n + Buffer.byteLength(line) + 1, 0);
  const buffer = Buffer.allocUnsafe(size);
  let end = 0;
  for (const line of lines) {
    end += buffer.write(line, end);
    buffer[end++] = 0x0a;
  }
  return buffer.subarray(0, end);
}

/** Rows written to stdout so far: what a listing that fails midway has shown. */
export interface Written {
  rows: number;
}

/**
 * Write each batch as it comes, waiting for a slow reader (`| less`) before the next one.
 * `write` returns how many rows it wrote. Returns false when stdout's reader went away (`| head`).
 */
export async function pump<T>(
  ctx: { io: Io; readerGone: AbortSignal },
  batches: AsyncIterable<T[]>,
  written: Written,
  write: (batch: T[]) => number | void,
): Promise<boolean> {
  for await (const batch of batches) {
    const rows = write(batch);
    written.rows += typeof rows === 'number' ? rows : batch.length;
    await drained(ctx.io.stdout);
    if (ctx.readerGone.aborted) return false;
  }
  return true;
}
