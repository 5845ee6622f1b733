/**
 * The lines of an input stream, each held to a byte bound: a line longer than the bound is
 * reported by its number and skipped to its end without being kept, so a 10 MB line (or a
 * file without a single newline) costs no more memory than the bound. Line numbers count from 1;
 * a `\r` before the `\n` is dropped (files written on Windows).
 */

export interface InputLine {
  /** 1-based. */
  line: number;
  /** The line's bytes without its end; undefined when it was longer than the bound. */
  bytes: Buffer | undefined;
}

/** A record (a line, or one element of a JSON document) is refused above this size. */
export const MAX_RECORD_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * The lines of `source`, handed over a chunk's worth at a time (an array per chunk read, so
 * that a million short lines do not cost a million awaits).
 */
export async function* boundedLines(source: AsyncIterable<Buffer | string>, maxBytes = MAX_RECORD_BYTES): AsyncGenerator<InputLine[]> {
  let parts: Buffer[] = [];
  let held = 0;
  let tooLong = false;
  let line = 1;
  const finish = (): InputLine => {
    let bytes: Buffer | undefined;
    if (!tooLong) {
      bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, held);
      if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
      if (bytes.length > maxBytes) bytes = undefined;
    }
    const done = { line, bytes };
    parts = [];
    held = 0;
    tooLong = false;
    line += 1;
    return done;
  };
  const keep = (piece: Buffer) => {
    if (tooLong) return;
    // One byte more than the bound may be a `\r` the line end drops.
    if (held + piece.length > maxBytes + 1) {
      tooLong = true;
      parts = [];
      held = 0;
      return;
    }
    // A view of the chunk, not a copy: a file stream hands over a new chunk each time, and the
    // lines of a chunk are read before the next one is (a line spanning chunks is joined).
    if (piece.length > 0) parts.push(piece);
    held += piece.length;
  };
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const lines: InputLine[] = [];
    let from = 0;
    for (;;) {
      const end = buf.indexOf(NEWLINE, from);
      if (end < 0) break;
      keep(buf.subarray(from, end));
      lines.push(finish());
      from = end + 1;
    }
    keep(buf.subarray(from));
    if (lines.length > 0) yield lines;
  }
  // A last line without a newline; an empty one after a final newline is no line.
  if (held > 0 || tooLong) yield [finish()];
}
