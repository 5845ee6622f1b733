/**
 * A bounded, read-only reader of Python's pickle format, protocols 0 to 5: every opcode that
 * CPython's Lib/pickle.py defines (`# Pickle opcodes`), with the meaning its Unpickler gives
 * each (`load_*`). The values Django and Flask-Session keep in Redis are pickles written by
 * whoever holds a session, and `pickle.loads` on them runs whatever they name; here nothing is
 * imported, looked up or called. GLOBAL and STACK_GLOBAL become a PyGlobal (the names),
 * REDUCE, NEWOBJ, NEWOBJ_EX, INST and OBJ a PyObject (the callee and its arguments), BUILD
 * stores the state beside it (py-value.ts). Every length is checked against the bytes left
 * before anything is read or allocated, and the memo, the stack, the marks open at once and the
 * integers' sizes are bounded (PickleLimits). The reader is a loop over opcodes, never a
 * recursion.
 *
 * What CPython's default Unpickler itself refuses is unreadable here too, so that a value is
 * readable exactly when the application could load it: a persistent id (PERSID, BINPERSID: no
 * persistent_load), an extension code (EXT1/2/4: copyreg's registry is empty), an out-of-band
 * buffer (NEXT_BUFFER: loads() is given none), a STRING that is not quoted ASCII, an
 * unhashable dict key, a FRAME longer than what is left (the C unpickler's "pickle data was
 * truncated"). Bytes after STOP are not read, as loads() does not read them.
 */
import { asciiOnly, decodeLong, parseFloatText, parseIntText, quotedString, rawUnicodeEscape, utf8Surrogatepass } from './pickle-text.js';
import { PyBytes, PyDict, PyGlobal, PyList, PyObject, PySet, PyTuple, isUnhashable, type PyValue, type Span } from './py-value.js';

export interface PickleLimits {
  /** Of the whole input. */
  maxBytes: number;
  /** Marks open at once (containers being built inside each other). */
  maxDepth: number;
  /** Values on the stack at once. */
  maxStack: number;
  /** Memo entries. */
  maxMemo: number;
  /** Bytes of one integer (LONG1, LONG4) and digits of one written in text (INT, LONG; Python's own cap is 4300). */
  maxIntBytes: number;
}

export const PICKLE_LIMITS: Readonly<PickleLimits> = {
  maxBytes: 8 << 20,
  maxDepth: 1000,
  maxStack: 100_000,
  maxMemo: 100_000,
  maxIntBytes: 4300,
};

/** A FRAME opcode: where its 8-byte length sits, and the frame it announces. */
export interface Frame {
  /** Position of the length (the byte after the opcode). */
  lengthAt: number;
  /** First byte of the frame. */
  start: number;
  length: number;
}

export type PickleResult =
  { ok: true; value: PyValue; protocol: number; frames: Frame[]; trailing: number } | { ok: false; reason: string };

export interface PickleOptions extends Partial<PickleLimits> {
  /** Record in each dict where its values' opcodes sat (PyDict.spans), for rewriting one in place. */
  spans?: boolean;
}

/** The highest protocol CPython writes (pickle.HIGHEST_PROTOCOL). */
const HIGHEST_PROTOCOL = 5;

class Unreadable extends Error {}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
const NL = 0x0a;

/** What a value is, in a message (never the value itself: it is someone's session). */
function kindOf(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v !== 'object') return typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : 'number';
  if (v instanceof PyList) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PySet) return v.frozen ? 'frozenset' : 'set';
  if (v instanceof PyBytes) return v.mutable ? 'bytearray' : 'bytes';
  if (v instanceof PyGlobal) return 'global';
  return 'object';
}

class Reader {
  pos = 0;
  protocol = 0;
  readonly frames: Frame[] = [];
  private readonly stack: PyValue[] = [];
  /** With spans: where each stack value's opcode started and ended (-1: not one opcode's). */
  private readonly starts: number[] | undefined;
  private readonly ends: number[] | undefined;
  /** Stack lengths at each open MARK (the C unpickler's marks). */
  private readonly marks: number[] = [];
  /** The memo: indexes written in order (MEMOIZE, the picklers' PUTs) in an array, others in a Map. */
  private readonly memo: PyValue[] = [];
  private sparseMemo: Map<number, PyValue> | undefined;
  private memoCount = 0;
  /** Spans of the items popMark returned last. */
  private popped: { starts: number[]; ends: number[] } | undefined;

  constructor(
    private readonly buf: Buffer,
    private readonly lim: PickleLimits,
    spans: boolean,
  ) {
    if (spans) {
      this.starts = [];
      this.ends = [];
    }
  }

  private get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** The position of `n` bytes, which are consumed. */
  private take(n: number): number {
    if (n > this.remaining) throw new Unreadable(`truncated at byte ${this.pos}`);
    this.pos += n;
    return this.pos - n;
  }
  private u8 = () => this.buf[this.take(1)] as number;
  private u16 = () => this.buf.readUInt16LE(this.take(2));
  private i32 = () => this.buf.readInt32LE(this.take(4));
  private u32 = () => this.buf.readUInt32LE(this.take(4));
  /** An 8-byte length: beyond what is left it cannot be read, whatever its size. */
  private u64(): number {
    const n = this.buf.readBigUInt64LE(this.take(8));
    if (n > BigInt(this.remaining)) throw new Unreadable(`truncated at byte ${this.pos}: a length of ${n} bytes`);
    return Number(n);
  }

  /** A text-protocol argument: the bytes up to the next newline (consumed with it). */
  private line(): { start: number; end: number } {
    const end = this.buf.indexOf(NL, this.pos);
    if (end < 0) throw new Unreadable(`truncated at byte ${this.pos}: no end of line`);
    const start = this.pos;
    this.pos = end + 1;
    return { start, end };
  }

  /** How many values the innermost open MARK has above it (the stack `load_*` sees). */
  private get depthAvailable(): number {
    const base = this.marks.length === 0 ? 0 : (this.marks[this.marks.length - 1] as number);
    return this.stack.length - base;
  }

  private need(n: number, at: number): void {
    if (this.depthAvailable < n) throw new Unreadable(`stack underflow at byte ${at}`);
  }

  private push(v: PyValue, start = -1, end = -1): void {
    if (this.stack.length >= this.lim.maxStack) throw new Unreadable(`more than ${this.lim.maxStack} values on the stack`);
    this.stack.push(v);
    this.starts?.push(start);
    this.ends?.push(end);
  }

  private pop(): PyValue {
    this.starts?.pop();
    this.ends?.pop();
    return this.stack.pop() as PyValue;
  }

  private get top(): PyValue {
    return this.stack[this.stack.length - 1] as PyValue;
  }

  private replaceTop(v: PyValue): void {
    this.stack[this.stack.length - 1] = v;
    if (this.starts !== undefined && this.ends !== undefined) {
      this.starts[this.starts.length - 1] = -1;
      this.ends[this.ends.length - 1] = -1;
    }
  }

  /** The values above the innermost MARK, which is closed (pickle.py pop_mark). */
  private popMark(at: number): PyValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw new Unreadable(`no MARK open at byte ${at}`);
    const items = this.stack.slice(mark);
    this.stack.length = mark;
    if (this.starts !== undefined && this.ends !== undefined) {
      this.popped = { starts: this.starts.slice(mark), ends: this.ends.slice(mark) };
      this.starts.length = mark;
      this.ends.length = mark;
    }
    return items;
  }

  private spanOfPopped(i: number): Span | undefined {
    const start = this.popped?.starts[i] ?? -1;
    return start < 0 ? undefined : { start, end: this.popped?.ends[i] as number };
  }

  private spanOfStack(fromTop: number): Span | undefined {
    if (this.starts === undefined || this.ends === undefined) return undefined;
    const start = this.starts[this.starts.length - 1 - fromTop] as number;
    return start < 0 ? undefined : { start, end: this.ends[this.ends.length - 1 - fromTop] as number };
  }

  private newDict(): PyDict {
    const dict = new PyDict();
    if (this.starts !== undefined) dict.spans = [];
    return dict;
  }

  private setItem(target: PyValue, key: PyValue, value: PyValue, at: number, span: Span | undefined): void {
    if (isUnhashable(key)) throw new Unreadable(`unhashable dict key (a ${kindOf(key)}) at byte ${at}`);
    if (target instanceof PyDict) target.set(key, value, span);
    else if (target instanceof PyObject) (target.dictItems ??= new PyDict()).set(key, value);
    else throw new Unreadable(`SETITEM on a ${kindOf(target)} at byte ${at}`);
  }

  private appendTo(target: PyValue, items: PyValue[], at: number): void {
    let into: PyValue[];
    if (target instanceof PyList) into = target.items;
    else if (target instanceof PyObject) into = target.listItems ??= [];
    else throw new Unreadable(`APPEND to a ${kindOf(target)} at byte ${at}`);
    for (const item of items) into.push(item);
  }

  private memoGet(index: number, at: number): void {
    const v = index < this.memo.length ? this.memo[index] : this.sparseMemo?.get(index);
    if (v === undefined) throw new Unreadable(`memo value not found at index ${index} (byte ${at})`);
    if (v instanceof PyObject || v instanceof PyBytes || v instanceof PyTuple) v.shared = true;
    this.push(v);
  }

  private memoPut(index: number, at: number): void {
    this.need(1, at);
    const v = this.top;
    // The array never has holes: it only grows at its end.
    if (index < this.memo.length) {
      this.memo[index] = v;
      return;
    }
    if (index === this.memo.length) {
      // Put out of order before, it moves to the array: still one entry.
      if (this.sparseMemo?.delete(index) !== true) this.countMemo();
      this.memo.push(v);
      return;
    }
    const sparse = (this.sparseMemo ??= new Map());
    if (!sparse.has(index)) this.countMemo();
    sparse.set(index, v);
  }

  private countMemo(): void {
    if (this.memoCount >= this.lim.maxMemo) throw new Unreadable(`more than ${this.lim.maxMemo} memo entries`);
    this.memoCount += 1;
  }

  /** An index written in text (GET, PUT): a decimal integer. */
  private textIndex(at: number): number {
    const { start, end } = this.line();
    const n = parseIntText(this.buf.toString('latin1', start, end), this.lim.maxIntBytes);
    if (n === undefined || typeof n !== 'number' || n < 0) throw new Unreadable(`bad memo index at byte ${at}`);
    return n;
  }

  private bytesAt(length: number, mutable: boolean): PyBytes {
    const start = this.take(length);
    return new PyBytes(this.buf.subarray(start, start + length), mutable, start);
  }

  private utf8At(length: number, at: number): string {
    const start = this.take(length);
    const text = utf8Surrogatepass(this.buf, start, start + length);
    if (text === undefined) throw new Unreadable(`invalid UTF-8 in the string at byte ${at}`);
    return text;
  }

  /** BINSTRING and SHORT_BINSTRING: Python 2 str, decoded as pickle.loads' default encoding (ASCII, strict). */
  private asciiAt(length: number, at: number): string {
    const start = this.take(length);
    for (let i = start; i < start + length; i += 1) {
      if ((this.buf[i] as number) >= 0x80) throw new Unreadable(`a Python 2 string that is not ASCII at byte ${at}`);
    }
    return this.buf.toString('latin1', start, start + length);
  }

  private intBytes(n: number, at: number): number | bigint {
    if (n > this.lim.maxIntBytes) throw new Unreadable(`an integer of ${n} bytes at byte ${at} (limit ${this.lim.maxIntBytes})`);
    const start = this.take(n);
    return decodeLong(this.buf, start, n);
  }

  private global(module: PyValue, name: PyValue, at: number): PyGlobal {
    if (typeof module !== 'string' || typeof name !== 'string') throw new Unreadable(`STACK_GLOBAL requires str (byte ${at})`);
    return new PyGlobal(module, name);
  }

  private globalLines(ascii: boolean, at: number): PyGlobal {
    const names: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const { start, end } = this.line();
      const text = ascii ? asciiOnly(this.buf, start, end) : utf8Surrogatepass(this.buf, start, end);
      if (text === undefined) throw new Unreadable(`a class name that is not ${ascii ? 'ASCII' : 'UTF-8'} at byte ${at}`);
      names.push(text);
    }
    return new PyGlobal(names[0] as string, names[1] as string);
  }

  run(): PyValue {
    const buf = this.buf;
    for (;;) {
      const at = this.pos;
      if (at >= buf.length) throw new Unreadable('truncated: no STOP');
      const op = buf[this.pos++] as number;
      switch (op) {
        case 0x80: {
          // PROTO
          const proto = this.u8();
          if (proto > HIGHEST_PROTOCOL) throw new Unreadable(`unsupported pickle protocol ${proto}`);
          this.protocol = proto;
          break;
        }
        case 0x95: {
          // FRAME: only a prefetch hint, but one longer than what is left cannot be loaded.
          const lengthAt = this.pos;
          const length = this.u64();
          this.frames.push({ lengthAt, start: this.pos, length });
          break;
        }
        case 0x2e: // STOP
          this.need(1, at);
          return this.pop();
        case 0x28: // MARK
          if (this.marks.length >= this.lim.maxDepth) throw new Unreadable(`more than ${this.lim.maxDepth} marks open`);
          this.marks.push(this.stack.length);
          break;
        case 0x30: // POP: the top value, or the innermost mark when it has none above it
          if (this.depthAvailable > 0) this.pop();
          else this.popMark(at);
          break;
        case 0x31: // POP_MARK
          this.popMark(at);
          break;
        case 0x32: {
          // DUP
          this.need(1, at);
          const v = this.top;
          if (v instanceof PyObject || v instanceof PyBytes || v instanceof PyTuple) v.shared = true;
          this.push(v);
          break;
        }
        case 0x4e: // NONE
          this.push(null, at, this.pos);
          break;
        case 0x88: // NEWTRUE
          this.push(true, at, this.pos);
          break;
        case 0x89: // NEWFALSE
          this.push(false, at, this.pos);
          break;
        case 0x49: {
          // INT: decimal text; "01" and "00" are True and False (protocol 0's bools)
          const { start, end } = this.line();
          const text = buf.toString('latin1', start, end);
          const v = text === '01' ? true : text === '00' ? false : parseIntText(text, this.lim.maxIntBytes);
          if (v === undefined) throw new Unreadable(`bad INT at byte ${at}`);
          this.push(v, at, this.pos);
          break;
        }
        case 0x4c: {
          // LONG: decimal text, with Python 2's trailing L
          const { start, end } = this.line();
          const v = parseIntText(buf.toString('latin1', start, end).replace(/L$/, ''), this.lim.maxIntBytes);
          if (v === undefined) throw new Unreadable(`bad LONG at byte ${at}`);
          this.push(v, at, this.pos);
          break;
        }
        case 0x4a: // BININT
          this.push(this.i32(), at, this.pos);
          break;
        case 0x4b: // BININT1
          this.push(this.u8(), at, this.pos);
          break;
        case 0x4d: // BININT2
          this.push(this.u16(), at, this.pos);
          break;
        case 0x8a: // LONG1
          this.push(this.intBytes(this.u8(), at), at, this.pos);
          break;
        case 0x8b: {
          // LONG4
          const n = this.i32();
          if (n < 0) throw new Unreadable(`LONG4 with a negative byte count at byte ${at}`);
          this.push(this.intBytes(n, at), at, this.pos);
          break;
        }
        case 0x46: {
          // FLOAT: text
          const { start, end } = this.line();
          const v = parseFloatText(buf.toString('latin1', start, end));
          if (v === undefined) throw new Unreadable(`bad FLOAT at byte ${at}`);
          this.push(v, at, this.pos);
          break;
        }
        case 0x47: // BINFLOAT: big-endian double
          this.push(buf.readDoubleBE(this.take(8)), at, this.pos);
          break;
        case 0x53: {
          // STRING: a quoted, backslash-escaped Python 2 str
          const { start, end } = this.line();
          const v = quotedString(buf, start, end);
          if (v === undefined) throw new Unreadable(`the STRING at byte ${at} is not a quoted ASCII string`);
          this.push(v, at, this.pos);
          break;
        }
        case 0x54: {
          // BINSTRING
          const n = this.i32();
          if (n < 0) throw new Unreadable(`BINSTRING with a negative byte count at byte ${at}`);
          this.push(this.asciiAt(n, at), at, this.pos);
          break;
        }
        case 0x55: // SHORT_BINSTRING
          this.push(this.asciiAt(this.u8(), at), at, this.pos);
          break;
        case 0x56: {
          // UNICODE: raw-unicode-escape text
          const { start, end } = this.line();
          const v = rawUnicodeEscape(buf, start, end);
          if (v === undefined) throw new Unreadable(`bad \\u escape in the UNICODE at byte ${at}`);
          this.push(v, at, this.pos);
          break;
        }
        case 0x58: // BINUNICODE
          this.push(this.utf8At(this.u32(), at), at, this.pos);
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.utf8At(this.u8(), at), at, this.pos);
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.utf8At(this.u64(), at), at, this.pos);
          break;
        case 0x42: // BINBYTES
          this.push(this.bytesAt(this.u32(), false));
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.bytesAt(this.u8(), false));
          break;
        case 0x8e: // BINBYTES8
          this.push(this.bytesAt(this.u64(), false));
          break;
        case 0x96: // BYTEARRAY8
          this.push(this.bytesAt(this.u64(), true));
          break;
        case 0x97: // NEXT_BUFFER
          throw new Unreadable(`an out-of-band buffer at byte ${at} (pickle.loads is given none)`);
        case 0x98: {
          // READONLY_BUFFER: a read-only view of the bytes on top
          this.need(1, at);
          const b = this.top;
          if (!(b instanceof PyBytes)) throw new Unreadable(`READONLY_BUFFER on a ${kindOf(b)} at byte ${at}`);
          if (b.mutable) this.replaceTop(new PyBytes(b.bytes, false, b.offset));
          break;
        }
        case 0x29: // EMPTY_TUPLE
          this.push(new PyTuple([]));
          break;
        case 0x74: // TUPLE
          this.push(new PyTuple(this.popMark(at)));
          break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: {
          // TUPLE3
          const n = op - 0x84;
          this.need(n, at);
          const items: PyValue[] = new Array<PyValue>(n);
          for (let i = n - 1; i >= 0; i -= 1) items[i] = this.pop();
          this.push(new PyTuple(items));
          break;
        }
        case 0x5d: // EMPTY_LIST
          this.push(new PyList([]));
          break;
        case 0x6c: // LIST
          this.push(new PyList(this.popMark(at)));
          break;
        case 0x61: {
          // APPEND
          this.need(2, at);
          const v = this.pop();
          this.appendTo(this.top, [v], at);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark(at);
          this.need(1, at);
          this.appendTo(this.top, items, at);
          break;
        }
        case 0x7d: // EMPTY_DICT
          this.push(this.newDict());
          break;
        case 0x64: {
          // DICT
          const items = this.popMark(at);
          if (items.length % 2 !== 0) throw new Unreadable(`DICT with an odd number of items at byte ${at}`);
          const dict = this.newDict();
          for (let i = 0; i < items.length; i += 2)
            this.setItem(dict, items[i] as PyValue, items[i + 1] as PyValue, at, this.spanOfPopped(i + 1));
          this.push(dict);
          break;
        }
        case 0x73: {
          // SETITEM
          this.need(3, at);
          const span = this.spanOfStack(0);
          const value = this.pop();
          const key = this.pop();
          this.setItem(this.top, key, value, at, span);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark(at);
          if (items.length % 2 !== 0) throw new Unreadable(`SETITEMS with an odd number of items at byte ${at}`);
          this.need(1, at);
          const target = this.top;
          for (let i = 0; i < items.length; i += 2)
            this.setItem(target, items[i] as PyValue, items[i + 1] as PyValue, at, this.spanOfPopped(i + 1));
          break;
        }
        case 0x8f: // EMPTY_SET
          this.push(new PySet([], false));
          break;
        case 0x91: {
          // FROZENSET
          const items = this.popMark(at);
          for (const item of items) if (isUnhashable(item)) throw new Unreadable(`unhashable set member at byte ${at}`);
          this.push(new PySet(items, true));
          break;
        }
        case 0x90: {
          // ADDITEMS
          const items = this.popMark(at);
          this.need(1, at);
          const target = this.top;
          for (const item of items) if (isUnhashable(item)) throw new Unreadable(`unhashable set member at byte ${at}`);
          if (target instanceof PySet && !target.frozen) for (const item of items) target.items.push(item);
          else if (target instanceof PyObject) for (const item of items) (target.setItems ??= []).push(item);
          else throw new Unreadable(`ADDITEMS to a ${kindOf(target)} at byte ${at}`);
          break;
        }
        case 0x67: // GET
          this.memoGet(this.textIndex(at), at);
          break;
        case 0x68: // BINGET
          this.memoGet(this.u8(), at);
          break;
        case 0x6a: // LONG_BINGET
          this.memoGet(this.u32(), at);
          break;
        case 0x70: // PUT
          this.memoPut(this.textIndex(at), at);
          break;
        case 0x71: // BINPUT
          this.memoPut(this.u8(), at);
          break;
        case 0x72: // LONG_BINPUT
          this.memoPut(this.u32(), at);
          break;
        case 0x94: // MEMOIZE
          this.memoPut(this.memoCount, at);
          break;
        case 0x63: // GLOBAL: module and name, each on a line
          this.push(this.globalLines(false, at));
          break;
        case 0x93: {
          // STACK_GLOBAL
          this.need(2, at);
          const name = this.pop();
          const module = this.pop();
          this.push(this.global(module, name, at));
          break;
        }
        case 0x69: {
          // INST: the class on two lines, its arguments above the mark
          const cls = this.globalLines(true, at);
          this.push(new PyObject(cls, new PyTuple(this.popMark(at))));
          break;
        }
        case 0x6f: {
          // OBJ: the class first above the mark, then its arguments
          const items = this.popMark(at);
          if (items.length === 0) throw new Unreadable(`OBJ without a class at byte ${at}`);
          this.push(new PyObject(items[0] as PyValue, new PyTuple(items.slice(1))));
          break;
        }
        case 0x81: {
          // NEWOBJ: cls.__new__(cls, *args)
          this.need(2, at);
          const args = this.pop();
          const cls = this.pop();
          this.push(new PyObject(cls, args));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
          this.need(3, at);
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          this.push(new PyObject(cls, args, kwargs));
          break;
        }
        case 0x52: {
          // REDUCE: callable(*args), not called
          this.need(2, at);
          const args = this.pop();
          this.replaceTop(new PyObject(this.top, args));
          break;
        }
        case 0x62: {
          // BUILD: the state __setstate__ or __dict__.update() would have been given
          this.need(2, at);
          const state = this.pop();
          const inst = this.top;
          if (inst instanceof PyObject) inst.state = state;
          else if (state !== null) throw new Unreadable(`BUILD on a ${kindOf(inst)} at byte ${at}`);
          break;
        }
        case 0x50: // PERSID
        case 0x51: // BINPERSID
          throw new Unreadable(`a persistent id at byte ${at} (Python's default Unpickler refuses it)`);
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: {
          // EXT4
          const code = op === 0x82 ? this.u8() : op === 0x83 ? this.u16() : this.i32();
          throw new Unreadable(`extension code ${code} at byte ${at} (copyreg registers none by default)`);
        }
        default:
          throw new Unreadable(`unknown opcode ${hex(op)} at byte ${at}`);
      }
    }
  }
}

/** Decodes one pickle. Never throws: what cannot be read is `{ ok: false, reason }`. */
export function decodePickle(bytes: Buffer, options: PickleOptions = {}): PickleResult {
  const lim: PickleLimits = { ...PICKLE_LIMITS };
  for (const key of Object.keys(PICKLE_LIMITS) as Array<keyof PickleLimits>) {
    const v = options[key];
    if (typeof v === 'number' && v >= 0) lim[key] = v;
  }
  if (bytes.length > lim.maxBytes) return { ok: false, reason: `larger than ${lim.maxBytes} bytes` };
  const reader = new Reader(bytes, lim, options.spans === true);
  try {
    const value = reader.run();
    return { ok: true, value, protocol: reader.protocol, frames: reader.frames, trailing: bytes.length - reader.pos };
  } catch (e) {
    if (e instanceof Unreadable) return { ok: false, reason: e.message };
    return { ok: false, reason: `unreadable (${e instanceof Error ? e.message : String(e)})` };
  }
}
