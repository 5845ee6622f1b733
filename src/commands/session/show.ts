/** `session show <id> | --cookie <value>`: one session in full, found by id or by its cookie. */
import { withRedis, wantsJson, type CommandContext } from '../../cli/context.js';
import { UsageError } from '../../core/errors.js';
import { formatTtl } from '../../core/duration.js';
import { showSession, type SessionDetail } from '../../core/sessions/show.js';
import type { Io } from '../../cli/io.js';
import type { CookieFlags, SessionFlags } from '../../cli/options.js';
import { printJson, printable } from '../../cli/output.js';
import { scopeOfId, sessionIdFrom, sessionScopes } from './scope.js';

export async function run(idArg: string | undefined, ctx: CommandContext<SessionFlags & CookieFlags>): Promise<number> {
  const { io, opts } = ctx;
  const scopes = await sessionScopes(opts);
  const id = await sessionIdFrom(idArg, ctx, scopes);
  if (id === undefined) throw new UsageError('name a session id, or give --cookie <value>');
  const detail = await withRedis(ctx, async (redis) => showSession(redis, await scopeOfId(redis, scopes, id), id));
  printDetail(io, detail, wantsJson(ctx));
  return 0;
}

/** The session as JSON, or as labelled lines with stored text made safe for a terminal. */
export function printDetail(io: Io, detail: SessionDetail, json: boolean): void {
  if (json) {
    printJson(io.stdout, detail);
    return;
  }
  const lines = [
    ['id', detail.id],
    ['user', detail.user ?? '-'],
    ['ttl', detail.ttlSeconds < 0 ? 'none (no expiry)' : `${formatTtl(detail.ttlSeconds)} (${detail.ttlSeconds}s)`],
    ['expires at', detail.expiresAt ?? '-'],
    // An unreadable value is shown as one JSON string literal: its line breaks stay escaped,
    // so stored text cannot forge lines such as "user: mallory".
    [
      'contents',
      detail.session === null
        ? `(unreadable: ${detail.unreadable ?? 'not JSON'}) ${JSON.stringify(detail.raw ?? '')}`
        : JSON.stringify(detail.session, null, 2),
    ],
  ];
  // Stored data is shown line by line with control characters replaced (see printable).
  const text = lines.map(([k, v]) => `${`${k}:`.padEnd(12)}${(v ?? '').split('\n').map(printable).join('\n')}`);
  io.stdout.write(`${text.join('\n')}\n`);
}
