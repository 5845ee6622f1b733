/** A session's lifetime: read it, and set it so that it sticks (layout.withLifetime). */
import { createHash } from 'node:crypto';
import { ConflictError } from '../errors.js';
import type { Keyed } from '../redis/connection.js';
import { LUA_FETCH, LUA_PACK, readValue } from '../redis/hash-value.js';
import { runScript, script } from '../redis/scripts.js';
import { notASession, notFound, type KeyScope } from './scope.js';
import { applySide } from './side-ops.js';

export interface TtlInfo {
  id: string;
  ttlSeconds: number;
  expiresAt: string | null;
}

/** The session's value as stored (a hash packed) and its key's PTTL; notFound / notASession otherwise. */
export async function readSession(redis: Keyed, scope: KeyScope, id: string): Promise<{ raw: Buffer; pttl: number }> {
  const key = scope.layout.key(scope.prefix, id);
  let raw: Buffer | null;
  let pttl: number;
  try {
    [raw, pttl] = await Promise.all([readValue(redis, key, scope.layout.keyType), redis.pTTL(key).then(Number)]);
  } catch (err) {
    if (err instanceof Error && /^WRONGTYPE/.test(err.message)) throw notASession(scope, id, String(await redis.type(key)));
    throw err;
  }
  if (raw === null || pttl === -2) throw notFound(scope, id);
  return { raw, pttl };
}

/** The lifetime as the layout reads it: a stored expiry field wins over the key's TTL. */
export async function getTtl(redis: Keyed, scope: KeyScope, id: string): Promise<TtlInfo> {
  const { raw, pttl } = await readSession(redis, scope, id);
  const { ttlSeconds, expiresAt } = scope.layout.record(id, raw, pttl, [], Date.now());
  return { id, ttlSeconds, expiresAt };
}

/**
 * Compare-and-set of a session's lifetime: applies only if the value (a hash packed, as read)
 * is still the one we read (same SHA-1), never creates the key. ARGV: the kind, the digest,
 * the mode ('ttl': only the TTL; 'value': a new string value; 'fields': hash fields to set),
 * the TTL in ms ('keep': leave the key's TTL as it is), then the value or the field/value
 * pairs. 1 = set, 0 = changed meanwhile, -2 = gone.
 */
const SET_LIFETIME = script(`${LUA_FETCH}
${LUA_PACK}
local v, _, err = fetcher(ARGV[1])(KEYS[1])
if err then return redis.error_reply(err.err) end
if not v then return -2 end
if redis.sha1hex(pack(v)) ~= ARGV[2] then return 0 end
local keep = ARGV[4] == 'keep'
if ARGV[3] == 'value' then
  if keep then redis.call('SET', KEYS[1], ARGV[5], 'KEEPTTL') else redis.call('SET', KEYS[1], ARGV[5], 'PX', ARGV[4]) end
else
  if ARGV[3] == 'fields' then redis.call('HSET', KEYS[1], unpack(ARGV, 5)) end
  if not keep then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
end
return 1`);

const SET_TTL_ATTEMPTS = 5;

export interface SetTtlResult extends TtlInfo {
  /** Whether the stored expiry (express-session's cookie, Spring's fields ...) was rewritten with the TTL. */
  valueUpdated: boolean;
  /** What the layout says about the change, for the command's output. */
  note?: string;
}

/**
 * Give a session a new lifetime that survives the user's next request (see withLifetime).
 * Retries when the application writes the session in between; exit 4 if it keeps doing so.
 */
export async function setTtl(redis: Keyed, scope: KeyScope, id: string, seconds: number): Promise<SetTtlResult> {
  const { layout, prefix } = scope;
  const key = layout.key(prefix, id);
  const ttlMs = seconds * 1000;
  for (let attempt = 0; attempt < SET_TTL_ATTEMPTS; attempt += 1) {
    // Bytes in, bytes out: the digest must be of the bytes Redis holds, and a rewrite keeps
    // every byte but the expiry's (a value need not be UTF-8).
    const { raw, pttl } = await readSession(redis, scope, id);
    const now = Date.now();
    const plan = layout.withLifetime(raw, ttlMs, now, { prefix, id, pttlMs: pttl });
    const digest = createHash('sha1').update(raw).digest('hex');
    const args: Array<string | Buffer> = [layout.keyType, digest];
    const ttl = plan?.keepTtl === true ? 'keep' : String(plan?.ttlMs ?? ttlMs);
    if (plan?.value !== undefined) args.push('value', ttl, plan.value);
    else if (plan?.fields !== undefined) args.push('fields', ttl, ...plan.fields.flat());
    else args.push('ttl', ttl);
    const result = await runScript(redis, SET_LIFETIME, [key], args);
    if (result === -2) throw notFound(scope, id);
    if (result === 1) {
      if (plan !== undefined) await applySide(redis, plan.side);
      return {
        id,
        ttlSeconds: seconds,
        expiresAt: new Date(now + ttlMs).toISOString(),
        // A plan may only change the TTL, with a note of why nothing stored could make it stick.
        valueUpdated: plan?.value !== undefined || plan?.fields !== undefined,
        ...(plan?.note === undefined ? {} : { note: plan.note }),
      };
    }
  }
  throw new ConflictError(`session ${id} kept changing while its TTL was being set; nothing was written`, { hint: 'try again' });
}
