/**
 * A bounded, read-only reader of Ruby's Marshal format 4.8 (what `Marshal.dump` writes), for the
 * sessions Rails stores keep in Redis. Those values are written by whoever holds a session, so
 * every declared length is checked against the bytes left before anything is allocated, nesting
 * and the number of objects are bounded, and nothing is looked up, instantiated or run: a class
 * name is only a string, an object is its class name and instance variables, a regexp's source
 * is never compiled.
 *
 * Object links (`@`) follow Ruby's own numbering (marshal.c r_object_for: which types take a
 * number, and when). A link to an object whose contents are still being read is a cycle: it
 * becomes a `cycle` node, so the decoded graph is acyclic. A link to a finished object shares
 * it, so the graph can still double at every level: walk it with a budget (marshal-plain.ts).
 *
 * npm's Marshal readers were read first and not used: @qnighy/marshal 0.1.3 discards object
 * instance variables (the Rails cache Entry's @value among them), recurses without a bound and
 * returns linked objects as shared JS objects (a cyclic graph); @hyrious/marshal 0.3.4 assigns
 * hash keys on plain objects (a key `__proto__` replaces the prototype), allocates an array of
 * the declared length before reading it, compiles regexps from the data, and recurses without
 * a bound.
 */
import { isAscii, isUtf8 } from 'node:buffer';

/** Decoded content; see the node types below. Fixnums, floats and bignums within ±(2^53-1) are numbers. */
export type MarshalValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | MBytes
  | MString
  | MSymbol
  | MArray
  | MHash
  | MObject
  | MStruct
  | MUserDef
  | MUserMarshal
  | MData
  | MRegexp
  | MClassRef
  | MUClass
  | MExtended
  | MCycle;

/** Instance variables by name (`@value`), in stored order. */
export type Ivars = Array<[name: string, value: MarshalValue]>;

/** A String that is not text here: binary (ASCII-8BIT) with bytes above 0x7f, invalid UTF-8, or another encoding. */
export interface MBytes {
  kind: 'bytes';
  bytes: Buffer;
  encoding: string;
}
/** A String with instance variables beyond its encoding. */
export interface MString {
  kind: 'string';
  value: string | MBytes;
  ivars: Ivars;
}
export interface MSymbol {
  kind: 'symbol';
  name: string;
}
export interface MArray {
  kind: 'array';
  items: MarshalValue[];
  ivars?: Ivars;
}
/** A Hash: its pairs in stored order (keys of any type), and its default value (`}`) when it has one. */
export interface MHash {
  kind: 'hash';
  entries: Array<[MarshalValue, MarshalValue]>;
  default?: MarshalValue;
  ivars?: Ivars;
}
/**
 * An object (`o`): its class name and instance variables. `spans` holds where each instance
 * variable's value sits in the input ([start, end) byte offsets), so that a caller can rewrite
 * one value and keep every other byte (the Rails cache Entry's @created_at and @expires_in).
 */
export interface MObject {
  kind: 'object';
  className: string;
  ivars: Ivars;
  spans: Array<[start: number, end: number]>;
}
export interface MStruct {
  kind: 'struct';
  className: string;
  members: Array<[name: string, value: MarshalValue]>;
}
/** `u`: what the class's `_dump` wrote (Time, BigDecimal ...), as bytes. */
export interface MUserDef {
  kind: 'userdef';
  className: string;
  bytes: Buffer;
  ivars?: Ivars;
}
/** `U`: what the class's `marshal_dump` returned (Date, ActiveSupport::TimeWithZone ...). */
export interface MUserMarshal {
  kind: 'usermarshal';
  className: string;
  data: MarshalValue;
}
/** `d`: a T_DATA object's `_dump_data`. */
export interface MData {
  kind: 'data';
  className: string;
  data: MarshalValue;
}
/** A Regexp: its source as text (never compiled) and its option bits. */
export interface MRegexp {
  kind: 'regexp';
  source: string | MBytes;
  options: number;
}
/** A reference to a class or a module (by name only). */
export interface MClassRef {
  kind: 'class' | 'module';
  name: string;
}
/** `C`: a String, Regexp, Array or Hash of a subclass (ActiveSupport::HashWithIndifferentAccess, say). */
export interface MUClass {
  kind: 'uclass';
  className: string;
  value: MarshalValue;
}
/** `e`: an object extended with a module. */
export interface MExtended {
  kind: 'extended';
  module: string;
  value: MarshalValue;
}
/** A link back to an object still being read: the graph has a cycle there. */
export interface MCycle {
  kind: 'cycle';
  of: string;
}

/** On success, `trailing` counts the bytes after the one value read. */
export type MarshalResult = { ok: true; value: MarshalValue; trailing: number } | { ok: false; reason: string };

export interface MarshalLimits {
  /** Values inside each other. */
  maxDepth: number;
  /** Objects and symbols: everything the stream numbers. */
  maxEntries: number;
  /** Of one string, symbol, float or bignum. */
  maxStringBytes: number;
  /** Of the whole input. */
  maxBytes: number;
}

export const MARSHAL_LIMITS: Readonly<MarshalLimits> = {
  maxDepth: 64,
  maxEntries: 100_000,
  maxStringBytes: 1 << 20,
  maxBytes: 8 << 20,
};

/** Marshal 4.8's first two bytes. */
export const MARSHAL_HEADER = Buffer.from([4, 8]);
export const isMarshal = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 4 && bytes[1] === 8;

/** An object whose contents are being read: a link to it is a cycle. */
interface Pending {
  kind: 'pending';
  of: string;
}

class Unreadable extends Error {}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/** Whether a node is one of the object nodes (not a primitive, string or Uint8Array). */
function isNode(v: MarshalValue | Pending): v is Exclude<MarshalValue, null | boolean | number | bigint | string> | Pending {
  return v !== null && typeof v === 'object';
}

/** A string's bytes as text in `encoding` (null: binary), or as bytes when they are not that. */
export function stringOf(bytes: Buffer, encoding: string | null): string | MBytes {
  if (encoding === 'UTF-8' || (encoding !== null && /^UTF-?8$/i.test(encoding))) {
    return isUtf8(bytes) ? bytes.toString('utf8') : { kind: 'bytes', bytes, encoding };
  }
  if (isAscii(bytes) && (encoding === null || !/^(?:UTF-16|UTF-32)/i.test(encoding))) return bytes.toString('latin1');
  return { kind: 'bytes', bytes, encoding: encoding ?? 'ASCII-8BIT' };
}

/** The encoding an instance variable names (`E`: true UTF-8, false US-ASCII; `encoding`: a name), or undefined. */
function encodingOf(name: string, value: MarshalValue): string | undefined {
  if (name === 'E' && typeof value === 'boolean') return value ? 'UTF-8' : 'US-ASCII';
  if (name === 'encoding' && typeof value === 'string') return value;
  return undefined;
}

/** Whether `I` still has its instance variables to read after the value (marshal.c's `ivp`). */
interface IvarSlot {
  pending: boolean;
}

class Reader {
  pos = 2;
  private readonly entries: Array<MarshalValue | Pending> = [];
  private readonly symbols: string[] = [];

  constructor(
    private readonly bytes: Buffer,
    private readonly limits: MarshalLimits,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private take(n: number): number {
    if (n > this.remaining) throw new Unreadable(`truncated at byte ${this.pos}`);
    this.pos += n;
    return this.pos - n;
  }

  private byte(): number {
    if (this.pos >= this.bytes.length) throw new Unreadable(`truncated at byte ${this.pos}`);
    return this.bytes[this.pos++] as number;
  }

  /** marshal.c r_long: a small integer in one byte, else its length and little-endian bytes. */
  private long(): number {
    const c = (this.byte() << 24) >> 24; // signed
    if (c === 0) return 0;
    if (c >= 5) return c - 5;
    if (c <= -5) return c + 5;
    const n = Math.abs(c);
    const at = this.take(n);
    let x = 0;
    for (let i = n - 1; i >= 0; i -= 1) x = x * 256 + (this.bytes[at + i] as number);
    return c > 0 ? x : x - 256 ** n;
  }

  /** A length or count, each item taking at least `width` bytes of what is left. */
  private count(width: number, what: string): number {
    const at = this.pos;
    const n = this.long();
    if (n < 0) throw new Unreadable(`negative ${what} at byte ${at}`);
    if (n * width > this.remaining) throw new Unreadable(`${what} ${n} at byte ${at} is more than the bytes left`);
    return n;
  }

  private raw(): Buffer {
    const n = this.count(1, 'length');
    if (n > this.limits.maxStringBytes) throw new Unreadable(`string of ${n} bytes (limit ${this.limits.maxStringBytes})`);
    const at = this.take(n);
    return this.bytes.subarray(at, at + n);
  }

  private reserve(of: string): number {
    if (this.entries.length + this.symbols.length >= this.limits.maxEntries) {
      throw new Unreadable(`more than ${this.limits.maxEntries} objects`);
    }
    return this.entries.push({ kind: 'pending', of }) - 1;
  }

  private register<T extends MarshalValue>(value: T): T {
    const at = this.reserve('');
    this.entries[at] = value;
    return value;
  }

  /** A symbol in a place that must hold one (class names, instance variable names, struct members). */
  symbol(depth: number): string {
    if (depth > this.limits.maxDepth) throw new Unreadable(`nesting deeper than ${this.limits.maxDepth}`);
    const at = this.pos;
    const type = this.byte();
    if (type === 0x3a) return this.symbolBody(false, depth);
    if (type === 0x3b) return this.symlink(at);
    if (type === 0x49 && this.bytes[this.pos] === 0x3a) {
      this.pos += 1;
      return this.symbolBody(true, depth);
    }
    throw new Unreadable(`expected a symbol at byte ${at}, found ${hex(type)}`);
  }

  private symlink(at: number): string {
    const n = this.long();
    const name = this.symbols[n];
    if (name === undefined) throw new Unreadable(`link to unknown symbol ${n} at byte ${at}`);
    return name;
  }

  /** marshal.c r_symreal: the symbol is numbered before its encoding ivars are read. */
  private symbolBody(ivar: boolean, depth: number): string {
    const bytes = this.raw();
    if (this.entries.length + this.symbols.length >= this.limits.maxEntries) {
      throw new Unreadable(`more than ${this.limits.maxEntries} objects`);
    }
    const latin1 = bytes.toString('latin1');
    const index = this.symbols.push(latin1) - 1;
    const ascii = isAscii(bytes);
    if (ascii && !ivar) return latin1; // nearly every symbol: a class or ivar name, `E`
    let encoding: string | null = null;
    if (ivar) {
      for (const [name, value] of this.ivars(depth)) encoding = encodingOf(name, value) ?? encoding;
    }
    const text = stringOf(bytes, encoding ?? (ascii ? null : 'UTF-8'));
    const name = typeof text === 'string' ? text : bytes.toString('latin1');
    this.symbols[index] = name;
    return name;
  }

  /** A count and that many (symbol, value) pairs. */
  private ivars(depth: number): Ivars {
    const n = this.count(2, 'instance variable count');
    const out: Ivars = [];
    for (let i = 0; i < n; i += 1) {
      const name = this.symbol(depth + 1);
      out.push([name, this.value(depth + 1)]);
    }
    return out;
  }

  value(depth: number, ivp?: IvarSlot): MarshalValue {
    if (depth > this.limits.maxDepth) throw new Unreadable(`nesting deeper than ${this.limits.maxDepth}`);
    const at = this.pos;
    const type = this.byte();
    switch (type) {
      case 0x30: // '0'
        return null;
      case 0x54: // 'T'
        return true;
      case 0x46: // 'F'
        return false;
      case 0x69: // 'i'
        return this.long();
      case 0x6c: // 'l': sign, length in 16-bit words, little-endian words
        return this.register(this.bignum());
      case 0x66: {
        // 'f': the number as text
        const text = this.raw().toString('latin1');
        const body = text.split('\0')[0] ?? '';
        const n = body === 'nan' ? NaN : body === 'inf' ? Infinity : body === '-inf' ? -Infinity : Number.parseFloat(body);
        return this.register(n);
      }
      case 0x22: // '"': its encoding comes in the ivars of an enclosing 'I', which decodes it then
        return this.register(
          ivp?.pending === true ? { kind: 'bytes', bytes: this.raw(), encoding: 'ASCII-8BIT' } : stringOf(this.raw(), null),
        );
      case 0x3a: // ':'
        return { kind: 'symbol', name: this.symbolBody(ivp?.pending === true && this.consume(ivp), depth) };
      case 0x3b: // ';'
        return { kind: 'symbol', name: this.symlink(at) };
      case 0x40: // '@'
        return this.link(at);
      case 0x49: // 'I': a value, then its instance variables (unless the value took them)
        return this.withIvars(depth);
      case 0x5b: {
        // '['
        const n = this.count(1, 'array length');
        const index = this.reserve('Array');
        const items: MarshalValue[] = [];
        for (let i = 0; i < n; i += 1) items.push(this.value(depth + 1));
        return this.finish(index, { kind: 'array', items });
      }
      case 0x7b: // '{'
      case 0x7d: {
        // '}': with a default value after the pairs
        const n = this.count(2, 'hash size');
        const index = this.reserve('Hash');
        const hash: MHash = { kind: 'hash', entries: [] };
        for (let i = 0; i < n; i += 1) {
          const key = this.value(depth + 1);
          hash.entries.push([key, this.value(depth + 1)]);
        }
        if (type === 0x7d) hash.default = this.value(depth + 1);
        return this.finish(index, hash);
      }
      case 0x6f: {
        // 'o': class name, instance variables
        const index = this.reserve('Object');
        const className = this.symbol(depth + 1);
        (this.entries[index] as Pending).of = className;
        const n = this.count(2, 'instance variable count');
        const obj: MObject = { kind: 'object', className, ivars: [], spans: [] };
        for (let i = 0; i < n; i += 1) {
          const name = this.symbol(depth + 1);
          const start = this.pos;
          obj.ivars.push([name, this.value(depth + 1)]);
          obj.spans.push([start, this.pos]);
        }
        return this.finish(index, obj);
      }
      case 0x53: {
        // 'S': struct class, member count, (member symbol, value) pairs
        const index = this.reserve('Struct');
        const className = this.symbol(depth + 1);
        (this.entries[index] as Pending).of = className;
        const n = this.count(2, 'struct size');
        const members: MStruct['members'] = [];
        for (let i = 0; i < n; i += 1) {
          const name = this.symbol(depth + 1);
          members.push([name, this.value(depth + 1)]);
        }
        return this.finish(index, { kind: 'struct', className, members });
      }
      case 0x75: {
        // 'u': class, bytes; an enclosing 'I''s ivars belong to the bytes and come before the object's number
        const className = this.symbol(depth + 1);
        const bytes = this.raw();
        const node: MUserDef = { kind: 'userdef', className, bytes };
        if (ivp?.pending === true && this.consume(ivp)) node.ivars = this.ivars(depth);
        return this.register(node);
      }
      case 0x55: {
        // 'U': class, then what marshal_dump returned (the object is numbered first)
        const className = this.symbol(depth + 1);
        const index = this.reserve(className);
        return this.finish(index, { kind: 'usermarshal', className, data: this.value(depth + 1) });
      }
      case 0x64: {
        // 'd'
        const className = this.symbol(depth + 1);
        const index = this.reserve(className);
        return this.finish(index, { kind: 'data', className, data: this.value(depth + 1) });
      }
      case 0x2f: {
        // '/': source, options, then (numbered before them) the encoding ivars of an enclosing 'I'
        const source = this.raw();
        const options = this.byte();
        const index = this.reserve('Regexp');
        let encoding: string | null = null;
        if (ivp?.pending === true && this.consume(ivp)) {
          for (const [name, value] of this.ivars(depth)) encoding = encodingOf(name, value) ?? encoding;
        }
        return this.finish(index, { kind: 'regexp', source: stringOf(source, encoding), options });
      }
      case 0x63: // 'c'
      case 0x6d: // 'm'
      case 0x4d: {
        // 'M' (old format)
        const name = this.raw().toString('latin1');
        if (ivp?.pending === true && this.consume(ivp)) this.ivars(depth);
        return this.register({ kind: type === 0x63 ? 'class' : 'module', name });
      }
      case 0x43: {
        // 'C': a subclass of String, Regexp, Array or Hash; the value inside is numbered, and an
        // enclosing 'I''s ivars are read after it (marshal.c reads the inner value without ivp)
        const className = this.symbol(depth + 1);
        return { kind: 'uclass', className, value: this.value(depth + 1) };
      }
      case 0x65: {
        // 'e': module name, then the object it extends
        const module = this.symbol(depth + 1);
        return { kind: 'extended', module, value: this.value(depth + 1) };
      }
      default:
        throw new Unreadable(`unknown type ${hex(type)} at byte ${at}`);
    }
  }

  /** Takes the pending ivars of an enclosing 'I' for the value being read. */
  private consume(ivp: IvarSlot): true {
    ivp.pending = false;
    return true;
  }

  private bignum(): number | bigint {
    const sign = this.byte();
    if (sign !== 0x2b && sign !== 0x2d) throw new Unreadable(`bignum sign ${hex(sign)} at byte ${this.pos - 1}`);
    const words = this.count(2, 'bignum length');
    if (words * 2 > this.limits.maxStringBytes) throw new Unreadable(`bignum of ${words * 2} bytes`);
    const at = this.take(words * 2);
    let n = 0n;
    for (let i = words * 2 - 1; i >= 0; i -= 1) n = (n << 8n) | BigInt(this.bytes[at + i] as number);
    if (sign === 0x2d) n = -n;
    return n >= BigInt(-Number.MAX_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }

  private link(at: number): MarshalValue {
    const n = this.long();
    const target = this.entries[n];
    if (target === undefined) throw new Unreadable(`link to unknown object ${n} at byte ${at}`);
    if (isNode(target) && target.kind === 'pending') return { kind: 'cycle', of: target.of };
    return target;
  }

  private finish<T extends MarshalValue>(index: number, value: T): T {
    this.entries[index] = value;
    return value;
  }

  /** 'I': the value, then (unless the value took them) its instance variables, which give a String its encoding. */
  private withIvars(depth: number): MarshalValue {
    const ivp: IvarSlot = { pending: true };
    const start = this.entries.length;
    const value = this.value(depth + 1, ivp);
    if (!ivp.pending) return value;
    return this.applyIvars(value, this.ivars(depth), start);
  }

  /**
   * An enclosing 'I''s instance variables on the value it wrapped: a String's give its encoding
   * (through a subclass 'C' or an extension 'e' too); an Array's, Hash's or object's are kept on
   * a copy. Nothing read earlier is changed, so a link among the ivars cannot make a cycle.
   */
  private applyIvars(value: MarshalValue, ivars: Ivars, start: number): MarshalValue {
    if (typeof value === 'string' || (isNode(value) && value.kind === 'bytes')) {
      let encoding: string | null = null;
      const others: Ivars = [];
      for (const [name, v] of ivars) {
        const e = encodingOf(name, v);
        if (e !== undefined) encoding = e;
        else others.push([name, v]);
      }
      const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value.bytes;
      const text = stringOf(bytes, encoding);
      const final: MarshalValue = others.length === 0 ? text : { kind: 'string', value: text, ivars: others };
      // The string is the first object numbered inside the 'I' (a leaf): its number gets the final value.
      if (this.entries[start] === value) this.entries[start] = final;
      return final;
    }
    if (!isNode(value)) return value;
    switch (value.kind) {
      case 'uclass':
      case 'extended':
        return { ...value, value: this.applyIvars(value.value, ivars, start) };
      case 'array':
      case 'hash':
        return { ...value, ivars: [...(value.ivars ?? []), ...ivars] };
      case 'object':
        return { ...value, ivars: [...value.ivars, ...ivars], spans: [...value.spans, ...ivars.map((): [number, number] => [-1, -1])] };
      default:
        return value; // ivars on anything else (Ruby refuses most): read, not kept
    }
  }
}

/** Decodes one Marshal 4.8 value. Never throws: what cannot be read is `{ ok: false, reason }`. */
export function decodeMarshal(input: Uint8Array, limits: Partial<MarshalLimits> = {}): MarshalResult {
  const lim: MarshalLimits = { ...MARSHAL_LIMITS };
  for (const key of Object.keys(MARSHAL_LIMITS) as Array<keyof MarshalLimits>) {
    const v = limits[key];
    if (typeof v === 'number' && v >= 0) lim[key] = v;
  }
  try {
    if (input.length > lim.maxBytes) return { ok: false, reason: `larger than ${lim.maxBytes} bytes` };
    if (input.length < 2 || input[0] !== 4) return { ok: false, reason: 'not Ruby Marshal' };
    if ((input[1] as number) > 8) return { ok: false, reason: `Marshal format 4.${input[1]} (this reads 4.8)` };
    const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const reader = new Reader(bytes, lim);
    const value = reader.value(0);
    return { ok: true, value, trailing: reader.remaining };
  } catch (e) {
    if (e instanceof Unreadable) return { ok: false, reason: e.message };
    return { ok: false, reason: `unreadable (${e instanceof Error ? e.message : String(e)})` };
  }
}
