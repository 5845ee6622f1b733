/**
 * Commander option definitions shared by the commands, and their conversion into the
 * typed settings the core takes. Every environment variable the tool reads is named here.
 */
import { Command, Option } from 'commander';
import { durationMs, MAX_DURATION_SECONDS, parseDuration } from '../core/duration.js';
import { CONTROL, UNPRINTABLE } from '../core/text.js';
import { UsageError } from '../core/errors.js';
import type { ConnectionOptions } from '../core/redis/connection.js';
import type { CostCaps, HashPolicy } from '../core/users/hashing.js';
import { validatePrefix } from '../core/redis/keys.js';
import {
  DEFAULT_AUDIT_KEY,
  DEFAULT_CAPS,
  DEFAULT_COOKIE_NAME,
  DEFAULT_POLICY,
  DEFAULT_SESSION_PREFIX,
  DEFAULT_URL,
  DEFAULT_USER_FIELDS,
  DEFAULT_USER_PREFIX,
  DEFAULT_LAYOUT,
  PASSWORD_MIN_CHARS,
  PASSWORD_MIN_DEFAULT,
  SESSION_LAYOUTS,
  AUTO_LAYOUT,
  CONFLICT_MODES,
  IMPORT_FORMATS,
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

/**
 * `--json` and `--debug`, among the command's own options. addConnectionOptions adds them; a
 * command with no options of its own (`user enable`) adds them first, so that its help still
 * begins with its own options.
 */
export function addOutputOptions(cmd: Command): Command {
  return cmd.option('--json', 'machine-readable output on stdout').option('--debug', 'print stack traces of unexpected errors');
}

/** `--json` and `--debug` (unless added already), then the options every command that talks to Redis accepts. */
export function addConnectionOptions(cmd: Command): Command {
  if (!cmd.options.some((o) => o.long === '--json')) addOutputOptions(cmd);
  return cmd
    .optionsGroup(HELP_GROUPS.connection)
    .addOption(new Option('--url <url>', 'Redis URL; rediss:// for TLS').env('REDIS_URL').default(DEFAULT_URL))
    .addOption(new Option('--tls-ca <file>', 'PEM file of the CA that signed the server certificate').env('REDIS_TLS_CA'))
    .addOption(new Option('--tls-cert <file>', 'PEM client certificate, for servers that require one').env('REDIS_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'PEM private key of the client certificate').env('REDIS_TLS_KEY'))
    .addOption(new Option('--redis-password-file <file>', 'read the Redis (ACL) password from this file').env('REDIS_PASSWORD_FILE'))
    .addOption(
      new Option('--timeout <duration>', 'limit for connecting and for each command (e.g. 500ms, 5s)')
        .env('REDIS_ACCOUNTS_TIMEOUT')
        .argParser(parseTimeout)
        .default(parseTimeout(DEFAULT_TIMEOUT), JSON.stringify(DEFAULT_TIMEOUT)),
    )
    .addOption(new Option('--cluster', 'the URL names a Redis Cluster node (detected when omitted)').env('REDIS_CLUSTER'))
    .addOption(
      new Option('--sentinel <host:port,...>', 'find the master through these Sentinels').env('REDIS_SENTINELS').argParser(parseSentinels),
    )
    .addOption(new Option('--sentinel-master <name>', 'the master name the Sentinels monitor').env('REDIS_SENTINEL_MASTER'))
    .optionsGroup(OWN);
}

/** Where user records are, then the connection options (so: add it last). */
export function addUserOptions(cmd: Command): Command {
  cmd
    .optionsGroup(HELP_GROUPS.data)
    .addOption(
      new Option('--user-prefix <prefix>', 'key prefix of user records')
        .env('REDIS_ACCOUNTS_USER_PREFIX')
        .argParser(prefixParser('--user-prefix'))
        .default(DEFAULT_USER_PREFIX),
    )
    .optionsGroup(OWN);
  return addConnectionOptions(cmd);
}

export function addPolicyOptions(cmd: Command): Command {
  cmd
    .optionsGroup(HELP_GROUPS.hashing)
    .addOption(
      integerOption(
        '--argon2-memory <KiB>',
        'argon2id memory cost of new hashes',
        'REDIS_ACCOUNTS_ARGON2_MEMORY',
        1024,
        4194304,
        DEFAULT_POLICY.memoryCost,
      ),
    )
    .addOption(
      integerOption(
        '--argon2-time <n>',
        'argon2id iterations of new hashes',
        'REDIS_ACCOUNTS_ARGON2_TIME',
        1,
        100,
        DEFAULT_POLICY.timeCost,
      ),
    )
    .addOption(
      integerOption(
        '--argon2-parallelism <n>',
        'argon2id lanes of new hashes',
        'REDIS_ACCOUNTS_ARGON2_PARALLELISM',
        1,
        64,
        DEFAULT_POLICY.parallelism,
      ),
    )
    .optionsGroup(OWN);
  return addCapsOptions(cmd);
}

/** The caps on the costs a stored hash may ask for (`user import` checks each record's hash against them). */
export function addCapsOptions(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.hashing)
    .addOption(
      integerOption(
        '--argon2-max-memory <KiB>',
        'refuse stored hashes asking for more memory',
        'REDIS_ACCOUNTS_ARGON2_MAX_MEMORY',
        1024,
        16777216,
        DEFAULT_CAPS.maxMemoryCost,
      ),
    )
    .addOption(
      integerOption(
        '--argon2-max-time <n>',
        'refuse stored hashes asking for more iterations',
        'REDIS_ACCOUNTS_ARGON2_MAX_TIME',
        1,
        1000,
        DEFAULT_CAPS.maxTimeCost,
      ),
    )
    .addOption(
      integerOption(
        '--argon2-max-parallelism <n>',
        'refuse stored hashes asking for more lanes',
        'REDIS_ACCOUNTS_ARGON2_MAX_PARALLELISM',
        1,
        255,
        DEFAULT_CAPS.maxParallelism,
      ),
    )
    .optionsGroup(OWN);
}

/** For the commands that verify a password: what Firebase scrypt hashes need besides it. */
export function addFirebaseParamsOption(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.hashing)
    .addOption(
      new Option(
        '--firebase-params <file>',
        "the Firebase project's password hash parameters (its console's hash_config), to verify firebase-scrypt hashes",
      ).env('REDIS_ACCOUNTS_FIREBASE_PARAMS'),
    )
    .optionsGroup(OWN);
}

/**
 * --pepper-file of the commands that hash or verify passwords: the pepper's keys (core/users/
 * pepper.ts). Only the file's path is an option or a variable; the keys never are.
 */
export function addPepperFileOption(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.hashing)
    .addOption(
      new Option(
        '--pepper-file <file>',
        'secret pepper keys, one <id>:<base64 key> per line, the first for new hashes (README: Pepper)',
      ).env('REDIS_ACCOUNTS_PEPPER_FILE'),
    )
    .optionsGroup(OWN);
}

/** Where sessions are and whose they are, then the connection options (so: add it last). */
export function addSessionOptions(cmd: Command): Command {
  return addConnectionOptions(addSessionDataOptions(cmd));
}

/**
 * Where sessions are and whose they are, without the connection options: for the user
 * commands that also revoke a user's sessions (their addUserOptions adds those last).
 */
export function addSessionDataOptions(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.data)
    .addOption(
      new Option('--layout <name>', `how the application keeps its sessions: ${[...SESSION_LAYOUTS, AUTO_LAYOUT].join(', ')} (all of them)`)
        .env('REDIS_ACCOUNTS_LAYOUT')
        .argParser(parseLayout)
        .default(DEFAULT_LAYOUT),
    )
    .addOption(
      new Option(
        '--session-prefix <prefix>',
        `key prefix (or namespace) of sessions (default: the layout's: ${DEFAULT_SESSION_PREFIX} for connect-redis, spring:session: for spring, user:session: for authjs, PHPREDIS_SESSION: for php, sf_s for symfony, laravel_database_laravel_cache: for laravel, :1:django.contrib.sessions.cache for django, session: for flask, rack:session:2:: for rails, _session_id:2:: for rails-cache, session_ for gorilla, none for koa and better-auth)`,
      )
        .env('REDIS_ACCOUNTS_SESSION_PREFIX')
        .argParser(prefixParser('--session-prefix')),
    )
    .addOption(
      new Option('--user-field <path>', `JSON path of the user in a session (default: first of ${DEFAULT_USER_FIELDS.join(', ')})`)
        .env('REDIS_ACCOUNTS_USER_FIELD')
        .argParser(parseUserField),
    )
    .optionsGroup(OWN);
}

/** For the commands that draw a progress line while they scan (src/progress.ts). */
export function addProgressOption(cmd: Command): Command {
  return cmd.option(
    '--progress',
    'show the progress line (stderr on a terminal) also when stdout is a pipe; it may mix with the piped output',
  );
}

/** Where the audit trail is kept: for the commands that write it and for `audit list`. */
export function auditKeyOption(): Option {
  return new Option('--audit-key <key>', 'Redis stream of the audit trail')
    .env('REDIS_ACCOUNTS_AUDIT_KEY')
    .argParser(parseAuditKey)
    .default(DEFAULT_AUDIT_KEY);
}

/** Options of the commands that change data: who did it, why, and where the trail is kept. */
export function addAuditOptions(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.audit)
    .addOption(
      new Option('--reason <text>', 'why (e.g. a ticket id), recorded in the audit trail')
        .env('REDIS_ACCOUNTS_REASON')
        .argParser(trailText('--reason', 1000)),
    )
    .addOption(
      new Option('--actor <name>', 'who, for the audit trail (default: OS user@host)')
        .env('REDIS_ACCOUNTS_ACTOR')
        .argParser(trailText('--actor', 200)),
    )
    .addOption(auditKeyOption())
    .addOption(
      new Option('--audit-log <file>', 'also append each audit entry to this file, one JSON line (created 0600)').env(
        'REDIS_ACCOUNTS_AUDIT_LOG',
      ),
    )
    .optionsGroup(OWN);
}

/** Find a session by the cookie a responder holds (from a log or a browser). */
export function addCookieOptions(cmd: Command): Command {
  return cmd
    .option(
      '--cookie <value>',
      "the session cookie: its value (s:<id>.<signature>, URL-encoded or not), a Cookie header or a cookie-jar line; '-' reads it from stdin",
    )
    .addOption(
      new Option(
        '--cookie-name <name>',
        `the session cookie to take from a Cookie header or a cookie jar (default: the layout's: ${DEFAULT_COOKIE_NAME}, SESSION, koa.sess, better-auth.session_token, authjs.session-token, PHPSESSID for php and symfony, laravel_session, sessionid for django, session for flask, _session_id for rails, session-name for gorilla)`,
      )
        .env('REDIS_ACCOUNTS_COOKIE_NAME')
        .argParser(validateCookieName),
    )
    .addOption(secretFileOption());
}

/**
 * --cookie-secret-file: the app's secrets, one per line (never argv). They check a cookie's
 * signature, and for Laravel are APP_KEY, which decrypts its cookie and sessions stored
 * encrypted: list and ttl take it for those.
 */
export function secretFileOption(): Option {
  return new Option(
    '--cookie-secret-file <file>',
    "the app's secrets, one per line: to check the cookie's signature, or Laravel's APP_KEY to decrypt its cookie and encrypted sessions",
  ).env('REDIS_ACCOUNTS_COOKIE_SECRET_FILE');
}

export function parseInteger(text: string, what: string, min: number, max: number): number {
  if (!/^[0-9]{1,12}$/.test(text.trim())) throw new UsageError(`${what} must be a whole number, got "${text.slice(0, 20)}"`);
  const n = Number(text.trim());
  // No real upper bound (a --limit): "between 1 and 9007199254740991" would only puzzle.
  if (n < min || n > max)
    throw new UsageError(max >= Number.MAX_SAFE_INTEGER ? `${what} must be at least ${min}` : `${what} must be between ${min} and ${max}`);
  return n;
}

/** --timeout: a duration (core/duration.ts) from 10ms to 1h, in milliseconds. */
export function parseTimeout(text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new UsageError(`invalid --timeout "${text.slice(0, 20)}"`, { hint: 'e.g. 500ms, 5s, 1m' });
  if (ms < 10 || ms > 3600000) throw new UsageError('--timeout must be between 10ms and 1h');
  return ms;
}

export function connectionOptions(opts: ConnectionFlags, urlSource: string | undefined, env: NodeJS.ProcessEnv): ConnectionOptions {
  return {
    url: opts.url,
    urlFromArgv: urlSource === 'cli',
    username: env['REDIS_USERNAME'] || undefined,
    password: env['REDIS_PASSWORD'] || undefined,
    passwordFile: opts.redisPasswordFile,
    tlsCa: opts.tlsCa,
    tlsCert: opts.tlsCert,
    tlsKey: opts.tlsKey,
    timeoutMs: opts.timeout,
    // A flag, or REDIS_CLUSTER set to 1 or true (commander hands an environment value over as text).
    cluster: opts.cluster === true || opts.cluster === '1' || opts.cluster === 'true' ? true : undefined,
    sentinels: opts.sentinel,
    sentinelMaster: opts.sentinelMaster,
  };
}

/** "host:port,host:port" (IPv6 as [::1]:26379). */
export function parseSentinels(text: string): Array<{ host: string; port: number }> | undefined {
  if (text.trim() === '') return undefined;
  return text.split(',').map((item) => {
    const m = /^\s*(\[[0-9a-fA-F:.]+\]|[^\s:,[\]]+):([0-9]{1,5})\s*$/.exec(item);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535)
      throw new UsageError(`invalid --sentinel entry "${item.slice(0, 60)}"`, { hint: 'use host:port[,host:port...]' });
    return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
  });
}

export function hashPolicy(opts: PolicyFlags): HashPolicy {
  return { memoryCost: opts.argon2Memory, timeCost: opts.argon2Time, parallelism: opts.argon2Parallelism };
}

export function costCaps(opts: CapsFlags): CostCaps {
  return { maxMemoryCost: opts.argon2MaxMemory, maxTimeCost: opts.argon2MaxTime, maxParallelism: opts.argon2MaxParallelism };
}

/**
 * The policy and the caps of a command that verifies. A policy above the caps is refused: the
 * decoy hash an unknown user costs (at the policy) would be refused with exit 5 where a known
 * user's wrong password gets exit 1, telling which names exist.
 */
export function policyAndCaps(opts: PolicyFlags): { policy: HashPolicy; caps: CostCaps } {
  const policy = hashPolicy(opts);
  const caps = costCaps(opts);
  const over = [
    policy.memoryCost > caps.maxMemoryCost ? `--argon2-memory ${policy.memoryCost} is above --argon2-max-memory ${caps.maxMemoryCost}` : '',
    policy.timeCost > caps.maxTimeCost ? `--argon2-time ${policy.timeCost} is above --argon2-max-time ${caps.maxTimeCost}` : '',
    policy.parallelism > caps.maxParallelism
      ? `--argon2-parallelism ${policy.parallelism} is above --argon2-max-parallelism ${caps.maxParallelism}`
      : '',
  ].filter(Boolean);
  if (over.length > 0)
    throw new UsageError(`the hashing policy exceeds the caps on stored hashes: ${over.join('; ')}`, {
      hint: 'raise the --argon2-max-* cap or lower the policy',
    });
  return { policy, caps };
}

/** --user-field: a dotted JSON path, the one field to take the user from. */
export function parseUserField(field: string): readonly string[] {
  if (!/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/.test(field))
    throw new UsageError(`invalid --user-field "${field.slice(0, 40)}"`, { hint: 'a dotted path such as passport.user' });
  return [field];
}

/**
 * --min-length of new passwords (`user add`, `user passwd`): 15 characters by default, 8 at the
 * lowest (NIST SP 800-63B-4: 15 for a password used alone, 8 with a second factor).
 */
export function minLengthOption(): Option {
  return integerOption(
    '--min-length <n>',
    `minimum password length in characters (at least ${PASSWORD_MIN_CHARS}, for passwords used with a second factor)`,
    'REDIS_ACCOUNTS_PASSWORD_MIN',
    PASSWORD_MIN_CHARS,
    1024,
    PASSWORD_MIN_DEFAULT,
  );
}

/** --blocklist of new passwords: the operator's own list, beside the bundled one. */
export function blocklistOption(): Option {
  return new Option(
    '--blocklist <file>',
    'also refuse the passwords listed in this file (one per line, compared whole and without regard to case)',
  ).env('REDIS_ACCOUNTS_BLOCKLIST');
}

/** An option that takes a whole number in [min, max], parsed when the command line is. */
function integerOption(flags: string, description: string, env: string, min: number, max: number, fallback: number): Option {
  const name = flags.split(' ')[0] as string;
  return new Option(flags, description)
    .env(env)
    .argParser((text: string) => parseInteger(text, name, min, max))
    .default(fallback);
}

/** RFC 6265 cookie-name (an RFC 7230 token): what --cookie-name may be. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;

export function validateCookieName(name: string): string {
  if (!COOKIE_NAME.test(name)) {
    throw new UsageError(
      '--cookie-name must be a cookie name: 1 to 256 characters, without spaces, control characters or any of ()<>@,;:\\"/[]?={}',
    );
  }
  return name;
}

/** --limit: how many to print, at least 1. */
export function parseLimit(text: string): number {
  return parseInteger(text, '--limit', 1, Number.MAX_SAFE_INTEGER);
}

/** --since of `audit list`: milliseconds since the epoch. */
/** `--since`: an ISO time or date, or a duration back from now (30m, 12h, 7d). */
export function parseSince(text: string, now = Date.now()): number {
  const ago = durationMs(text);
  if (ago !== undefined) {
    if (ago / 1000 > MAX_DURATION_SECONDS) throw new UsageError('--since is longer than ten years ago');
    return now - ago;
  }
  const ms = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(ms)) {
    throw new UsageError(`invalid --since "${text.slice(0, 40)}"`, {
      hint: 'use an ISO time (2026-11-28T10:00:00Z), a date, or a duration ago (12h, 7d)',
    });
  }
  return ms;
}

/** --hold: how long to guard a change, in milliseconds (whole seconds, core/duration.ts). */
export function parseHold(text: string): number {
  return parseDuration(text) * 1000;
}

/** `user import --format`: one of IMPORT_FORMATS. */
export function parseImportFormat(name: string): (typeof IMPORT_FORMATS)[number] {
  const found = IMPORT_FORMATS.find((f) => f === name);
  if (found === undefined)
    throw new UsageError(`unknown --format "${name.slice(0, 40)}"`, { hint: `one of: ${IMPORT_FORMATS.join(', ')}` });
  return found;
}

/** `user import --on-conflict`: one of CONFLICT_MODES. */
export function parseConflictMode(name: string): (typeof CONFLICT_MODES)[number] {
  const found = CONFLICT_MODES.find((m) => m === name);
  if (found === undefined)
    throw new UsageError(`unknown --on-conflict "${name.slice(0, 40)}"`, { hint: `one of: ${CONFLICT_MODES.join(', ')}` });
  return found;
}

/** --layout: one of the layouts the tool reads. */
export function parseLayout(name: string): string {
  if (!SESSION_LAYOUTS.includes(name) && name !== AUTO_LAYOUT)
    throw new UsageError(`unknown --layout "${name.slice(0, 40)}"`, { hint: `one of: ${[...SESSION_LAYOUTS, AUTO_LAYOUT].join(', ')}` });
  return name;
}

/** A key prefix option (--session-prefix, --user-prefix): see validatePrefix. */
function prefixParser(what: string): (text: string) => string {
  return (text) => validatePrefix(text, what);
}

/**
 * --audit-key or REDIS_ACCOUNTS_AUDIT_KEY. Set but empty (an environment variable a template
 * left blank) is refused, as empty session and user prefixes are: falling back to the default
 * would write and read another trail than the one configured.
 */
export function parseAuditKey(key: string): string {
  if (key === '')
    throw new UsageError('--audit-key (REDIS_ACCOUNTS_AUDIT_KEY) may not be empty', {
      hint: `give the stream's key, or unset it for the default ${DEFAULT_AUDIT_KEY}`,
    });
  return key;
}

/** --reason and --actor: at most `max` characters, none that could fake or hide text when the trail is read. */
function trailText(what: string, max: number): (text: string) => string {
  return (value) => {
    if (value.length > max) throw new UsageError(`${what} must be at most ${max} characters`);
    const bad = UNPRINTABLE.exec(value)?.[0];
    if (bad !== undefined) {
      const code = `U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
      throw new UsageError(`${what} contains ${code}: control characters, line or paragraph separators and bidi controls are not allowed`);
    }
    return value;
  };
}

/**
 * A user to match sessions against (--user of the session commands). Compared for exact
 * equality with the session's user field, never placed in a SCAN pattern, so any text
 * without control characters is safe.
 */
export function parseSessionUser(user: string): string {
  if (user.length === 0 || user.length > 1024 || CONTROL.test(user)) {
    throw new UsageError('--user must be 1 to 1024 characters without control characters');
  }
  return user;
}

/**
 * --principal of `user add`: the application's id for the user in its sessions (a numeric id,
 * an e-mail), when it is not the username. The same rule as a session --user: compared
 * exactly with a session's user, never placed in a pattern.
 */
export function parsePrincipal(principal: string): string {
  if (principal.length === 0 || principal.length > 1024 || UNPRINTABLE.test(principal)) {
    throw new UsageError('--principal must be 1 to 1024 characters without control characters, line separators or bidi controls');
  }
  return principal;
}

/**
 * The options of each group after parsing: what a command's `ctx.opts` holds. Values are
 * parsed and checked as the command line is read (argParser), so a command never sees text
 * it has to parse again, and a bad value fails before anything connects. Parsers throw the
 * tool's UsageError (one line, exit 2) rather than commander's InvalidArgumentError, whose
 * two-line message would be the one error in another format.
 */
export interface ConnectionFlags {
  json?: true;
  debug?: true;
  url: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  redisPasswordFile?: string;
  /** Milliseconds. */
  timeout: number;
  cluster?: true | string;
  sentinel?: Array<{ host: string; port: number }>;
  sentinelMaster?: string;
}

export interface UserFlags extends ConnectionFlags {
  userPrefix: string;
}

export interface SessionFlags extends ConnectionFlags {
  /** One of SESSION_LAYOUTS, or AUTO_LAYOUT (parseLayout). */
  layout: string;
  /** Without --session-prefix: the layout's default (SessionLayout.defaultPrefix). */
  sessionPrefix?: string;
  /** Without --user-field: DEFAULT_USER_FIELDS (see userFieldsOf). */
  userField?: readonly string[];
}

/** Where a session names its user: --user-field, else the first present of DEFAULT_USER_FIELDS. */
export function userFieldsOf(opts: SessionFlags): readonly string[] {
  return opts.userField ?? DEFAULT_USER_FIELDS;
}

export interface CapsFlags {
  argon2MaxMemory: number;
  argon2MaxTime: number;
  argon2MaxParallelism: number;
}

export interface PolicyFlags extends CapsFlags {
  argon2Memory: number;
  argon2Time: number;
  argon2Parallelism: number;
}

export interface FirebaseParamsFlag {
  firebaseParams?: string;
}

export interface PepperFileFlag {
  pepperFile?: string;
}

export interface AuditFlags {
  reason?: string;
  actor?: string;
  auditKey: string;
  auditLog?: string;
}

export interface SecretFlag {
  cookieSecretFile?: string;
}

export interface CookieFlags extends SecretFlag {
  cookie?: string;
  /** Without --cookie-name: the layout's cookie's (SessionCookie.defaultName). */
  cookieName?: string;
}

export interface ProgressFlag {
  progress?: true;
}

export interface PasswordStdinFlag {
  passwordStdin?: true;
}

/** The options of the commands that set a new password (`user add`, `user passwd`). */
export interface NewPasswordFlags extends PasswordStdinFlag {
  minLength: number;
  blocklist?: string;
}
