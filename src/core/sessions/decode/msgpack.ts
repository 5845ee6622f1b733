/**
 * A bounded, read-only reader of MessagePack (the msgpack spec, github.com/msgpack/msgpack
 * spec.md) for the sessions Flask-Session >= 0.7 writes with msgspec. Values come out as the
 * Python values msgspec.msgpack.Decoder() gives (py-value.ts): a map is a PyDict (never a
 * JavaScript object: a key `__proto__` is only a key), str is UTF-8 and must be valid, bin is
 * bytes, an extension a PyExt (type -1, msgspec's datetime, is shown as a timestamp).
 *
 * Why not @msgpack/msgpack (3.1.3, checked): it is safe from prototype replacement, but by
 * throwing on any map key `__proto__`, so a session holding such a key anywhere (a form field
 * the app stored, say) would be unreadable and so escape `revoke --user`; it allocates an
 * array at its declared length before reading an element (up to 2^32-1 by default); and it
 * bounds no nesting. This reader checks a declared count against the bytes left before
 * anything is allocated, bounds nesting, and never throws past decodeMsgpack.
 */
import { SHORT, shortAscii } from './pickle-text.js';
import { PyBytes, PyDict, PyExt, PyList, isUnhashable, type PyValue } from './py-value.js';

export interface MsgpackLimits {
  maxBytes: number;
  /** Arrays and maps inside each other (the reader's recursion depth). */
  maxDepth: number;
}

export const MSGPACK_LIMITS: Readonly<MsgpackLimits> = { maxBytes: 8 << 20, maxDepth: 64 };

export type MsgpackResult = { ok: true; value: PyValue } | { ok: false; reason: string };

class Unreadable extends Error {}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly maxDepth: number,
  ) {}

  private take(n: number): number {
    if (n > this.buf.length - this.pos) throw new Unreadable(`truncated at byte ${this.pos}`);
    this.pos += n;
    return this.pos - n;
  }

  /** A declared count of items, each at least `min` bytes: more than the bytes left cannot be. */
  private count(n: number, min: number): number {
    if (n * min > this.buf.length - this.pos) throw new Unreadable(`truncated at byte ${this.pos}: ${n} items declared`);
    return n;
  }

  private str(n: number): string {
    const start = this.take(n);
    const known = n <= SHORT ? shortAscii(this.buf, start, start + n) : undefined;
    if (known !== undefined) return known;
    const s = this.buf.toString('utf8', start, start + n);
    // msgspec decodes str strictly: bytes that are not UTF-8 (Node's U+FFFD) fail the whole value.
    if (s.includes('\ufffd')) {
      try {
        STRICT_UTF8.decode(this.buf.subarray(start, start + n));
      } catch {
        throw new Unreadable(`invalid UTF-8 in the str at byte ${start}`);
      }
    }
    return s;
  }

  private bin(n: number): PyBytes {
    const start = this.take(n);
    return new PyBytes(this.buf.subarray(start, start + n), false, start);
  }

  private ext(n: number): PyExt {
    const type = this.buf.readInt8(this.take(1));
    const start = this.take(n);
    return new PyExt(type, this.buf.subarray(start, start + n));
  }

  private array(n: number, depth: number): PyList {
    const items: PyValue[] = [];
    for (let i = this.count(n, 1); i > 0; i -= 1) items.push(this.value(depth + 1));
    return new PyList(items);
  }

  private map(n: number, depth: number): PyDict {
    const dict = new PyDict();
    for (let i = this.count(n, 2); i > 0; i -= 1) {
      const at = this.pos;
      const key = this.value(depth + 1);
      if (isUnhashable(key)) throw new Unreadable(`a map key at byte ${at} that Python cannot hash`);
      dict.set(key, this.value(depth + 1));
    }
    return dict;
  }

  private u64(): number | bigint {
    const n = this.buf.readBigUInt64BE(this.take(8));
    return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }

  private i64(): number | bigint {
    const n = this.buf.readBigInt64BE(this.take(8));
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }

  value(depth: number): PyValue {
    if (depth > this.maxDepth) throw new Unreadable(`nested deeper than ${this.maxDepth} levels`);
    const at = this.pos;
    const b = this.buf[this.take(1)] as number;
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b <= 0x8f) return this.map(b & 0x0f, depth);
    if (b <= 0x9f) return this.array(b & 0x0f, depth);
    if (b <= 0xbf) return this.str(b & 0x1f);
    const buf = this.buf;
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bin(buf[this.take(1)] as number);
      case 0xc5:
        return this.bin(buf.readUInt16BE(this.take(2)));
      case 0xc6:
        return this.bin(buf.readUInt32BE(this.take(4)));
      case 0xc7:
        return this.ext(buf[this.take(1)] as number);
      case 0xc8:
        return this.ext(buf.readUInt16BE(this.take(2)));
      case 0xc9:
        return this.ext(buf.readUInt32BE(this.take(4)));
      case 0xca:
        return buf.readFloatBE(this.take(4));
      case 0xcb:
        return buf.readDoubleBE(this.take(8));
      case 0xcc:
        return buf[this.take(1)] as number;
      case 0xcd:
        return buf.readUInt16BE(this.take(2));
      case 0xce:
        return buf.readUInt32BE(this.take(4));
      case 0xcf:
        return this.u64();
      case 0xd0:
        return buf.readInt8(this.take(1));
      case 0xd1:
        return buf.readInt16BE(this.take(2));
      case 0xd2:
        return buf.readInt32BE(this.take(4));
      case 0xd3:
        return this.i64();
      case 0xd4:
        return this.ext(1);
      case 0xd5:
        return this.ext(2);
      case 0xd6:
        return this.ext(4);
      case 0xd7:
        return this.ext(8);
      case 0xd8:
        return this.ext(16);
      case 0xd9:
        return this.str(buf[this.take(1)] as number);
      case 0xda:
        return this.str(buf.readUInt16BE(this.take(2)));
      case 0xdb:
        return this.str(buf.readUInt32BE(this.take(4)));
      case 0xdc:
        return this.array(buf.readUInt16BE(this.take(2)), depth);
      case 0xdd:
        return this.array(buf.readUInt32BE(this.take(4)), depth);
      case 0xde:
        return this.map(buf.readUInt16BE(this.take(2)), depth);
      case 0xdf:
        return this.map(buf.readUInt32BE(this.take(4)), depth);
      default:
        throw new Unreadable(`type byte 0xc1 (never used) at byte ${at}`);
    }
  }
}

/** Decodes one msgpack value that fills `bytes` (msgspec refuses trailing bytes). Never throws. */
export function decodeMsgpack(bytes: Buffer, limits: Partial<MsgpackLimits> = {}): MsgpackResult {
  const maxBytes = limits.maxBytes ?? MSGPACK_LIMITS.maxBytes;
  if (bytes.length > maxBytes) return { ok: false, reason: `larger than ${maxBytes} bytes` };
  const reader = new Reader(bytes, Math.min(limits.maxDepth ?? MSGPACK_LIMITS.maxDepth, 1000));
  try {
    const value = reader.value(0);
    if (reader.pos !== bytes.length) return { ok: false, reason: `${bytes.length - reader.pos} bytes after the value` };
    return { ok: true, value };
  } catch (e) {
    if (e instanceof Unreadable) return { ok: false, reason: e.message };
    return { ok: false, reason: `unreadable (${e instanceof Error ? e.message : String(e)})` };
  }
}
