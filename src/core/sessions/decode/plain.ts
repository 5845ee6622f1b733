/**
 * What every decoder's value becomes for printing (`session show`, the listing's extra
 * fields), and the budget each conversion spends. A decoded value may name one big part many
 * times (pickle's memo, Marshal's links, Java's back references), so a conversion is capped in
 * values and characters as well as depth; what does not fit becomes an elision marker, whose
 * spelling (`$elided`, `@elided`) is each format's own.
 */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

export interface PlainLimits {
  /** Values written, each one counting (a string, an object, an array...). */
  maxNodes: number;
  /** Characters written: strings, keys, class names, base64. */
  maxChars: number;
}

/** What is left to write in one conversion (10,000 values and a million characters by default). */
export class PlainBudget {
  nodes: number;
  chars: number;

  constructor(limits: Partial<PlainLimits> = {}) {
    this.nodes = limits.maxNodes ?? 10_000;
    this.chars = limits.maxChars ?? 1 << 20;
  }

  /** Counts one value written; false once none are left. */
  take(): boolean {
    if (this.nodes <= 0) return false;
    this.nodes -= 1;
    return true;
  }

  /** `s`, counted, when it fits; undefined when it does not. */
  text(s: string): string | undefined {
    if (s.length > this.chars) return undefined;
    this.chars -= s.length;
    return s;
  }

  /** The bytes in base64, counted, when they fit: measured before made (four characters for every three bytes). */
  base64(bytes: Uint8Array): string | undefined {
    if (Math.ceil(bytes.length / 3) * 4 > this.chars) return undefined;
    return this.text(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64'));
  }
}

/** A record without a prototype, so a key `__proto__` is only a key. */
export function plainRecord(): Record<string, Plain> {
  return Object.create(null) as Record<string, Plain>;
}

/** `{[marker]: why}`: what stands for a part left out. */
export function elision(marker: string, why: 'depth' | 'size'): Plain {
  const out = plainRecord();
  out[marker] = why;
  return out;
}

export type Scalar = null | boolean | number | bigint | string;

export function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string';
}

/** A scalar's plain form: integers beyond 2^53 and non-finite numbers as text, an elision when the text does not fit. */
export function plainScalar(v: Scalar, b: PlainBudget, elided: (why: 'size') => Plain): Plain {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  return b.text(String(v)) ?? elided('size');
}

/** Each item's plain form while the budget lasts, then one elision in place of the rest. */
export function plainItems<T>(items: readonly T[], b: PlainBudget, each: (item: T) => Plain, elided: (why: 'size') => Plain): Plain[] {
  const out: Plain[] = [];
  for (const item of items) {
    if (b.nodes <= 0) {
      out.push(elided('size'));
      break;
    }
    out.push(each(item));
  }
  return out;
}

/** Puts `value()` under `key` (already escaped) while the budget lasts; false, and `marker` set to "size", once it is spent. */
export function plainPut(out: Record<string, Plain>, key: string, value: () => Plain, b: PlainBudget, marker: string): boolean {
  const k = b.text(key);
  if (k === undefined || b.nodes <= 0) {
    out[marker] = 'size';
    return false;
  }
  out[k] = value();
  return true;
}
