/**
 * Decoded Java serialization (jdk.ts) as JSON-safe plain data, for printing. Bounded on its own:
 * references let a small stream name one big object many times, or build a graph that doubles at
 * every level, so the output is capped in depth, in values and in characters, and what does not
 * fit becomes `{"@elided": "depth" | "size"}`.
 *
 * Shapes: an object is `{"@class": name, ...fields}` (plus `"@annotations"` when its writeObject
 * wrote more than fields); the collections named below become arrays, and maps objects (when every
 * key is a string) or `{"@entries": [[key, value], ...]}`. A key taken from the data that starts
 * with `@` gets one more `@`, so it cannot pose as one of these. Longs beyond 2^53 and non-finite
 * numbers are strings; block data is `{"@bytes": base64}`; an enum `{"@class", "@enum": name}`;
 * a java.lang.Class `{"@class": "java.lang.Class", "name"}`; a reference back into an object
 * still being read `{"@cycle": className}`.
 */
import type { JdkArray, JdkObject, JdkValue } from './jdk.js';
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

/** One conversion's state: what is left to write, and the shape of each object met (see shapeOf). */
class Budget extends PlainBudget {
  readonly shapes = new Map<JdkObject, Shape>();
}

const SEQUENCES = new Set([
  'java.util.ArrayList',
  'java.util.LinkedList',
  'java.util.ArrayDeque',
  'java.util.HashSet',
  'java.util.LinkedHashSet',
]);
const MAPS = new Set(['java.util.HashMap', 'java.util.LinkedHashMap', 'java.util.TreeMap']);
const EMPTY = new Set(['java.util.Collections$EmptyList', 'java.util.Collections$EmptySet']);
/** Unmodifiable*, Synchronized*, Checked*: a view of the collection in field `c`, or the map in `m`. */
const WRAPPER = /^java\.util\.Collections\$(?:Unmodifiable|Synchronized|Checked)/;

/** How an object is written: a collection's elements, a map's keys and values alternating, or its fields. */
type Shape =
  | { items: readonly JdkValue[] }
  | { pairs: readonly JdkValue[]; stringKeys: boolean }
  | { view: JdkValue }
  | { fields: Array<[string, JdkValue]> };

function pairs(list: readonly JdkValue[]): Shape | undefined {
  return list.length % 2 === 0 ? { pairs: list, stringKeys: list.every((v, i) => i % 2 === 1 || typeof v === 'string') } : undefined;
}

/**
 * A collection recognised by its class holds the elements its writeObject wrote in the
 * annotations (its counts and capacities are the block data, left out). Worked out once per
 * object in a conversion: an object named a thousand times must not be scanned a thousand times.
 */
function shapeOf(o: JdkObject, b: Budget): Shape {
  let shape = b.shapes.get(o);
  if (!shape) {
    shape = recognise(o) ?? { fields: Object.entries(o.fields) };
    b.shapes.set(o, shape);
  }
  return shape;
}

function recognise(o: JdkObject): Shape | undefined {
  const objects = () => o.annotations.filter((a) => !(a instanceof Uint8Array));
  const { className: name, fields } = o;
  const inner = WRAPPER.test(name) ? (fields.c ?? fields.m) : undefined;
  if (inner !== undefined) return { view: inner };
  if (SEQUENCES.has(name)) return { items: objects() };
  if (name === 'java.util.TreeSet') return { items: objects().slice(1) }; // the first is its comparator
  if (MAPS.has(name)) return pairs(objects());
  if (EMPTY.has(name)) return { items: [] };
  if (name === 'java.util.Collections$EmptyMap') return pairs([]);
  if (name === 'java.util.Collections$SingletonList' || name === 'java.util.Collections$SingletonSet')
    return { items: [fields.element ?? null] };
  if (name === 'java.util.Collections$SingletonMap') return pairs([fields.k ?? null, fields.v ?? null]);
  const array = fields.a;
  if (name === 'java.util.Arrays$ArrayList' && isArray(array)) return { items: array.items };
  // List.of, Set.of, Map.of (java.util.ImmutableCollections): the low byte of `tag` says which.
  if (name === 'java.util.CollSer' && typeof fields.tag === 'number') {
    const kind = fields.tag & 0xff;
    if (kind === 1 || kind === 2 || kind === 4) return { items: objects() };
    if (kind === 3) return pairs(objects());
  }
  return undefined;
}

function isArray(v: JdkValue | undefined): v is JdkArray {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && v.kind === 'array';
}

const elided = (why: 'depth' | 'size'): Plain => elision('@elided', why);

/** Puts a value under a key from the data (`@` at its start doubled); false once the budget is spent. */
const put = (out: Record<string, Plain>, key: string, value: () => Plain, b: Budget): boolean =>
  plainPut(out, key.startsWith('@') ? `@${key}` : key, value, b, '@elided');

const list = (items: readonly JdkValue[], depth: number, b: Budget): Plain[] =>
  plainItems(items, b, (item) => toPlain(item, depth, b), elided);

function map(pairs: readonly JdkValue[], stringKeys: boolean, depth: number, b: Budget): Plain {
  const out = record();
  if (stringKeys) {
    for (let i = 0; i < pairs.length; i += 2) {
      if (!put(out, pairs[i] as string, () => toPlain(pairs[i + 1] as JdkValue, depth, b), b)) break;
    }
    return out;
  }
  const entries: Plain[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    if (b.nodes <= 0) {
      entries.push(elided('size'));
      break;
    }
    entries.push([toPlain(pairs[i] as JdkValue, depth, b), toPlain(pairs[i + 1] as JdkValue, depth, b)]);
  }
  out['@entries'] = entries;
  return out;
}

function object(o: JdkObject, className: string, depth: number, b: Budget): Plain {
  const shape = shapeOf(o, b);
  if ('view' in shape) return toPlain(shape.view, depth, b);
  if ('items' in shape) return list(shape.items, depth, b);
  if ('pairs' in shape) return map(shape.pairs, shape.stringKeys, depth, b);
  const out = record();
  out['@class'] = className;
  for (const [key, value] of shape.fields) {
    if (!put(out, key, () => toPlain(value, depth, b), b)) return out;
  }
  if (o.annotations.length > 0) out['@annotations'] = list(o.annotations, depth, b);
  return out;
}

function toPlain(v: JdkValue, depth: number, b: Budget): Plain {
  if (!b.take()) return elided('size');
  if (isScalar(v)) return plainScalar(v, b, elided);
  const out = record();
  if (v instanceof Uint8Array) {
    const encoded = b.base64(v);
    if (encoded === undefined) return elided('size');
    out['@bytes'] = encoded;
    return out;
  }
  if (depth <= 0) return elided('depth');
  const className = b.text(v.className);
  if (className === undefined) return elided('size');
  switch (v.kind) {
    case 'array':
      return list(v.items, depth - 1, b);
    case 'object':
      return object(v, className, depth - 1, b);
    case 'cycle':
      out['@cycle'] = className;
      return out;
    case 'class':
      out['@class'] = 'java.lang.Class';
      out.name = className;
      return out;
    case 'enum':
      out['@class'] = className;
      out['@enum'] = b.text(v.name) ?? elided('size');
      return out;
  }
}

/**
 * Plain data of a decoded value, nested at most `maxDepth` containers deep (at most 1000: it is
 * the recursion's depth), within `limits` (10,000 values and a million characters by default).
 */
export function jdkToPlain(value: JdkValue, maxDepth = 32, limits: Partial<PlainLimits> = {}): Plain {
  return toPlain(value, Math.min(maxDepth, 1000), new Budget(limits));
}
