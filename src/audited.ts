/**
 * Recording changes in the audit trail from the commands. A change is recorded after it
 * is done (outcome ok, with its count) or when it fails (outcome failed, with the count
 * done before the failure and the one-line error); interrupted bulk revokes say so.
 */
import type { CommandContext } from './context.js';
import { appendAudit, defaultActor, DEFAULT_AUDIT_KEY, type AuditEntry } from './core/audit.js';
import type { Redis } from './core/connection.js';
import { toAppError } from './core/redis-errors.js';
import { UsageError } from './errors.js';
import { say } from './io.js';

export interface Change {
  command: string;
  target: string;
  /** How much was already done, read when the change fails midway. */
  doneSoFar?: () => number;
}

export function auditKey(opts: CommandContext['opts']): string {
  const key = opts['auditKey'];
  return typeof key === 'string' && key !== '' ? key : DEFAULT_AUDIT_KEY;
}

function text(opts: CommandContext['opts'], name: string, max: number): string {
  const value = opts[name];
  if (typeof value !== 'string') return '';
  // eslint-disable-next-line no-control-regex
  if (value.length > max || /[\u0000-\u001f\u007f]/.test(value)) throw new UsageError(`--${name} must be at most ${max} characters without control characters`);
  return value;
}

/** Check --reason and --actor before any change is made (so bad input never half-applies). */
export function auditFields(ctx: CommandContext): { actor: string; reason: string } {
  return { actor: text(ctx.opts, 'actor', 200) || defaultActor(), reason: text(ctx.opts, 'reason', 1000) };
}

async function record(ctx: CommandContext, redis: Redis, change: Change, entry: Pick<AuditEntry, 'outcome' | 'count' | 'error'>): Promise<void> {
  const { actor, reason } = auditFields(ctx);
  await appendAudit(redis, auditKey(ctx.opts), { time: new Date().toISOString(), actor, command: change.command, target: change.target, reason, ...entry });
}

/**
 * Run a change and record it. `run` returns the count of what it changed and whether it was
 * interrupted. A failure to write the audit entry after a successful change is reported on
 * stderr but does not undo or fail the change.
 */
export async function audited<T extends { count: number; interrupted?: boolean }>(ctx: CommandContext, redis: Redis, change: Change, run: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (err) {
    const message = (toAppError(err)?.message ?? (err instanceof Error ? err.message : String(err))).slice(0, 500);
    await record(ctx, redis, change, { outcome: 'failed', count: change.doneSoFar?.() ?? 0, error: message }).catch(() => undefined);
    throw err;
  }
  try {
    await record(ctx, redis, change, { outcome: result.interrupted ? 'interrupted' : 'ok', count: result.count, error: '' });
  } catch (err) {
    say(ctx.io, `Warning: the change was made but could not be recorded in the audit trail (${toAppError(err)?.message ?? String(err)}).`);
  }
  return result;
}
