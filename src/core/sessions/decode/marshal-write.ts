/**
 * The few Marshal values the tool writes back: a Float and nil (the Rails cache Entry's
 * @created_at and @expires_in), byte for byte as Ruby's Marshal.dump writes them (marshal.c
 * w_long, w_float), so that a rewritten value differs from the stored one only there.
 */

/** marshal.c w_long: a small integer in one byte, else its length and little-endian bytes. */
export function marshalLong(n: number): Buffer {
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new RangeError(`not a Marshal long: ${n}`);
  if (n === 0) return Buffer.from([0]);
  if (n > 0 && n < 123) return Buffer.from([n + 5]);
  if (n < 0 && n > -124) return Buffer.from([(n - 5) & 0xff]);
  const out: number[] = [];
  let x = n;
  for (let i = 1; i <= 4; i += 1) {
    out.push(x & 0xff);
    x >>= 8;
    if (x === 0) return Buffer.from([i, ...out]);
    if (x === -1) return Buffer.from([-i & 0xff, ...out]);
  }
  return Buffer.from([4, ...out]);
}

/**
 * A Float's text as marshal.c w_float writes it: the shortest digits that read back as the
 * same double (what JavaScript's toExponential() gives too), in exponent form when the decimal
 * point falls outside them (3600.0 is `3.6e3`), else in plain form.
 */
export function floatText(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (!Number.isFinite(d)) return d < 0 ? '-inf' : 'inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const [mantissa = '', exponent = '0'] = Math.abs(d).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const decpt = Number(exponent) + 1;
  const sign = d < 0 ? '-' : '';
  if (decpt < -3 || decpt > digits.length) {
    return `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${decpt - 1}`;
  }
  if (decpt > 0) return `${sign}${digits.slice(0, decpt)}${digits.length > decpt ? `.${digits.slice(decpt)}` : ''}`;
  return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
}

/** A Float value: `f`, the text's length, the text. */
export function marshalFloat(d: number): Buffer {
  const text = Buffer.from(floatText(d), 'latin1');
  return Buffer.concat([Buffer.from('f', 'latin1'), marshalLong(text.length), text]);
}

/** nil. */
export const MARSHAL_NIL = Buffer.from('0', 'latin1');
