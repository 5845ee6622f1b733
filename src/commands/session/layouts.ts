/**
 * `session layouts [--all] [--json]`: which frameworks' sessions a server holds, under which
 * prefixes, how many, and one example id each. A sample of the keys by default; --all counts
 * every key.
 */
import { withTopology, wantsJson, type CommandContext } from '../../cli/context.js';
import { say, type Io } from '../../cli/io.js';
import type { ConnectionFlags, ProgressFlag } from '../../cli/options.js';
import { createRowPrinter, plural, printJson, printable, type Column } from '../../cli/output.js';
import { progressLine } from '../../cli/progress.js';
import { detectLayouts, type Detection } from '../../core/sessions/detect.js';
import { loadAllLayouts } from '../../core/sessions/registry.js';

/** Keys a sample reads: a second or two on a busy server, enough to meet every application that keeps many sessions. */
export const SAMPLE_KEYS = 10_000;

const COLUMNS: Column[] = [
  { header: 'Layout', width: 15 },
  { header: 'Prefix', width: 28, min: 10, shrink: 1 },
  { header: 'Keys', width: 10 },
  { header: 'Example id', width: 40, min: 12, shrink: 1 },
];

export interface LayoutsFlags extends ConnectionFlags, ProgressFlag {
  all?: true;
}

export async function run(ctx: CommandContext<LayoutsFlags>): Promise<number> {
  const { io, opts } = ctx;
  const layouts = await loadAllLayouts();
  const detection = await withTopology(ctx, async (topology) => {
    const progress = progressLine(io, 'Scanning', opts.progress === true);
    try {
      return await detectLayouts(topology, layouts, {
        sample: opts.all === true ? undefined : SAMPLE_KEYS,
        onScanned: (scanned) => progress.update({ scanned }),
      });
    } finally {
      progress.clear();
    }
  });
  await printLayouts(io, detection, wantsJson(ctx));
  return 0;
}

export async function printLayouts(io: Io, { found, scanned, complete }: Detection, json: boolean): Promise<void> {
  if (json) for (const f of found) printJson(io.stdout, f);
  else {
    const table = await createRowPrinter(io, COLUMNS);
    for (const f of found) table.row([f.layout, printable(f.prefix), f.keys.toLocaleString('en-US'), printable(f.exampleId)]);
    table.flush();
  }
  const what = found.length === 0 ? 'No sessions of a known layout' : plural(found.length, 'layout and prefix', 'layouts and prefixes');
  say(
    io,
    complete
      ? `${what} in ${plural(scanned, 'key')}.`
      : `${what} in a sample of ${plural(scanned, 'key')}; counts are of the sample (--all counts every key).`,
  );
}
