/**
 * A bounded, read-only reader of Go's encoding/gob streams, for the values gorilla/sessions'
 * redistore keeps in Redis (`gob.NewEncoder(buf).Encode(session.Values)`) and the id inside a
 * gorilla securecookie. Those bytes are written by whoever holds a session, so every count and
 * length is checked against the input left before anything is allocated, nesting, values, type
 * definitions and names are bounded, and nothing is instantiated or looked up: a registered type
 * name is only a string carried into the output.
 *
 * The format, as golang/go src/encoding/gob defines it (go1.19; doc.go "Encoding Details" and its
 * grammar, decoder.go, decode.go, type.go):
 * - a stream is messages, each `uint(length)` then the bytes; a message is a type definition
 *   `int(-id) wireType` or a value `int(id) value` (decoder.go decodeTypeSequence);
 * - unsigned integers are one byte below 0x80, else a byte holding the negated count (at most 8)
 *   of big-endian bytes that follow; a signed integer is an unsigned one whose bit 0 says
 *   "complement the rest"; a float is its IEEE-754 bits byte-reversed, as an unsigned integer;
 *   strings and []byte are a count and the bytes (doc.go, decode.go decodeUint);
 * - type ids 1-8 are bool, int, uint, float, []byte, string, complex and interface; 16-23 are
 *   gob's own type-description types; ids below 64 are never defined by a stream (type.go
 *   bootstrapType, firstUserId; decoder.go recvType refuses them);
 * - a wireType is a struct of which one field is set: ArrayT, SliceT, StructT, MapT, or
 *   GobEncoderT / BinaryMarshalerT / TextMarshalerT for types that encode themselves, whose
 *   values are then a byte count and bytes (type.go wireType, CommonType, arrayType, ...);
 * - a struct is (uint(field-number delta) value)* ended by a 0 delta; any other value at the top
 *   of a message or inside an interface is a "singleton", preceded by a 0 delta (decode.go
 *   decodeSingle); arrays, slices and maps are a count and their elements (pairs for maps);
 * - an interface value is `uint(len) name` (empty: nil; at most 1024 bytes, decode.go
 *   decodeInterface), then type definitions and the concrete type id, a byte count the decoder
 *   ignores, and the value. Type definitions met there may end the current message and the
 *   value go on in the next one (encode.go encodeInterface writes them through
 *   Encoder.writeMessage): the reader then takes the next message, as decodeTypeSequence does.
 *
 * Output is plain data (see GobPlain): maps and structs are objects without a prototype, so a
 * key `__proto__` is just a key.
 */
import { isoTime } from '../records.js';

/**
 * What a gob value becomes:
 * - bool, string: themselves; int and uint: a number, or its decimal digits beyond ±(2^53-1);
 *   float: a number, or "NaN", "+Inf", "-Inf"; complex: `{"@complex": [re, im]}`;
 * - []byte: `{"@bytes": base64}`; arrays and slices: arrays; a nil interface: null;
 * - a struct: an object of the fields sent (gob omits zero fields), with `"@type"`: its
 *   registered name when it came in an interface, else its type's name (when it has one);
 * - a map: an object when every key is a string, else `{"@entries": [[key, value], ...]}`;
 * - a type that encodes itself (GobEncoder, BinaryMarshaler, TextMarshaler): `{"@type", "@bytes"}`,
 *   or for a time.Time `{"@type": "time.Time", "@time": ISO 8601}`.
 * A key from the data that starts with `@` gets one more `@` (plainKey), so it cannot pose as
 * one of these.
 */
export type GobPlain = null | boolean | number | string | GobPlain[] | { [key: string]: GobPlain };
export type GobObject = { [key: string]: GobPlain };

export interface GobLimits {
  /** Values inside each other. */
  maxDepth: number;
  /** Of the whole input. */
  maxBytes: number;
  /** Values decoded in all (each takes at least one byte, but an object costs more than a byte). */
  maxValues: number;
  /** Type definitions in the stream. */
  maxTypes: number;
  /** Characters of struct field names and type names written into the output in all (a name sent once may be written per value). */
  maxNameChars: number;
}

export const GOB_LIMITS: Readonly<GobLimits> = {
  maxDepth: 32,
  maxBytes: 8 << 20,
  maxValues: 200_000,
  maxTypes: 1024,
  maxNameChars: 4 << 20,
};

/** The longest type name gob accepts in an interface value (decode.go decodeInterface). */
const MAX_NAME_BYTES = 1024;

/**
 * On success: the value, what its type is (Go-like, e.g. `map[interface{}]interface{}`), and how
 * many bytes follow it (redistore's value holds none; they are not read, and not an error).
 */
export type GobResult = { ok: true; value: GobPlain; type: string; trailing: number } | { ok: false; reason: string };

const BOOL = 1;
const INT = 2;
const UINT = 3;
const FLOAT = 4;
const BYTES = 5;
const STRING = 6;
const COMPLEX = 7;
const INTERFACE = 8;
const FIRST_USER_ID = 64;
const BUILTIN_NAMES = ['', 'bool', 'int', 'uint', 'float64', '[]byte', 'string', 'complex128', 'interface{}'];

type WireType =
  | { kind: 'array'; name: string; elem: number; len: number }
  | { kind: 'slice'; name: string; elem: number }
  | { kind: 'struct'; name: string; fields: Array<{ name: string; id: number }> }
  | { kind: 'map'; name: string; key: number; elem: number }
  | { kind: 'external'; name: string };

class Unreadable extends Error {}
/** Eight bytes to turn a float's bits into a number (one for all readers: nothing here is concurrent). */
const EIGHT = new DataView(new ArrayBuffer(8));
const bad = (why: string): Unreadable => new Unreadable(why);

/** A key taken from the data, as an output object holds it: one more `@` before a leading `@`. */
export function plainKey(key: string): string {
  return key.startsWith('@') ? `@${key}` : key;
}

/** Seconds from 0001-01-01 to 1970-01-01: time.Time's binary form counts from the former (go src/time/time.go unixToInternal). */
const UNIX_TO_INTERNAL = 62_135_596_800;

/** A time.Time's MarshalBinary bytes (go src/time/time.go: version 1 or 2, int64 seconds, int32 nanoseconds, int16 zone minutes, v2 one more byte) as ISO 8601, or undefined. */
function goTime(b: Buffer): string | undefined {
  if (!((b[0] === 1 && b.length === 15) || (b[0] === 2 && b.length === 16))) return undefined;
  // The seconds as two halves: exact to 2^53, and any time a Date can hold is far within that.
  const seconds = b.readInt32BE(1) * 2 ** 32 + b.readUInt32BE(5);
  const ms = (seconds - UNIX_TO_INTERNAL) * 1000 + Math.floor(b.readInt32BE(9) / 1e6);
  // isoTime: new Date(ms).toISOString() memoised per minute (a listing formats one per session).
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? isoTime(ms) : undefined;
}

const exact = (n: bigint): number | string => (n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n.toString());

class Reader {
  pos = 0;
  /** Where the current message ends: a value never reads past it (decodeTypeSequence takes the next). */
  end = 0;
  private readonly types = new Map<number, WireType>();
  private values = 0;
  private nameChars = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly limits: GobLimits,
  ) {}

  private byte(): number {
    if (this.pos >= this.end) throw bad(`truncated at byte ${this.pos}`);
    return this.bytes[this.pos++] as number;
  }

  /** The position of `n` bytes of the current message, which are consumed. */
  private take(n: number): number {
    if (n > this.end - this.pos) throw bad(`a length of ${n} at byte ${this.pos} runs past the message`);
    this.pos += n;
    return this.pos - n;
  }

  /** How many bytes an unsigned integer's encoding spans after its first byte `b`. */
  private static width(b: number): number {
    const n = 256 - b;
    if (n > 8) throw bad('an unsigned integer longer than 8 bytes');
    return n;
  }

  /** An unsigned integer that must be a JS number (a count, a length, an id). */
  uint(): number {
    const b = this.byte();
    if (b < 0x80) return b;
    const at = this.take(Reader.width(b));
    let x = 0;
    for (let i = at; i < this.pos; i += 1) {
      x = x * 256 + (this.bytes[i] as number);
      if (x > Number.MAX_SAFE_INTEGER) throw bad(`a count or length beyond 2^53 at byte ${at}`);
    }
    return x;
  }

  /** An unsigned integer of any size (a value). */
  private bigUint(): bigint {
    const b = this.byte();
    if (b < 0x80) return BigInt(b);
    const at = this.take(Reader.width(b));
    let x = 0n;
    for (let i = at; i < this.pos; i += 1) x = (x << 8n) | BigInt(this.bytes[i] as number);
    return x;
  }

  /** A signed integer that must be a JS number (a type id, a field delta). */
  int(): number {
    const u = this.uint();
    return u % 2 === 1 ? -(u + 1) / 2 : u / 2;
  }

  private bigInt(): bigint {
    const u = this.bigUint();
    return (u & 1n) === 1n ? -(u >> 1n) - 1n : u >> 1n;
  }

  private float(): number {
    const b = this.byte();
    const view = EIGHT;
    view.setBigUint64(0, 0n);
    if (b < 0x80) view.setUint8(7, b);
    else {
      const n = Reader.width(b);
      const at = this.take(n);
      for (let i = 0; i < n; i += 1) view.setUint8(8 - n + i, this.bytes[at + i] as number);
    }
    // The bits were sent byte-reversed (doc.go): read the big-endian integer little-endian.
    return view.getFloat64(0, true);
  }

  private text(max: number, what: string): string {
    const n = this.uint();
    if (n > max) throw bad(`a ${what} of ${n} bytes`);
    const at = this.take(n);
    return this.bytes.toString('utf8', at, at + n);
  }

  /** A name the output will carry (a field's, a type's): counted against maxNameChars. */
  private spend(name: string): string {
    this.nameChars += name.length;
    if (this.nameChars > this.limits.maxNameChars) throw bad(`more than ${this.limits.maxNameChars} characters of names`);
    return name;
  }

  /** A count of elements each taking at least `min` bytes: never more than the input left holds. */
  private count(min: number): number {
    const n = this.uint();
    if (n * min > this.bytes.length - this.pos)
      throw bad(`a count of ${n} at byte ${this.pos} with ${this.bytes.length - this.pos} bytes left`);
    return n;
  }

  /** A struct's fields by number, as gob sends them: deltas from -1, 0 ends (decode.go decodeStruct). */
  private fields(count: number, each: (field: number) => void): void {
    let field = -1;
    for (;;) {
      const delta = this.uint();
      if (delta === 0) return;
      field += delta;
      if (field >= count) throw bad(`field number ${field} out of range at byte ${this.pos}`);
      each(field);
    }
  }

  /** The next message: its length, read from wherever the last one ended (decoder.go recvMessage). */
  private nextMessage(): void {
    if (this.pos >= this.bytes.length) throw bad(this.pos === 0 ? 'empty' : `truncated at byte ${this.pos}: a message was expected`);
    this.end = this.bytes.length;
    const n = this.uint();
    if (n === 0) throw bad(`an empty message at byte ${this.pos}`);
    if (n > this.bytes.length - this.pos)
      throw bad(`a message of ${n} bytes at byte ${this.pos} with ${this.bytes.length - this.pos} left`);
    this.end = this.pos + n;
  }

  /** Type definitions, then the id of the value that follows (decoder.go decodeTypeSequence). */
  typeSequence(inInterface: boolean): number {
    for (;;) {
      if (this.pos === this.end) this.nextMessage();
      const id = this.int();
      if (id >= 0) return id;
      this.defineType(-id);
      if (this.pos < this.end) {
        if (!inInterface) throw bad(`extra data after the type definition ending at byte ${this.pos}`);
        this.uint(); // the byte count of the value the definitions came with
      }
    }
  }

  private common(into: { name: string; id: number }): void {
    this.fields(2, (f) => {
      if (f === 0) into.name = this.text(MAX_NAME_BYTES, 'type name');
      else into.id = this.int();
    });
  }

  /** A wireType (type.go), exactly one of its fields set. */
  private defineType(id: number): void {
    if (id < FIRST_USER_ID || this.types.has(id)) throw bad(`type id ${id} defined again or reserved`);
    if (this.types.size >= this.limits.maxTypes) throw bad(`more than ${this.limits.maxTypes} type definitions`);
    let wire: WireType | undefined;
    let set = 0;
    this.fields(7, (f) => {
      set += 1;
      const c = { name: '', id: 0 };
      if (f === 0) {
        const t = { elem: 0, len: 0 };
        this.fields(3, (g) => (g === 0 ? this.common(c) : g === 1 ? (t.elem = this.int()) : (t.len = this.int())));
        wire = { kind: 'array', name: c.name, ...t };
      } else if (f === 1) {
        const t = { elem: 0 };
        this.fields(2, (g) => (g === 0 ? this.common(c) : (t.elem = this.int())));
        wire = { kind: 'slice', name: c.name, ...t };
      } else if (f === 2) {
        const list: Array<{ name: string; id: number }> = [];
        this.fields(2, (g) => {
          if (g === 0) return this.common(c);
          const n = this.count(1);
          for (let i = 0; i < n; i += 1) {
            const field = { name: '', id: 0 };
            this.fields(2, (h) => (h === 0 ? (field.name = this.text(MAX_NAME_BYTES, 'field name')) : (field.id = this.int())));
            list.push(field);
          }
        });
        wire = { kind: 'struct', name: c.name, fields: list };
      } else if (f === 3) {
        const t = { key: 0, elem: 0 };
        this.fields(3, (g) => (g === 0 ? this.common(c) : g === 1 ? (t.key = this.int()) : (t.elem = this.int())));
        wire = { kind: 'map', name: c.name, ...t };
      } else {
        this.fields(1, () => this.common(c));
        wire = { kind: 'external', name: c.name };
      }
    });
    if (wire === undefined || set !== 1) throw bad(`type ${id} defined as ${set === 0 ? 'nothing' : 'several kinds'}`);
    this.types.set(id, wire);
  }

  private wire(id: number): WireType {
    const wire = this.types.get(id);
    if (wire === undefined) throw bad(`type id ${id} is not defined`);
    return wire;
  }

  /** A value at the top of a message or inside an interface: a struct, or a singleton (decode.go decodeValue). */
  top(id: number, depth: number, name: string | undefined): GobPlain {
    if (id < FIRST_USER_ID || this.wire(id).kind !== 'struct') {
      if (this.uint() !== 0) throw bad(`a non-zero delta for a single value at byte ${this.pos}`);
    }
    return this.value(id, depth, name);
  }

  /** A value of type `id`; `name` is the registered name it came under in an interface. */
  private value(id: number, depth: number, name?: string): GobPlain {
    if (depth > this.limits.maxDepth) throw bad(`nesting deeper than ${this.limits.maxDepth}`);
    if (++this.values > this.limits.maxValues) throw bad(`more than ${this.limits.maxValues} values`);
    switch (id) {
      case BOOL:
        return this.bigUint() !== 0n;
      case INT:
        return exact(this.bigInt());
      case UINT:
        return exact(this.bigUint());
      case FLOAT:
        return finite(this.float());
      case BYTES: {
        const n = this.uint();
        const at = this.take(n);
        return { '@bytes': this.bytes.toString('base64', at, at + n) };
      }
      case STRING:
        return this.text(Number.MAX_SAFE_INTEGER, 'string');
      case COMPLEX:
        return { '@complex': [finite(this.float()), finite(this.float())] };
      case INTERFACE:
        return this.iface(depth);
      default:
        return this.composite(this.wire(id), depth, name);
    }
  }

  private iface(depth: number): GobPlain {
    const n = this.uint();
    if (n === 0) return null;
    if (n > MAX_NAME_BYTES) throw bad(`an interface type name of ${n} bytes`);
    const at = this.take(n);
    const name = this.bytes.toString('utf8', at, at + n);
    const id = this.typeSequence(true);
    this.uint(); // the value's byte count, which the decoder ignores too
    return this.top(id, depth + 1, name);
  }

  private composite(wire: WireType, depth: number, name: string | undefined): GobPlain {
    switch (wire.kind) {
      case 'array':
      case 'slice': {
        const n = this.count(1);
        if (wire.kind === 'array' && n !== wire.len) throw bad(`an array of ${n} elements where its type has ${wire.len}`);
        const out: GobPlain[] = [];
        for (let i = 0; i < n; i += 1) out.push(this.value(wire.elem, depth + 1));
        return out;
      }
      case 'map': {
        const n = this.count(2);
        const keys: GobPlain[] = [];
        const values: GobPlain[] = [];
        let strings = true;
        for (let i = 0; i < n; i += 1) {
          const key = this.value(wire.key, depth + 1);
          keys.push(key);
          values.push(this.value(wire.elem, depth + 1));
          strings &&= typeof key === 'string';
        }
        const out = Object.create(null) as GobObject;
        if (strings) keys.forEach((k, i) => (out[plainKey(k as string)] = values[i] as GobPlain));
        else out['@entries'] = keys.map((k, i) => [k, values[i] as GobPlain]);
        return out;
      }
      case 'struct': {
        const out = Object.create(null) as GobObject;
        const type = name ?? wire.name;
        if (type !== '') out['@type'] = this.spend(type);
        this.fields(wire.fields.length, (f) => {
          const field = wire.fields[f] as { name: string; id: number };
          out[this.spend(plainKey(field.name))] = this.value(field.id, depth + 1);
        });
        return out;
      }
      case 'external': {
        const n = this.uint();
        const at = this.take(n);
        const type = this.spend(name ?? wire.name);
        const time = type === 'time.Time' || type === 'Time' ? goTime(this.bytes.subarray(at, at + n)) : undefined;
        const out = Object.create(null) as GobObject;
        out['@type'] = type;
        if (time !== undefined) out['@time'] = time;
        else out['@bytes'] = this.bytes.toString('base64', at, at + n);
        return out;
      }
    }
  }

  /** A type, Go-like, for messages and detection (a few levels: recursive types name themselves). */
  describe(id: number, depth = 0): string {
    if (id > 0 && id < BUILTIN_NAMES.length) return BUILTIN_NAMES[id] as string;
    const wire = this.types.get(id);
    if (wire === undefined || depth > 3) return `type ${id}`;
    if (wire.name !== '' && wire.kind !== 'map' && wire.kind !== 'slice' && wire.kind !== 'array') return wire.name;
    const inner = (t: number) => this.describe(t, depth + 1);
    if (wire.kind === 'map') return `map[${inner(wire.key)}]${inner(wire.elem)}`;
    if (wire.kind === 'slice') return `[]${inner(wire.elem)}`;
    if (wire.kind === 'array') return `[${wire.len}]${inner(wire.elem)}`;
    return wire.name;
  }
}

function finite(x: number): number | string {
  return Number.isFinite(x) ? x : Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
}

/**
 * The first value of a gob stream, as plain data, or why it cannot be read. Never throws on any
 * input; never allocates beyond the limits.
 */
export function decodeGob(input: Uint8Array, limits: GobLimits = GOB_LIMITS): GobResult {
  if (input.length > limits.maxBytes) return { ok: false, reason: `larger than ${limits.maxBytes} bytes` };
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const reader = new Reader(bytes, limits);
  try {
    const id = reader.typeSequence(false);
    const value = reader.top(id, 0, undefined);
    return { ok: true, value, type: reader.describe(id), trailing: bytes.length - reader.pos };
  } catch (err) {
    if (err instanceof Unreadable) return { ok: false, reason: `gob: ${err.message}` };
    throw err;
  }
}
