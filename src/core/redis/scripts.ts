/**
 * Lua scripts, run by EVALSHA with a fallback to EVAL when the server does not have the
 * script cached yet (after a restart, or on a cluster node seen for the first time).
 */
import { isUtf8 } from 'node:buffer';
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
  const options = { keys: onWire(keys), arguments: onWire(args) };
  try {
    return await (s.readOnly ? redis.evalShaRo(s.sha, options) : redis.evalSha(s.sha, options));
  } catch (err) {
    if (!(err instanceof Error && /^NOSCRIPT/.test(err.message))) throw err;
    return s.readOnly ? redis.evalRo(s.source, options) : redis.eval(s.source, options);
  }
}

/**
 * Arguments in the form node-redis writes cheapest: a Buffer of valid UTF-8 as the string it
 * encodes, which goes out as the same bytes. node-redis gives the socket's writev two chunks
 * per Buffer argument and one per run of strings: a listing's reads of hundreds of keys each
 * spent more time in writev than in decoding the sessions. Keys that are not UTF-8 stay Buffers.
 */
export function onWire(args: Array<string | Buffer>): Array<string | Buffer> {
  return args.map((a) => (typeof a === 'string' || !isUtf8(a) ? a : a.toString('utf8')));
}
