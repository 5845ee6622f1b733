/**
 * The bench's part 'users' (`npm run bench -- --only users`): `user list --json` and `user rehash
 * --check --json` over --sessions user records (1M by default) against `redis-cli --scan` of the
 * same keys, the listing's peak RSS at two sizes, and one bcrypt verify at cost 12 by `user
 * verify` against python3-bcrypt (C) at the same cost.
 */
import { spawnSync } from 'node:child_process';
import { pipeCommands } from '../test/helpers/seed.js';
import {
  baselineRun,
  cpuNote,
  flat,
  median,
  medianOf,
  record,
  rssNotes,
  runInProcess,
  slowestOf,
  spread,
  toolRun,
  type Bench,
  type Timed,
  type ToolRun,
} from './bench.js';

/** One argon2id hash at the default policy, shared by every record (hashing is not what is measured). */
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$WvGOdCgd3dLBFQ4GVBqr6pqtlbP8aMwTR0hS4D9kRPI';
const T = '2026-01-01T00:00:00.000Z';

/** python3-bcrypt's hash of PASSWORD at cost 12 (made once per run, by python3-bcrypt itself). */
const PASSWORD = 'correct horse battery staple';
/** Debian's python3, whose python3-bcrypt a pyenv interpreter on PATH cannot import. */
const PYTHON = '/usr/bin/python3';

function resp(parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
}

/**
 * Records user:{user<i>} for i in from..to-1, as `user add` and `user disable` write them (one in
 * fifty disabled with a reason), plus an application's TOTP field; through `redis-cli --pipe`.
 */
async function seedUsers(port: number, from: number, to: number): Promise<void> {
  function* chunks(): Generator<string> {
    let chunk = '';
    for (let i = from; i < to; i += 1) {
      const lifecycle = i % 50 === 0 ? ['status', 'disabled', 'status_reason', 'INC-1', 'status_changed_at', T] : ['status', 'active'];
      chunk += resp([
        'HSET',
        `user:{user${i}}`,
        'password_hash',
        HASH,
        ...lifecycle,
        'created_at',
        T,
        'updated_at',
        T,
        'password_changed_at',
        T,
      ]);
      chunk += resp(['HSET', `user:{user${i}}`, 'totp_secret', 'JBSWY3DPEHPK3PXP']);
      if (chunk.length > 1 << 20) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  await pipeCommands(port, chunks());
}

/** Milliseconds of one bcrypt.checkpw in python3-bcrypt, each of `runs` in one process (no start-up). */
function pythonCheckpwMs(stored: string, runs: number): number[] {
  const code = [
    'import bcrypt, sys, time',
    'pw, h, n = sys.argv[1].encode(), sys.argv[2].encode(), int(sys.argv[3])',
    'for _ in range(n):',
    '    t = time.perf_counter(); assert bcrypt.checkpw(pw, h); print((time.perf_counter() - t) * 1000)',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', code, PASSWORD, stored, String(runs)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3-bcrypt failed (.ci/run installs python3-bcrypt): ${r.stderr.slice(-500)}`);
  return r.stdout.trim().split('\n').map(Number);
}

function pythonHashpw(cost: number): string {
  const code = `import bcrypt, sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(${cost})).decode())`;
  const r = spawnSync(PYTHON, ['-c', code, PASSWORD], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3-bcrypt failed (.ci/run installs python3-bcrypt): ${r.stderr.slice(-500)}`);
  return r.stdout.trim();
}

/** One bcrypt verify at cost 12: the whole `user verify` in-process (Redis read included) against python3-bcrypt's checkpw. */
async function bcryptFigure(bench: Bench): Promise<void> {
  const { redis, env } = bench;
  const stored = pythonHashpw(12);
  await redis.hSet('user:{bcrypt-user}', { password_hash: stored, status: 'active' });
  // --url, not env: commander reads REDIS_URL from process.env, which runInProcess does not set.
  const argv = ['user', 'verify', 'bcrypt-user', '--password-stdin', '--url', bench.server.url];
  const first = await runInProcess(argv, `${PASSWORD}\n`, env); // loads the native binding
  if (first.code !== 0) throw new Error(`user verify of the bcrypt hash exited ${first.code}`);
  const tool: number[] = [];
  const python: number[] = [];
  for (let i = 0; i < 9; i += 1) {
    tool.push((await runInProcess(argv, `${PASSWORD}\n`, env)).ms);
    python.push(...pythonCheckpwMs(stored, 1));
  }
  const runs = (ms: number[]) => `${Math.min(...ms).toFixed(0)}-${Math.max(...ms).toFixed(0)} ms`;
  record(
    'one bcrypt verify at cost 12: user verify (in-process) vs python3-bcrypt checkpw',
    median(tool),
    median(python),
    'ms',
    '<= 1.2x',
    (r) => r <= 1.2,
    {
      notes: `median of 9 each, interleaved; ranges ${runs(tool)} vs ${runs(python)}`,
    },
  );
  await redis.del('user:{bcrypt-user}');
}

/** The part 'users'. */
export async function usersFigures(bench: Bench): Promise<void> {
  const { args, server, redis, env, small, cli } = bench;
  const list = `${cli} user list --json > /dev/null`;
  const check = `${cli} user rehash --check --json > /dev/null`;
  const scan = `redis-cli -p ${server.port} --scan --pattern 'user:*' > /dev/null`;
  await bcryptFigure(bench);

  console.log(`seeding ${small} user records ...`);
  await seedUsers(server.port, 0, small);
  const listSmall: ToolRun[] = [];
  const checkSmall: ToolRun[] = [];
  for (let i = 0; i < args.runs; i += 1) {
    listSmall.push(await toolRun(redis, server, list, env));
    checkSmall.push(await toolRun(redis, server, check, env));
  }
  if (args.sessions > small) {
    console.log(`seeding ${args.sessions - small} more user records ...`);
    await seedUsers(server.port, small, args.sessions);
  }
  const scanBase: Timed[] = [];
  const listed: ToolRun[] = [];
  const checked: ToolRun[] = [];
  for (let i = 0; i < args.runs; i += 1) {
    scanBase.push(await baselineRun(redis, scan));
    listed.push(await toolRun(redis, server, list, env));
    checked.push(await toolRun(redis, server, check, env));
  }
  const base = spread(scanBase, (t) => t.seconds, 's');
  record(
    `user list --json wall (${args.sessions} users)`,
    medianOf(listed, 'seconds'),
    medianOf(scanBase, 'seconds'),
    's',
    '<= 1.0x redis-cli --scan',
    (r) => r <= 1.0,
    {
      slowlog: slowestOf(listed),
      notes: `${spread(listed, (t) => t.seconds, 's')} vs ${base}; ${cpuNote(listed)}`,
    },
  );
  record(
    `user list --json peak RSS (${args.sessions} vs ${small})`,
    medianOf(listed, 'rssMb'),
    medianOf(listSmall, 'rssMb'),
    'MB',
    '<= 1.2x and < 150 MB',
    flat(listed),
    { slowlog: slowestOf(listed), notes: rssNotes(listed, listSmall) },
  );
  record(
    `user rehash --check --json wall (${args.sessions} users)`,
    medianOf(checked, 'seconds'),
    medianOf(scanBase, 'seconds'),
    's',
    '<= 1.0x redis-cli --scan',
    (r) => r <= 1.0,
    { slowlog: slowestOf(checked), notes: `${spread(checked, (t) => t.seconds, 's')} vs ${base}; ${cpuNote(checked)}` },
  );
  record(
    `user rehash --check --json peak RSS (${args.sessions} vs ${small})`,
    medianOf(checked, 'rssMb'),
    medianOf(checkSmall, 'rssMb'),
    'MB',
    '<= 1.2x and < 150 MB',
    flat(checked),
    { slowlog: slowestOf(checked), notes: rssNotes(checked, checkSmall) },
  );
  await redis.flushAll();
}
