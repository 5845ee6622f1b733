/**
 * Decoded Ruby Marshal (marshal.ts) as JSON-safe plain data, for printing. Bounded on its own:
 * links let a small value name one big object many times, or build a graph that doubles at
 * every level, so the output is capped in depth, in values and in characters, and what does not
 * fit becomes `{"@elided": "depth" | "size"}`.
 *
 * Shapes (a key starting with `@` is one of these markers; one taken from the data gets one
 * more `@`, so it cannot pose as one):
 * - nil, true, false, Integer, Float: as JSON (a bignum beyond 2^53, NaN and the infinities as text);
 * - a String: its text; one that is not text `{"@bytes": base64, "@encoding": name}`;
 * - a Symbol: `{"@symbol": name}`;
 * - an Array: an array;
 * - a Hash: an object when every key is a String or a Symbol (a Symbol key written `:name`, and
 *   a String key that starts with `:` given one more), else `{"@entries": [[key, value], ...]}`;
 *   its default value as `"@default"`;
 * - an object: `{"@object": class, "@ivars": {"@name": value, ...}}`; a Struct
 *   `{"@struct": class, "@members": {...}}`; `_dump` data `{"@userdef": class, "@bytes": base64}`;
 *   a Time's `{"@userdef": "Time", "@time": iso}`; `marshal_dump` data `{"@usermarshal": class, "@data": value}`; a subclass of String, Array or
 *   Hash `{"@class": class, "@value": value}`; an extended object `{"@extended": module, "@value": value}`;
 * - a Regexp `{"@regexp": source, "@options": bits}`; a class or module `{"@class"|"@module": name}`;
 * - a link back into an object still being read `{"@cycle": class}`.
 * Records are made without a prototype, so a key `__proto__` is only a key.
 */
import type { Ivars, MarshalValue, MBytes } from './marshal.js';
import {
  elision,
  isScalar,
  plainItems,
  plainPut,
  plainRecord as record,
  plainScalar,
  PlainBudget,
  type Plain,
  type PlainLimits,
} from './plain.js';

export type { Plain, PlainLimits } from './plain.js';

type Budget = PlainBudget;

const elided = (why: 'depth' | 'size'): Plain => elision('@elided', why);

function bytes(v: MBytes, b: Budget): Plain {
  const encoded = b.base64(v.bytes);
  if (encoded === undefined) return elided('size');
  const out = record();
  out['@bytes'] = encoded;
  out['@encoding'] = v.encoding;
  return out;
}

/** A key from the data: `@` and `:` at its start doubled, so it cannot pose as a marker or a Symbol. */
const dataKey = (k: string): string => (k.startsWith('@') || k.startsWith(':') ? `${k.charAt(0)}${k}` : k);

/** The object key a Hash key becomes, or undefined when it is neither a String nor a Symbol. */
function hashKey(key: MarshalValue): string | undefined {
  if (typeof key === 'string') return dataKey(key);
  if (key !== null && typeof key === 'object' && key.kind === 'symbol') return `:${key.name}`;
  return undefined;
}

const put = (out: Record<string, Plain>, key: string, value: () => Plain, b: Budget): boolean => plainPut(out, key, value, b, '@elided');

const list = (items: readonly MarshalValue[], depth: number, b: Budget): Plain[] =>
  plainItems(items, b, (item) => toPlain(item, depth, b), elided);

/** Named values (instance variables, struct members) as a record; the names are Ruby's, kept as they are. */
function named(pairs: Ivars, depth: number, b: Budget): Plain {
  const out = record();
  for (const [name, value] of pairs) if (!put(out, name, () => toPlain(value, depth, b), b)) break;
  return out;
}

function hash(entries: ReadonlyArray<[MarshalValue, MarshalValue]>, depth: number, b: Budget): Record<string, Plain> {
  const out = record();
  const keys = entries.map(([k]) => hashKey(k));
  // Every key a String or Symbol, and no two the same (a String "a" and a Symbol :a are not).
  if (keys.every((k) => k !== undefined) && new Set(keys).size === keys.length) {
    for (const [i, [, value]] of entries.entries()) if (!put(out, keys[i] as string, () => toPlain(value, depth, b), b)) break;
    return out;
  }
  const pairs: Plain[] = [];
  for (const [key, value] of entries) {
    if (b.nodes <= 0) {
      pairs.push(elided('size'));
      break;
    }
    pairs.push([toPlain(key, depth, b), toPlain(value, depth, b)]);
  }
  out['@entries'] = pairs;
  return out;
}

function marked(marker: string, name: string, b: Budget, more?: (out: Record<string, Plain>) => void): Plain {
  const out = record();
  const n = b.text(name);
  if (n === undefined) return elided('size');
  out[marker] = n;
  more?.(out);
  return out;
}

/**
 * A Time's `_dump` (marshal.c's time_mdump): two little-endian 32-bit words of UTC fields, the
 * first with its top bit set (year - 1900, month 0-11, day, hour; minute, second, microsecond).
 * The ISO time to the millisecond, or undefined when the words are not such fields.
 */
function rubyTime(bytes: Buffer): string | undefined {
  if (bytes.length !== 8) return undefined;
  const p = bytes.readUInt32LE(0);
  const s = bytes.readUInt32LE(4);
  if ((p & 0x80000000) === 0) return undefined;
  const year = ((p >>> 14) & 0xffff) + 1900;
  const ms =
    Date.UTC(year, (p >>> 10) & 0xf, (p >>> 5) & 0x1f, p & 0x1f, (s >>> 26) & 0x3f, (s >>> 20) & 0x3f) + Math.floor((s & 0xfffff) / 1000);
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : undefined;
}

function toPlain(v: MarshalValue, depth: number, b: Budget): Plain {
  if (!b.take()) return elided('size');
  if (isScalar(v)) return plainScalar(v, b, elided);
  if (v.kind === 'bytes') return bytes(v, b);
  if (v.kind === 'symbol') return marked('@symbol', v.name, b);
  if (v.kind === 'cycle') return marked('@cycle', v.of || 'object', b);
  if (v.kind === 'class' || v.kind === 'module') return marked(`@${v.kind}`, v.name, b);
  if (depth <= 0) return elided('depth');
  const d = depth - 1;
  switch (v.kind) {
    case 'array':
      return list(v.items, d, b);
    case 'hash': {
      const out = hash(v.entries, d, b);
      if (v.default !== undefined) out['@default'] = toPlain(v.default, d, b);
      return out;
    }
    case 'string':
      return typeof v.value === 'string' ? (b.text(v.value) ?? elided('size')) : bytes(v.value, b);
    case 'object':
      return marked('@object', v.className, b, (out) => (out['@ivars'] = named(v.ivars, d, b)));
    case 'struct':
      return marked('@struct', v.className, b, (out) => (out['@members'] = named(v.members, d, b)));
    case 'userdef':
      return marked('@userdef', v.className, b, (out) => {
        const time = v.className === 'Time' ? rubyTime(v.bytes) : undefined;
        if (time !== undefined) out['@time'] = time;
        else {
          const encoded = b.base64(v.bytes);
          if (encoded !== undefined) out['@bytes'] = encoded;
          else out['@elided'] = 'size';
        }
      });
    case 'usermarshal':
      return marked('@usermarshal', v.className, b, (out) => (out['@data'] = toPlain(v.data, d, b)));
    case 'data':
      return marked('@data', v.className, b, (out) => (out['@value'] = toPlain(v.data, d, b)));
    case 'uclass':
      return marked('@class', v.className, b, (out) => (out['@value'] = toPlain(v.value, d, b)));
    case 'extended':
      return marked('@extended', v.module, b, (out) => (out['@value'] = toPlain(v.value, d, b)));
    case 'regexp':
      return marked('@regexp', typeof v.source === 'string' ? v.source : v.source.bytes.toString('latin1'), b, (out) => {
        out['@options'] = v.options;
      });
  }
}

/**
 * Plain data of a decoded value, nested at most `maxDepth` containers deep (at most 1000: it is
 * the recursion's depth), within `limits` (10,000 values and a million characters by default).
 */
export function marshalToPlain(value: MarshalValue, maxDepth = 32, limits: Partial<PlainLimits> = {}): Plain {
  return toPlain(value, Math.min(maxDepth, 1000), new PlainBudget(limits));
}
