/**
 * Recording changes in the audit trail from the commands. A change is recorded after it
 * is done (outcome ok, with its count) or when it fails (outcome failed, with the count
 * done before the failure and the one-line error); interrupted bulk revokes say so.
 *
 * A failure often breaks the connection it happened on (a killed client, a timeout), so a
 * failure entry that cannot go over that connection goes over a new one. When the entry
 * cannot be written at all (the server refuses writes: out of memory; the audit key holds
 * something else; no connection), stderr says so: a change is never left unrecorded silently.
 * With --audit-log every entry is also appended to a file, whether Redis took it or not.
 */
import type { CommandContext } from './context.js';
import { appendAudit, defaultActor, idTime, openAuditLog, type AuditLog, type AuditRecord } from '../core/audit.js';
import { normalizeUrl, type Keyed } from '../core/redis/connection.js';
import { toAppError } from '../core/redis/redis-errors.js';
import { say } from './io.js';
import { connectionOptions, type AuditFlags, type ConnectionFlags } from './options.js';

export interface Change {
  command: string;
  target: string;
  /** How much was already done, read when the change fails midway. */
  doneSoFar?: () => number;
  /** A user record's fields before and after, and the sessions revoked: read when the entry is made, after a failure too. */
  detail?: () => Pick<AuditRecord, 'before' | 'after' | 'sessionsRevoked'>;
}

/** A command that changes data: it has the audit options and talks to Redis. */
export type AuditedContext = CommandContext<ConnectionFlags & AuditFlags>;

/** Who and why, for the trail (both checked when the command line was read: options.ts). */
export function auditFields(ctx: AuditedContext): { actor: string; reason: string } {
  return { actor: ctx.opts.actor || defaultActor(), reason: ctx.opts.reason ?? '' };
}

/** --audit-log or REDIS_ACCOUNTS_AUDIT_LOG, if given. */
function auditLogPath(opts: AuditFlags): string | undefined {
  return opts.auditLog === '' ? undefined : opts.auditLog;
}

function oneLine(err: unknown): string {
  return (toAppError(err)?.message ?? (err instanceof Error ? err.message : String(err))).split('\n')[0]?.slice(0, 500) ?? '';
}

/**
 * Whether a failed XADD may succeed over a new connection: not when the server answered with
 * an error (out of memory, wrong type, ACL), which it would give again, except READONLY (a
 * failover: a new connection finds the new master).
 */
function worthANewConnection(err: unknown): boolean {
  const reply = err instanceof Error && /^(ErrorReply|SimpleError|BlobError)$/.test(err.constructor.name);
  return !reply || /^READONLY\b/.test((err as Error).message);
}

/** Where the entry was meant to go, for the file copy: the URL without credentials. */
function serverOf(ctx: AuditedContext): string {
  try {
    // As the connection reads it: a bare host:port is redis:// (connection.ts normalizeUrl).
    const url = new URL(normalizeUrl(connectionOptions(ctx.opts, ctx.urlSource, ctx.io.env).url));
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '';
  }
}

async function overNewConnection<T>(ctx: AuditedContext, fn: (redis: Keyed) => Promise<T>): Promise<T> {
  const { openTopology } = await import('../core/redis/topology.js');
  // Warnings (a password in argv) were printed when the command connected.
  const topology = await openTopology(connectionOptions(ctx.opts, ctx.urlSource, ctx.io.env), () => undefined);
  try {
    return await fn(topology.keyed);
  } finally {
    await topology.close();
  }
}

type Outcome = Pick<AuditRecord, 'outcome' | 'count' | 'error'>;

/** Record an entry: in the stream (over a new connection if need be) and the log file. Never throws. */
async function record(
  ctx: AuditedContext,
  redis: Keyed,
  change: Change,
  log: AuditLog | undefined,
  outcome: Outcome,
  /** Asked once the entry could not be stored: whether to say so on stderr. */
  warn: () => boolean = () => true,
): Promise<void> {
  const { actor, reason } = auditFields(ctx);
  const key = ctx.opts.auditKey;
  const entry: AuditRecord = {
    clientTime: new Date().toISOString(),
    actor,
    command: change.command,
    target: change.target,
    count: outcome.count,
    outcome: outcome.outcome,
    reason,
    error: outcome.error,
    ...change.detail?.(),
  };
  let id: string | undefined;
  let notStored: string | undefined;
  try {
    id = await appendAudit(redis, key, entry);
  } catch (err) {
    notStored =
      err instanceof Error && /^WRONGTYPE\b/.test(err.message) ? `${key} holds another type of value, not a stream` : oneLine(err);
    if (worthANewConnection(err)) {
      try {
        id = await overNewConnection(ctx, (fresh) => appendAudit(fresh, key, entry));
        notStored = undefined;
      } catch (again) {
        notStored = oneLine(again);
      }
    }
  }
  let notLogged: string | undefined;
  if (log !== undefined) {
    try {
      await log.append({
        id: id ?? null,
        time: id === undefined ? null : idTime(id),
        ...entry,
        auditKey: key,
        server: serverOf(ctx),
        stored: id !== undefined,
        ...(notStored === undefined ? {} : { storeError: notStored }),
      });
    } catch (err) {
      notLogged = (err as NodeJS.ErrnoException).code ?? oneLine(err);
    }
  }
  const warned = (notStored !== undefined || notLogged !== undefined) && warn();
  if (notStored !== undefined && warned) {
    const what = outcome.outcome === 'failed' ? 'this failure' : 'the change was made but';
    const copy = log !== undefined && notLogged === undefined ? ` It is in the audit log file ${log.path}.` : '';
    say(ctx.io, `Warning: ${what} could not be recorded in the audit trail (${notStored}).${copy}`);
  }
  if (notLogged !== undefined && warned) say(ctx.io, `Warning: could not append the audit entry to ${log?.path ?? ''} (${notLogged}).`);
}

/**
 * Records one more entry of a run, as it goes (`user import --on-conflict overwrite`: one per
 * overwritten user, with its fields before and after): outcome ok, with its own target and
 * count. Never throws; only the first that cannot be recorded is warned of, the rest counted.
 */
export type RecordAlso = (change: Change, count: number) => Promise<void>;

/**
 * Run a change and record it. `run` returns the count of what it changed and whether it was
 * interrupted. A failure to record does not undo or fail the change (nor mask its error):
 * it is reported on stderr.
 */
export async function audited<T extends { count: number; interrupted?: boolean }>(
  ctx: AuditedContext,
  redis: Keyed,
  change: Change,
  run: (also: RecordAlso) => Promise<T>,
): Promise<T> {
  const path = auditLogPath(ctx.opts);
  // Before the change: a file that cannot be written stops the command while nothing is done.
  const log = path === undefined ? undefined : await openAuditLog(path);
  let unrecorded = 0;
  // Entries recorded at once may fail together: the first to fail is the one that says so.
  const firstFailure = () => unrecorded++ === 0;
  const also: RecordAlso = async (extra, count) => {
    await record(ctx, redis, extra, log, { outcome: 'ok', count, error: '' }, firstFailure);
  };
  const sayUnrecorded = () => {
    if (unrecorded > 1) say(ctx.io, `Warning: ${unrecorded - 1} more audit entries of this run could not be recorded either.`);
  };
  try {
    let result: T;
    try {
      result = await run(also);
    } catch (err) {
      sayUnrecorded();
      await record(ctx, redis, change, log, { outcome: 'failed', count: change.doneSoFar?.() ?? 0, error: oneLine(err) });
      throw err;
    }
    sayUnrecorded();
    await record(ctx, redis, change, log, { outcome: result.interrupted ? 'interrupted' : 'ok', count: result.count, error: '' });
    return result;
  } finally {
    await log?.close().catch(() => undefined);
  }
}
