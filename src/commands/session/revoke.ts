/**
 * `session revoke <id...> | --cookie <value> | --user <name> | --all`: delete sessions, say
 * how many went, record it in the audit trail, and with --hold keep them deleted.
 */
import type { SessionScope } from '../../core/sessions/scope.js';
import { audited } from '../../cli/audited.js';
import { withTopology, wantsJson, type CommandContext } from '../../cli/context.js';
import { databaseOf } from '../../core/redis/connection.js';
import { holdRevoked, type HoldResult } from '../../core/sessions/hold.js';
import { toAppError } from '../../core/redis/redis-errors.js';
import { revokeIds, revokeMatching, type IdRevokeResult, type RevokeProgress } from '../../core/sessions/revoke.js';
import type { Topology } from '../../core/redis/topology.js';
import { BadDataError, ExitCode, InterruptedError, UsageError } from '../../core/errors.js';
import { say } from '../../cli/io.js';
import { type AuditFlags, type CookieFlags, type ProgressFlag, type SessionFlags } from '../../cli/options.js';
import { plural, printable } from '../../cli/output.js';
import { progressLine, stopOnInterrupt } from '../../cli/progress.js';
import { confirm } from '../../cli/prompt.js';
import { scopeOfId, sessionIdFrom, sessionScopes } from './scope.js';
import {
  printBulkOutcome,
  printDryRunBatch,
  printHold,
  printIdsOutcome,
  type BulkOutcome,
  type IdsOutcome,
  type RevokeAsked,
} from './revoke-print.js';

interface Request extends RevokeAsked, SessionScope {
  /** The layouts walked: one, or every layout with --layout auto (the Request's own scope is the first). */
  scopes: SessionScope[];
  ids: string[];
  user: string | undefined;
  all: boolean;
  dryRun: boolean;
  holdMs: number | undefined;
  json: boolean;
}

export interface RevokeFlags extends SessionFlags, CookieFlags, AuditFlags, ProgressFlag {
  user?: string;
  scan?: true;
  all?: true;
  yes?: true;
  dryRun?: true;
  /** Milliseconds (options.ts parseHold). */
  hold?: number;
  allowIneffectiveRevoke?: true;
}

type RevokeContext = CommandContext<RevokeFlags>;

async function parseRequest(idArgs: string[], ctx: RevokeContext): Promise<Request> {
  const { opts } = ctx;
  const { user } = opts;
  const all = opts.all === true;
  const fromCookie = opts.cookie !== undefined;
  const modes = [idArgs.length > 0, fromCookie, user !== undefined, all].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('give session ids, or --cookie <value>, or --user <name>, or --all (exactly one of them)');
  const scopes = await sessionScopes(opts);
  const scope = scopes[0] as SessionScope;
  if (scopes.length > 1 && opts.hold !== undefined) throw new UsageError('--hold guards one layout: give --layout <name>');
  const cookieId = fromCookie ? await sessionIdFrom(undefined, ctx, scopes) : undefined;
  const ids = cookieId === undefined ? idArgs.map((id) => sessionIdFrom(id, ctx, scopes)) : [Promise.resolve(cookieId)];
  return {
    ids: (await Promise.all(ids)).filter((id): id is string => id !== undefined),
    user,
    all,
    dryRun: opts.dryRun === true,
    holdMs: opts.hold,
    ...scope,
    scopes,
    json: wantsJson(ctx),
  };
}

export async function run(idArgs: string[], ctx: RevokeContext): Promise<number> {
  const { io } = ctx;
  const req = await parseRequest(idArgs, ctx);
  if (req.holdMs !== undefined && req.dryRun) throw new UsageError('--hold guards what was revoked; it cannot go with --dry-run');
  if (!req.dryRun && ctx.opts.allowIneffectiveRevoke !== true) refuseIneffective(req.scopes);

  if (req.all && !req.dryRun && ctx.opts.yes !== true) {
    if (io.stdin.isTTY !== true) throw new UsageError('--all deletes every session; add --yes to confirm when not on a terminal');
    // Counted over a connection of its own, closed while the operator reads the question:
    // a server's idle timeout cannot break the revoke that follows a slow answer.
    const { count, server } = await withTopology(ctx, async (topology) => ({
      count: await countAll(topology, req, ctx),
      server: await serverName(topology),
    }));
    const where = `under ${req.scopes.map((s) => `"${printable(s.prefix)}"`).join(' and ')} on ${server}`;
    if (count === 0) {
      say(io, `No sessions ${where}; nothing revoked.`);
      return 0;
    }
    const what = count === 1 ? 'the only session' : `all ${count.toLocaleString('en-US')} sessions`;
    if (!(await confirm(io, `Revoke ${what} ${where}?`))) {
      say(io, 'Nothing revoked.');
      return 0;
    }
    return finishBulk(ctx, req, await withTopology(ctx, (topology) => bulk(topology, req, ctx), true));
  }
  if (req.ids.length > 0) {
    const outcome = await withTopology(ctx, (topology) => byIds(topology, req, ctx));
    printIdsOutcome(io, req, outcome);
    const { notSessions, missing } = outcome.result;
    // Unusable data outranks a mere "not found".
    return notSessions.length > 0 ? ExitCode.badData : missing.length > 0 ? ExitCode.negative : ExitCode.ok;
  }
  return finishBulk(ctx, req, await withTopology(ctx, (topology) => bulk(topology, req, ctx)));
}

/**
 * Before anything is deleted: where deleting a session does not log its user out (Django's
 * cached_db rebuilds it from SQL), a revoke would report sessions revoked that are not.
 */
function refuseIneffective(scopes: SessionScope[]): void {
  for (const { layout, prefix } of scopes) {
    const why = layout.revokeIneffective?.(prefix);
    if (why !== undefined)
      throw new BadDataError(`nothing revoked: ${why}`, {
        hint: 'end these sessions in the application; --allow-ineffective-revoke deletes the keys anyway (their users stay logged in)',
      });
  }
}

function finishBulk(ctx: RevokeContext, req: Request, outcome: BulkOutcome): number {
  printBulkOutcome(ctx.io, req, outcome);
  return outcome.progress.interrupted ? ExitCode.interrupted : ExitCode.ok;
}

/** Where a bulk revoke would delete: `host:port/db`, or the cluster it walks. */
async function serverName(topology: Topology): Promise<string> {
  const masters = await topology.masters();
  const address = (url: URL) => `${url.hostname}:${url.port || '6379'}`;
  const first = masters[0]?.settings.url;
  if (first === undefined) return 'the server';
  if (topology.kind === 'cluster')
    return `the Redis Cluster of ${plural(masters.length, 'master')} (${masters.map((m) => address(m.settings.url)).join(', ')})`;
  return `${address(first)}/${databaseOf(first)}`;
}

/**
 * How many sessions `--all` would revoke now: the walk of --dry-run, printing nothing but a
 * progress line. Ctrl-C ends it (nothing has changed) with exit 130.
 */
async function countAll(topology: Topology, req: Request, ctx: RevokeContext): Promise<number> {
  const display = progressLine(ctx.io, 'Counting', ctx.opts.progress === true);
  const interrupt = stopOnInterrupt();
  try {
    let counted = { scanned: 0, matched: 0 };
    for (const scope of req.scopes) {
      const before = counted;
      const found = await revokeMatching(topology, {
        ...scope,
        dryRun: true,
        signal: interrupt.signal,
        onBatch: (_ids, p) => display.update({ scanned: before.scanned + p.scanned, sessions: before.matched + p.matched }),
      });
      if (found.interrupted) throw new InterruptedError('interrupted while counting the sessions; nothing revoked');
      counted = { scanned: before.scanned + found.scanned, matched: before.matched + found.matched };
    }
    return counted.matched;
  } finally {
    interrupt.release();
    display.clear();
  }
}

function target(req: Request): string {
  if (req.ids.length === 1) return `session ${req.ids[0]}`;
  if (req.ids.length > 1) return `${req.ids.length} sessions by id`;
  return req.user === undefined ? 'all sessions' : `sessions of ${req.user}`;
}

/** Keep the revoked ids revoked for --hold, reporting what came back. */
async function hold(topology: Topology, req: Request, ctx: CommandContext, ids: Set<string>): Promise<HoldResult | undefined> {
  if (req.holdMs === undefined || ids.size === 0) return undefined;
  const { io } = ctx;
  if (io.stderr.isTTY === true)
    say(io, `Holding ${plural(ids.size, 'revoked session')} for ${Math.round(req.holdMs / 1000)}s (Ctrl-C ends the hold early) ...`);
  const interrupt = stopOnInterrupt();
  try {
    const held = await holdRevoked(topology, {
      layout: req.layout,
      prefix: req.prefix,
      ids,
      durationMs: req.holdMs,
      signal: interrupt.signal,
    });
    printHold(io, req, held);
    return held;
  } finally {
    interrupt.release();
  }
}

/** revokeIds in the layout of each id (--layout auto: the first layout that holds it), results in the order asked. */
async function revokeAcross(topology: Topology, req: Request): Promise<IdRevokeResult> {
  if (req.scopes.length === 1) return revokeIds(topology.keyed, req, req.ids, req.dryRun);
  const out: IdRevokeResult = { revoked: [], missing: [], notSessions: [] };
  for (const id of req.ids) {
    const one = await revokeIds(topology.keyed, await scopeOfId(topology.keyed, req.scopes, id), [id], req.dryRun);
    out.revoked.push(...one.revoked);
    out.missing.push(...one.missing);
    out.notSessions.push(...one.notSessions);
  }
  return out;
}

async function byIds(topology: Topology, req: Request, ctx: RevokeContext): Promise<IdsOutcome> {
  let result: IdRevokeResult | undefined;
  const run = async () => {
    result = await revokeAcross(topology, req);
    return { count: result.revoked.length };
  };
  if (req.dryRun) await run();
  else await audited(ctx, topology.keyed, { command: 'session revoke', target: target(req) }, run);
  const r = result as IdRevokeResult;
  return { result: r, held: await hold(topology, req, ctx, new Set(r.revoked)) };
}

async function bulk(topology: Topology, req: Request, ctx: RevokeContext): Promise<BulkOutcome> {
  const { io, opts } = ctx;
  const display = progressLine(io, req.dryRun ? 'Scanning' : 'Revoking', opts.progress === true);
  const interrupt = stopOnInterrupt();
  let latest: RevokeProgress = { scanned: 0, matched: 0, revoked: 0, interrupted: false, oddUser: 0 };
  // Only with --hold: the ids to guard afterwards (memory grows with the revoked count).
  const revokedIds = req.holdMs === undefined ? undefined : new Set<string>();
  const walk = async () => {
    // Each layout in turn (--layout auto); `latest` adds the layouts walked before.
    for (const scope of req.scopes) {
      const before = latest;
      const add = (p: RevokeProgress): RevokeProgress => ({
        ...p,
        scanned: before.scanned + p.scanned,
        matched: before.matched + p.matched,
        revoked: before.revoked + p.revoked,
        oddUser: before.oddUser + p.oddUser,
      });
      latest = add(
        await revokeMatching(topology, {
          ...scope,
          user: req.user,
          scan: ctx.opts.scan === true,
          dryRun: req.dryRun,
          signal: interrupt.signal,
          onBatch: (batch, p) => {
            if (req.dryRun && batch.length > 0) {
              display.beforeData();
              printDryRunBatch(io, req.json, batch);
            }
            batch.forEach((id) => revokedIds?.add(id));
            latest = add(p);
            display.update({ scanned: latest.scanned, matched: latest.matched, revoked: latest.revoked });
          },
        }),
      );
      if (latest.interrupted) break;
    }
    return { count: req.dryRun ? latest.matched : latest.revoked, interrupted: latest.interrupted };
  };
  try {
    if (req.dryRun) await walk();
    else await audited(ctx, topology.keyed, { command: 'session revoke', target: target(req), doneSoFar: () => latest.revoked }, walk);
  } catch (err) {
    // Say, in the one error line, what was already done; a rerun finishes the job.
    const failure = toAppError(err) ?? err;
    if (failure instanceof Error && !req.dryRun) {
      // Batches in flight when the connection broke may have been applied without a reply,
      // so the confirmed count is a lower bound.
      failure.message +=
        latest.revoked === 0
          ? ' (no revocation confirmed before the failure; run again to finish)'
          : ` (after revoking at least ${plural(latest.revoked, 'session')}, ${plural(latest.scanned, 'key')} scanned; run again to finish)`;
    }
    throw failure;
  } finally {
    interrupt.release();
    display.clear();
  }
  const held = latest.interrupted || revokedIds === undefined ? undefined : await hold(topology, req, ctx, revokedIds);
  return { progress: latest, held };
}
