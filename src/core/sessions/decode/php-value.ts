/**
 * What the PHP readers (php-serialize.ts for serialize(), igbinary.ts) turn a stored value into:
 * JSON-safe plain data, built under one budget. Both formats number the values they read so that
 * a later one can name an earlier one again (`r:`/`R:`, igbinary's references): a small value can
 * name one big array a thousand times, or a graph that doubles at every level. So every value
 * read is a slot that knows what it costs once written out (values, characters, nesting), and a
 * reference is charged that cost again; a reference to a value still being read (a cycle) is a
 * `{"@cycle": ...}` placeholder. Nothing is looked up, instantiated or run: class names are text.
 *
 * Shapes: a PHP array whose keys are 0..n-1 in order is a JSON array, any other an object (its
 * integer keys as text); an object is `{"@class": name, ...properties}` (private and protected
 * names unmangled; a property shadowed by a parent's keeps `<Class>::<name>`); a Serializable's
 * payload (`C:`, igbinary's object_ser) is `{"@class", "@serialized": text}`; an enum case
 * `{"@class", "@enum": case}`. Below the top level a key taken from the data that starts with `@`
 * gets one more `@`, so it cannot pose as one of these. Integers beyond 2^53 are their digits as
 * a string, INF/-INF/NAN the strings PHP writes. Objects are made without a prototype: a key
 * `__proto__` is only a key.
 */

export type PhpPlain = null | boolean | number | string | PhpPlain[] | { [key: string]: PhpPlain };
export type PhpMap = { [key: string]: PhpPlain };

export interface PhpLimits {
  /** Arrays and objects inside each other, references written out included. */
  maxDepth: number;
  /** Values written out (each reference counts what it names again). */
  maxNodes: number;
  /** Characters written out: strings, keys and class names. */
  maxChars: number;
  /** Of the whole stored value. */
  maxBytes: number;
}

export const PHP_LIMITS: Readonly<PhpLimits> = {
  maxDepth: 32,
  maxNodes: 100_000,
  maxChars: 8 << 20,
  maxBytes: 8 << 20,
};

/** Why a value cannot be read; caught by the decoders' entry points, never thrown past them. */
export class PhpUnreadable extends Error {}

export const newMap = (): PhpMap => Object.create(null) as PhpMap;

/** The maps that stand for PHP objects (a top-level array may hold a key `@class` of its own). */
const objects = new WeakSet<PhpMap>();
export const isPhpObject = (value: unknown): boolean => value !== null && typeof value === 'object' && objects.has(value as PhpMap);

/** A value and its nesting height (0 for a scalar), as the readers pass them up. */
export interface Read {
  value: PhpPlain;
  height: number;
}

/**
 * The budget and the numbered values of one decode. Each numbered value is a slot that knows
 * what writing it out costs (values, characters, nesting). The slots are kept column by column,
 * not as an object each: a session's token numbers every scalar it holds, and an object per
 * slot (and per fill) was a quarter of a Symfony listing's decoding time.
 */
export class Tracker {
  private nodes = 0;
  private chars = 0;
  /** Per slot: its value (undefined while it is being read), label, nodes, characters, height. */
  private readonly values: Array<PhpPlain | undefined> = [];
  private readonly labels: string[] = [];
  /** While a slot is being read: the tracker's count when it was opened; then the slot's own. */
  private readonly slotNodes: number[] = [];
  private readonly slotChars: number[] = [];
  private readonly heights: number[] = [];

  constructor(readonly limits: PhpLimits) {}

  /** Count one value written out, with `chars` characters. */
  count(chars: number): void {
    this.nodes += 1;
    this.chars += chars;
    if (this.nodes > this.limits.maxNodes) throw new PhpUnreadable(`more than ${this.limits.maxNodes} values`);
    if (this.chars > this.limits.maxChars) throw new PhpUnreadable(`more than ${this.limits.maxChars} characters`);
  }

  checkDepth(depth: number): void {
    if (depth > this.limits.maxDepth) throw new PhpUnreadable(`nested deeper than ${this.limits.maxDepth} levels`);
  }

  private push(value: PhpPlain | undefined, label: string, nodes: number, chars: number, height: number): number {
    if (this.values.length >= this.limits.maxNodes) throw new PhpUnreadable(`more than ${this.limits.maxNodes} values`);
    this.values.push(value);
    this.labels.push(label);
    this.slotNodes.push(nodes);
    this.slotChars.push(chars);
    this.heights.push(height);
    return this.values.length - 1;
  }

  /** Number the value about to be read; `fill` completes it. */
  open(label: string): number {
    return this.push(undefined, label, this.nodes, this.chars, 0);
  }

  fill(slot: number, read: Read): Read {
    this.values[slot] = read.value;
    this.slotNodes[slot] = this.nodes - (this.slotNodes[slot] as number);
    this.slotChars[slot] = this.chars - (this.slotChars[slot] as number);
    this.heights[slot] = read.height;
    return read;
  }

  /** A scalar, numbered (serialize() numbers every value). */
  scalar(value: PhpPlain, chars = 0): Read {
    this.count(chars);
    this.push(value, 'scalar', 1, chars, 0);
    return { value, height: 0 };
  }

  /** A scalar that takes no number (igbinary numbers only arrays, objects and scalars behind a `&`). */
  plain(value: PhpPlain, chars = 0): Read {
    this.count(chars);
    return { value, height: 0 };
  }

  /** Number a scalar already read and counted (igbinary's `&` before a scalar). */
  number(read: Read, chars: number): void {
    this.push(read.value, 'scalar', 1, chars, 0);
  }

  /** How many values are numbered so far. */
  get size(): number {
    return this.values.length;
  }

  /**
   * The value numbered `index` (0-based) named again at `depth`: charged its cost once more, or
   * a cycle placeholder when it is still being read. Undefined when there is no such value.
   */
  again(index: number, depth: number): Read | undefined {
    if (index < 0 || index >= this.values.length) return undefined;
    const value = this.values[index];
    if (value === undefined) {
      const label = this.labels[index] as string;
      this.count(label.length);
      const cycle = newMap();
      cycle['@cycle'] = label;
      return { value: cycle, height: 1 };
    }
    const height = this.heights[index] as number;
    this.nodes += (this.slotNodes[index] as number) - 1;
    this.chars += this.slotChars[index] as number;
    this.count(0);
    if (depth + height > this.limits.maxDepth) throw new PhpUnreadable(`nested deeper than ${this.limits.maxDepth} levels`);
    return { value, height };
  }
}

/**
 * Builds a PHP array as it is read: a JSON array while its keys are 0, 1, 2..., an object from
 * the first key that breaks the run. `escape`: keys starting with `@` get one more (below the
 * top level).
 */
export class ArrayBuilder {
  private list: PhpPlain[] | undefined = [];
  private map: PhpMap | undefined;
  height = 0;

  constructor(
    private readonly tracker: Tracker,
    private readonly escape: boolean,
  ) {}

  set(key: string | number, read: Read): void {
    this.height = Math.max(this.height, read.height + 1);
    if (this.list !== undefined && key === this.list.length) {
      this.list.push(read.value);
      return;
    }
    if (this.map === undefined) {
      this.map = newMap();
      this.list?.forEach((v, i) => ((this.map as PhpMap)[String(i)] = v));
      this.list = undefined;
    }
    const text = String(key);
    this.tracker.count(text.length);
    this.map[this.escape && text.startsWith('@') ? `@${text}` : text] = read.value;
  }

  done(): Read {
    return { value: this.map ?? this.list ?? [], height: Math.max(this.height, 1) };
  }
}

/**
 * Builds an object's properties, unmangling PHP's private (`\0Class\0name`) and protected
 * (`\0*\0name`) names. A parent class's private property keeps `<Class>::<name>` when the
 * object has a property of that name of its own, whichever comes first.
 */
export class ObjectBuilder {
  private readonly map = newMap();
  /**
   * Properties named plainly that are a parent class's private ones: name, class, name, class...
   * (made when first needed). Searched only when a name comes twice, which is rare: pushing to
   * a list costs a Symfony token's user object less than a Map per object.
   */
  private inherited: string[] | undefined;
  height = 1;

  constructor(
    private readonly tracker: Tracker,
    private readonly className: string,
  ) {
    this.map['@class'] = className;
    objects.add(this.map);
  }

  set(key: string | number, read: Read): void {
    this.height = Math.max(this.height, read.height + 1);
    let name = String(key);
    let owner: string | undefined;
    if (name.startsWith('\0')) {
      const end = name.indexOf('\0', 1);
      if (end > 0) {
        owner = name.slice(1, end);
        name = name.slice(end + 1);
      }
    }
    if (name.startsWith('@')) name = `@${name}`;
    this.tracker.count(name.length);
    const parents = owner !== undefined && owner !== '*' && owner !== this.className;
    if (Object.hasOwn(this.map, name)) {
      const inherited = this.inherited ?? [];
      let at = 0;
      while (at < inherited.length && inherited[at] !== name) at += 2;
      if (parents) name = `${owner}::${name}`;
      else if (at < inherited.length) {
        this.map[`${inherited[at + 1] as string}::${name}`] = this.map[name] as PhpPlain;
        inherited.splice(at, 2);
      }
    } else if (parents) (this.inherited ??= []).push(name, owner as string);
    this.map[name] = read.value;
  }

  done(): Read {
    return { value: this.map, height: this.height };
  }
}

/** `{"@class": name, ...extra}` for the object forms that are not properties (a Serializable's payload, an enum case). */
export function tagged(className: string, extra: Record<string, PhpPlain>): PhpMap {
  const map = newMap();
  map['@class'] = className;
  objects.add(map);
  for (const [k, v] of Object.entries(extra)) map[k] = v;
  return map;
}

/** A PHP integer as read: a number when exact, else its digits. */
export function phpInteger(digits: string): number | string {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : digits.replace(/^\+/, '');
}
