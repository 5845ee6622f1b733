/**
 * Lua scripts, run by EVALSHA with a fallback to EVAL when the server does not have the
 * script cached yet (after a restart, or on a cluster node seen for the first time).
 */
import { createHash } from 'node:crypto';
import type { Keyed } from './connection.js';

export interface Script {
  source: string;
  sha: string;
  /**
   * Run with EVALSHA_RO/EVAL_RO (Redis >= 7): a server that refuses writes (CLIENT PAUSE
   * WRITE, a replica) cannot know an uncached script's flags and would hold plain EVALSHA.
   */
  readOnly: boolean;
}

export function script(source: string, readOnly = false): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex'), readOnly };
}

export async function runScript(
  redis: Keyed,
  s: Script,
  keys: Array<string | Buffer>,
  args: Array<string | Buffer> = [],
): Promise<unknown> {
  const options = { keys, arguments: args };
  try {
    return await (s.readOnly ? redis.evalShaRo(s.sha, options) : redis.evalSha(s.sha, options));
  } catch (err) {
    if (!(err instanceof Error && /^NOSCRIPT/.test(err.message))) throw err;
    return s.readOnly ? redis.evalRo(s.source, options) : redis.eval(s.source, options);
  }
}
