/**
 * Proof: a password never leaks.
 *
 * 1. While `user add alice --password-stdin` waits for its password, neither
 *    /proc/<pid>/cmdline nor /proc/<pid>/environ contains it.
 * 2. Every user command (add, verify right/wrong, verify --rehash, rehash, rehash --check,
 *    add duplicate, add with a too-short password), each also with --debug: no stdout, no
 *    stderr, no audit entry (`audit list --json`) and no Redis value other than the PHC hash
 *    contains the password or any 6-character substring of it.
 *
 * The passwords contain `# ! % & ^` at close intervals, so every 6-character window holds a
 * character that base64 (hashes, salts, ids) never produces: a hit is a real leak.
 */
import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { RedisClientType } from 'redis';
import { BIN, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { useServer } from '../helpers/fixture.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const PASSWORD = 'Qx#7!vR%kp&2Wz^9mT#4';
const WRONG = 'Lb!3#nY%8q^Hs&5c';
const NEW_PASSWORD = 'Gd&6^jP#1r!Vw%3x';
const SHORT = PASSWORD.slice(0, 7); // too short, and itself a piece of PASSWORD

let server: RedisServer;
let redis: RedisClientType;

useServer((t) => {
  server = t.server;
  redis = t.redis;
});

function windows(secret: string, n = 6): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= secret.length; i += 1) out.push(secret.slice(i, i + n));
  return out;
}

const SECRETS = [PASSWORD, WRONG, NEW_PASSWORD];
const PIECES = SECRETS.flatMap((s) => windows(s));

/** Which pieces of any secret occur in `text` (empty when nothing leaked). */
function leaks(text: string): string[] {
  return PIECES.filter((p) => text.includes(p));
}

test('the password is in neither /proc/<pid>/cmdline nor /proc/<pid>/environ while add waits for it', async () => {
  await redis.flushAll();
  const run = startCli(['user', 'add', 'alice', '--password-stdin', '--json'], { env: { REDIS_URL: server.url }, keepStdinOpen: true });
  const { child } = run;
  const pid = child.pid as number;
  // Once exec'd (cmdline names the script), the CLI is waiting on stdin: nothing was written yet.
  const cmdline = await waitFor('the CLI to start', () => {
    try {
      const c = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return c.includes(BIN) ? c : undefined;
    } catch {
      return undefined;
    }
  });
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
  expect(child.exitCode).toBeNull(); // still waiting for the password
  expect(leaks(cmdline)).toEqual([]);
  expect(leaks(environ)).toEqual([]);
  expect(environ).toContain(`REDIS_URL=${server.url}`); // we did read the right process

  child.stdin.end(`${PASSWORD}\n`);
  const { code, stdout, stderr } = await run.done;
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual({ user: 'alice', key: 'user:{alice}', created: true });
  expect(leaks(stdout + stderr)).toEqual([]);
});

test('no output, audit entry or Redis value (but the hash) contains the password or a 6-char piece of it', async () => {
  await redis.flushAll();
  const env = { REDIS_URL: server.url };
  const cli = (args: string[], input: string) => runCli(args, { env, input, timeoutMs: 30000 });
  const results: Array<{ what: string; r: CliResult }> = [];

  for (const debug of [[], ['--debug']]) {
    const tag = debug.length > 0 ? 'd' : 'p';
    const alice = `alice-${tag}`;
    const weak = `weak-${tag}`;
    const steps: Array<[string, string[], string, number[]]> = [
      ['add', ['user', 'add', alice, '--password-stdin'], `${PASSWORD}\n`, [0]],
      ['add --json', ['user', 'add', `${alice}2`, '--password-stdin', '--json'], `${PASSWORD}\n`, [0]],
      ['add weak', ['user', 'add', weak, '--password-stdin', '--argon2-memory', '8192', '--argon2-time', '1'], `${PASSWORD}\n`, [0]],
      ['verify right', ['user', 'verify', alice, '--password-stdin'], `${PASSWORD}\n`, [0]],
      ['verify right --json', ['user', 'verify', alice, '--password-stdin', '--json'], `${PASSWORD}\n`, [0]],
      ['verify wrong', ['user', 'verify', alice, '--password-stdin'], `${WRONG}\n`, [1]],
      ['verify wrong --json', ['user', 'verify', alice, '--password-stdin', '--json'], `${WRONG}\n`, [1]],
      ['verify unknown user', ['user', 'verify', `nobody-${tag}`, '--password-stdin'], `${PASSWORD}\n`, [1]],
      ['rehash --check (outdated present)', ['user', 'rehash', '--check'], '', [1]],
      ['verify --rehash', ['user', 'verify', weak, '--password-stdin', '--rehash', '--json'], `${PASSWORD}\n`, [0]],
      ['rehash wrong', ['user', 'rehash', alice, '--password-stdin', '--force'], `${WRONG}\n`, [1]],
      ['rehash --force', ['user', 'rehash', alice, '--password-stdin', '--force'], `${PASSWORD}\n`, [0]],
      ['rehash --force --json', ['user', 'rehash', alice, '--password-stdin', '--force', '--json'], `${PASSWORD}\n`, [0]],
      ['rehash --check', ['user', 'rehash', '--check', '--json'], '', [0]],
      ['add duplicate', ['user', 'add', alice, '--password-stdin'], `${NEW_PASSWORD}\n`, [4]],
      ['add too short', ['user', 'add', `short-${tag}`, '--password-stdin'], `${SHORT}\n`, [2]],
      ['add with control char', ['user', 'add', `ctl-${tag}`, '--password-stdin'], `${PASSWORD}\u0007${PASSWORD}\n`, [2]],
      ['add too long', ['user', 'add', `long-${tag}`, '--password-stdin'], `${PASSWORD.repeat(100)}\n`, [2]],
    ];
    for (const [what, args, input, codes] of steps) {
      const r = await cli([...args, ...debug], input);
      results.push({ what: `${what}${debug.join('')}`, r });
      expect({ what, code: r.code, stderr: r.stderr }).toEqual({ what, code: codes[0], stderr: expect.any(String) });
    }
  }

  // The rehashes really happened (so their paths were exercised).
  for (const { what, r } of results.filter((x) => x.what.startsWith('verify --rehash'))) {
    expect({ what, out: JSON.parse(r.stdout) as unknown }).toEqual({ what, out: expect.objectContaining({ match: true, rehashed: true }) });
  }
  const leaked = results.map(({ what, r }) => ({ what, leaks: leaks(r.stdout + r.stderr) })).filter((x) => x.leaks.length > 0);
  expect(leaked).toEqual([]);

  // The audit trail.
  const audit = await runCli(['audit', 'list', '--json'], { env });
  expect(audit.code).toBe(0);
  expect(audit.stdout).toMatch(/user add/);
  expect(leaks(audit.stdout + audit.stderr)).toEqual([]);

  // Every Redis value, by type; the PHC hash field is the one allowed to derive from it.
  const dump: string[] = [];
  for (const key of await redis.keys('*')) {
    const type = String(await redis.type(key));
    dump.push(key);
    if (type === 'string') dump.push(String(await redis.get(key)));
    else if (type === 'hash') {
      for (const [f, v] of Object.entries(await redis.hGetAll(key))) {
        dump.push(f);
        if (f === 'password_hash') expect(v).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
        dump.push(v);
      }
    } else if (type === 'stream') dump.push(JSON.stringify(await redis.xRange(key, '-', '+')));
    else dump.push(`${type}?`);
  }
  expect(dump.join('\n')).toContain('user:{alice-p}');
  expect(leaks(dump.join('\n'))).toEqual([]);
}, 60000);
