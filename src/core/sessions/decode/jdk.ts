/**
 * A bounded, read-only reader of Java object serialization (the stream ObjectOutputStream writes:
 * Java Object Serialization Specification, chapter 6, protocol version 2), for the values Spring
 * Session keeps in Redis. Those values are written by whoever holds a session, so every length is
 * checked against the input left and against JdkLimits before anything is allocated, nesting is
 * bounded, and nothing is loaded, resolved or run: class names are only strings.
 *
 * The API of the three files: decodeJdk here, jdkToPlain (jdk-plain.ts) to print what it read,
 * and the encoders of the values the tool writes back (jdk-write.ts).
 */
export { jdkToPlain, type Plain, type PlainLimits } from './jdk-plain.js';
export { jdkInteger, jdkLong, jdkString } from './jdk-write.js';

/**
 * Decoded content. Longs (fields, arrays, java.lang.Long) outside ±(2^53-1) are bigints, floats
 * are numbers, chars one-unit strings, the eight boxes (java.lang.Integer...) their value. What
 * the stream names twice is one shared JS value, so the graph is acyclic (a cycle is a JdkCycle)
 * but can still double at every level: walk it with a budget, as jdkToPlain does.
 */
export type JdkValue = null | boolean | number | bigint | string | Uint8Array | JdkObject | JdkArray | JdkEnum | JdkClass | JdkCycle;

/**
 * An object. `fields` holds every serializable class's fields, superclass first, in a record
 * without a prototype (a field named `__proto__` is just a field); where a subclass field shadows
 * a superclass's, the name holds the subclass's value and `<superclass>.<name>` the other.
 * `annotations` is what writeObject methods wrote after the fields (ArrayList's and HashMap's
 * elements, say), and an Externalizable's contents, in order; consecutive block data is one Uint8Array.
 */
export interface JdkObject {
  kind: 'object';
  className: string;
  fields: Record<string, JdkValue>;
  annotations: JdkValue[];
}
/** An array; className is the JVM's (`[I`, `[Ljava.lang.String;`). */
export interface JdkArray {
  kind: 'array';
  className: string;
  items: JdkValue[];
}
export interface JdkEnum {
  kind: 'enum';
  className: string;
  name: string;
}
/** A java.lang.Class (TC_CLASS), or a class descriptor written as an object. */
export interface JdkClass {
  kind: 'class';
  className: string;
}
/** A reference back to an object (or array) still being read: the graph has a cycle there. */
export interface JdkCycle {
  kind: 'cycle';
  className: string;
}

/**
 * On success, `trailing` counts the bytes after the one content element read (Spring Session
 * writes none; they are not read, and not an error).
 */
export type JdkResult = { ok: true; value: JdkValue; trailing: number } | { ok: false; reason: string };

export interface JdkLimits {
  /** Content elements inside each other (and superclasses above a class). */
  maxDepth: number;
  /** Objects, arrays, strings, enums, classes and class descriptors: everything the stream numbers. */
  maxHandles: number;
  maxArrayLength: number;
  /** Of one string, in its encoded (modified UTF-8) bytes. */
  maxStringBytes: number;
  /** Of the whole input. */
  maxBytes: number;
}

export const JDK_LIMITS: Readonly<JdkLimits> = {
  maxDepth: 32,
  maxHandles: 10_000,
  maxArrayLength: 100_000,
  maxStringBytes: 1 << 20,
  maxBytes: 8 << 20,
};

const TC_NULL = 0x70;
const TC_REFERENCE = 0x71;
const TC_CLASSDESC = 0x72;
const TC_OBJECT = 0x73;
const TC_STRING = 0x74;
const TC_ARRAY = 0x75;
const TC_CLASS = 0x76;
const TC_BLOCKDATA = 0x77;
const TC_ENDBLOCKDATA = 0x78;
const TC_RESET = 0x79;
const TC_BLOCKDATALONG = 0x7a;
const TC_EXCEPTION = 0x7b;
const TC_LONGSTRING = 0x7c;
const TC_PROXYCLASSDESC = 0x7d;
const TC_ENUM = 0x7e;
const BASE_HANDLE = 0x7e0000;
const SC_WRITE_METHOD = 0x01;
const SC_SERIALIZABLE = 0x02;
const SC_EXTERNALIZABLE = 0x04;
const SC_BLOCK_DATA = 0x08;

/** Bytes per element of a primitive type code (objects take at least one: TC_NULL). */
const WIDTH: Record<string, number> = { B: 1, C: 2, D: 8, F: 4, I: 4, J: 8, S: 2, Z: 1, L: 1, '[': 1 };

/** The boxes whose one field `value` (of this type) stands for the object. */
const BOXES = new Map(
  Object.entries({ Integer: 'I', Long: 'J', Short: 'S', Byte: 'B', Double: 'D', Float: 'F', Boolean: 'Z', Character: 'C' }).map(
    ([k, v]) => [`java.lang.${k}`, v],
  ),
);

interface ClassDesc {
  kind: 'desc';
  name: string;
  flags: number;
  fields: Array<{ type: string; name: string }>;
  /** This class and its serializable superclasses, the topmost first; empty until the descriptor is read. */
  chain: ClassDesc[];
}
/** The handle of an object being read: a reference to it is a cycle. */
interface Pending {
  kind: 'pending';
  className: string;
}

class Unreadable extends Error {}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

class Reader {
  pos = 4;
  private handles: Array<JdkValue | ClassDesc | Pending> = [];
  private readonly view: DataView;
  /** The input as a Buffer (the same memory): strings are decoded and compared natively. */
  private readonly bytes: Buffer;

  constructor(
    input: Uint8Array,
    private readonly limits: JdkLimits,
  ) {
    this.bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** The position of `n` bytes, which are consumed. */
  private take(n: number): number {
    if (n > this.remaining) throw new Unreadable(`truncated at byte ${this.pos}`);
    this.pos += n;
    return this.pos - n;
  }
  private u8 = () => this.bytes[this.take(1)] as number;
  private u16 = () => this.view.getUint16(this.take(2));
  private i32 = () => this.view.getInt32(this.take(4));
  private i64 = () => this.view.getBigInt64(this.take(8));

  private assign(value: JdkValue | ClassDesc | Pending): number {
    if (this.handles.length >= this.limits.maxHandles) throw new Unreadable(`more than ${this.limits.maxHandles} objects`);
    return this.handles.push(value) - 1;
  }

  /** The top-level element: resets before it are allowed there (and only there), as the JDK allows them. */
  top(): JdkValue {
    while (this.bytes[this.pos] === TC_RESET) {
      this.pos += 1;
      this.handles = [];
    }
    return this.content(0);
  }

  /** One object-position element: anything but block data. */
  private content(depth: number): JdkValue {
    if (depth > this.limits.maxDepth) throw new Unreadable(`nesting deeper than ${this.limits.maxDepth}`);
    const at = this.pos;
    const tc = this.u8();
    switch (tc) {
      case TC_NULL:
        return null;
      case TC_REFERENCE: {
        const target = this.handleAt(at);
        if (target !== null && typeof target === 'object' && 'kind' in target) {
          if (target.kind === 'pending') return { kind: 'cycle', className: target.className };
          if (target.kind === 'desc') return { kind: 'class', className: target.name };
        }
        return target;
      }
      case TC_STRING:
        return this.string(this.u16());
      case TC_LONGSTRING:
        return this.string(this.i64());
      case TC_OBJECT:
        return this.object(depth);
      case TC_ARRAY:
        return this.array(depth);
      case TC_ENUM: {
        const desc = this.classDesc(depth + 1);
        const handle = this.assign({ kind: 'pending', className: desc.name });
        const name = this.content(depth + 1);
        if (typeof name !== 'string') throw new Unreadable(`enum constant of ${desc.name} has no name`);
        const value: JdkEnum = { kind: 'enum', className: desc.name, name };
        return (this.handles[handle] = value);
      }
      case TC_CLASS: {
        const value: JdkClass = { kind: 'class', className: this.classDesc(depth + 1).name };
        this.assign(value);
        return value;
      }
      case TC_CLASSDESC:
      case TC_PROXYCLASSDESC:
        this.pos = at;
        return { kind: 'class', className: this.classDesc(depth).name };
      case TC_EXCEPTION:
        throw new Unreadable(`the writer failed at byte ${at} (TC_EXCEPTION)`);
      case TC_BLOCKDATA:
      case TC_BLOCKDATALONG:
      case TC_ENDBLOCKDATA:
      case TC_RESET:
        throw new Unreadable(`unexpected ${tc === TC_RESET ? 'reset' : 'block data'} at byte ${at}`);
      default:
        throw new Unreadable(`unknown type code ${hex(tc)} at byte ${at}`);
    }
  }

  private handleAt(at: number): JdkValue | ClassDesc | Pending {
    const handle = this.i32() - BASE_HANDLE;
    const target = this.handles[handle];
    if (target === undefined) throw new Unreadable(`reference to unknown handle at byte ${at}`);
    return target;
  }

  private string(length: number | bigint): string {
    const limit = this.limits.maxStringBytes;
    if (length < 0 || length > limit) throw new Unreadable(`string length ${length} out of range (limit ${limit})`);
    const value = modifiedUtf8(this.bytes, this.take(Number(length)), Number(length));
    this.assign(value);
    return value;
  }

  /**
   * A class descriptor and its superclasses'. The grammar nests each superclass inside its
   * subclass; they are read here in a loop, and the chain is linked once its top is known. A
   * reference must name a descriptor already complete, so a class cannot be its own ancestor.
   */
  private classDesc(depth: number): ClassDesc {
    const read: ClassDesc[] = [];
    let top: ClassDesc | null = null;
    for (;;) {
      const at = this.pos;
      const tc = this.u8();
      if (tc === TC_CLASSDESC || tc === TC_PROXYCLASSDESC) {
        if (read.length >= this.limits.maxDepth) throw new Unreadable(`class hierarchy deeper than ${this.limits.maxDepth}`);
        read.push(this.classDescInfo(tc === TC_PROXYCLASSDESC, depth));
        continue;
      }
      if (tc === TC_REFERENCE) {
        const target = this.handleAt(at);
        if (!isDesc(target) || target.chain.length === 0) throw new Unreadable(`reference at byte ${at} is not a class descriptor`);
        top = target;
      } else if (tc !== TC_NULL) {
        throw new Unreadable(`expected a class descriptor at byte ${at}, found ${hex(tc)}`);
      }
      break;
    }
    for (const desc of read.reverse()) {
      desc.chain = top ? [...top.chain, desc] : [desc];
      if (desc.chain.length > this.limits.maxDepth) throw new Unreadable(`class hierarchy deeper than ${this.limits.maxDepth}`);
      top = desc;
    }
    if (!top) throw new Unreadable(`missing class descriptor before byte ${this.pos}`);
    return top;
  }

  /** What follows TC_CLASSDESC or TC_PROXYCLASSDESC, up to the superclass. */
  private classDescInfo(proxy: boolean, depth: number): ClassDesc {
    const desc: ClassDesc = { kind: 'desc', name: '', flags: SC_SERIALIZABLE, fields: [], chain: [] };
    if (proxy) {
      this.assign(desc);
      const count = this.i32();
      // Each interface name takes two bytes at least.
      if (count < 0 || count > this.remaining / 2) throw new Unreadable(`truncated at byte ${this.pos}`);
      const names: string[] = [];
      for (let i = 0; i < count; i += 1) names.push(this.utf());
      desc.name = `proxy(${names.join(', ')})`;
    } else {
      desc.name = this.utf();
      this.take(8); // serialVersionUID
      this.assign(desc);
      desc.flags = this.u8();
      if (desc.flags & SC_SERIALIZABLE && desc.flags & SC_EXTERNALIZABLE) {
        throw new Unreadable(`${desc.name} is both serializable and externalizable`);
      }
      const count = this.u16();
      for (let i = 0; i < count; i += 1) {
        const at = this.pos;
        const type = String.fromCharCode(this.u8());
        if (WIDTH[type] === undefined) throw new Unreadable(`unknown field type ${hex(type.charCodeAt(0))} at byte ${at}`);
        const name = this.utf();
        // Object fields name their type as a string object; it is read (it takes a handle) and not kept.
        if ((type === 'L' || type === '[') && typeof this.content(depth + 1) !== 'string') {
          throw new Unreadable(`field ${name} of ${desc.name} has no type name`);
        }
        desc.fields.push({ type, name });
      }
    }
    this.annotations(depth + 1, []); // class annotations (RMI's codebase, say): read, not kept
    return desc;
  }

  private utf(): string {
    const length = this.u16();
    return modifiedUtf8(this.bytes, this.take(length), length);
  }

  private object(depth: number): JdkValue {
    const desc = this.classDesc(depth + 1);
    const handle = this.assign({ kind: 'pending', className: desc.name });
    const obj: JdkObject = { kind: 'object', className: desc.name, fields: Object.create(null), annotations: [] };
    if (desc.flags & SC_EXTERNALIZABLE) {
      // Protocol 1 wrote Externalizable contents raw: only the class's readExternal knows where they end.
      if (!(desc.flags & SC_BLOCK_DATA)) throw new Unreadable(`${desc.name} is externalizable without block data (protocol 1)`);
      this.annotations(depth + 1, obj.annotations);
    } else {
      // Which class each field name came from, to name a shadowed one: only a chain can shadow.
      const owner = desc.chain.length > 1 ? new Map<string, string>() : undefined;
      for (const cls of desc.chain) {
        if (!(cls.flags & SC_SERIALIZABLE)) continue;
        for (const { type, name } of cls.fields) {
          const value = this.field(type, depth + 1);
          const shadowed = owner?.get(name);
          if (shadowed !== undefined) obj.fields[`${shadowed}.${name}`] = obj.fields[name] as JdkValue;
          obj.fields[name] = value;
          owner?.set(name, cls.name);
        }
        // A writeObject method writes its fields first (defaultWriteObject or writeFields), then this.
        if (cls.flags & SC_WRITE_METHOD) this.annotations(depth + 1, obj.annotations);
      }
    }
    // A box is its value, if it has one of the right type (a hostile stream may omit or retype it).
    const only = desc.fields[0];
    const boxed = desc.fields.length === 1 && only?.name === 'value' && BOXES.get(desc.name) === only.type && 'value' in obj.fields;
    const value = boxed ? (obj.fields.value as JdkValue) : obj;
    return (this.handles[handle] = value);
  }

  private array(depth: number): JdkArray {
    const desc = this.classDesc(depth + 1);
    const type = desc.name.charAt(1);
    const width = desc.name.startsWith('[') ? WIDTH[type] : undefined;
    if (width === undefined) throw new Unreadable(`array of class ${desc.name}`);
    const handle = this.assign({ kind: 'pending', className: desc.name });
    const size = this.i32();
    const limit = this.limits.maxArrayLength;
    if (size < 0 || size > limit) throw new Unreadable(`array length ${size} out of range (limit ${limit})`);
    if (size * width > this.remaining) throw new Unreadable(`truncated at byte ${this.pos}`);
    const items: JdkValue[] = new Array<JdkValue>(size);
    for (let i = 0; i < size; i += 1) items[i] = this.field(type, depth + 1);
    const value: JdkArray = { kind: 'array', className: desc.name, items };
    return (this.handles[handle] = value);
  }

  private field(type: string, depth: number): JdkValue {
    switch (type) {
      case 'B':
        return this.view.getInt8(this.take(1));
      case 'C':
        return String.fromCharCode(this.u16());
      case 'D':
        return this.view.getFloat64(this.take(8));
      case 'F':
        return this.view.getFloat32(this.take(4));
      case 'I':
        return this.i32();
      case 'J': {
        const n = this.i64();
        return n >= -Number.MAX_SAFE_INTEGER && n <= Number.MAX_SAFE_INTEGER ? Number(n) : n;
      }
      case 'S':
        return this.view.getInt16(this.take(2));
      case 'Z':
        return this.u8() !== 0;
      default:
        return this.content(depth);
    }
  }

  /** Contents up to TC_ENDBLOCKDATA, into `out`: objects, and runs of block data joined into one Uint8Array. */
  private annotations(depth: number, out: JdkValue[]): void {
    let run: Uint8Array[] = [];
    const flush = () => {
      if (run.length > 0) out.push(run.length === 1 ? (run[0] as Uint8Array) : concat(run));
      run = [];
    };
    for (;;) {
      const tc = this.bytes[this.pos];
      if (tc === TC_BLOCKDATA || tc === TC_BLOCKDATALONG) {
        this.pos += 1;
        const length = tc === TC_BLOCKDATA ? this.u8() : this.i32();
        if (length < 0) throw new Unreadable(`block data of negative length at byte ${this.pos - 4}`);
        run.push(this.bytes.slice(this.take(length), this.pos));
        continue;
      }
      flush();
      if (tc === TC_ENDBLOCKDATA) {
        this.pos += 1;
        return;
      }
      out.push(this.content(depth));
    }
  }
}

function isDesc(v: JdkValue | ClassDesc | Pending): v is ClassDesc {
  return v !== null && typeof v === 'object' && 'kind' in v && v.kind === 'desc';
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Short ASCII strings seen before (class and field names: the same dozen in every session), by
 * a hash of their bytes, each checked byte for byte on a hit: no allocation for a name a listing
 * of a million sessions reads a million times (a native comparison costs more than this loop
 * for names this short, measured). Bounded, and simply dropped when full.
 */
const names = new Map<number, string>();
const NAME_BYTES = 128;

function asciiString(bytes: Buffer, start: number, end: number): string {
  if (end - start > NAME_BYTES) return bytes.toString('latin1', start, end);
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i += 1) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  const seen = names.get(hash);
  if (seen !== undefined && seen.length === end - start) {
    let same = true;
    for (let i = start; i < end && same; i += 1) same = seen.charCodeAt(i - start) === bytes[i];
    if (same) return seen;
  }
  const text = bytes.toString('latin1', start, end);
  if (names.size >= 4096) names.clear();
  names.set(hash, text);
  return text;
}

/**
 * Java's modified UTF-8 (DataInput.readUTF): one to three bytes per UTF-16 unit, U+0000 as two
 * bytes, a supplementary character as its two surrogates. Like the JDK, a raw 0x00 byte is taken.
 */
function modifiedUtf8(bytes: Buffer, start: number, length: number): string {
  const end = start + length;
  // Class and field names, and most strings, are ASCII: one native conversion (a listing reads
  // a dozen names per session; the loop below was a third of the decoder's time).
  let ascii = true;
  for (let i = start; i < end; i += 1) {
    if ((bytes[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return asciiString(bytes, start, end);
  /** The six payload bits of a continuation byte at `i`, or -1. */
  const more = (i: number) => (i < end && ((bytes[i] as number) & 0xc0) === 0x80 ? (bytes[i] as number) & 0x3f : -1);
  const units: number[] = [];
  let text = '';
  for (let i = start; i < end;) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      units.push(b);
      i += 1;
    } else if ((b & 0xe0) === 0xc0 && more(i + 1) >= 0) {
      units.push(((b & 0x1f) << 6) | more(i + 1));
      i += 2;
    } else if ((b & 0xf0) === 0xe0 && more(i + 1) >= 0 && more(i + 2) >= 0) {
      units.push(((b & 0x0f) << 12) | (more(i + 1) << 6) | more(i + 2));
      i += 3;
    } else {
      throw new Unreadable(`malformed modified UTF-8 at byte ${i}`);
    }
    // In slices: String.fromCharCode takes its units as arguments, and arguments are few.
    if (units.length >= 4096) text += String.fromCharCode(...units.splice(0));
  }
  return text + String.fromCharCode(...units);
}

/** Decodes one JDK-serialized value. Never throws: what cannot be read is `{ ok: false, reason }`. */
export function decodeJdk(bytes: Uint8Array, limits: Partial<JdkLimits> = {}): JdkResult {
  const lim: JdkLimits = { ...JDK_LIMITS };
  for (const key of Object.keys(JDK_LIMITS) as Array<keyof JdkLimits>) {
    const v = limits[key];
    if (typeof v === 'number' && v >= 0) lim[key] = v;
  }
  try {
    if (bytes.length > lim.maxBytes) return { ok: false, reason: `larger than ${lim.maxBytes} bytes` };
    if (bytes.length < 4 || bytes[0] !== 0xac || bytes[1] !== 0xed) return { ok: false, reason: 'not JDK serialization' };
    const version = ((bytes[2] as number) << 8) | (bytes[3] as number);
    if (version !== 5) return { ok: false, reason: `unknown stream version ${version}` };
    const reader = new Reader(bytes, lim);
    const value = reader.top();
    return { ok: true, value, trailing: reader.remaining };
  } catch (e) {
    if (e instanceof Unreadable) return { ok: false, reason: e.message };
    return { ok: false, reason: `unreadable (${e instanceof Error ? e.message : String(e)})` };
  }
}
