/**
 * A user's sessions through the framework's own per-user index (Spring's principal set), so
 * that `--user` reads a handful of keys instead of scanning millions. Members are hints: the
 * frameworks leave ids of sessions that expired or were deleted (spring-session #1118, #2614),
 * so each member's session is read and checked to be the user's; stale members are removed.
 */
import { bytesView } from '../redis/bytes.js';
import type { Keyed } from '../redis/connection.js';
import { readValue } from '../redis/hash-value.js';
import type { UserIndex } from './layout.js';
import type { KeyScope } from './scope.js';

/** Members read per SSCAN call, and sessions read at once. */
const INDEX_BATCH = 200;

export interface IndexedSession {
  id: string;
  key: Buffer;
  raw: Buffer;
  pttl: number;
}

export interface IndexWalkStats {
  /** Members read from the index. */
  members: number;
  /** Members whose session was gone or not the user's, removed from the index. */
  pruned: number;
}

/** The layout's index of `user`'s sessions, when the layout keeps one and it exists on the server. */
export async function userIndexOf(redis: Keyed, scope: KeyScope, user: string | undefined): Promise<UserIndex | undefined> {
  if (user === undefined || scope.layout.userIndex === undefined) return undefined;
  const index = scope.layout.userIndex(scope.prefix, user);
  return Number(await redis.exists(index.key)) > 0 ? index : undefined;
}

/**
 * The sessions an index names that `belongs` accepts, a batch at a time. A member whose
 * session is gone, or is another user's, is removed from the index (unless `dryRun`); one whose
 * owner cannot be told (`belongs` answers undefined: an unreadable value) is left alone.
 */
export async function* indexedSessions(
  redis: Keyed,
  scope: KeyScope,
  index: UserIndex,
  belongs: (raw: Buffer) => boolean | undefined,
  opts: { dryRun: boolean; stats: IndexWalkStats },
): AsyncGenerator<IndexedSession[]> {
  const { layout, prefix } = scope;
  const seen = new Set<string>();
  let cursor = '0';
  do {
    // Members are bytes (Spring's are JDK-serialized strings).
    const reply = await bytesView(redis).sScan(index.key, cursor, { COUNT: INDEX_BATCH });
    cursor = String(reply.cursor);
    const members = reply.members as unknown as Buffer[];
    // SSCAN may return a member twice.
    const fresh = members.filter((m) => !seen.has(m.toString('hex')) && seen.add(m.toString('hex')));
    opts.stats.members += fresh.length;
    const checked = await Promise.all(
      fresh.map(async (member) => {
        const id = index.idOf(member);
        if (id === undefined) return { member, stale: false };
        const key = layout.key(prefix, id);
        const [raw, pttl] = await Promise.all([readValue(redis, key, layout.keyType).catch(() => null), redis.pTTL(key)]);
        const mine = raw === null ? false : belongs(raw);
        return { member, stale: mine === false, session: mine === true && raw !== null ? { id, key, raw, pttl: Number(pttl) } : undefined };
      }),
    );
    const stale = checked.filter((c) => c.stale).map((c) => c.member);
    if (stale.length > 0 && !opts.dryRun) {
      await redis.sRem(index.key, stale);
      opts.stats.pruned += stale.length;
    }
    const found = checked.flatMap((c) => (c.session === undefined ? [] : [c.session]));
    if (found.length > 0) yield found;
  } while (cursor !== '0');
}
