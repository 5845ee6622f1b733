/**
 * A bounded, read-only reader of PHP's serialize() format, as php-src's var_unserializer.re reads
 * it (ext/standard/var_unserializer.re: the re2c rules for N; b: i: d: s: S: a: O: C: E: r: R:).
 * It never looks a class up nor calls anything: `O:`, `C:` and `E:` become plain data carrying
 * their class name (php-value.ts). Every declared length and count is checked against the bytes
 * left before anything is read or allocated, so a string that claims a gigabyte is unreadable at
 * once. Values are numbered as PHP numbers them for `r:` and `R:` (var_unserializer.re,
 * php_var_unserialize_internal: `if (var_hash && (*p)[0] != 'R') var_push(var_hash, rval)`: every
 * value but an `R:` takes the next number, array keys none, and numbers start at 1), and one
 * decode can read several values that share the numbering (the `php` session encoding).
 *
 * No npm package fit: php-serialize 5.1.3 recurses without a bound, builds objects with `{}` (a key
 * `__proto__` replaces the prototype), instantiates classes handed to it and reads no `r:`/`R:`;
 * phpunserialize 1.3.0 (php-unserialize-js) loops over a declared string length without checking
 * it against the input (a huge length hangs it).
 */
import { ArrayBuilder, ObjectBuilder, phpInteger, PhpUnreadable, tagged, Tracker, type PhpPlain, type Read } from './php-value.js';

const Q = 0x22; // "
const COLON = 0x3a;
const SEMI = 0x3b;
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }

/** Longest digit run read as a length or count: more than any length that fits the input. */
const MAX_DIGITS = 12;
/** The least an array element takes (`i:0;N;`), to check a declared count against the bytes left. */
const MIN_ELEMENT = 6;
/** Class names longer than this are not PHP's (its own limit is far below). */
const MAX_CLASS_NAME = 1024;

export class SerializeReader {
  pos: number;

  constructor(
    private readonly b: Buffer,
    private readonly t: Tracker,
    start = 0,
  ) {
    this.pos = start;
  }

  private fail(what: string): never {
    throw new PhpUnreadable(`${what} at byte ${this.pos}`);
  }

  get remaining(): number {
    return this.b.length - this.pos;
  }

  private expect(byte: number): void {
    if (this.b[this.pos] !== byte) this.fail(`expected '${String.fromCharCode(byte)}'`);
    this.pos += 1;
  }

  /** Digits up to `end` (a length, a count, a reference number). */
  private unsigned(end: number): number {
    const b = this.b;
    const start = this.pos;
    let n = 0;
    // At most MAX_DIGITS + 1 digits are taken, so n stays an exact integer.
    while (this.pos < b.length && this.pos - start <= MAX_DIGITS) {
      const c = b[this.pos] as number;
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      this.pos += 1;
    }
    if (this.pos === start || this.pos - start > MAX_DIGITS) this.fail('expected a length');
    this.expect(end);
    return n;
  }

  /** The text up to the next `;` (a number's), bounded. */
  private token(): string {
    const end = this.b.indexOf(SEMI, this.pos);
    if (end < 0 || end - this.pos > 64) this.fail('expected a number');
    const text = this.b.toString('latin1', this.pos, end);
    this.pos = end + 1;
    return text;
  }

  /** `<n>:"<n bytes>"` as text: the length checked against the bytes left before anything is read. */
  private quotedText(max = Infinity): string {
    const n = this.unsigned(COLON);
    if (n > max || n + 2 > this.remaining) this.fail(`a length of ${n} with ${this.remaining} bytes left`);
    this.expect(Q);
    const start = this.pos;
    this.pos += n;
    this.expect(Q);
    return this.b.toString('utf8', start, start + n);
  }

  private className(): string {
    return this.quotedText(MAX_CLASS_NAME);
  }

  /** `S:` strings: `\xx` hex escapes; the declared length counts the bytes they stand for. */
  private escaped(): Buffer {
    const n = this.unsigned(COLON);
    if (n + 2 > this.remaining) this.fail(`a length of ${n} with ${this.remaining} bytes left`);
    this.expect(Q);
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 1) {
      const c = this.b[this.pos];
      if (c === undefined) this.fail('truncated string');
      if (c === 0x5c) {
        const byte = Number.parseInt(this.b.toString('latin1', this.pos + 1, this.pos + 3), 16);
        if (!/^[0-9a-fA-F]{2}$/.test(this.b.toString('latin1', this.pos + 1, this.pos + 3))) this.fail('bad escape');
        out[i] = byte;
        this.pos += 3;
      } else {
        out[i] = c;
        this.pos += 1;
      }
    }
    this.expect(Q);
    return out;
  }

  /** An array key: an integer or a string (never numbered). */
  private key(): string | number {
    const type = this.b[this.pos];
    if (this.b[this.pos + 1] !== COLON) this.fail('expected an array key');
    this.pos += 2;
    if (type === 0x69 /* i */) return this.integer();
    if (type === 0x73 /* s */) {
      const text = this.quotedText();
      this.expect(SEMI);
      return text;
    }
    if (type === 0x53 /* S */) {
      const text = this.escaped().toString('utf8');
      this.expect(SEMI);
      return text;
    }
    return this.fail('an array key that is neither an integer nor a string');
  }

  /**
   * An `i:` value after its `i:`. Up to 15 digits (always exact) are added up from the bytes;
   * anything else (longer, or not an integer at all) goes the way of its text, phpInteger.
   */
  private integer(): number | string {
    const b = this.b;
    let pos = this.pos;
    const sign = b[pos];
    if (sign === 0x2d /* - */ || sign === 0x2b /* + */) pos += 1;
    const digits = pos;
    let n = 0;
    for (let c = b[pos]; pos - digits < 15 && c !== undefined && c >= 0x30 && c <= 0x39; c = b[pos]) {
      n = n * 10 + (c - 0x30);
      pos += 1;
    }
    if (pos === digits || b[pos] !== SEMI) return phpInteger(this.integerText());
    this.pos = pos + 1;
    return sign === 0x2d ? -n : n;
  }

  private integerText(): string {
    const text = this.token();
    if (!/^[+-]?[0-9]+$/.test(text)) this.fail('bad integer');
    return text;
  }

  /** `<count>:{` then `count` key/value pairs and `}`, into `into`. */
  private elements(depth: number, into: ArrayBuilder | ObjectBuilder): void {
    const n = this.unsigned(COLON);
    if (n * MIN_ELEMENT > this.remaining) this.fail(`a count of ${n} with ${this.remaining} bytes left`);
    this.expect(OPEN);
    for (let i = 0; i < n; i += 1) {
      const key = this.key();
      into.set(key, this.value(depth + 1));
    }
    this.expect(CLOSE);
  }

  /** One value at nesting `depth` (0: a top-level value). */
  value(depth: number): Read {
    const type = this.b[this.pos];
    if (type === 0x4e /* N */) {
      this.pos += 1;
      this.expect(SEMI);
      return this.t.scalar(null);
    }
    if (this.b[this.pos + 1] !== COLON) this.fail(type === undefined ? 'truncated' : 'unknown type');
    this.pos += 2;
    switch (type) {
      case 0x62 /* b */: {
        const text = this.token();
        if (text !== '0' && text !== '1') this.fail('bad boolean');
        return this.t.scalar(text === '1');
      }
      case 0x69 /* i */:
        return this.t.scalar(this.integer());
      case 0x64 /* d */:
        return this.t.scalar(double(this.token()) ?? this.fail('bad float'));
      case 0x73 /* s */: {
        const text = this.quotedText();
        this.expect(SEMI);
        return this.t.scalar(text, text.length);
      }
      case 0x53 /* S */: {
        const text = this.escaped().toString('utf8');
        this.expect(SEMI);
        return this.t.scalar(text, text.length);
      }
      case 0x72 /* r */:
      case 0x52 /* R */: {
        // r: is numbered like any value (it is not R:); both name a value read before, from 1.
        const at = type === 0x72 ? this.t.open('reference') : undefined;
        const n = this.unsigned(SEMI);
        const read = (n >= 1 ? this.t.again(n - 1, depth) : undefined) ?? this.fail(`a reference to value ${n}, which was not read`);
        return at === undefined ? read : this.t.fill(at, read);
      }
      case 0x61 /* a */: {
        this.t.checkDepth(depth + 1);
        const at = this.t.open('array');
        this.t.count(0);
        const builder = new ArrayBuilder(this.t, depth > 0);
        this.elements(depth, builder);
        return this.t.fill(at, builder.done());
      }
      case 0x4f /* O */: {
        this.t.checkDepth(depth + 1);
        const name = this.className();
        const at = this.t.open(name);
        this.expect(COLON);
        this.t.count(name.length);
        const builder = new ObjectBuilder(this.t, name);
        this.elements(depth, builder);
        return this.t.fill(at, builder.done());
      }
      case 0x43 /* C */: {
        const name = this.className();
        const at = this.t.open(name);
        this.expect(COLON);
        const n = this.unsigned(COLON);
        if (n + 2 > this.remaining) this.fail(`a length of ${n} with ${this.remaining} bytes left`);
        this.expect(OPEN);
        const payload = this.b.toString('utf8', this.pos, this.pos + n);
        this.pos += n;
        this.expect(CLOSE);
        this.t.count(name.length + payload.length);
        return this.t.fill(at, { value: tagged(name, { '@serialized': payload }), height: 1 });
      }
      case 0x45 /* E */: {
        const at = this.t.open('enum');
        const text = this.quotedText(MAX_CLASS_NAME * 2);
        this.expect(SEMI);
        const colon = text.indexOf(':');
        if (colon <= 0) this.fail('an enum case without its class');
        this.t.count(text.length);
        return this.t.fill(at, { value: tagged(text.slice(0, colon), { '@enum': text.slice(colon + 1) }), height: 1 });
      }
      default:
        return this.fail('unknown type');
    }
  }
}

/** A `d:` value as PHP writes it: a decimal (maybe with an exponent), INF, -INF or NAN. */
function double(text: string): number | string | undefined {
  if (text === 'INF' || text === '-INF' || text === 'NAN') return text;
  if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : n > 0 ? 'INF' : '-INF';
}

export type PhpDecoded = { ok: true; value: PhpPlain; end: number } | { ok: false; reason: string };

/** One serialize() value from `start`; `end` is where it stopped (the caller decides what may follow). */
export function decodePhpSerialized(bytes: Buffer, tracker: Tracker, start = 0): PhpDecoded {
  if (bytes.length > tracker.limits.maxBytes) return { ok: false, reason: `larger than ${tracker.limits.maxBytes} bytes` };
  const reader = new SerializeReader(bytes, tracker, start);
  try {
    const { value } = reader.value(0);
    return { ok: true, value, end: reader.pos };
  } catch (err) {
    if (err instanceof PhpUnreadable) return { ok: false, reason: err.message };
    // A stack or allocation failure on input no bound foresaw: still only an unreadable value.
    if (err instanceof RangeError) return { ok: false, reason: err.message };
    throw err;
  }
}
