/**
 * The elements of one array in a JSON document, read as a stream (an array of the elements that
 * end in each chunk read): Django's `dumpdata` (the
 * document is the array), Firebase's `auth:export` and Keycloak's realm export (the array is
 * the top-level object's `users`). Each element's bytes are handed over one at a time, to be
 * parsed with JSON.parse; a document of a million users is never held whole, and an element
 * over the bound is reported and skipped without being kept.
 *
 * Why not a streaming JSON library: the scanner needs only the document's skeleton (strings,
 * brackets, the top-level keys) and must bound what it keeps per element, which is a few dozen
 * lines; JSON.parse then checks every element it keeps strictly. Elsewhere in the document
 * (a realm's clients and roles) only the nesting and the strings are checked: what is not a
 * user is never read.
 */
import { BadDataError } from '../../errors.js';
import { MAX_RECORD_BYTES } from './lines.js';

export interface JsonElement {
  /** 1-based position in the array. */
  index: number;
  /** The line the element starts on (1-based). */
  line: number;
  /** The element's bytes (a JSON value); undefined when it was over the bound. */
  bytes: Buffer | undefined;
}

/** Where the array is: the document itself (`[]`), or a member of the top-level object. */
export type ArrayPath = { kind: 'document' } | { kind: 'member'; name: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/** Longest top-level key kept to compare with the member's name; longer ones are other keys. */
const MAX_KEY_BYTES = 256;

function syntax(line: number, what: string): BadDataError {
  return new BadDataError(`the input is not the JSON document expected: ${what} (line ${line})`);
}

export async function* jsonArrayElements(
  source: AsyncIterable<Buffer | string>,
  path: ArrayPath,
  describe: string,
  maxBytes = MAX_RECORD_BYTES,
): AsyncGenerator<JsonElement[]> {
  const stack: number[] = [];
  let inString = false;
  let escaped = false;
  let line = 1;
  let sawDocument = false;
  /** Depth of the target array's elements (the stack's length inside it), 0 until it is found. */
  let targetDepth = 0;
  let foundTarget = false;
  // Top-level object keys (member path): the key being read, the last key, and whether the next
  // value is the target's.
  let keyBytes: number[] | undefined;
  let expectKey = false;
  let lastKey: string | undefined;
  let valueIsTarget = false;
  // The element being captured.
  let element: { index: number; line: number; parts: Buffer[]; held: number; tooLong: boolean } | undefined;
  let index = 0;
  const wanted = path.kind === 'member' ? Buffer.from(path.name, 'utf8').toString('latin1') : '';

  const take = (buf: Buffer, from: number, to: number) => {
    if (element === undefined || element.tooLong || to <= from) return;
    if (element.held + (to - from) > maxBytes) {
      element.tooLong = true;
      element.parts = [];
      return;
    }
    element.parts.push(Buffer.from(buf.subarray(from, to)));
    element.held += to - from;
  };
  const finishElement = (): JsonElement | undefined => {
    if (element === undefined) return undefined;
    const done: JsonElement = {
      index: element.index,
      line: element.line,
      bytes: element.tooLong ? undefined : Buffer.concat(element.parts, element.held),
    };
    element = undefined;
    return done;
  };

  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    // Start of the part of `buf` that belongs to the element being captured.
    let from = 0;
    // The elements that end in this chunk, handed over together.
    const done: JsonElement[] = [];
    try {
      for (let i = 0; i < buf.length; i += 1) {
        const b = buf[i] as number;
        if (b === NEWLINE) line += 1;
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) {
            inString = false;
            if (keyBytes !== undefined) {
              lastKey = Buffer.from(keyBytes).toString('latin1');
              keyBytes = undefined;
            }
          } else if (keyBytes !== undefined) {
            if (keyBytes.length < MAX_KEY_BYTES) keyBytes.push(b);
            else keyBytes.length = MAX_KEY_BYTES + 1;
          }
          continue;
        }
        if (isSpace(b)) continue;
        const depth = stack.length;
        // Inside the target array, a value's first byte starts an element.
        if (targetDepth > 0 && depth === targetDepth && element === undefined && b !== COMMA && b !== CLOSE_ARRAY) {
          index += 1;
          element = { index, line, parts: [], held: 0, tooLong: false };
          from = i;
        }
        if (depth === 0) {
          if (sawDocument) throw syntax(line, 'more after the end of the document');
          sawDocument = true;
          const want = path.kind === 'document' ? OPEN_ARRAY : OPEN_OBJECT;
          if (b !== want) throw syntax(line, `${describe} starts with ${path.kind === 'document' ? "'['" : "'{'"}`);
        }
        if (b === QUOTE) {
          inString = true;
          if (path.kind === 'member' && depth === 1 && expectKey) {
            keyBytes = [];
            expectKey = false;
          }
          continue;
        }
        if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
          if (valueIsTarget && depth === 1) {
            if (b !== OPEN_ARRAY) throw syntax(line, `"${path.kind === 'member' ? path.name : ''}" is not an array`);
            if (foundTarget) throw syntax(line, `"${path.kind === 'member' ? path.name : ''}" is given twice`);
            foundTarget = true;
            targetDepth = depth + 1;
            valueIsTarget = false;
          } else if (depth === 0 && path.kind === 'document') {
            foundTarget = true;
            targetDepth = 1;
          }
          stack.push(b);
          if (depth === 0 && path.kind === 'member') expectKey = true;
          continue;
        }
        if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
          const open = stack.pop();
          if (open !== (b === CLOSE_OBJECT ? OPEN_OBJECT : OPEN_ARRAY)) throw syntax(line, `unbalanced '${String.fromCharCode(b)}'`);
          if (targetDepth > 0 && stack.length === targetDepth - 1) {
            // The end of the target array: the last element ends before it.
            take(buf, from, i);
            const last = finishElement();
            if (last !== undefined) done.push(last);
            targetDepth = 0;
          }
          continue;
        }
        if (b === COMMA) {
          if (targetDepth > 0 && depth === targetDepth) {
            take(buf, from, i);
            const ended = finishElement();
            if (ended !== undefined) done.push(ended);
          }
          if (depth === 1 && path.kind === 'member') {
            expectKey = true;
            valueIsTarget = false;
          }
          continue;
        }
        if (b === COLON && depth === 1 && path.kind === 'member') {
          valueIsTarget = lastKey === wanted;
          lastKey = undefined;
          continue;
        }
        // Any other byte: part of a number or literal (checked by JSON.parse where it is kept).
      }
    } catch (err) {
      // The elements before the error are whole: hand them over first.
      if (done.length > 0) yield done;
      throw err;
    }
    take(buf, from, buf.length);
    if (done.length > 0) yield done;
  }
  if (!sawDocument) throw syntax(line, 'the input is empty');
  if (inString || stack.length > 0) throw syntax(line, 'the document ends early (cut short?)');
  if (!foundTarget && path.kind === 'member') throw syntax(line, `${describe} has no "${path.name}" array`);
}
