/**
 * Python values as the bounded readers of pickle (pickle.ts) and msgpack (msgpack.ts) leave
 * them: plain containers, never live objects. What Python would look up, import or call
 * (a class named by GLOBAL, a REDUCE of `os.system`) is a PyGlobal or a PyObject that only
 * carries the names and the arguments. py-plain.ts turns these into JSON-safe data.
 */

/** None, bool, int (a bigint beyond ±(2^53-1)), float, str, and the containers below. */
export type PyValue = null | boolean | number | bigint | string | PyBytes | PyList | PyTuple | PyDict | PySet | PyGlobal | PyObject | PyExt;

/** bytes or bytearray; `offset` is where its contents sit in the input (-1 when they were not read from it as is). */
export class PyBytes {
  shared = false;
  constructor(
    readonly bytes: Buffer,
    readonly mutable: boolean,
    readonly offset: number,
  ) {}
}

export class PyList {
  constructor(readonly items: PyValue[]) {}
}

export class PyTuple {
  shared = false;
  constructor(readonly items: readonly PyValue[]) {}
}

export class PySet {
  constructor(
    readonly items: PyValue[],
    readonly frozen: boolean,
  ) {}
}

/** A module attribute named by GLOBAL, STACK_GLOBAL or INST: only its names. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get dotted(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * What REDUCE, NEWOBJ, NEWOBJ_EX, INST or OBJ would have made by calling `callee` (a class or a
 * function, usually a PyGlobal) with `args`: nothing was called. BUILD's state, and items that
 * APPEND(S) and SETITEM(S) gave it (an OrderedDict's, a deque's), are kept beside.
 */
export class PyObject {
  shared = false;
  state: PyValue | undefined = undefined;
  listItems: PyValue[] | undefined = undefined;
  dictItems: PyDict | undefined = undefined;
  setItems: PyValue[] | undefined = undefined;
  constructor(
    readonly callee: PyValue,
    readonly args: PyValue,
    readonly kwargs: PyValue | undefined = undefined,
  ) {}
  /** The callee's dotted name, when it is a module attribute. */
  get className(): string | undefined {
    return this.callee instanceof PyGlobal ? this.callee.dotted : undefined;
  }
}

/** A msgpack extension value: its type code and bytes. */
export class PyExt {
  constructor(
    readonly type: number,
    readonly data: Buffer,
  ) {}
}

/** Where a value's opcode sat in a pickle (start inclusive, end exclusive): for rewriting it in place. */
export interface Span {
  start: number;
  end: number;
}

type Primitive = null | boolean | number | bigint | string;
const isPrimitive = (v: PyValue): v is Primitive => v === null || typeof v !== 'object';

/** Beyond this many entries a dict indexes its primitive keys; below, a scan is cheaper. */
const INDEX_FROM = 16;

/**
 * A dict: keys and values in insertion order. Keys equal as JavaScript primitives are one key
 * (a second SETITEM replaces the value in place, as in Python); other keys (tuples, objects)
 * are kept as given. Never a JavaScript object, so a key `__proto__` is only a key.
 */
export class PyDict {
  readonly keys: PyValue[] = [];
  readonly values: PyValue[] = [];
  /** Where each value came from, when the reader was asked to track it (pickle.ts `spans`). */
  spans: Array<Span | undefined> | undefined = undefined;
  private index: Map<Primitive, number> | undefined = undefined;

  get size(): number {
    return this.keys.length;
  }

  private find(key: PyValue): number {
    if (!isPrimitive(key)) return -1;
    if (this.index !== undefined) return this.index.get(key) ?? -1;
    const keys = this.keys;
    for (let i = 0; i < keys.length; i += 1) if (keys[i] === key) return i;
    return -1;
  }

  set(key: PyValue, value: PyValue, span?: Span): void {
    const at = this.find(key);
    if (at >= 0) {
      this.values[at] = value;
      if (this.spans !== undefined) this.spans[at] = span;
      return;
    }
    this.keys.push(key);
    this.values.push(value);
    if (this.spans !== undefined) this.spans.push(span);
    if (this.index !== undefined) {
      if (isPrimitive(key)) this.index.set(key, this.keys.length - 1);
    } else if (this.keys.length >= INDEX_FROM) {
      this.index = new Map();
      this.keys.forEach((k, i) => {
        if (isPrimitive(k) && !this.index?.has(k)) this.index?.set(k, i);
      });
    }
  }

  /** The value under a str key, or undefined. */
  get(key: string): PyValue | undefined {
    const at = this.find(key);
    return at < 0 ? undefined : this.values[at];
  }

  /** Where the value under `key` came from (see spans), or undefined. */
  spanOf(key: string): Span | undefined {
    const at = this.find(key);
    return at < 0 ? undefined : this.spans?.[at];
  }
}

/** Python's `hash()` refuses these: a dict key or set member of such a type fails the load. */
export function isUnhashable(v: PyValue): boolean {
  return v instanceof PyList || v instanceof PyDict || (v instanceof PySet && !v.frozen) || (v instanceof PyBytes && v.mutable);
}
