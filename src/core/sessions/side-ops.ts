/**
 * Side operations (layout.ts SideOp): the keys a framework keeps beside a session, changed
 * after the session key's own atomic change. Each goes through the client that routes by key,
 * since on a Cluster they live in other slots than the session; all are harmless on a key that
 * is already gone, so a rerun after a failure finishes the job.
 */
import type { Keyed } from '../redis/connection.js';
import { runScript } from '../redis/scripts.js';
import type { SideOp } from './layout.js';

async function apply(redis: Keyed, op: SideOp): Promise<void> {
  switch (op.op) {
    case 'unlink':
      await redis.unlink(op.key);
      return;
    case 'srem':
      await redis.sRem(op.key, op.member);
      return;
    case 'sadd':
      // As the framework itself does: add, then (re)set the set's TTL.
      await redis.sAdd(op.key, op.member);
      await redis.pExpire(op.key, op.pexpireMs);
      return;
    case 'pexpire':
      await redis.pExpire(op.key, op.ms);
      return;
    case 'script':
      await runScript(redis, op.script, [op.key], op.args);
      return;
  }
}

/** Apply `ops`, all sent at once (node-redis pipelines them per node). */
export async function applySide(redis: Keyed, ops: readonly SideOp[]): Promise<void> {
  if (ops.length > 0) await Promise.all(ops.map((op) => apply(redis, op)));
}
