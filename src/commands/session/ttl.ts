/** `session ttl <id> [duration]`: read, or set so that it sticks, a session's remaining lifetime. */
import { withRedis, wantsJson, type CommandContext } from '../../context.js';
import { formatTtl, parseDuration } from '../../core/duration.js';
import { validateSessionId } from '../../core/keys.js';
import { getTtl, setTtl } from '../../core/sessions.js';
import { say } from '../../io.js';
import { sessionPrefix } from '../../options.js';
import { printJson } from '../../output.js';

export async function run(id: string, duration: string | undefined, ctx: CommandContext): Promise<number> {
  const { io, opts } = ctx;
  validateSessionId(id);
  const seconds = duration === undefined ? undefined : parseDuration(duration);
  const prefix = sessionPrefix(opts);
  return withRedis(ctx, async (redis) => {
    const info = seconds === undefined ? await getTtl(redis, prefix, id) : await setTtl(redis, prefix, id, seconds);
    if (wantsJson(ctx)) printJson(io.stdout, info);
    else {
      io.stdout.write(`${info.ttlSeconds < 0 ? 'none (no expiry)' : `${formatTtl(info.ttlSeconds)} (${info.ttlSeconds}s)`}${info.expiresAt ? `  expires ${info.expiresAt}` : ''}\n`);
      if ('cookieUpdated' in info && !info.cookieUpdated) say(io, 'Note: not an express-session value; only the key TTL was changed.');
    }
    return 0;
  });
}
