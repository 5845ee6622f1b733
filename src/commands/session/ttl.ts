/** `session ttl <id> [duration]`: read, or set so that it sticks, a session's remaining lifetime. */
import { audited, auditFields } from '../../audited.js';
import { withRedis, wantsJson, type CommandContext } from '../../context.js';
import { formatTtl, parseDuration } from '../../core/duration.js';
import { validateSessionId } from '../../core/keys.js';
import { getTtl, setTtl, type SetTtlResult, type TtlInfo } from '../../core/sessions.js';
import { say } from '../../io.js';
import { sessionPrefix } from '../../options.js';
import { printJson } from '../../output.js';

export async function run(id: string, duration: string | undefined, ctx: CommandContext): Promise<number> {
  const { io, opts } = ctx;
  validateSessionId(id);
  const seconds = duration === undefined ? undefined : parseDuration(duration);
  const prefix = sessionPrefix(opts);
  if (seconds !== undefined) auditFields(ctx);
  return withRedis(ctx, async (redis) => {
    let info: TtlInfo | SetTtlResult;
    if (seconds === undefined) info = await getTtl(redis, prefix, id);
    else {
      const set = await audited(ctx, redis, { command: 'session ttl', target: `session ${id}` }, async () => ({ count: 1, result: await setTtl(redis, prefix, id, seconds) }));
      info = set.result;
    }
    if (wantsJson(ctx)) printJson(io.stdout, info);
    else {
      io.stdout.write(`${info.ttlSeconds < 0 ? 'none (no expiry)' : `${formatTtl(info.ttlSeconds)} (${info.ttlSeconds}s)`}${info.expiresAt ? `  expires ${info.expiresAt}` : ''}\n`);
      if ('cookieUpdated' in info && !info.cookieUpdated) say(io, 'Note: not an express-session value; only the key TTL was changed.');
    }
    return 0;
  });
}
