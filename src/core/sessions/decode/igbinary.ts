/**
 * A bounded, read-only reader of igbinary's format (igbinary/igbinary, src/php7/igbinary.c, the
 * igbinary_unserialize_* functions; no npm package reads it). A value is a 4-byte version header
 * (`00 00 00 02`, or the older `00 00 00 01`) and one zval: a type byte, then big-endian lengths
 * and payloads (`enum igbinary_type`). Nothing is looked up, instantiated or run: objects become
 * plain data carrying their class name (php-value.ts). Every declared length and count is checked
 * against the bytes left first (as igbinary's IGB_NEEDS_MORE_DATA does), so nothing is allocated
 * for a length the input cannot hold.
 *
 * Two tables, as igbinary keeps them:
 * - strings: every string written out in full (values, keys, class names, enum cases) gets the
 *   next id, and `string_id8/16/32` / `object_id8/16/32` name one again (igbinary_unserialize_chararray);
 * - references: every array and object takes the next number as it starts (an object's property
 *   array does not: igbinary_unserialize_object appends the object, then reads its properties
 *   without create_ref), and a scalar behind a `ref` (PHP `&`) after it is read
 *   (igbinary_unserialize_zval, case igbinary_type_ref); `ref8/16/32` and `objref8/16/32` name one.
 */
import { ArrayBuilder, ObjectBuilder, PhpUnreadable, tagged, Tracker, type PhpPlain, type Read } from './php-value.js';

const T = {
  null: 0x00,
  ref8: 0x01,
  ref16: 0x02,
  ref32: 0x03,
  false: 0x04,
  true: 0x05,
  long8p: 0x06,
  long8n: 0x07,
  long16p: 0x08,
  long16n: 0x09,
  long32p: 0x0a,
  long32n: 0x0b,
  double: 0x0c,
  stringEmpty: 0x0d,
  stringId8: 0x0e,
  stringId16: 0x0f,
  stringId32: 0x10,
  string8: 0x11,
  string16: 0x12,
  string32: 0x13,
  array8: 0x14,
  array16: 0x15,
  array32: 0x16,
  object8: 0x17,
  object16: 0x18,
  object32: 0x19,
  objectId8: 0x1a,
  objectId16: 0x1b,
  objectId32: 0x1c,
  objectSer8: 0x1d,
  objectSer16: 0x1e,
  objectSer32: 0x1f,
  long64p: 0x20,
  long64n: 0x21,
  objref8: 0x22,
  objref16: 0x23,
  objref32: 0x24,
  ref: 0x25,
  string64: 0x26,
  enumCase: 0x27,
} as const;

/** The integer types: how many bytes follow, and the sign. */
const LONGS = new Map<number, { width: 1 | 2 | 4 | 8; negative: boolean }>([
  [T.long8p, { width: 1, negative: false }],
  [T.long8n, { width: 1, negative: true }],
  [T.long16p, { width: 2, negative: false }],
  [T.long16n, { width: 2, negative: true }],
  [T.long32p, { width: 4, negative: false }],
  [T.long32n, { width: 4, negative: true }],
  [T.long64p, { width: 8, negative: false }],
  [T.long64n, { width: 8, negative: true }],
]);

/** Width in bytes of the length or id after a type of the 8/16/32 families. */
function width(t: number, base8: number): number {
  return 1 << (t - base8);
}

/** Whether a stored value starts with igbinary's header (format 2, or 1). */
export function isIgbinary(bytes: Buffer): boolean {
  return bytes.length >= 5 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0 && (bytes[3] === 2 || bytes[3] === 1);
}

class IgbinaryReader {
  pos = 4;
  private readonly strings: string[] = [];

  constructor(
    private readonly b: Buffer,
    private readonly t: Tracker,
  ) {}

  private fail(what: string): never {
    throw new PhpUnreadable(`${what} at byte ${this.pos}`);
  }

  private need(n: number): void {
    if (n > this.b.length - this.pos) this.fail(`${n} bytes wanted with ${this.b.length - this.pos} left`);
  }

  private u8(): number {
    this.need(1);
    return this.b[this.pos++] as number;
  }

  /** An unsigned big-endian integer of 1, 2, 4 or 8 bytes (8: as a number when exact, else a bigint). */
  private uint(bytes: number): number | bigint {
    this.need(bytes);
    const at = this.pos;
    this.pos += bytes;
    if (bytes === 1) return this.b.readUInt8(at);
    if (bytes === 2) return this.b.readUInt16BE(at);
    if (bytes === 4) return this.b.readUInt32BE(at);
    const big = this.b.readBigUInt64BE(at);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  /** A length or count: one the input cannot hold fails here. */
  private length(bytes: number): number {
    const n = this.uint(bytes);
    if (typeof n === 'bigint' || n > this.b.length - this.pos)
      this.fail(`a length of ${String(n)} with ${this.b.length - this.pos} bytes left`);
    return n;
  }

  /** A string written out in full (a string8/16/32/64 or object8/16/32 payload): added to the string table. */
  private chararray(lengthBytes: number): string {
    const n = this.length(lengthBytes);
    const text = this.b.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    if (this.strings.length >= this.t.limits.maxNodes) this.fail(`more than ${this.t.limits.maxNodes} strings`);
    this.strings.push(text);
    return text;
  }

  private stringId(idBytes: number): string {
    const id = this.uint(idBytes);
    const text = typeof id === 'number' ? this.strings[id] : undefined;
    return text ?? this.fail(`string id ${String(id)} of ${this.strings.length}`);
  }

  /** A string in a key or case-name position: written out, by id, or empty. */
  private anyString(type: number): string | undefined {
    if (type >= T.string8 && type <= T.string32) return this.chararray(width(type, T.string8));
    if (type === T.string64) return this.chararray(8);
    if (type >= T.stringId8 && type <= T.stringId32) return this.stringId(width(type, T.stringId8));
    if (type === T.stringEmpty) return '';
    return undefined;
  }

  /** An integer of a long8p..long64n type: its width and sign are in the type. */
  private long(type: number): number | string {
    const spec = LONGS.get(type) ?? this.fail(`not an integer type 0x${type.toString(16)}`);
    const n = this.uint(spec.width);
    if (typeof n === 'bigint') return `${spec.negative ? '-' : ''}${n.toString()}`;
    return spec.negative && n !== 0 ? -n : n;
  }

  /** The elements of an array or an object's properties: a count, then key/value pairs. */
  private elements(type: number, depth: number, into: ArrayBuilder | ObjectBuilder): void {
    const n = this.length(width(type, T.array8));
    for (let i = 0; i < n; i += 1) {
      const k = this.u8();
      let key: string | number;
      if (k === T.null) continue; // igbinary_unserialize_array: a key of type null is an element skipped
      if (LONGS.has(k)) key = this.long(k);
      else {
        const text = this.anyString(k);
        if (text === undefined) this.fail(`an array key of type 0x${k.toString(16)}`);
        key = text;
      }
      into.set(key, this.value(depth + 1));
    }
  }

  private object(type: number, depth: number): Read {
    const name = type <= T.object32 ? this.chararray(width(type, T.object8)) : this.stringId(width(type, T.objectId8));
    this.t.checkDepth(depth + 1);
    const at = this.t.open(name);
    this.t.count(name.length);
    const inner = this.u8();
    if (inner >= T.array8 && inner <= T.array32) {
      const builder = new ObjectBuilder(this.t, name);
      this.elements(inner, depth, builder);
      return this.t.fill(at, builder.done());
    }
    if (inner >= T.objectSer8 && inner <= T.objectSer32) {
      const n = this.length(width(inner, T.objectSer8));
      const payload = this.b.toString('utf8', this.pos, this.pos + n);
      this.pos += n;
      this.t.count(payload.length);
      return this.t.fill(at, { value: tagged(name, { '@serialized': payload }), height: 1 });
    }
    if (inner === T.enumCase) {
      const caseName = this.anyString(this.u8()) ?? this.fail('an enum case name that is not a string');
      this.t.count(caseName.length);
      return this.t.fill(at, { value: tagged(name, { '@enum': caseName }), height: 1 });
    }
    return this.fail(`an object of inner type 0x${inner.toString(16)}`);
  }

  value(depth: number): Read {
    const type = this.u8();
    switch (type) {
      case T.null:
        return this.t.plain(null);
      case T.false:
      case T.true:
        return this.t.plain(type === T.true);
      case T.double: {
        this.need(8);
        const d = this.b.readDoubleBE(this.pos);
        this.pos += 8;
        return this.t.plain(Number.isNaN(d) ? 'NAN' : d === Infinity ? 'INF' : d === -Infinity ? '-INF' : d);
      }
      case T.ref: {
        // PHP `&` (igbinary_unserialize_zval, case igbinary_type_ref): the value itself; an array
        // or object behind it is numbered already, a scalar takes the next number once read.
        const inner = this.b[this.pos];
        const read = this.value(depth);
        if (inner !== undefined && isScalar(inner)) this.t.number(read, typeof read.value === 'string' ? read.value.length : 0);
        return read;
      }
      default:
    }
    if (LONGS.has(type)) return this.t.plain(this.long(type));
    const text = this.anyString(type);
    if (text !== undefined) return this.t.plain(text, text.length);
    if ((type >= T.ref8 && type <= T.ref32) || (type >= T.objref8 && type <= T.objref32)) {
      const n = this.uint(width(type, type <= T.ref32 ? T.ref8 : T.objref8));
      const read = typeof n === 'number' ? this.t.again(n, depth) : undefined;
      return read ?? this.fail(`a reference to value ${String(n)} of ${this.t.size}`);
    }
    if (type >= T.array8 && type <= T.array32) {
      this.t.checkDepth(depth + 1);
      const at = this.t.open('array');
      this.t.count(0);
      const builder = new ArrayBuilder(this.t, depth > 0);
      this.elements(type, depth, builder);
      return this.t.fill(at, builder.done());
    }
    if (type >= T.object8 && type <= T.objectId32) return this.object(type, depth);
    return this.fail(`unknown type 0x${type.toString(16)}`);
  }
}

/** Types whose value is a scalar (a `&` before one numbers it). */
function isScalar(type: number): boolean {
  return (
    type === T.null ||
    type === T.false ||
    type === T.true ||
    type === T.double ||
    LONGS.has(type) ||
    (type >= T.stringEmpty && type <= T.string32) ||
    type === T.string64
  );
}

export type IgbinaryDecoded = { ok: true; value: PhpPlain } | { ok: false; reason: string };

/** A whole igbinary value (header included); bytes after the one value are an error, as for igbinary_unserialize. */
export function decodeIgbinary(bytes: Buffer, tracker: Tracker): IgbinaryDecoded {
  if (!isIgbinary(bytes)) return { ok: false, reason: 'no igbinary header' };
  if (bytes.length > tracker.limits.maxBytes) return { ok: false, reason: `larger than ${tracker.limits.maxBytes} bytes` };
  const reader = new IgbinaryReader(bytes, tracker);
  try {
    const { value } = reader.value(0);
    if (reader.pos !== bytes.length) return { ok: false, reason: `${bytes.length - reader.pos} bytes after the value` };
    return { ok: true, value };
  } catch (err) {
    if (err instanceof PhpUnreadable || err instanceof RangeError) return { ok: false, reason: err.message };
    throw err;
  }
}
