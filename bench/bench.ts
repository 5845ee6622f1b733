/**
 * `npm run bench`: measures the tool against baselines run in the same process tree, on a
 * redis-server of its own, and prints each figure with its ratio and target.
 * Speed is measured here, never asserted in a timed test. Results go in docs/performance.md.
 *
 *   npm run bench -- --sessions 1000000 --users 50000
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createClient, type RedisClientType } from 'redis';
import { startRedis, type RedisServer } from '../test/helpers/redis-server.js';
import { seedSessions } from '../test/helpers/seed.js';
import { seederOf, type LayoutSeed } from '../test/helpers/seed-all.js';
import { importFigures } from './import.js';
import { usersFigures } from './users.js';

const ROOT = resolve(process.cwd());
const BIN = join(ROOT, 'bin', 'redis-accounts.js');

/**
 * The parts `--only` picks: start-up, hashing and the express-session layout; Spring Session; koa,
 * Better Auth and Auth.js; the PHP, Python, Ruby and Go layouts (php, symfony, laravel, django,
 * flask, rails, rails-cache, gorilla); `user import` (bench/import.ts).
 */
const PARTS = ['connect-redis', 'spring', 'node', 'php-python-ruby-go', 'users', 'import'] as const;
type Part = (typeof PARTS)[number];
const isPart = (value: string | undefined): value is Part => PARTS.includes(value as Part);

interface Args {
  sessions: number;
  users: number;
  verifyRuns: number;
  /** Runs of each Redis-bound figure; the median is reported. */
  runs: number;
  /** Run the server's main thread at real-time priority (see serverRealTime). */
  serverRt: boolean;
  /** Only the figures of one part (PARTS). */
  only?: Part;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { sessions: 1_000_000, users: 50_000, verifyRuns: 200, runs: 3, serverRt: false };
  for (let i = 0; i < argv.length; i += 1) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (name === '--server-rt') {
      args.serverRt = true;
      continue;
    }
    if (name === '--sessions') args.sessions = Number(value);
    else if (name === '--users') args.users = Number(value);
    else if (name === '--verify-runs') args.verifyRuns = Number(value);
    else if (name === '--runs') args.runs = Number(value);
    else if (name === '--only' && isPart(value)) args.only = value;
    else continue;
    i += 1;
  }
  return args;
}

interface Row {
  figure: string;
  value: string;
  baseline: string;
  ratio: number;
  target: string;
  ok: boolean;
  /** Slowest Redis command while the tool ran for this figure, or '' where Redis is not involved. */
  slowlog: string;
  /** Client CPU (user+sys) of the tool and the 1-minute load average around it: the machine is shared. */
  notes: string;
}
const rows: Row[] = [];

export function record(
  figure: string,
  value: number,
  baseline: number,
  unit: string,
  target: string,
  ok: (ratio: number) => boolean,
  extra: { slowlog?: Slowest; notes?: string } = {},
): void {
  const ratio = value / baseline;
  const slowlog = extra.slowlog === undefined ? '' : `${ms(extra.slowlog)} ${extra.slowlog.command}`;
  const notes = `${extra.notes ? `${extra.notes}; ` : ''}load ${loadavg()[0]?.toFixed(1)}`;
  const row = {
    figure,
    value: `${digits(value, unit)} ${unit}`,
    baseline: `${digits(baseline, unit)} ${unit}`,
    ratio,
    target,
    ok: ok(ratio),
    slowlog,
    notes,
  };
  rows.push(row);
  console.log(
    `  ${figure}: ${row.value} vs ${row.baseline} -> ${ratio.toFixed(2)}x (${target}) ${row.ok ? 'MET' : 'NOT MET'}${slowlog ? `; slowest command ${slowlog}` : ''}; ${notes}`,
  );
}

export interface Timed {
  seconds: number;
  rssMb: number;
  /** user + sys CPU seconds of the measured command and its children. */
  cpu: number;
}

/** A run of the tool: also the server's CPU seconds (INFO CPU) and slowest command meanwhile. */
export interface ToolRun extends Timed {
  serverCpu: number;
  /** Seconds the server's main thread was runnable but waiting for a CPU; NaN where Linux does not say. */
  serverWait: number;
  slowest: Slowest;
}

/** Seconds with two decimals, other units (ms, MB) with one. */
const digits = (value: number, unit: string) => value.toFixed(unit === 's' ? 2 : 1);

/** Run a shell pipeline under GNU time; returns wall seconds, peak RSS in MB and CPU of the measured command. */
export function timed(command: string, env: Record<string, string> = {}): Timed {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', 'bash', '-c', command], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`failed (${r.status}): ${command}\n${r.stderr.slice(-2000)}`);
  const [kb, user, sys] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { seconds, rssMb: (kb ?? 0) / 1024, cpu: (user ?? 0) + (sys ?? 0) };
}

/**
 * The tool's and the server's CPU, how long the server waited for a CPU, and the slowest
 * command: every run's, in run order, so a run the machine slowed can be told from the rest.
 */
export const cpuNote = (runs: ToolRun[]) => {
  const wait = runs.some((t) => Number.isNaN(t.serverWait)) ? '' : `, server waiting for a CPU ${spread(runs, (t) => t.serverWait, 's')}`;
  return `tool CPU ${spread(runs, (t) => t.cpu, 's')}, server CPU ${spread(runs, (t) => t.serverCpu, 's')}${wait}; slowest per run ${spread(runs, (t) => t.slowest.us / 1000, 'ms')}`;
};

export function medianOf<T extends Timed>(runs: T[], field: keyof T & ('seconds' | 'rssMb' | 'serverCpu')): number {
  return median(runs.map((t) => t[field] as number));
}

/** Every run's figure, e.g. "9.25/9.80/10.10 s". */
export function spread<T extends Timed>(runs: T[], pick: (t: T) => number, unit: string): string {
  return `${runs.map((t) => digits(pick(t), unit)).join('/')} ${unit}`;
}

export function slowestOf(runs: ToolRun[]): Slowest {
  return runs.map((t) => t.slowest).reduce(worst, NONE);
}

/** SLOWLOG keeps commands over 1 ms (--slowlog-log-slower-than 1000): none means all were faster. */
const ms = (s: Slowest) => (s.us === 0 ? 'none over 1 ms' : `${(s.us / 1000).toFixed(2)} ms`);

/** e.g. "2 commands over 10 ms, in 2 of 18 runs". */
const tailNote = () =>
  `${tail.over} command${tail.over === 1 ? '' : 's'} over ${TARGET_US / 1000} ms, in ${tail.runsOver} of ${tail.runs} runs`;

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Seed sessions as connect-redis writes them (the shared bulk loader of the tests). */
function seed(port: number, from: number, to: number, users: number): Promise<void> {
  return seedSessions(port, { from, to, users });
}

async function serverCpuSeconds(redis: RedisClientType): Promise<number> {
  const info = await redis.info('cpu');
  const get = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
}

/**
 * Seconds the server's main thread has spent runnable but not running (the second field of
 * /proc/PID/task/PID/schedstat, in ns): on this 2-CPU machine the server, the tool and the
 * machine's services take turns, and a command that waits for a CPU mid-way shows in SLOWLOG.
 */
function serverWaitSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return Number.NaN;
  }
}

/**
 * --server-rt: the server's main thread (the one that runs commands) at SCHED_FIFO priority 1,
 * so that it runs whenever it has work and SLOWLOG times the commands rather than the
 * scheduler (as where Redis has a CPU of its own). Not the default: it changes every figure.
 */
function serverRealTime(pid: number | undefined): void {
  if (pid === undefined) throw new Error('--server-rt: the server has no process id');
  const r = spawnSync('chrt', ['-f', '-p', '1', String(pid)], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(`--server-rt: chrt -f -p 1 ${pid} failed (needs root or CAP_SYS_NICE): ${r.error?.message ?? r.stderr.trim()}`);
}

interface Slowest {
  us: number;
  /** The command and its number of arguments, e.g. "MGET (500 args)". */
  command: string;
}
const NONE: Slowest = { us: 0, command: '' };
const worst = (a: Slowest, b: Slowest): Slowest => (b.us > a.us ? b : a);
/**
 * The slowest command over all of the tool's runs, and over all of the redis-cli baselines
 * on the same server: those send only trivial commands (SCAN COUNT 10, single-key UNLINK),
 * so whatever they show is the machine's own floor (a server descheduled mid-command).
 */
const slowest = { tool: NONE, baselines: NONE };
/** How rare the tail is: commands over the 10 ms target in all the tool's runs, and in how many runs. */
const tail = { over: 0, runs: 0, runsOver: 0 };
const TARGET_US = 10_000;

/**
 * The slowest single command the server ran since the last call, and how many took over the
 * 10 ms target (then clears SLOWLOG, which keeps up to 100,000: a 1M walk leaves a few hundred
 * entries over 1 ms).
 */
async function slowlog(redis: RedisClientType): Promise<{ max: Slowest; over: number }> {
  const entries = (await redis.sendCommand(['SLOWLOG', 'GET', '-1'])) as Array<[number, number, number, string[]]>;
  await redis.sendCommand(['SLOWLOG', 'RESET']);
  let max = NONE;
  let over = 0;
  for (const e of entries) {
    const us = Number(e[2]);
    if (us > TARGET_US) over += 1;
    const args = e[3];
    // Redis shortens long argument lists to 32 entries, the last saying "... (N more arguments)".
    const more = Number(/\((\d+) more arguments\)/.exec(String(args[args.length - 1]))?.[1] ?? 0);
    const count = more > 0 ? args.length - 1 + more : args.length;
    if (us > max.us) max = { us, command: `${String(args[0]).toUpperCase()} (${count - 1} args)` };
  }
  return { max, over };
}

/** One run of the tool: timed, with the server's CPU and slowest command over that run (seeding before it does not count). */
export async function toolRun(redis: RedisClientType, server: RedisServer, command: string, env: Record<string, string>): Promise<ToolRun> {
  await slowlog(redis);
  const { pid } = server.process;
  const before = await serverCpuSeconds(redis);
  const waitBefore = serverWaitSeconds(pid);
  const t = timed(command, env);
  const serverWait = serverWaitSeconds(pid) - waitBefore;
  const serverCpu = (await serverCpuSeconds(redis)) - before;
  const { max, over } = await slowlog(redis);
  tail.over += over;
  tail.runs += 1;
  if (over > 0) tail.runsOver += 1;
  slowest.tool = worst(slowest.tool, max);
  return { ...t, serverCpu, serverWait, slowest: max };
}

/** One run of a redis-cli baseline: timed, its slowest command kept apart from the tool's. */
/** The read floor (floor.ts): the listing's server work with no client work, as its own process under the same wrapper. */
const FLOOR = join(ROOT, '.bench-dist', 'bench', 'floor.js');
const floorRun = (redis: RedisClientType, port: number, pattern: string, kind: 'string' | 'hash' = 'string', ttls = true): Promise<Timed> =>
  baselineRun(redis, `node ${FLOOR} ${port} '${pattern}' ${kind} ${ttls ? 'ttl' : 'nottl'} 2>/dev/null`);
/** The floor beside the scan, for a listing's notes: no client can list in less on this machine. */
const floorNote = (floor: Timed[], scan: Timed[]): string =>
  `; reads alone (bench/floor.ts, not a target): ${spread(floor, (t) => t.seconds, 's')}, ${(medianOf(floor, 'seconds') / medianOf(scan, 'seconds')).toFixed(2)}x the scan`;

export async function baselineRun(redis: RedisClientType, command: string): Promise<Timed> {
  await slowlog(redis);
  const t = timed(command);
  slowest.baselines = worst(slowest.baselines, (await slowlog(redis)).max);
  return t;
}

/** What every part of the bench works with. */
export interface Bench {
  args: Args;
  server: RedisServer;
  redis: RedisClientType;
  /** The tool's environment: the bench's server, no colour. */
  env: Record<string, string>;
  /** The smaller count peak RSS is compared at. */
  small: number;
  /** The tool's command line, `node bin/redis-accounts.js`. */
  cli: string;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // Peak RSS is compared at 100k and at the full count; below that, at a tenth of it, so that
  // a small run still compares two sizes rather than one size with itself.
  const small = args.sessions > 100_000 ? 100_000 : Math.max(1, Math.floor(args.sessions / 10));
  console.log(`redis-accounts bench: ${args.sessions} sessions over ${args.users} users`);
  const server: RedisServer = await startRedis({ args: ['--slowlog-log-slower-than', '1000', '--slowlog-max-len', '100000'] });
  if (args.serverRt) {
    serverRealTime(server.process.pid);
    console.log('server main thread at real-time priority (SCHED_FIFO 1, --server-rt): SLOWLOG times commands, not waits for a CPU');
  }
  const env = { REDIS_URL: server.url, NO_COLOR: '1' };
  const redis = createClient({ url: server.url }) as RedisClientType;
  await redis.connect();
  const bench: Bench = { args, server, redis, env, small, cli: `node ${BIN}` };
  const runs = (part: Part) => args.only === undefined || args.only === part;
  try {
    if (runs('connect-redis')) await connectRedisFigures(bench);
    if (runs('spring')) await springFigures(bench);
    if (runs('node')) await nodeFigures(bench);
    if (runs('php-python-ruby-go')) await otherLanguageFigures(bench);
    if (runs('users')) await usersFigures(bench);
    if (runs('import')) await importFigures({ ...bench, toolRun, baselineRun, record, cpuNote });
    const { tool, baselines } = slowest;
    console.log(
      `  slowest single command during the tool's runs: ${ms(tool)} ${tool.command} (target < 10 ms) ${tool.us < TARGET_US ? 'MET' : 'NOT MET'}; ${tailNote()}; during the redis-cli baselines: ${ms(baselines)} ${baselines.command}`,
    );
  } finally {
    await redis.close();
    await server.stop();
  }
  printTable();
}

async function connectRedisFigures(bench: Bench): Promise<void> {
  const { args, server, redis, env, small, cli } = bench;
  {
    // --help start-up against bare node.
    const helpRuns: number[] = [];
    const nodeRuns: number[] = [];
    for (let i = 0; i < 15; i += 1) {
      nodeRuns.push(timed('node -e 0').seconds);
      helpRuns.push(timed(`${cli} --help > /dev/null`).seconds);
    }
    record('redis-accounts --help wall time', median(helpRuns) * 1000, median(nodeRuns) * 1000, 'ms', '<= 1.3x node -e 0', (r) => r <= 1.3);

    // One hash at the default policy against the reference argon2 CLI.
    const hashMs = await inProcessHashMs();
    const refRuns: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const start = process.hrtime.bigint();
      const ref = spawnSync('argon2', ['somesaltsomesalt', '-id', '-t', '2', '-k', '19456', '-p', '1', '-l', '32'], {
        input: 'correct horse battery',
      });
      refRuns.push(Number(process.hrtime.bigint() - start) / 1e6);
      // A missing CLI "hashes" in a few milliseconds: a baseline that did no work is no baseline.
      if (ref.status !== 0)
        throw new Error(
          `the argon2 CLI failed (${ref.error?.message ?? `exit ${ref.status}`}): .ci/run installs it (Debian package argon2)`,
        );
    }
    record('one argon2id hash, default policy', hashMs, median(refRuns), 'ms', '<= 1.2x argon2 CLI', (r) => r <= 1.2);

    // Timing of verify: unknown user against known user with a wrong password.
    await verifyTiming(server.url, args.verifyRuns);

    console.log(`seeding ${small} sessions ...`);
    await seed(server.port, 0, small, args.users);
    // Each Redis-bound figure is the median of args.runs runs, each run beside its own
    // baseline: one run moves with the machine (see docs/performance.md).
    const listSmall: ToolRun[] = [];
    const tableSmall: ToolRun[] = [];
    for (let i = 0; i < args.runs; i += 1) {
      listSmall.push(await toolRun(redis, server, `${cli} session list --json > /dev/null`, env));
      // The plain listing too (tab-separated in a pipe): it builds a record per session.
      tableSmall.push(await toolRun(redis, server, `${cli} session list > /dev/null`, env));
    }
    console.log(
      `  session list --json (${small}): ${spread(listSmall, (t) => t.rssMb, 'MB')}, ${spread(listSmall, (t) => t.seconds, 's')}`,
    );
    if (args.sessions > small) {
      console.log(`seeding ${args.sessions - small} more sessions ...`);
      await seed(server.port, small, args.sessions, args.users);
    }
    const scanBase: Timed[] = [];
    const floor: Timed[] = [];
    const list: ToolRun[] = [];
    const table: ToolRun[] = [];
    for (let i = 0; i < args.runs; i += 1) {
      scanBase.push(await baselineRun(redis, `redis-cli -p ${server.port} --scan --pattern 'sess:*' > /dev/null`));
      floor.push(await floorRun(redis, server.port, 'sess:*'));
      list.push(await toolRun(redis, server, `${cli} session list --json > /dev/null`, env));
      table.push(await toolRun(redis, server, `${cli} session list > /dev/null`, env));
    }
    const listNotes = `${spread(list, (t) => t.seconds, 's')} vs ${spread(scanBase, (t) => t.seconds, 's')}; ${cpuNote(list)}${floorNote(floor, scanBase)}`;
    record(
      `session list --json wall (${args.sessions})`,
      medianOf(list, 'seconds'),
      medianOf(scanBase, 'seconds'),
      's',
      '<= 1.0x redis-cli --scan',
      (r) => r <= 1.0,
      { slowlog: slowestOf(list), notes: listNotes },
    );
    record(
      `session list --json peak RSS (${args.sessions} vs ${small})`,
      medianOf(list, 'rssMb'),
      medianOf(listSmall, 'rssMb'),
      'MB',
      '<= 1.2x and < 150 MB',
      flat(list),
      { slowlog: slowestOf(list), notes: rssNotes(list, listSmall) },
    );
    record(
      `session list (tab-separated) peak RSS (${args.sessions} vs ${small})`,
      medianOf(table, 'rssMb'),
      medianOf(tableSmall, 'rssMb'),
      'MB',
      '<= 1.2x and < 150 MB',
      flat(table),
      { slowlog: slowestOf(table), notes: `${rssNotes(table, tableSmall)}; wall ${spread(table, (t) => t.seconds, 's')}` },
    );

    // The baseline of revoke --user is the server's CPU during that same run. Runs after the
    // first find the user's sessions gone but scan and read everything all the same.
    const revokeUser: ToolRun[] = [];
    for (let i = 0; i < args.runs; i += 1)
      revokeUser.push(await toolRun(redis, server, `${cli} session revoke --user user7 --json > /dev/null`, env));
    record(
      'session revoke --user (full scan) wall',
      medianOf(revokeUser, 'seconds'),
      medianOf(revokeUser, 'serverCpu'),
      's',
      '<= 1.3x server CPU',
      (r) => r <= 1.3,
      {
        slowlog: slowestOf(revokeUser),
        notes: `${spread(revokeUser, (t) => t.seconds, 's')} vs server CPU ${spread(revokeUser, (t) => t.serverCpu, 's')}; ${cpuNote(revokeUser)}`,
      },
    );

    // Both sides delete everything: each run re-seeds before each of them.
    const total = Number(await redis.dbSize());
    const unlinkBase: Timed[] = [];
    const revokeAll: ToolRun[] = [];
    for (let i = 0; i < args.runs; i += 1) {
      console.log(`re-seeding ${total} sessions (run ${i + 1} of ${args.runs}) ...`);
      if (i > 0) await seed(server.port, 0, total, args.users);
      unlinkBase.push(
        await baselineRun(
          redis,
          `redis-cli -p ${server.port} --scan --pattern 'sess:*' | awk '{print "UNLINK " $0}' | redis-cli -p ${server.port} --pipe > /dev/null`,
        ),
      );
      await seed(server.port, 0, total, args.users);
      revokeAll.push(await toolRun(redis, server, `${cli} session revoke --all --yes --json > /dev/null`, env));
    }
    record(
      `session revoke --all wall (${total})`,
      medianOf(revokeAll, 'seconds'),
      medianOf(unlinkBase, 'seconds'),
      's',
      '<= 0.5x redis-cli UNLINK pipe',
      (r) => r <= 0.5,
      {
        slowlog: slowestOf(revokeAll),
        notes: `${spread(revokeAll, (t) => t.seconds, 's')} vs ${spread(unlinkBase, (t) => t.seconds, 's')}; ${cpuNote(revokeAll)}`,
      },
    );
  }
  await redis.flushAll();
}

/** Calls of every command the server has answered (INFO commandstats), to count what one run sent. */
async function commandCalls(redis: RedisClientType): Promise<number> {
  const info = await redis.info('commandstats');
  return [...info.matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

/** Peak RSS at the full count against the small one: every run's, e.g. "104.1/105.0 MB vs 101.2/101.9 MB". */
export const rssNotes = (big: ToolRun[], base: ToolRun[]) =>
  `${spread(big, (t) => t.rssMb, 'MB')} vs ${spread(base, (t) => t.rssMb, 'MB')}`;
/** The memory target: a listing's peak RSS stays flat as the sessions grow, and small. */
export const flat = (big: ToolRun[]) => (r: number) => r <= 1.2 && medianOf(big, 'rssMb') < 150;

/** A session layout the bench lists, and how to seed it. */
interface Listing {
  /** --layout's value, also the figures' label. */
  layout: string;
  /** What the figure calls the seeded sessions, e.g. "indexed sessions". */
  noun: string;
  /** The baseline's `redis-cli --scan --pattern`: the layout's own SCAN pattern, key names only. */
  pattern: string;
  /** The wall-time target, as a ratio to that scan. */
  limit: number;
  /** Seed sessions from..to-1 (session i belongs to user<i % users>). */
  seed(from: number, to: number): Promise<void>;
}

/**
 * The tool's CPU per session past the small count (the full listing's median less the small
 * one's, over the sessions between): start-up, which weighs more than the sessions on a smoke
 * run, left out.
 */
function marginalNote(full: ToolRun[], small: ToolRun[], smallCount: number, fullCount: number): string {
  if (fullCount <= smallCount) return '';
  const us = ((median(full.map((t) => t.cpu)) - median(small.map((t) => t.cpu))) / (fullCount - smallCount)) * 1e6;
  return `; tool CPU ${us.toFixed(1)} us a session past the first ${smallCount}`;
}

/**
 * A layout's listing: its memory at `small` sessions and at the full count, and its wall time
 * at the full count against a keys-only scan of the layout's pattern.
 */
async function listingFigures(bench: Bench, l: Listing): Promise<void> {
  const { args, server, redis, env, small, cli } = bench;
  const list = `${cli} session list --layout ${l.layout} --json > /dev/null`;
  console.log(`seeding ${small} ${l.layout} ${l.noun} ...`);
  await l.seed(0, small);
  const listSmall: ToolRun[] = [];
  for (let i = 0; i < args.runs; i += 1) listSmall.push(await toolRun(redis, server, list, env));
  if (args.sessions > small) {
    console.log(`seeding ${args.sessions - small} more ${l.layout} ${l.noun} ...`);
    await l.seed(small, args.sessions);
  }
  const scanBase: Timed[] = [];
  const floor: Timed[] = [];
  const full: ToolRun[] = [];
  // The floor reads as the layout's listing does: its kind of value, and PTTLs unless it reads none.
  const { loadLayout } = await import('../src/core/sessions/registry.js');
  const layout = await loadLayout(l.layout);
  for (let i = 0; i < args.runs; i += 1) {
    scanBase.push(await baselineRun(redis, `redis-cli -p ${server.port} --scan --pattern '${l.pattern}' > /dev/null`));
    floor.push(await floorRun(redis, server.port, l.pattern, layout.keyType, layout.listsWithoutKeyTtl !== true));
    full.push(await toolRun(redis, server, list, env));
  }
  record(
    `${l.layout}: session list --json wall (${args.sessions} ${l.noun})`,
    medianOf(full, 'seconds'),
    medianOf(scanBase, 'seconds'),
    's',
    `<= ${l.limit.toFixed(1)}x redis-cli --scan`,
    (r) => r <= l.limit,
    {
      slowlog: slowestOf(full),
      notes: `${spread(full, (t) => t.seconds, 's')} vs ${spread(scanBase, (t) => t.seconds, 's')}; ${cpuNote(full)}${marginalNote(full, listSmall, small, args.sessions)}${floorNote(floor, scanBase)}`,
    },
  );
  record(
    `${l.layout}: session list --json peak RSS (${args.sessions} vs ${small})`,
    medianOf(full, 'rssMb'),
    medianOf(listSmall, 'rssMb'),
    'MB',
    '<= 1.2x and < 150 MB',
    flat(full),
    { slowlog: slowestOf(full), notes: rssNotes(full, listSmall) },
  );
}

/**
 * revoke --user through the framework's per-user index (a different user each run: each finds
 * its sessions), against the same revoke by a full scan (--scan) for another user, on the same
 * data; and the commands the indexed revoke sent, which must grow with the user, not the keyspace.
 */
async function indexedRevokeFigures(bench: Bench, layout: string, index: string): Promise<void> {
  const { args, server, redis, env, cli } = bench;
  const revoke = `${cli} session revoke --layout ${layout}`;
  const perUser = Math.ceil(args.sessions / args.users);
  const viaIndex: ToolRun[] = [];
  const viaScan: ToolRun[] = [];
  const calls: number[] = [];
  for (let i = 0; i < args.runs; i += 1) {
    const before = await commandCalls(redis);
    viaIndex.push(await toolRun(redis, server, `${revoke} --user user${10 + i} --json > /dev/null`, env));
    calls.push((await commandCalls(redis)) - before);
    viaScan.push(await toolRun(redis, server, `${revoke} --scan --user user${20 + i} --json > /dev/null`, env));
  }
  record(
    `${layout}: session revoke --user through ${index}, wall (${args.sessions})`,
    medianOf(viaIndex, 'seconds'),
    medianOf(viaScan, 'seconds'),
    's',
    '< 0.05x the same revoke by a full scan',
    (r) => r < 0.05,
    {
      slowlog: slowestOf(viaIndex),
      notes: `${spread(viaIndex, (t) => t.seconds, 's')} vs --scan ${spread(viaScan, (t) => t.seconds, 's')}`,
    },
  );
  record(
    `${layout}: Redis commands of that revoke, for a user of ${perUser} sessions (INFO commandstats)`,
    median(calls),
    perUser,
    'commands',
    '<= 12 per session + 30: grows with the user, not the keyspace',
    () => median(calls) <= 12 * perUser + 30,
    { notes: `runs: ${calls.join(', ')}` },
  );
}

/**
 * Spring Session (RedisIndexedSessionRepository: a hash, a shadow key, minute sets and a
 * principal set per user): the listing against a keys-only scan, its memory at two sizes, and
 * revoke --user through the principal set against the same revoke by a full scan.
 */
async function springFigures(bench: Bench): Promise<void> {
  const { args, server, redis } = bench;
  await listingFigures(bench, {
    layout: 'spring',
    noun: 'indexed sessions',
    pattern: 'spring:session:sessions:*',
    limit: 1.5,
    seed: (from, to) => seederOf('spring')(server.port, { from, to, users: args.users }),
  });
  await indexedRevokeFigures(bench, 'spring', 'the principal set');
  await redis.flushAll();
}

/** The Node layouts: string sessions, listed against the scan of their keys; the per-user index where the bench revokes through it. */
const NODE_LAYOUTS: Array<{
  layout: string;
  pattern: string;
  seed: LayoutSeed;
  index?: string;
}> = [
  // koa-session's keys are bare UUIDs: the koa layout's SCAN pattern.
  { layout: 'koa', pattern: '????????-????-????-????-????????????', seed: seederOf('koa') },
  // Better Auth's are bare 32-character tokens; the active-sessions lists do not match.
  { layout: 'better-auth', pattern: '?'.repeat(32), seed: seederOf('better-auth'), index: 'the active-sessions list' },
  // Auth.js's prefix also holds the by-user-id pointers (one per user), which the tool scans too.
  { layout: 'authjs', pattern: 'user:session:*', seed: seederOf('authjs') },
];

/**
 * koa-session + koa-redis, Better Auth secondaryStorage and Auth.js's unstorage adapter, each on
 * a keyspace of its own: the listing and its memory, and for Better Auth revoke --user through
 * its active-sessions list.
 */
async function nodeFigures(bench: Bench): Promise<void> {
  const { args, server, redis } = bench;
  for (const { layout, pattern, seed, index } of NODE_LAYOUTS) {
    await listingFigures(bench, {
      layout,
      noun: 'sessions',
      pattern,
      limit: 1.0,
      seed: (from, to) => seed(server.port, { from, to, users: args.users }),
    });
    if (index !== undefined) await indexedRevokeFigures(bench, layout, index);
    await redis.flushAll();
  }
}

/** The layouts of PHP, Python, Ruby and Go frameworks, each with its seeder (test/helpers/seed-*.ts: as the real apps write them). */
const OTHER_LANGUAGE_LAYOUTS: Array<{ layout: string; seed: LayoutSeed }> = [
  { layout: 'php', seed: seederOf('php') },
  { layout: 'symfony', seed: seederOf('symfony') },
  { layout: 'laravel', seed: seederOf('laravel') },
  { layout: 'django', seed: seederOf('django') },
  { layout: 'flask', seed: seederOf('flask') },
  { layout: 'rails', seed: seederOf('rails') },
  { layout: 'rails-cache', seed: seederOf('rails-cache') },
  { layout: 'gorilla', seed: seederOf('gorilla') },
];

/**
 * Each layout of the PHP, Python, Ruby and Go frameworks on a keyspace of its own: its listing
 * against `redis-cli --scan` of the layout's own SCAN pattern (taken from the layout, so that the
 * baseline walks what the tool walks), and its memory at two sizes.
 */
async function otherLanguageFigures(bench: Bench): Promise<void> {
  const { args, server, redis } = bench;
  // From src (compiled beside the bench), as inProcessHashMs does.
  const { loadLayout } = await import('../src/core/sessions/registry.js');
  for (const { layout, seed } of OTHER_LANGUAGE_LAYOUTS) {
    const l = await loadLayout(layout);
    await listingFigures(bench, {
      layout,
      noun: 'sessions',
      pattern: l.match(l.defaultPrefix),
      limit: 1.0,
      seed: (from, to) => seed(server.port, { from, to, users: args.users }),
    });
    await redis.flushAll();
  }
}

function printTable(): void {
  console.log(
    '\n| figure | tool | baseline | ratio | target | met | slowest command (SLOWLOG) | notes |\n|---|---|---|---|---|---|---|---|',
  );
  for (const r of rows)
    console.log(
      `| ${r.figure} | ${r.value} | ${r.baseline} | ${r.ratio.toFixed(2)}x | ${r.target} | ${r.ok ? 'yes' : 'no'} | ${r.slowlog} | ${r.notes} |`,
    );
  const { tool, baselines } = slowest;
  console.log(
    `| slowest Redis command (SLOWLOG), all runs; baseline: the redis-cli baselines' | ${ms(tool)} | ${ms(baselines)} | | < 10 ms | ${tool.us < TARGET_US ? 'yes' : 'no'} | ${tool.command} | ${tailNote()}; baselines' slowest: ${baselines.us === 0 ? ms(baselines) : baselines.command} |`,
  );
}

async function inProcessHashMs(): Promise<number> {
  // From src (compiled beside the bench): dist is a bundle whose only entry is the CLI.
  const { hashPassword, preparePassword } = await import('../src/core/users/hashing.js');
  const { DEFAULT_POLICY } = await import('../src/core/defaults.js');
  const bytes = preparePassword('correct horse battery');
  await hashPassword(bytes, DEFAULT_POLICY); // load the native binding first
  const runs: number[] = [];
  for (let i = 0; i < 10; i += 1) {
    const start = process.hrtime.bigint();
    await hashPassword(bytes, DEFAULT_POLICY);
    runs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(runs);
}

/** Run the real command in-process (the built CLI's main) with given stdin; returns ms. */
export async function runInProcess(argv: string[], input: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number }> {
  const { main } = await import(join(ROOT, 'dist', 'main.js'));
  const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
  const start = process.hrtime.bigint();
  const code = await main(['node', 'redis-accounts', ...argv], {
    stdin: Readable.from([Buffer.from(input)]),
    stdout: sink(),
    stderr: sink(),
    env,
  });
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, code };
}

async function verifyTiming(url: string, runs: number): Promise<void> {
  const env = { REDIS_URL: url };
  await runInProcess(['user', 'add', 'timing-user', '--password-stdin', '--url', url], 'correct horse battery\n', env);
  const unknown: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    // Interleaved so that drift in machine load hits both equally.
    unknown.push(
      (await runInProcess(['user', 'verify', 'no-such-user', '--password-stdin', '--url', url], 'wrong horse battery\n', env)).ms,
    );
    wrong.push((await runInProcess(['user', 'verify', 'timing-user', '--password-stdin', '--url', url], 'wrong horse battery\n', env)).ms);
  }
  const ratio = median(unknown) / median(wrong);
  record(
    `user verify median, unknown user vs wrong password (${runs} runs each)`,
    median(unknown),
    median(wrong),
    'ms',
    'within 5%',
    () => Math.abs(ratio - 1) <= 0.05,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
