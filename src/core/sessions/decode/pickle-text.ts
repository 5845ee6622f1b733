/**
 * The arguments of pickle's opcodes that Python reads as text or with its own codecs, as
 * CPython's Lib/pickle.py reads them: integers and floats written in text (INT, LONG, FLOAT,
 * GET, PUT), Python 2 strings (STRING: quoted, backslash-escaped), raw-unicode-escape
 * (UNICODE), UTF-8 with lone surrogates allowed (BINUNICODE: 'surrogatepass'), and the
 * little-endian two's complement of LONG1 and LONG4. Each returns undefined where Python raises.
 */

/**
 * pickle.py decode_long: little-endian two's complement. A number when it fits in ±(2^53-1),
 * else a bigint.
 */
export function decodeLong(buf: Buffer, start: number, n: number): number | bigint {
  if (n === 0) return 0;
  if (n <= 6) return buf.readIntLE(start, n);
  let hexText = '';
  for (let i = start + n - 1; i >= start; i -= 1) hexText += (buf[i] as number).toString(16).padStart(2, '0');
  let v = BigInt(`0x${hexText}`);
  if (((buf[start + n - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * n);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Python's int(text, 0) on what INT, LONG, GET and PUT carry: surrounding whitespace, a sign, 0x/0o/0b, underscores between digits. */
/** Python's bytes.strip(): ASCII whitespace only. */
const pyStrip = (text: string): string => text.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, '');

const INT_TEXT = /^([+-]?)(?:0[xX]((?:_?[0-9a-fA-F])+)|0[oO]((?:_?[0-7])+)|0[bB]((?:_?[01])+)|(0(?:_?0)*|[1-9](?:_?[0-9])*))$/;

export function parseIntText(text: string, maxDigits: number): number | bigint | undefined {
  const t = pyStrip(text);
  if (t.length > maxDigits + 3) return undefined;
  const m = INT_TEXT.exec(t);
  if (m === null) return undefined;
  const [, sign, hexDigits, octDigits, binDigits, decDigits] = m;
  const digits = (hexDigits ?? octDigits ?? binDigits ?? decDigits ?? '').replace(/_/g, '');
  const prefix = hexDigits !== undefined ? '0x' : octDigits !== undefined ? '0o' : binDigits !== undefined ? '0b' : '';
  if (prefix === '' && digits.length <= 15) return Number(`${sign}${digits}`) + 0;
  let v = BigInt(`${prefix}${digits}`);
  if (sign === '-') v = -v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const FLOAT_TEXT = /^[+-]?(?:(?:\d(?:_?\d)*)?\.?(?:\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?|inf|infinity|nan)$/i;

/** Python's float(text). */
export function parseFloatText(text: string): number | undefined {
  const t = pyStrip(text);
  if (t.length > 1000 || !FLOAT_TEXT.test(t) || !/\d|inf|nan/i.test(t)) return undefined;
  const lower = t.toLowerCase().replace(/_/g, '');
  const negative = lower.startsWith('-');
  const body = lower.replace(/^[+-]/, '');
  if (body === 'inf' || body === 'infinity') return negative ? -Infinity : Infinity;
  if (body === 'nan') return NaN;
  if (/^\.?(?:[eE]|$)/.test(body)) return undefined; // no digit before the exponent
  const v = Number(lower);
  return Number.isNaN(v) ? undefined : v;
}

/** The bytes as text when all are ASCII. */
export function asciiOnly(buf: Buffer, start: number, end: number): string | undefined {
  for (let i = start; i < end; i += 1) if ((buf[i] as number) >= 0x80) return undefined;
  return buf.toString('latin1', start, end);
}

/**
 * Short ASCII strings seen before (a session's keys and a few values: the same dozen in every
 * session), by a hash of their bytes, each checked byte for byte on a hit: no allocation for a
 * string a listing of a million sessions reads a million times. Bounded, and dropped when full.
 * Undefined for bytes that are not all ASCII.
 */
export const SHORT = 48;
const shortStrings = new Map<number, string>();

export function shortAscii(buf: Buffer, start: number, end: number): string | undefined {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i += 1) {
    const b = buf[i] as number;
    if (b >= 0x80) return undefined;
    hash = Math.imul(hash ^ b, 0x01000193);
  }
  const seen = shortStrings.get(hash);
  if (seen !== undefined && seen.length === end - start) {
    let same = true;
    for (let i = start; i < end && same; i += 1) same = seen.charCodeAt(i - start) === buf[i];
    if (same) return seen;
  }
  const text = buf.toString('latin1', start, end);
  if (shortStrings.size >= 4096) shortStrings.clear();
  shortStrings.set(hash, text);
  return text;
}

/**
 * UTF-8 as Python decodes pickled str ('utf-8', 'surrogatepass'): strict, but a surrogate
 * encoded on its own (ED A0..BF xx) is taken as that surrogate. Undefined when not UTF-8.
 */
export function utf8Surrogatepass(buf: Buffer, start: number, end: number): string | undefined {
  const known = end - start <= SHORT ? shortAscii(buf, start, end) : undefined;
  if (known !== undefined) return known;
  let ascii = true;
  for (let i = start; i < end; i += 1) {
    if ((buf[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return buf.toString('latin1', start, end);
  const text = buf.toString('utf8', start, end);
  // Node replaces what is not UTF-8 with U+FFFD: with none in the text, the bytes were UTF-8.
  if (!text.includes('\ufffd')) return text;
  return strictUtf8(buf, start, end);
}

function strictUtf8(buf: Buffer, start: number, end: number): string | undefined {
  const more = (i: number) => (i < end && ((buf[i] as number) & 0xc0) === 0x80 ? (buf[i] as number) & 0x3f : -1);
  const units: number[] = [];
  let text = '';
  for (let i = start; i < end;) {
    const b = buf[i] as number;
    let cp: number;
    if (b < 0x80) {
      cp = b;
      i += 1;
    } else if (b >= 0xc2 && b < 0xe0 && more(i + 1) >= 0) {
      cp = ((b & 0x1f) << 6) | more(i + 1);
      i += 2;
    } else if ((b & 0xf0) === 0xe0 && more(i + 1) >= 0 && more(i + 2) >= 0) {
      cp = ((b & 0x0f) << 12) | (more(i + 1) << 6) | more(i + 2);
      if (cp < 0x800) return undefined; // overlong
      i += 3;
    } else if (b >= 0xf0 && b < 0xf5 && more(i + 1) >= 0 && more(i + 2) >= 0 && more(i + 3) >= 0) {
      cp = ((b & 0x07) << 18) | (more(i + 1) << 12) | (more(i + 2) << 6) | more(i + 3);
      if (cp < 0x10000 || cp > 0x10ffff) return undefined;
      i += 4;
    } else {
      return undefined;
    }
    if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    else units.push(cp);
    if (units.length >= 4096) text += String.fromCharCode(...units.splice(0));
  }
  return text + String.fromCharCode(...units);
}

const ESCAPES: Record<string, number> = { '\\': 0x5c, "'": 0x27, '"': 0x22, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

/**
 * STRING's argument: quoted (the same quote at both ends), then codecs.escape_decode, then
 * decoded as ASCII (pickle.loads' default encoding). Undefined where Python raises.
 */
export function quotedString(buf: Buffer, start: number, end: number): string | undefined {
  const q = buf[start];
  if (end - start < 2 || (q !== 0x22 && q !== 0x27) || buf[end - 1] !== q) return undefined;
  const out: number[] = [];
  for (let i = start + 1; i < end - 1; i += 1) {
    const b = buf[i] as number;
    if (b !== 0x5c) {
      out.push(b);
      continue;
    }
    i += 1;
    if (i >= end - 1) return undefined; // "Trailing \ in string"
    const c = String.fromCharCode(buf[i] as number);
    const simple = ESCAPES[c];
    if (simple !== undefined) out.push(simple);
    else if (c === 'x') {
      const h = buf.toString('latin1', i + 1, i + 3);
      if (i + 3 > end - 1 || !/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
      out.push(parseInt(h, 16));
      i += 2;
    } else if (c >= '0' && c <= '7') {
      let n = 0;
      let k = 0;
      while (k < 3 && i + k < end - 1 && (buf[i + k] as number) >= 0x30 && (buf[i + k] as number) <= 0x37) {
        n = n * 8 + ((buf[i + k] as number) - 0x30);
        k += 1;
      }
      out.push(n & 0xff);
      i += k - 1;
    } else {
      out.push(0x5c, buf[i] as number);
    }
  }
  if (out.some((b) => b >= 0x80)) return undefined;
  let text = '';
  for (let i = 0; i < out.length; i += 4096) text += String.fromCharCode(...out.slice(i, i + 4096));
  return text;
}

/**
 * raw-unicode-escape (UNICODE's argument): bytes are Latin-1 characters, except \uXXXX and
 * \UXXXXXXXX after an odd run of backslashes. Undefined for a short or out-of-range escape.
 */
export function rawUnicodeEscape(buf: Buffer, start: number, end: number): string | undefined {
  let text = '';
  let from = start;
  let slashes = 0;
  for (let i = start; i < end; i += 1) {
    const b = buf[i] as number;
    if (b === 0x5c) {
      slashes += 1;
      continue;
    }
    const odd = slashes % 2 === 1;
    slashes = 0;
    if (!odd || (b !== 0x75 && b !== 0x55)) continue;
    const width = b === 0x75 ? 4 : 8;
    const digits = buf.toString('latin1', i + 1, i + 1 + width);
    if (i + 1 + width > end || !/^[0-9a-fA-F]+$/.test(digits) || digits.length !== width) return undefined;
    const cp = parseInt(digits, 16);
    if (cp > 0x10ffff) return undefined;
    text += buf.toString('latin1', from, i - 1) + String.fromCodePoint(cp);
    i += width;
    from = i + 1;
  }
  return text + buf.toString('latin1', from, end);
}
