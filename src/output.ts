/**
 * Turning command results into text. Data goes to stdout: a table on a terminal,
 * tab-separated columns in a pipe, or JSON with --json. Colors only where useColor() allows.
 */
import type { Writable } from 'node:stream';
import { useColor, type Io } from './io.js';

export interface Column {
  header: string;
  /** Width on a terminal; longer cells are cut with an ellipsis. */
  width: number;
}

/**
 * What JSON.stringify leaves raw but a terminal may act on: DEL and the C1 controls
 * (U+009B is CSI on some terminals), the bidi controls and the line/paragraph separators.
 */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const JSON_UNSAFE_ALL = new RegExp(JSON_UNSAFE.source, 'g');
const jsonEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Print an object as one line of JSON (NDJSON when called per item). C0 controls are
 * escaped by JSON.stringify itself; the rest of what printable() filters is escaped here,
 * so the text stays the same JSON value and cannot drive a terminal it is printed on.
 */
export function printJson(out: Writable, value: unknown): void {
  const text = JSON.stringify(value);
  // Tested first: almost no output has any, and the test is cheaper than a replace.
  out.write(`${JSON_UNSAFE.test(text) ? text.replace(JSON_UNSAFE_ALL, jsonEscape) : text}\n`);
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
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Replace (with U+FFFD) every character that would let stored data drive the operator's terminal. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, '\ufffd');
}

export interface RowPrinter {
  row(cells: string[]): void;
  /** Rows are buffered per batch so a table renders in chunks while the scan goes on. */
  flush(): void;
}

/**
 * A streaming table: the header once, then rows in chunks with fixed column widths, so
 * output starts before a long scan ends and memory does not grow with the row count.
 * `beforeTerminalWrite` runs before each chunk reaches the terminal (a progress line's
 * beforeData, say).
 */
export async function createRowPrinter(io: Io, columns: Column[], beforeTerminalWrite: () => void = () => undefined): Promise<RowPrinter> {
  const tty = io.stdout.isTTY === true;
  if (!tty) {
    io.stdout.write(`${columns.map((c) => c.header.toLowerCase()).join('\t')}\n`);
    return {
      row: (cells) => io.stdout.write(`${cells.map((c) => printable(c).replace(/\t/g, ' ')).join('\t')}\n`),
      flush: () => undefined,
    };
  }
  const [{ default: Table }, { Chalk }] = await Promise.all([import('cli-table3'), import('chalk')]);
  const chalk = new Chalk({ level: useColor(io.stdout, io.env) ? 1 : 0 });
  const blank = { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ' };
  const make = () =>
    new Table({ chars: blank, colWidths: columns.map((c) => c.width + 2), style: { head: [], border: [], 'padding-left': 0, 'padding-right': 1 }, wordWrap: false });
  const header = make();
  header.push(columns.map((c) => chalk.bold(c.header)));
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
      pending.push(cells.map((c, i) => fit(printable(c), columns[i]?.width ?? 20)));
      count += 1;
      if (count >= 100) flush();
    },
    flush,
  };
}

export async function colorizer(io: Io, stream: 'stdout' | 'stderr' = 'stderr') {
  const { Chalk } = await import('chalk');
  return new Chalk({ level: useColor(io[stream], io.env) ? 1 : 0 });
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

export async function writeChunk(out: Writable, text: string): Promise<void> {
  out.write(text);
  await drained(out);
}
