/**
 * `user list [--match <glob>] [--status active|disabled] [--outdated]`: every user record, over
 * SCAN on every master, streamed: a table on a terminal, tab-separated in a pipe, NDJSON with
 * --json. Never a hash, never a field the tool does not own. A record that cannot be read is
 * listed as such and counted; the scan goes on.
 */
import { withTopology, wantsJson, type CommandContext } from '../../cli/context.js';
import { say } from '../../cli/io.js';
import { costCaps, hashPolicy, type PepperFileFlag, type PolicyFlags, type ProgressFlag, type UserFlags } from '../../cli/options.js';
import { createRowPrinter, incomplete, jsonLine, ndjson, plural, pump, tableTime, type Column, type Written } from '../../cli/output.js';
import { progressLine } from '../../cli/progress.js';
import type { CostCaps, HashPolicy } from '../../core/users/hashing.js';
import type { PepperKeys } from '../../core/users/pepper.js';
import { readPepper } from './target.js';
import { checkNameGlob, hashShortfalls, scanRecords, type ScannedRecord } from '../../core/users/records.js';
import {
  FIELD_CREATED,
  FIELD_MUST_CHANGE,
  FIELD_PASSWORD_CHANGED,
  FIELD_PRINCIPAL,
  FIELD_STATUS_REASON,
  FIELD_UPDATED,
  isActive,
} from '../../core/users/store.js';
import { hashCell, hashShown, LISTED_FIELDS, recordJson, statusOf } from './record-json.js';

export interface ListFlags extends UserFlags, PolicyFlags, PepperFileFlag, ProgressFlag {
  match?: string;
  status?: 'active' | 'disabled';
  outdated?: true;
}

/**
 * On a narrow terminal Notes narrows first (most records have none), then Hash, then User;
 * Updated and then Created are left out, so that a line fits 80 columns. At 120 columns the
 * Hash cell keeps its costs (`argon2id m=19456,t=2,…`). With --outdated, whose Notes say why,
 * Notes narrows last (OUTDATED_COLUMNS).
 */
const COLUMNS: Column[] = [
  { header: 'User', width: 24, min: 12, shrink: 2 },
  { header: 'Status', width: 8 },
  { header: 'Hash', width: 36, min: 16, shrink: 1 },
  { header: 'Created', width: 20, optional: 2 },
  { header: 'Updated', width: 20, optional: 1 },
  { header: 'Password changed', width: 20 },
  { header: 'Notes', width: 40, min: 10, shrink: 0 },
];
const OUTDATED_COLUMNS: Column[] = COLUMNS.map((c) => (c.header === 'Notes' ? { ...c, shrink: 3 } : c));

/** One listed record: its --json line (an object), and its table cells (made only for a table). */
interface Listed {
  json: Record<string, unknown>;
  cells: () => string[];
  unreadable: boolean;
}

interface Counts {
  scanned: number;
  listed: number;
  unreadable: number;
  skipped: number;
}

/** What decides which records are listed. */
interface Filter {
  status: ListFlags['status'];
  /** --outdated: the policy and caps the hashes are held to. */
  outdated: { policy: HashPolicy; caps: CostCaps; pepper: PepperKeys | undefined } | undefined;
}

/** A record as listed, or undefined when the filter leaves it out (or it is not a user record). */
function listed(record: ScannedRecord, filter: Filter): Listed | undefined {
  if (record.kind === 'skipped') return undefined;
  if (record.kind === 'unreadable') {
    // Its status cannot be read, so no filter can leave it out.
    const json = { ...(record.name === undefined ? {} : { name: record.name }), key: record.key, unreadable: record.reason };
    return { json, cells: () => [record.name ?? record.key, '?', '-', '-', '-', '-', `unreadable: ${record.reason}`], unreadable: true };
  }
  const { state } = record;
  if (filter.status !== undefined && isActive(state) !== (filter.status === 'active')) return undefined;
  const json = recordJson(record);
  let reasons: string[] | undefined;
  if (filter.outdated !== undefined) {
    reasons = hashShortfalls(record, filter.outdated.policy, filter.outdated.caps, filter.outdated.pepper).reasons;
    if (reasons.length === 0) return undefined;
  }
  const shown = hashShown(record);
  if ('info' in shown) {
    json['family'] = shown.info.family;
    json['params'] = shown.info.params;
    if (reasons !== undefined) json['outdated'] = reasons;
  } else json['unreadable'] = shown.problem;
  const cells = () => {
    const notes = [
      'info' in shown ? '' : `unreadable: ${shown.problem}`,
      reasons === undefined || !('info' in shown) ? '' : `outdated: ${reasons.join('; ')}`,
      json[FIELD_MUST_CHANGE] === true ? 'must change password' : '',
      json[FIELD_PRINCIPAL] === undefined ? '' : `principal ${String(json[FIELD_PRINCIPAL])}`,
      json[FIELD_STATUS_REASON] === undefined ? '' : `reason: ${String(json[FIELD_STATUS_REASON])}`,
    ];
    return [
      record.name,
      statusOf(state),
      'info' in shown ? hashCell(shown.info) : '-',
      tableTime(state[FIELD_CREATED]),
      tableTime(state[FIELD_UPDATED]),
      tableTime(state[FIELD_PASSWORD_CHANGED]),
      notes.filter(Boolean).join('; '),
    ];
  };
  return { json, cells, unreadable: !('info' in shown) };
}

export async function run(ctx: CommandContext<ListFlags>): Promise<number> {
  const { io, opts } = ctx;
  const match = opts.match === undefined ? undefined : checkNameGlob(opts.match);
  const filter: Filter = {
    status: opts.status,
    // With --pepper-file, a hash not made with its current key is outdated, as rehash --check says.
    outdated:
      opts.outdated === true
        ? { policy: hashPolicy(opts), caps: costCaps(opts), pepper: await readPepper(io, opts.pepperFile) }
        : undefined,
  };
  const json = wantsJson(ctx);
  return withTopology(ctx, async (topology) => {
    const counts: Counts = { scanned: 0, listed: 0, unreadable: 0, skipped: 0 };
    const progress = progressLine(io, 'Listing', opts.progress === true);
    const table = json
      ? undefined
      : await createRowPrinter(io, filter.outdated === undefined ? COLUMNS : OUTDATED_COLUMNS, () => progress.beforeData());
    const written: Written = { rows: 0 };
    const batches = scanRecords(topology, {
      prefix: opts.userPrefix,
      fields: LISTED_FIELDS,
      stop: ctx.readerGone,
      ...(match === undefined ? {} : { match }),
    });
    /** One batch: counted, filtered, written; how many rows it wrote. */
    const write = (batch: ScannedRecord[]): number => {
      const lines: string[] = [];
      let rows = 0;
      for (const record of batch) {
        if (record.kind === 'skipped') counts.skipped += 1;
        else counts.scanned += 1;
        const row = listed(record, filter);
        if (row === undefined) continue;
        rows += 1;
        if (row.unreadable) counts.unreadable += 1;
        if (table === undefined) lines.push(jsonLine(row.json).slice(0, -1));
        else table.row(row.cells());
      }
      counts.listed += rows;
      progress.update({ scanned: counts.scanned, listed: counts.listed });
      if (table !== undefined) table.flush();
      else if (lines.length > 0) {
        progress.beforeData();
        io.stdout.write(ndjson(lines));
      }
      return rows;
    };
    let complete: boolean;
    try {
      complete = await pump(ctx, batches, written, write);
    } catch (err) {
      throw incomplete(err, written.rows, 'user');
    } finally {
      progress.clear();
    }
    // `| head` went away: stop, with no summary.
    if (!complete) return 0;
    const filtered = match !== undefined || filter.status !== undefined || filter.outdated !== undefined;
    const notes = [
      filtered ? `of ${plural(counts.scanned, 'record')} scanned` : '',
      counts.unreadable > 0 ? `${counts.unreadable} unreadable` : '',
    ].filter(Boolean);
    const skipped = counts.skipped > 0 ? ` ${plural(counts.skipped, 'key')} skipped (not a user record).` : '';
    say(io, `${plural(counts.listed, 'user')} listed${notes.length > 0 ? ` (${notes.join(', ')})` : ''}.${skipped}`);
    return 0;
  });
}
