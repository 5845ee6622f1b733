/**
 * `session layouts`: which frameworks' sessions a server holds. Keys are walked with SCAN, each
 * string and hash read (byte-bounded, as a listing reads) and offered to every layout's
 * `detect`; what is found is counted per layout and prefix. A sample by default: a server
 * shared by several applications answers within a second or two; `all` walks every key.
 */
import type { MasterNode, Topology } from '../redis/topology.js';
import type { ValueKind } from '../redis/hash-value.js';
import { scanAndProcess, type NodePace } from '../walk/bulk.js';
import { valueParts } from '../walk/fetch-values.js';
import { NO_PREFILTER } from '../walk/prefilter.js';
import { opsFor } from '../walk/node-ops.js';
import type { SessionLayout } from './layout.js';

export interface LayoutFound {
  layout: string;
  prefix: string;
  /** Session keys of this layout under this prefix among the keys scanned. */
  keys: number;
  /** One of them, to try a command on. */
  exampleId: string;
}

export interface Detection {
  found: LayoutFound[];
  /** Keys scanned. */
  scanned: number;
  /** Whether every key was scanned (else the counts are of a sample). */
  complete: boolean;
}

export interface DetectOptions {
  /** Stop after about this many keys (undefined: all). */
  sample?: number;
  onScanned?: (scanned: number) => void;
}

export async function detectLayouts(topology: Topology, layouts: readonly SessionLayout[], opts: DetectOptions): Promise<Detection> {
  const ops = opsFor(topology);
  const found = new Map<string, LayoutFound>();
  const kinds = [...new Set(layouts.map((l) => l.keyType))];
  const stop = new AbortController();
  let scanned = 0;
  const work = async (node: MasterNode, keys: Buffer[], pace: NodePace) => {
    const hits: Array<{ layout: string; prefix: string; id: string }> = [];
    for (const kind of kinds) await readKind(kind, node, keys, pace, hits);
    return hits;
  };
  const readKind = async (
    kind: ValueKind,
    node: MasterNode,
    keys: Buffer[],
    pace: NodePace,
    hits: Array<{ layout: string; prefix: string; id: string }>,
  ) => {
    const reader = { ops, client: node.client, kind, budget: pace.budget, needle: NO_PREFILTER, ttls: false };
    const candidates = layouts.filter((l) => l.keyType === kind);
    for await (const { start, end, raws } of valueParts(reader, keys)) {
      for (let i = start; i < end; i += 1) {
        const raw = raws[i - start];
        if (!raw) continue;
        for (const layout of candidates) {
          const hit = layout.detect(keys[i] as Buffer, raw);
          if (hit !== undefined) {
            hits.push({ layout: layout.name, ...hit });
            break;
          }
        }
      }
    }
  };
  for await (const { keys, result } of scanAndProcess(topology, { match: '*' }, work, { stop: stop.signal, depth: 2 })) {
    scanned += keys.length;
    for (const hit of result) {
      const at = `${hit.layout}\u0000${hit.prefix}`;
      const entry = found.get(at);
      if (entry === undefined) found.set(at, { layout: hit.layout, prefix: hit.prefix, keys: 1, exampleId: hit.id });
      else entry.keys += 1;
    }
    opts.onScanned?.(scanned);
    if (opts.sample !== undefined && scanned >= opts.sample) stop.abort();
  }
  const complete = !stop.signal.aborted;
  return {
    found: [...found.values()].sort((a, b) => b.keys - a.keys || a.layout.localeCompare(b.layout) || a.prefix.localeCompare(b.prefix)),
    scanned,
    complete,
  };
}
