/**
 * fast-check arbitraries for stored JSON session values, shared by the properties that compare
 * a layout's fast NDJSON line with the line of its record: text that takes every escaping path,
 * numbers JSON.stringify rounds, objects with a "__proto__" member, bytes that are not UTF-8.
 */
import fc from 'fast-check';

/** Replaced by bytes that are not UTF-8 in the stored value (see storedBytes). */
const BAD_BYTES_MARK = '\ue000';
const BAD_BYTES = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80])];

/** Characters that take every escaping path: JSON's, json-safe's (DEL, C1, bidi, separators), lone surrogates. */
const ODD_CHARS = [
  '"',
  '\\',
  '\n',
  '\u0000',
  '\u001b',
  '\u007f',
  '\u009b',
  '\u061c',
  '\u200e',
  '\u2028',
  '\u2029',
  '\u202e',
  '\u2066',
  '\ud800',
  '\udfff',
  '😀',
  'é',
  'e\u0301',
  BAD_BYTES_MARK,
];

export const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc
    .array(fc.oneof(fc.constantFrom(...ODD_CHARS), fc.string({ unit: 'grapheme-ascii', maxLength: 3 })), { maxLength: 6 })
    .map((parts) => parts.join('')),
  fc.stringMatching(/^\d{16,22}$/),
);

/** Member names: any text, and the names the decoders or JavaScript objects treat specially. */
export function keyOf(names: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: text },
    { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'toJSON', '0', '7', ...names) },
  );
}

export const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: 2n ** 53n - 2n, max: 2n ** 80n }).map((n) => Number(n)),
  fc.constantFrom(-0, 2 ** 53, 2 ** 53 + 2, -(2 ** 60), 1e21, 1e23, 5e-324),
);

/** An object whose keys are own properties even when one is "__proto__" (as JSON.parse makes it). */
export function objectOf(entries: Array<[string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** Any JSON value, nested a few levels, objects keyed by `key`. */
export function valueOf(key: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 4 },
      fc.constant(null),
      fc.boolean(),
      number,
      text,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map(objectOf),
    ),
  })).value;
}

/** The bytes a store holds: the JSON text, with each mark replaced by bytes that are not UTF-8. */
export function storedBytes(json: string, badBytes: number): Buffer {
  const parts = json.split(BAD_BYTES_MARK);
  return Buffer.concat(
    parts.flatMap((p, i) => (i === 0 ? [Buffer.from(p)] : [BAD_BYTES[(badBytes + i) % BAD_BYTES.length] as Buffer, Buffer.from(p)])),
  );
}

/** Entries in any order (rotated by `seed`), a later duplicate key winning as in JSON.parse. */
export function rotated(entries: Array<[string, unknown]>, seed: number): Record<string, unknown> {
  const at = entries.length === 0 ? 0 : seed % entries.length;
  return objectOf([...entries.slice(at), ...entries.slice(0, at)]);
}
