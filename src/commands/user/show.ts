/**
 * `user show <name>`: everything about one user but the hash: status and reason, the hash's
 * family, cost and why it is outdated (the policy of `user rehash --check`), the times, the
 * principal, and how many sessions the user has, found as `user passwd`, `disable` and `delete`
 * find them (the same session options). Changes nothing.
 */
import { withTopology, wantsJson, type CommandContext } from '../../cli/context.js';
import { say, type Io } from '../../cli/io.js';
import { costCaps, hashPolicy, type PolicyFlags, type UserFlags } from '../../cli/options.js';
import { plural, printable, printJson } from '../../cli/output.js';
import { BadDataError, ExitCode, NegativeAnswer } from '../../core/errors.js';
import { validateUsername } from '../../core/users/names.js';
import { hashShortfalls, readRecord, type ReadUser } from '../../core/users/records.js';
import { FIELD_SESSIONS_VALID_AFTER, FIELD_STATUS_CHANGED, principalOf } from '../../core/users/store.js';
import { oddUserNote, sessionScopes } from '../session/scope.js';
import { ALL_FIELDS, hashCell, hashShown, recordJson, type HashShown } from './record-json.js';
import { countSessionsOf, type SessionsRevoked, type UserSessionsFlags } from './sessions.js';

export interface ShowFlags extends UserFlags, PolicyFlags, UserSessionsFlags {}

/** `user show --json`: the record's fields as `user list --json` gives them, and more. */
function detailJson(user: ReadUser, shown: HashShown, outdated: string[], sessions: SessionsRevoked): Record<string, unknown> {
  const out = recordJson(user);
  out['key'] = user.key;
  for (const field of [FIELD_STATUS_CHANGED, FIELD_SESSIONS_VALID_AFTER] as const)
    if (user.state[field] !== undefined) out[field] = user.state[field];
  if ('info' in shown) {
    out['family'] = shown.info.family;
    out['params'] = shown.info.params;
    out['outdated'] = outdated;
  } else out['unreadable'] = shown.problem;
  out['sessions'] = sessions.revoked;
  if (sessions.interrupted) out['interrupted'] = true;
  return out;
}

export async function run(given: string, ctx: CommandContext<ShowFlags>): Promise<number> {
  const { io, opts } = ctx;
  const name = validateUsername(given);
  const scopes = await sessionScopes(opts);
  const policy = hashPolicy(opts);
  const caps = costCaps(opts);
  const { detail, sessions, hashText } = await withTopology(ctx, async (topology) => {
    const user = await readRecord(topology, opts.userPrefix, name, ALL_FIELDS);
    if (user === undefined) throw new NegativeAnswer(`no user ${name}`);
    if (user.kind === 'unreadable') throw new BadDataError(`${user.key} cannot be read as a user record: ${user.reason}`);
    const { reasons } = hashShortfalls(user, policy, caps);
    const found = await countSessionsOf(topology, ctx, scopes, principalOf(user.state, name));
    const shown = hashShown(user);
    return { detail: detailJson(user, shown, reasons, found), sessions: found, hashText: 'info' in shown ? hashCell(shown.info) : '' };
  });
  if (wantsJson(ctx)) printJson(io.stdout, detail);
  else printDetail(io, detail, hashText);
  if (sessions.interrupted) {
    say(io, `Interrupted: counted ${plural(sessions.revoked, 'session')} before stopping; the user may have more.`);
    return ExitCode.interrupted;
  }
  const odd = oddUserNote(sessions);
  if (odd !== '') say(io, odd.trim());
  return ExitCode.ok;
}

/** Labelled lines, stored text made safe for a terminal (printable). */
function printDetail(io: Io, d: Record<string, unknown>, hashText: string): void {
  const text = (key: string) => (d[key] === undefined ? '-' : String(d[key]));
  const family = d['family'];
  const hash = family === undefined ? `unreadable: ${text('unreadable')}` : hashText;
  const outdated = Array.isArray(d['outdated']) ? (d['outdated'] as string[]) : [];
  const lines: Array<[string, string]> = [
    ['user', text('name')],
    ['key', text('key')],
    ['status', `${text('status')}${d['status_reason'] === undefined ? '' : ` (reason: ${text('status_reason')})`}`],
    ['status changed', text(FIELD_STATUS_CHANGED)],
    ['hash', hash],
    ['pepper key', d['pepper_id'] === undefined ? '- (not peppered)' : text('pepper_id')],
    ['outdated', family === undefined ? '-' : outdated.length === 0 ? 'no' : outdated.join('; ')],
    ['created', text('created_at')],
    ['updated', text('updated_at')],
    ['password changed', text('password_changed_at')],
    ['must change', d['must_change_password'] === true ? 'yes' : 'no'],
    ['sessions valid after', text(FIELD_SESSIONS_VALID_AFTER)],
    ['principal', d['principal'] === undefined ? `- (sessions are the name's)` : text('principal')],
    ['sessions', `${text('sessions')}${d['interrupted'] === true ? ' (interrupted: at least)' : ''}`],
  ];
  io.stdout.write(`${lines.map(([k, v]) => `${`${k}:`.padEnd(22)}${printable(v)}`).join('\n')}\n`);
}
