/**
 * Python values (py-value.ts) as JSON-safe plain data, for printing. Bounded on its own: the
 * memo lets a small pickle name one big value many times, or a list contain itself, so the
 * output is capped in depth, in values and in characters, and what does not fit becomes
 * `{"$elided": "depth" | "size"}`.
 *
 * Shapes: a dict whose keys are all str is an object without a prototype (a key `__proto__`
 * is just a key), other dicts `{"$dict": [[key, value], ...]}`; a list or tuple an array; a set
 * `{"$set": [...]}` (`$frozenset`); bytes `{"$bytes": base64}` (`$bytearray`); an int beyond
 * 2^53 and a float that is not finite a string; a module attribute (GLOBAL) `{"$global":
 * "os.system"}`; what REDUCE, NEWOBJ, INST or OBJ would have made `{"$class": "os.system",
 * "args": [...]}` plus `kwargs`, `state` (BUILD), `items`, `dict` and `set` when it has them, and
 * `value` for a datetime; a msgpack timestamp `{"$timestamp": ISO}`, another extension `{"$ext":
 * type, "data": base64}`. A key taken from the data that starts with `$` gets one more `$`, so
 * it cannot pose as one of these.
 */
import { readPyDatetime } from './py-datetime.js';
import { elision, isScalar, plainItems, plainRecord as record, plainScalar, PlainBudget, type Plain, type PlainLimits } from './plain.js';
import { PyBytes, PyDict, PyExt, PyGlobal, PyList, PyObject, PySet, PyTuple, type PyValue } from './py-value.js';

export type { Plain } from './plain.js';

export interface PyPlainLimits extends PlainLimits {
  /** Containers inside each other (at most 1000: it is the recursion's depth). */
  maxDepth: number;
}

type Budget = PlainBudget;

const elided = (why: 'depth' | 'size'): Plain => elision('$elided', why);

/** A key from the data, escaped so that it cannot pose as one of the `$` markers. */
export const plainKey = (key: string): string => (key.startsWith('$') ? `$${key}` : key);

const base64 = (bytes: Buffer, b: Budget): Plain => b.base64(bytes) ?? elided('size');

const list = (items: readonly PyValue[], depth: number, b: Budget): Plain[] =>
  plainItems(items, b, (item) => toPlain(item, depth, b), elided);

function dict(d: PyDict, depth: number, b: Budget): Plain {
  const out = record();
  if (d.keys.every((k) => typeof k === 'string')) {
    for (let i = 0; i < d.keys.length; i += 1) {
      const k = b.text(plainKey(d.keys[i] as string));
      if (k === undefined || b.nodes <= 0) {
        out['$elided'] = 'size';
        break;
      }
      out[k] = toPlain(d.values[i] as PyValue, depth, b);
    }
    return out;
  }
  const entries: Plain[] = [];
  for (let i = 0; i < d.keys.length; i += 1) {
    if (b.nodes <= 0) {
      entries.push(elided('size'));
      break;
    }
    entries.push([toPlain(d.keys[i] as PyValue, depth, b), toPlain(d.values[i] as PyValue, depth, b)]);
  }
  out['$dict'] = entries;
  return out;
}

function object(o: PyObject, depth: number, b: Budget): Plain {
  const out = record();
  const name = o.className;
  if (name !== undefined) out['$class'] = b.text(name) ?? elided('size');
  else out['$callee'] = toPlain(o.callee, depth, b);
  const dt = readPyDatetime(o);
  if (dt !== undefined) {
    out['value'] = dt.iso;
    return out;
  }
  out['args'] = toPlain(o.args, depth, b);
  if (o.kwargs !== undefined) out['kwargs'] = toPlain(o.kwargs, depth, b);
  if (o.state !== undefined) out['state'] = toPlain(o.state, depth, b);
  if (o.listItems !== undefined) out['items'] = list(o.listItems, depth, b);
  if (o.dictItems !== undefined) out['dict'] = dict(o.dictItems, depth, b);
  if (o.setItems !== undefined) out['set'] = list(o.setItems, depth, b);
  return out;
}

function ext(e: PyExt, b: Budget): Plain {
  const out = record();
  const ms = e.type === -1 ? timestampMs(e.data) : undefined;
  if (ms !== undefined) {
    out['$timestamp'] = new Date(ms).toISOString();
    return out;
  }
  out['$ext'] = e.type;
  out['data'] = base64(e.data, b);
  return out;
}

/** msgpack's timestamp extension (type -1: 4, 8 or 12 bytes) in epoch ms, when a Date can hold it. */
export function timestampMs(data: Buffer): number | undefined {
  let seconds: number;
  let nanos = 0;
  if (data.length === 4) seconds = data.readUInt32BE(0);
  else if (data.length === 8) {
    const high = data.readUInt32BE(0);
    nanos = Math.floor(high / 4);
    seconds = (high & 0x3) * 2 ** 32 + data.readUInt32BE(4);
  } else if (data.length === 12) {
    nanos = data.readUInt32BE(0);
    seconds = Number(data.readBigInt64BE(4));
  } else return undefined;
  const ms = seconds * 1000 + Math.floor(nanos / 1e6);
  return nanos < 1e9 && Math.abs(ms) < 8.64e15 ? ms : undefined;
}

function toPlain(v: PyValue, depth: number, b: Budget): Plain {
  if (!b.take()) return elided('size');
  if (isScalar(v)) return plainScalar(v, b, elided);
  if (v instanceof PyBytes) {
    const out = record();
    out[v.mutable ? '$bytearray' : '$bytes'] = base64(v.bytes, b);
    return out;
  }
  if (v instanceof PyGlobal) {
    const out = record();
    out['$global'] = b.text(v.dotted) ?? elided('size');
    return out;
  }
  if (v instanceof PyExt) return ext(v, b);
  if (depth <= 0) return elided('depth');
  if (v instanceof PyList || v instanceof PyTuple) return list(v.items, depth - 1, b);
  if (v instanceof PyDict) return dict(v, depth - 1, b);
  if (v instanceof PySet) {
    const out = record();
    out[v.frozen ? '$frozenset' : '$set'] = list(v.items, depth - 1, b);
    return out;
  }
  return object(v, depth - 1, b);
}

/** Plain data of a Python value, within `limits` (64 levels, 10,000 values and a million characters by default). */
export function pyToPlain(value: PyValue, limits: Partial<PyPlainLimits> = {}): Plain {
  return toPlain(value, Math.min(limits.maxDepth ?? 64, 1000), new PlainBudget(limits));
}
