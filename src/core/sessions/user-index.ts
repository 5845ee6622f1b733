/**
 * A user's sessions through the framework's own per-user index (Spring's principal set), so
 * that `--user` reads a handful of keys instead of scanning millions. Members are hints: the
 * frameworks leave ids of sessions that expired or were deleted (spring-session #1118, #2614),
 * so each member's session is read and checked to be the user's; stale members are removed.
 */
import { bytesView } from '../redis/bytes.js';
import type { Keyed } from '../redis/connection.js';
import { readValue } from '../redis/hash-value.js';
import type { Topology } from '../redis/topology.js';
import { applySide } from './side-ops.js';
import { scanAndProcess } from '../walk/bulk.js';
import type { LineInfo, UserIndex } from './layout.js';
import { isUsers, type KeyScope, type SessionScope } from './scope.js';

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
  /** Members whose session was gone or not the user's, removed from the index (or, dry-run, to remove). */
  pruned: number;
}

/** The layout's index of `user`'s sessions, when the layout keeps one that names them all and it exists on the server. */
export async function userIndexOf(redis: Keyed, scope: KeyScope, user: string | undefined): Promise<UserIndex | undefined> {
  if (user === undefined || scope.layout.userIndex === undefined) return undefined;
  const index = scope.layout.userIndex(scope.prefix, user);
  if (index.partial === true) return undefined;
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
  const check = async (members: Buffer[]): Promise<IndexedSession[]> => {
    opts.stats.members += members.length;
    const checked = await Promise.all(
      members.map(async (member) => {
        const id = index.idOf(member);
        if (id === undefined) return { member, stale: false };
        const key = layout.key(prefix, id);
        const [raw, pttl] = await Promise.all([readValue(redis, key, layout.keyType).catch(() => null), redis.pTTL(key)]);
        const mine = raw === null ? false : belongs(raw);
        return { member, stale: mine === false, session: mine === true && raw !== null ? { id, key, raw, pttl: Number(pttl) } : undefined };
      }),
    );
    const stale = checked.filter((c) => c.stale).map((c) => c.member);
    // With dryRun, `pruned` counts what would go.
    if (stale.length > 0 && !opts.dryRun) {
      if (index.value === undefined) await redis.sRem(index.key, stale);
      else await applySide(redis, [index.value.remove(stale)]);
    }
    opts.stats.pruned += stale.length;
    return checked.flatMap((c) => (c.session === undefined ? [] : [c.session]));
  };
  if (index.value !== undefined) {
    // One stored value (a JSON list, a pointer): its members at once.
    const raw = (await bytesView(redis).get(index.key)) as unknown as Buffer | null;
    const found = raw === null ? [] : await check(index.value.members(raw));
    if (found.length > 0) yield found;
    return;
  }
  const seen = new Set<string>();
  let cursor = '0';
  do {
    // Members are bytes (Spring's are JDK-serialized strings).
    const reply = await bytesView(redis).sScan(index.key, cursor, { COUNT: INDEX_BATCH });
    cursor = String(reply.cursor);
    const members = reply.members as unknown as Buffer[];
    // SSCAN may return a member twice.
    const found = await check(members.filter((m) => !seen.has(m.toString('hex')) && seen.add(m.toString('hex'))));
    if (found.length > 0) yield found;
  } while (cursor !== '0');
}

export interface PruneResult extends IndexWalkStats {
  /** Index keys walked. */
  indexes: number;
}

/**
 * `session index prune`: walk every per-user index of the layout and remove the members whose
 * session is gone or belongs to another user (with `dryRun`, count them only). Spring's
 * principal sets grow without bound when the application misses keyspace notifications
 * (spring-session #1118, #3004).
 */
export async function pruneIndexes(topology: Topology, scope: SessionScope, dryRun: boolean): Promise<PruneResult> {
  const { layout, prefix } = scope;
  const result: PruneResult = { indexes: 0, members: 0, pruned: 0 };
  if (layout.userIndex === undefined || layout.indexOwner === undefined) return result;
  const info: LineInfo = { readable: true };
  const owners: string[] = [];
  for (const match of layout.indexMatches?.(prefix) ?? []) {
    for await (const { keys } of scanAndProcess(topology, { match }, async () => undefined, { ignoreHeadroom: true })) {
      for (const key of keys) {
        const owner = layout.indexOwner(prefix, key);
        if (owner !== undefined) owners.push(owner);
      }
    }
  }
  for (const owner of owners) {
    result.indexes += 1;
    const belongs = (raw: Buffer) => {
      if (layout.isSessionValue?.(raw) === false) return false;
      const record = layout.record('', raw, -1, scope.userFields, 0, info);
      return record.readable ? isUsers(record, owner) : undefined;
    };
    const stats: IndexWalkStats = { members: 0, pruned: 0 };
    for await (const found of indexedSessions(topology.keyed, scope, layout.userIndex(prefix, owner), belongs, { dryRun, stats }))
      void found;
    result.members += stats.members;
    result.pruned += stats.pruned;
  }
  return result;
}
