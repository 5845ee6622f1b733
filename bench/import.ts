/**
 * The bench's 'import' part (`npm run bench -- --only import`): `user import` of 100,000 users
 * from a jsonl file (this tool's export lines) against `redis-cli --pipe` loading the same
 * records as HSET commands in RESP. One argon2id hash, computed once, is reused under every
 * name: hashing is not what is measured (import never hashes), parsing, checking and writing
 * are. Each run starts from an empty database.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisClientType } from 'redis';
import type { RedisServer } from '../test/helpers/redis-server.js';
import type { baselineRun, cpuNote, record, Timed, ToolRun, toolRun } from './bench.js';

/** What the part needs of bench.ts: its server, and its way of timing and recording figures. */
export interface ImportBench {
  args: { sessions: number; runs: number };
  server: RedisServer;
  redis: RedisClientType;
  env: Record<string, string>;
  cli: string;
  toolRun: typeof toolRun;
  baselineRun: typeof baselineRun;
  record: typeof record;
  cpuNote: typeof cpuNote;
}

export const IMPORT_USERS = 100_000;

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** One Redis command in RESP, as redis-cli --pipe reads it. */
function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

export async function importFigures(bench: ImportBench): Promise<void> {
  const { args, server, redis, env, cli } = bench;
  const count = Math.min(IMPORT_USERS, args.sessions);
  // From src (compiled beside the bench), as bench.ts's hashing figure does.
  const { hashPassword, preparePassword } = await import('../src/core/users/hashing.js');
  const { DEFAULT_POLICY } = await import('../src/core/defaults.js');
  const hash = await hashPassword(preparePassword('correct horse battery staple'), DEFAULT_POLICY);
  const stamp = '2026-12-01T00:00:00.000Z';
  const dir = mkdtempSync(join(tmpdir(), 'ra-bench-import-'));
  const jsonl = join(dir, 'users.jsonl');
  const pipe = join(dir, 'users.resp');
  const lines: string[] = [];
  const commands: string[] = [];
  const hsets: string[][] = [];
  for (let i = 0; i < count; i += 1) {
    const name = `import-${String(i).padStart(7, '0')}`;
    const fields = { status: 'active', created_at: stamp, updated_at: stamp, password_changed_at: stamp, password_hash: hash };
    lines.push(JSON.stringify({ name, ...fields }));
    const hset = ['HSET', `user:{${name}}`, ...Object.entries(fields).flat()];
    hsets.push(hset);
    commands.push(resp(hset));
  }
  writeFileSync(jsonl, `${lines.join('\n')}\n`);
  writeFileSync(pipe, commands.join(''));
  console.log(`import: ${count} users, jsonl ${(lines.join('\n').length / 1e6).toFixed(1)} MB`);
  try {
    const tool: ToolRun[] = [];
    const base: Timed[] = [];
    const floor: number[] = [];
    for (let i = 0; i < args.runs; i += 1) {
      // What node-redis alone costs: the same HSETs, pipelined in batches of 256 from this
      // process, nothing parsed or checked (the floor of any import written on node-redis).
      await redis.flushAll();
      const start = process.hrtime.bigint();
      for (let from = 0; from < count; from += 256) await Promise.all(hsets.slice(from, from + 256).map((c) => redis.sendCommand(c)));
      floor.push(Number(process.hrtime.bigint() - start) / 1e9);
      await redis.flushAll();
      base.push(await bench.baselineRun(redis, `redis-cli -p ${server.port} --pipe < ${pipe} > /dev/null`));
      if ((await redis.dbSize()) !== count) throw new Error('redis-cli --pipe did not load every record');
      await redis.flushAll();
      tool.push(await bench.toolRun(redis, server, `${cli} user import ${jsonl} --format jsonl > /dev/null 2>&1`, env));
      if ((await redis.dbSize()) !== count + 1) throw new Error('user import did not write every record (and its audit entry)');
    }
    const spread = (runs: Timed[]) => `${runs.map((t) => t.seconds.toFixed(2)).join('/')} s`;
    bench.record(
      `user import of ${count} users (jsonl) wall`,
      median(tool.map((t) => t.seconds)),
      median(base.map((t) => t.seconds)),
      's',
      '<= 2x redis-cli --pipe',
      (r) => r <= 2,
      {
        slowlog: tool.map((t) => t.slowest).reduce((a, b) => (b.us > a.us ? b : a)),
        notes: `${spread(tool)} vs ${spread(base)}; node-redis alone (the same HSETs pipelined, in-process) ${floor.map((f) => f.toFixed(2)).join('/')} s; peak RSS ${median(tool.map((t) => t.rssMb)).toFixed(0)} MB; ${bench.cpuNote(tool)}`,
      },
    );
  } finally {
    await redis.flushAll();
    rmSync(dir, { recursive: true, force: true });
  }
}
