/**
 * Commander option definitions shared by the commands, and their conversion into the
 * typed settings the core takes. Every environment variable the tool reads is named here.
 */
import { durationMs } from '../core/duration.js';
import type { SessionLayout } from '../core/sessions/layout.js';
import { connectRedis } from '../core/sessions/layouts/connect-redis/index.js';
import { Command, Option } from 'commander';
import { UsageError } from '../core/errors.js';
import type { ConnectionOptions } from '../core/redis/connection.js';
import type { CostCaps, HashPolicy } from '../core/users/hashing.js';
import { validatePrefix } from '../core/redis/keys.js';
import {
  DEFAULT_CAPS,
  DEFAULT_COOKIE_NAME,
  DEFAULT_POLICY,
  DEFAULT_SESSION_PREFIX,
  DEFAULT_URL,
  DEFAULT_USER_FIELDS,
  DEFAULT_USER_PREFIX,
  PASSWORD_MIN_CHARS,
} from '../core/defaults.js';

export const DEFAULT_TIMEOUT = '5s';

/**
 * Help headings. A command's help lists its own options first (commander's "Options:"), then
 * these groups in the order the command adds them, the connection options last: a group's
 * place is that of its first option, so each command adds its own options first and
 * addUserOptions or addSessionOptions (which end with the connection options) last.
 * Each helper below puts its options under its heading, then returns to "Options:".
 */
export const HELP_GROUPS = {
  hashing: 'Password hashing options:',
  audit: 'Audit trail options:',
  data: 'Stored data options:',
  connection: 'Connection options:',
} as const;
const OWN = '';

/** `--json` and `--debug` (among the command's own options), then the options every command that talks to Redis accepts. */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'machine-readable output on stdout')
    .option('--debug', 'print stack traces of unexpected errors')
    .optionsGroup(HELP_GROUPS.connection)
    .addOption(new Option('--url <url>', 'Redis URL; rediss:// for TLS').env('REDIS_URL').default(DEFAULT_URL))
    .addOption(new Option('--tls-ca <file>', 'PEM file of the CA that signed the server certificate').env('REDIS_TLS_CA'))
    .addOption(new Option('--tls-cert <file>', 'PEM client certificate, for servers that require one').env('REDIS_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'PEM private key of the client certificate').env('REDIS_TLS_KEY'))
    .addOption(new Option('--redis-password-file <file>', 'read the Redis (ACL) password from this file').env('REDIS_PASSWORD_FILE'))
    .addOption(new Option('--timeout <duration>', 'limit for connecting and for each command (e.g. 500ms, 5s)').env('REDIS_ACCOUNTS_TIMEOUT').default(DEFAULT_TIMEOUT))
    .addOption(new Option('--cluster', 'the URL names a Redis Cluster node (detected when omitted)').env('REDIS_CLUSTER'))
    .addOption(new Option('--sentinel <host:port,...>', 'find the master through these Sentinels').env('REDIS_SENTINELS'))
    .addOption(new Option('--sentinel-master <name>', 'the master name the Sentinels monitor').env('REDIS_SENTINEL_MASTER'))
    .optionsGroup(OWN);
}

/** Where user records are, then the connection options (so: add it last). */
export function addUserOptions(cmd: Command): Command {
  cmd
    .optionsGroup(HELP_GROUPS.data)
    .addOption(new Option('--user-prefix <prefix>', 'key prefix of user records').env('REDIS_ACCOUNTS_USER_PREFIX').default(DEFAULT_USER_PREFIX))
    .optionsGroup(OWN);
  return addConnectionOptions(cmd);
}

export function addPolicyOptions(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.hashing)
    .addOption(new Option('--argon2-memory <KiB>', 'argon2id memory cost of new hashes').env('REDIS_ACCOUNTS_ARGON2_MEMORY').default(String(DEFAULT_POLICY.memoryCost)))
    .addOption(new Option('--argon2-time <n>', 'argon2id iterations of new hashes').env('REDIS_ACCOUNTS_ARGON2_TIME').default(String(DEFAULT_POLICY.timeCost)))
    .addOption(new Option('--argon2-parallelism <n>', 'argon2id lanes of new hashes').env('REDIS_ACCOUNTS_ARGON2_PARALLELISM').default(String(DEFAULT_POLICY.parallelism)))
    .addOption(new Option('--argon2-max-memory <KiB>', 'refuse stored hashes asking for more memory').env('REDIS_ACCOUNTS_ARGON2_MAX_MEMORY').default(String(DEFAULT_CAPS.maxMemoryCost)))
    .addOption(new Option('--argon2-max-time <n>', 'refuse stored hashes asking for more iterations').env('REDIS_ACCOUNTS_ARGON2_MAX_TIME').default(String(DEFAULT_CAPS.maxTimeCost)))
    .addOption(new Option('--argon2-max-parallelism <n>', 'refuse stored hashes asking for more lanes').env('REDIS_ACCOUNTS_ARGON2_MAX_PARALLELISM').default(String(DEFAULT_CAPS.maxParallelism)))
    .optionsGroup(OWN);
}

/** Where sessions are and whose they are, then the connection options (so: add it last). */
export function addSessionOptions(cmd: Command): Command {
  cmd
    .optionsGroup(HELP_GROUPS.data)
    .addOption(new Option('--session-prefix <prefix>', 'key prefix of sessions (connect-redis "prefix")').env('REDIS_ACCOUNTS_SESSION_PREFIX').default(DEFAULT_SESSION_PREFIX))
    .addOption(
      new Option('--user-field <path>', `JSON path of the user in a session (default: first of ${DEFAULT_USER_FIELDS.join(', ')})`).env('REDIS_ACCOUNTS_USER_FIELD'),
    )
    .optionsGroup(OWN);
  return addConnectionOptions(cmd);
}

/** For the commands that draw a progress line while they scan (src/progress.ts). */
export function addProgressOption(cmd: Command): Command {
  return cmd.option('--progress', 'show the progress line (stderr on a terminal) also when stdout is a pipe; it may mix with the piped output');
}

/** Where the audit trail is kept: for the commands that write it and for `audit list`. */
export function auditKeyOption(): Option {
  return new Option('--audit-key <key>', 'Redis stream of the audit trail').env('REDIS_ACCOUNTS_AUDIT_KEY');
}

/** Options of the commands that change data: who did it, why, and where the trail is kept. */
export function addAuditOptions(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.audit)
    .addOption(new Option('--reason <text>', 'why (e.g. a ticket id), recorded in the audit trail').env('REDIS_ACCOUNTS_REASON'))
    .addOption(new Option('--actor <name>', 'who, for the audit trail (default: OS user@host)').env('REDIS_ACCOUNTS_ACTOR'))
    .addOption(auditKeyOption())
    .addOption(new Option('--audit-log <file>', 'also append each audit entry to this file, one JSON line (created 0600)').env('REDIS_ACCOUNTS_AUDIT_LOG'))
    .optionsGroup(OWN);
}

/** Find a session by the cookie a responder holds (from a log or a browser). */
export function addCookieOptions(cmd: Command): Command {
  return cmd
    .option('--cookie <value>', "the session cookie: its value (s:<id>.<signature>, URL-encoded or not), a Cookie header or a cookie-jar line; '-' reads it from stdin")
    .addOption(new Option('--cookie-name <name>', 'the session cookie to take from a Cookie header or a cookie jar').env('REDIS_ACCOUNTS_COOKIE_NAME').default(DEFAULT_COOKIE_NAME))
    .addOption(new Option('--cookie-secret-file <file>', "check the cookie's signature against the app's secrets (one per line)").env('REDIS_ACCOUNTS_COOKIE_SECRET_FILE'));
}

/** Raw option values as commander hands them over (strings unless boolean flags). */
export type RawOptions = Record<string, unknown>;

function str(opts: RawOptions, name: string): string | undefined {
  const v = opts[name];
  return typeof v === 'string' ? v : undefined;
}

export function parseInteger(text: string, what: string, min: number, max: number): number {
  if (!/^[0-9]{1,12}$/.test(text.trim())) throw new UsageError(`${what} must be a whole number, got "${text.slice(0, 20)}"`);
  const n = Number(text.trim());
  // No real upper bound (a --limit): "between 1 and 9007199254740991" would only puzzle.
  if (n < min || n > max) throw new UsageError(max >= Number.MAX_SAFE_INTEGER ? `${what} must be at least ${min}` : `${what} must be between ${min} and ${max}`);
  return n;
}

/** --timeout: a duration (core/duration.ts) from 10ms to 1h, in milliseconds. */
export function parseTimeout(text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new UsageError(`invalid --timeout "${text.slice(0, 20)}"`, { hint: 'e.g. 500ms, 5s, 1m' });
  if (ms < 10 || ms > 3600000) throw new UsageError('--timeout must be between 10ms and 1h');
  return ms;
}

export function connectionOptions(opts: RawOptions, urlSource: string | undefined, env: NodeJS.ProcessEnv): ConnectionOptions {
  return {
    url: str(opts, 'url') ?? DEFAULT_URL,
    urlFromArgv: urlSource === 'cli',
    username: env['REDIS_USERNAME'] || undefined,
    password: env['REDIS_PASSWORD'] || undefined,
    passwordFile: str(opts, 'redisPasswordFile'),
    tlsCa: str(opts, 'tlsCa'),
    tlsCert: str(opts, 'tlsCert'),
    tlsKey: str(opts, 'tlsKey'),
    timeoutMs: parseTimeout(str(opts, 'timeout') ?? DEFAULT_TIMEOUT),
    cluster: opts['cluster'] === true || opts['cluster'] === '1' || opts['cluster'] === 'true' ? true : undefined,
    sentinels: parseSentinels(str(opts, 'sentinel')),
    sentinelMaster: str(opts, 'sentinelMaster'),
  };
}

/** "host:port,host:port" (IPv6 as [::1]:26379). */
export function parseSentinels(text: string | undefined): Array<{ host: string; port: number }> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  return text.split(',').map((item) => {
    const m = /^\s*(\[[0-9a-fA-F:.]+\]|[^\s:,[\]]+):([0-9]{1,5})\s*$/.exec(item);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) throw new UsageError(`invalid --sentinel entry "${item.slice(0, 60)}"`, { hint: 'use host:port[,host:port...]' });
    return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
  });
}

export function hashPolicy(opts: RawOptions): HashPolicy {
  return {
    memoryCost: parseInteger(str(opts, 'argon2Memory') ?? '', '--argon2-memory', 1024, 4194304),
    timeCost: parseInteger(str(opts, 'argon2Time') ?? '', '--argon2-time', 1, 100),
    parallelism: parseInteger(str(opts, 'argon2Parallelism') ?? '', '--argon2-parallelism', 1, 64),
  };
}

export function costCaps(opts: RawOptions): CostCaps {
  return {
    maxMemoryCost: parseInteger(str(opts, 'argon2MaxMemory') ?? '', '--argon2-max-memory', 1024, 16777216),
    maxTimeCost: parseInteger(str(opts, 'argon2MaxTime') ?? '', '--argon2-max-time', 1, 1000),
    maxParallelism: parseInteger(str(opts, 'argon2MaxParallelism') ?? '', '--argon2-max-parallelism', 1, 255),
  };
}

/**
 * The policy and the caps of a command that verifies. A policy above the caps is refused: the
 * decoy hash an unknown user costs (at the policy) would be refused with exit 5 where a known
 * user's wrong password gets exit 1, telling which names exist.
 */
export function policyAndCaps(opts: RawOptions): { policy: HashPolicy; caps: CostCaps } {
  const policy = hashPolicy(opts);
  const caps = costCaps(opts);
  const over = [
    policy.memoryCost > caps.maxMemoryCost ? `--argon2-memory ${policy.memoryCost} is above --argon2-max-memory ${caps.maxMemoryCost}` : '',
    policy.timeCost > caps.maxTimeCost ? `--argon2-time ${policy.timeCost} is above --argon2-max-time ${caps.maxTimeCost}` : '',
    policy.parallelism > caps.maxParallelism ? `--argon2-parallelism ${policy.parallelism} is above --argon2-max-parallelism ${caps.maxParallelism}` : '',
  ].filter(Boolean);
  if (over.length > 0) throw new UsageError(`the hashing policy exceeds the caps on stored hashes: ${over.join('; ')}`, { hint: 'raise the --argon2-max-* cap or lower the policy' });
  return { policy, caps };
}

export function userPrefix(opts: RawOptions): string {
  return validatePrefix(str(opts, 'userPrefix') ?? DEFAULT_USER_PREFIX, '--user-prefix');
}

export function sessionPrefix(opts: RawOptions): string {
  return validatePrefix(str(opts, 'sessionPrefix') ?? DEFAULT_SESSION_PREFIX, '--session-prefix');
}

/** How the application keeps its sessions: connect-redis's layout, the only one so far. */
export function sessionLayout(): SessionLayout {
  return connectRedis;
}

export function userFields(opts: RawOptions): readonly string[] {
  const field = str(opts, 'userField');
  if (field === undefined) return DEFAULT_USER_FIELDS;
  if (!/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/.test(field)) throw new UsageError(`invalid --user-field "${field.slice(0, 40)}"`, { hint: 'a dotted path such as passport.user' });
  return [field];
}

export const PASSWORD_MIN_DEFAULT = String(PASSWORD_MIN_CHARS);
