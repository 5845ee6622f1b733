/**
 * Commander wiring only. Each action is one line that lazily imports its command module,
 * so `--help` never loads Redis, argon2 or inquirer.
 */
import { Command, Option } from 'commander';
import type { CommandContext } from './cli/context.js';
import type { Io } from './cli/io.js';
import {
  addAuditOptions,
  addCapsOptions,
  addConnectionOptions,
  addCookieOptions,
  secretFileOption,
  addFirebaseParamsOption,
  addPepperFileOption,
  addOutputOptions,
  addPolicyOptions,
  addProgressOption,
  addSessionDataOptions,
  addSessionOptions,
  addUserOptions,
  auditKeyOption,
  blocklistOption,
  type ConnectionFlags,
  minLengthOption,
  parseConflictMode,
  parseHold,
  parseImportFormat,
  parseLimit,
  parsePrincipal,
  parseSessionUser,
  parseSince,
} from './cli/options.js';

/** Receives each command's exit code. */
export type ExitSink = (code: number) => void;

const EXAMPLES = `
Examples:
  $ redis-accounts user add alice                      # prompts for the password twice
  $ printf '%s\\n' "$PW" | redis-accounts user verify alice --password-stdin
  $ redis-accounts user rehash --check --json
  $ redis-accounts user disable mallory --reason INC-4711   # and revokes his sessions
  $ redis-accounts user list --status disabled --json
  $ redis-accounts session list --user alice
  $ redis-accounts session revoke --user alice
  $ redis-accounts session ttl 3fa1c0de 30m

Exit codes: 0 ok, 1 no (wrong password, not found, outdated), 2 usage, 3 Redis
unreachable or refusing (auth, ACL, TLS, out of memory, timeout), 4 conflict, 5 unusable
stored data, 130 interrupted.`;

/** A command's Examples section (its help ends with it): each line as typed at a shell prompt. */
const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;

/** A word as a POSIX shell reads it back: bare when that is safe, else in single quotes. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The hint repeats what was typed except secrets: a password in --url, a --cookie value. */
function shownValue(option: Option, value: string): string {
  if (option.long === '--cookie' && value !== '-') return '****';
  if (option.long === '--url') return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1****@');
  return value;
}

/**
 * express-session ids can begin with '-' (about 1 in 64), and commander then reads one as an
 * unknown option. Options here are words, so a long single-dash token is most likely such an
 * id: say how to pass it, as the command line that was typed (the same command: a hint that
 * named another one could delete the session a responder meant to look at), with the options
 * first, since after '--' every word is an operand.
 */
export function withDashIdHint(error: string, cmd: Command): string {
  const flag = /^error: unknown option '(-[^-][^']{7,})'/.exec(error)?.[1];
  if (flag === undefined || cmd.registeredArguments.length === 0) return error;
  const path: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) path.unshift(c.name());
  const options = cmd.options.flatMap((option) => {
    const key = option.attributeName();
    if (cmd.getOptionValueSource(key) !== 'cli') return [];
    const value: unknown = cmd.getOptionValue(key);
    const name = option.long ?? option.short ?? '';
    return typeof value === 'string' ? [name, shownValue(option, value)] : [name];
  });
  // What commander did not take as an option, in the order typed. When it holds '--', the
  // first one is the separator the user typed after the id (it comes after an unknown option).
  const operands = [...cmd.args];
  const separator = operands.indexOf('--');
  if (separator >= 0) operands.splice(separator, 1);
  const line = [...path, ...options, '--', ...operands].map(shellWord).join(' ');
  return `${error.trimEnd()}\n(an argument that begins with '-', as some session ids do, goes after '--', and options before it: ${line})\n`;
}

export function makeProgram(io: Io, setExit: ExitSink, readerGone: AbortSignal = new AbortController().signal): Command {
  const program = new Command('redis-accounts')
    .description('Administer the user accounts and sessions that web applications keep in Redis')
    .version('0.1.0')
    // The program's own options (-V, -h) only before a command: otherwise a session id such as
    // `-Vw3b9...` given to a command printed the version and exited 0, having done nothing.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  // Each command's options as parsed (the argParsers in options.ts): the type is the command's own.
  const context = <O extends ConnectionFlags>(cmd: Command): CommandContext<O> => ({
    io,
    opts: cmd.opts<O>(),
    urlSource: cmd.getOptionValueSource('url'),
    readerGone,
  });

  // Each leaf's options are added only when its group is entered: building all of them
  // would cost --help a few ms, for options it never prints (STYLE: --help starts fast).
  // A leaf adds its own options first: its help lists them before the shared groups
  // (options.ts HELP_GROUPS), the connection options last.
  const optionsOf = new Map<Command, () => void>();
  const leaf = (cmd: Command, addOptions: (cmd: Command) => unknown, examplesText: string): Command => {
    optionsOf.set(cmd, () => {
      addOptions(cmd);
      cmd.addHelpText('after', examplesText);
    });
    return cmd.configureOutput({ outputError: (s, write) => write(withDashIdHint(s, cmd)) });
  };
  const enter = (group: Command) => {
    for (const cmd of group.commands) {
      optionsOf.get(cmd)?.();
      optionsOf.delete(cmd);
    }
  };
  // Entered to run a command, or to print a group's help (`session --help` takes this path).
  program.hook('preSubcommand', (_program, group) => enter(group));
  const group = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .on('beforeHelp', function (this: Command) {
        enter(this);
      });
  const passwordStdin = (c: Command) => c.option('--password-stdin', 'read the password as one line from stdin (for scripts)');

  const user = group('user', 'create, list, show, check, change, disable, delete and export user accounts (argon2id password hashes)');
  leaf(
    user.command('add').argument('<name>', 'username').description('create a user; prompts for the password without echo'),
    (c) => {
      passwordStdin(c)
        .option('--principal <id>', "the application's id for the user in its sessions, when it is not the name", parsePrincipal)
        .addOption(minLengthOption())
        .addOption(blocklistOption());
      addUserOptions(addAuditOptions(addPepperFileOption(addPolicyOptions(c))));
    },
    examples(
      'redis-accounts user add alice                      # asks for the password twice, without echo',
      `printf '%s\\n' "$PW" | redis-accounts user add alice --password-stdin --json`,
      'redis-accounts user add alice --reason ONBOARD-12 --argon2-memory 65536',
      'redis-accounts user add alice --principal 7        # the app keeps passport.user = 7 in her sessions',
    ),
  ).action(async (name: string, _o, cmd: Command) => setExit(await (await import('./commands/user/add.js')).run(name, context(cmd))));
  leaf(
    user.command('verify').argument('<name>', 'username').description('check a password: exit 0 if it matches, 1 if not'),
    (c) => {
      passwordStdin(c).option('--rehash', 'if the password matches and the hash is outdated, re-hash it at the current policy');
      addUserOptions(addAuditOptions(addPepperFileOption(addFirebaseParamsOption(addPolicyOptions(c)))));
    },
    examples(
      'redis-accounts user verify alice; echo "exit $?"   # asks for the password: exit 0 if it matches, 1 if not',
      `printf '%s\\n' "$PW" | redis-accounts user verify alice --password-stdin --json`,
      'redis-accounts user verify alice --rehash          # and upgrade an outdated hash after a match',
      'redis-accounts user verify alice --pepper-file /run/secrets/pepper   # re-peppers a hash on an old key',
    ),
  ).action(async (name: string, _o, cmd: Command) => setExit(await (await import('./commands/user/verify.js')).run(name, context(cmd))));
  leaf(
    user.command('rehash').argument('[name]', 'username').description('re-hash a password at the current policy, or --check them all'),
    (c) => {
      passwordStdin(c)
        .option('--force', 'rehash even when the hash meets the policy')
        .option('--check', 'list users whose hashes are weaker than the policy; exit 1 if any');
      addUserOptions(addAuditOptions(addPepperFileOption(addFirebaseParamsOption(addPolicyOptions(addProgressOption(c))))));
    },
    examples(
      'redis-accounts user rehash alice                   # asks for the password, re-hashes an outdated hash',
      'redis-accounts user rehash alice --force --argon2-memory 65536',
      'redis-accounts user rehash --check; echo "exit $?" # lists the weaker hashes: exit 1 if any',
      'redis-accounts user rehash --check --json > outdated.ndjson',
    ),
  ).action(async (name: string | undefined, _o, cmd: Command) =>
    setExit(await (await import('./commands/user/rehash.js')).run(name, context(cmd))),
  );

  // The user's sessions: where they are (--layout, --session-prefix, --user-field) beside the
  // user records, under the one "Stored data options" heading.
  const userAndSessions = (c: Command) => addUserOptions(addSessionDataOptions(addAuditOptions(c)));
  leaf(
    user
      .command('passwd')
      .argument('<name>', 'username')
      .description("set a new password (asked twice without echo, or --random) and revoke the user's sessions"),
    (c) => {
      passwordStdin(c)
        .option('--random', 'make a strong random password, print it once on stdout, and mark it as one the user must change')
        .option('--keep-sessions', "do not revoke the user's sessions (nor set sessions_valid_after)")
        .addOption(minLengthOption())
        .addOption(blocklistOption());
      userAndSessions(addPepperFileOption(addPolicyOptions(addProgressOption(c))));
    },
    examples(
      'redis-accounts user passwd alice                   # asks for the new password twice, revokes her sessions',
      `printf '%s\\n' "$PW" | redis-accounts user passwd alice --password-stdin --reason INC-4711`,
      'redis-accounts user passwd alice --random --json   # a one-time password she must change',
      'redis-accounts user passwd alice --layout spring    # her Spring Session sessions',
      'redis-accounts user passwd alice --keep-sessions    # her sessions stay logged in',
    ),
  ).action(async (name: string, _o, cmd: Command) => setExit(await (await import('./commands/user/passwd.js')).run(name, context(cmd))));
  leaf(
    user
      .command('disable')
      .argument('<name>', 'username')
      .description("disable an account (status disabled, --reason kept with it) and revoke the user's sessions"),
    (c) => userAndSessions(addProgressOption(c)),
    examples(
      'redis-accounts user disable mallory --reason INC-4711',
      'redis-accounts user disable mallory --layout auto --json   # sessions of every layout',
    ),
  ).action(async (name: string, _o, cmd: Command) => setExit(await (await import('./commands/user/disable.js')).run(name, context(cmd))));
  leaf(
    user
      .command('enable')
      .argument('<name>', 'username')
      .description('enable a disabled account again (its revoked sessions stay revoked)'),
    (c) => addUserOptions(addAuditOptions(addOutputOptions(c))),
    examples('redis-accounts user enable mallory --reason INC-4711-closed', 'redis-accounts user enable mallory --json'),
  ).action(async (name: string, _o, cmd: Command) => setExit(await (await import('./commands/user/enable.js')).run(name, context(cmd))));
  leaf(
    user
      .command('delete')
      .argument('<name>', 'username')
      .description('delete a user and revoke their sessions (asks on a terminal; needs --yes otherwise)'),
    (c) => {
      c.option('--yes', 'do not ask for confirmation');
      userAndSessions(addProgressOption(c));
    },
    examples(
      'redis-accounts user delete alice                   # asks first',
      'redis-accounts user delete alice --yes --reason OFFBOARD-3 --json',
    ),
  ).action(async (name: string, _o, cmd: Command) => setExit(await (await import('./commands/user/delete.js')).run(name, context(cmd))));

  // Reading users: nothing is changed, nothing audited.
  leaf(
    user.command('list').description('list users (never their hashes): a table on a terminal, NDJSON with --json'),
    (c) => {
      c.option('--match <glob>', "only usernames matching this glob (SCAN MATCH: * ? [...]), e.g. 'adm*'")
        .addOption(new Option('--status <status>', 'only active or only disabled (not active) accounts').choices(['active', 'disabled']))
        .option('--outdated', 'only users whose hashes are weaker than the policy (as user rehash --check), with the reasons');
      addUserOptions(addPepperFileOption(addPolicyOptions(addProgressOption(c))));
    },
    examples(
      'redis-accounts user list',
      "redis-accounts user list --match 'adm*' --status disabled",
      'redis-accounts user list --outdated --json | jq -r .name',
      'redis-accounts user list --json > users.ndjson   # progress on the terminal, NDJSON in the file',
    ),
  ).action(async (_o, cmd: Command) => setExit(await (await import('./commands/user/list.js')).run(context(cmd))));
  leaf(
    user
      .command('show')
      .argument('<name>', 'username')
      .description('show one user but the hash: status, hash family and cost, times, principal, how many sessions'),
    (c) => addUserOptions(addSessionDataOptions(addPolicyOptions(addProgressOption(c)))),
    examples('redis-accounts user show alice', 'redis-accounts user show alice --layout auto --json   # her sessions in every layout'),
  ).action(async (name: string, _o, cmd: Command) => setExit(await (await import('./commands/user/show.js')).run(name, context(cmd))));
  leaf(
    user.command('export').description('every user as JSON lines, as user import --format jsonl reads them (hashes only if asked)'),
    (c) => {
      c.option('--include-hashes', 'add each password hash (warns on stderr: keep the file secret)');
      addUserOptions(addProgressOption(c));
    },
    examples('redis-accounts user export > users.jsonl', 'redis-accounts user export --include-hashes > users-with-hashes.jsonl'),
  ).action(async (_o, cmd: Command) => setExit(await (await import('./commands/user/export.js')).run(context(cmd))));
  leaf(
    user
      .command('import')
      .argument('<file>', "the export to read; '-' reads stdin")
      .description("create users from an export (this tool's, htpasswd, Django, Firebase, Keycloak), their hashes stored as they are"),
    (c) => {
      c.requiredOption(
        '--format <format>',
        'jsonl (user export), htpasswd, django (dumpdata auth.user), firebase (auth:export), keycloak (realm export)',
        parseImportFormat,
      )
        .option(
          '--on-conflict <mode>',
          'a user that exists already: skip it, fail (stop, exit 4), or overwrite its hash and lifecycle fields',
          parseConflictMode,
          'skip',
        )
        .option('--dry-run', 'check every record and report, write nothing');
      addUserOptions(addAuditOptions(addFirebaseParamsOption(addCapsOptions(addProgressOption(c)))));
    },
    examples(
      'redis-accounts user import users.jsonl --format jsonl       # from user export --include-hashes',
      'redis-accounts user import /etc/nginx/.htpasswd --format htpasswd --dry-run',
      'python manage.py dumpdata auth.user | redis-accounts user import - --format django --json',
      'redis-accounts user import users.json --format firebase --firebase-params hash-config.txt',
      'redis-accounts user import realm-export.json --format keycloak --on-conflict overwrite',
    ),
  ).action(async (file: string, _o, cmd: Command) => setExit(await (await import('./commands/user/import.js')).run(file, context(cmd))));

  const session = group(
    'session',
    'list, revoke and extend web sessions (express-session, fastify, koa, Spring Session, Better Auth, Auth.js, PHP, Symfony, Laravel, Django, Flask-Session, Rails, gorilla/sessions)',
  );
  leaf(
    session.command('list').description('list sessions: a table on a terminal, NDJSON with --json'),
    (c) => {
      c.option('--user <name>', 'only sessions of this user', parseSessionUser)
        .option('--limit <n>', 'stop after this many sessions', parseLimit)
        .option('--scan', "with --user: scan every session, not the framework's per-user index (Spring's principal sets)")
        .addOption(secretFileOption());
      addSessionOptions(addProgressOption(c));
    },
    examples(
      'redis-accounts session list --user alice',
      'redis-accounts session list --json > sessions.ndjson   # progress on the terminal, NDJSON in the file',
      'redis-accounts session list --limit 20 --session-prefix myapp:',
      'redis-accounts session list --progress | grep 203.0.113.7   # progress also when stdout is a pipe',
    ),
  ).action(async (_o, cmd: Command) => setExit(await (await import('./commands/session/list.js')).run(context(cmd))));
  leaf(
    session.command('revoke').argument('[ids...]', 'session ids').description('delete sessions by id, by --cookie, by --user, or --all'),
    (c) => {
      c.option('--user <name>', 'revoke every session of this user', parseSessionUser)
        .option('--scan', "with --user: scan every session, not the framework's per-user index (Spring's principal sets)")
        .option('--all', 'revoke every session (asks on a terminal; needs --yes otherwise)')
        .option('--yes', 'do not ask for confirmation')
        .option('--dry-run', 'list what would be revoked, change nothing')
        .option(
          '--hold <duration>',
          'keep guarding the revoked ids this long, deleting any that a request in flight writes back',
          parseHold,
        )
        .option(
          '--allow-ineffective-revoke',
          "delete the keys even where that does not log the users out (Django's cached_db reloads the session from SQL)",
        );
      addSessionOptions(addAuditOptions(addProgressOption(addCookieOptions(c))));
    },
    examples(
      'redis-accounts session revoke Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6Js q1Hs8dLk2PzXv9RtYw4BnCe7Ma0Gf5Ju',
      "redis-accounts session revoke --reason INC-4711 -- -Qw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6J   # an id that begins with '-'",
      'redis-accounts session revoke --user mallory --dry-run',
      'redis-accounts session revoke --user mallory --hold 30s --reason INC-4711',
      `printf '%s\\n' "$COOKIE" | redis-accounts session revoke --cookie -   # the session a cookie names`,
      'redis-accounts session revoke --all --yes --json',
    ),
  ).action(async (ids: string[], _o, cmd: Command) => setExit(await (await import('./commands/session/revoke.js')).run(ids, context(cmd))));
  leaf(
    session.command('show').argument('[id]', 'session id').description('show one session in full, by id or by its cookie'),
    (c) => addSessionOptions(addCookieOptions(c)),
    examples(
      'redis-accounts session show Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6Js',
      "redis-accounts session show --json -- -Qw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6J   # an id that begins with '-'",
      `printf '%s\\n' "$COOKIE" | redis-accounts session show --cookie - --cookie-secret-file app-secrets`,
    ),
  ).action(async (id: string | undefined, _o, cmd: Command) =>
    setExit(await (await import('./commands/session/show.js')).run(id, context(cmd))),
  );
  leaf(
    session
      .command('ttl')
      .argument('<id>', 'session id')
      .argument('[duration]', 'new lifetime: 3600, 90s, 30m, 12h, 7d, 2w')
      .description('print the remaining lifetime of a session, or set a new one that survives its next request'),
    (c) => {
      c.option(
        '--hold <duration>',
        'keep the new lifetime this long, setting it again whenever a request in flight writes the old one back',
        parseHold,
      );
      c.addOption(secretFileOption());
      addSessionOptions(addAuditOptions(c));
    },
    examples(
      'redis-accounts session ttl Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6Js                  # the remaining lifetime',
      'redis-accounts session ttl Xw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6Js 30m --hold 10s   # a new one, kept against requests in flight',
      "redis-accounts session ttl --json -- -Qw3b9Qn2eKp0Lr7TuVh1ZcYdFa8Mg6J 15m    # an id that begins with '-'",
    ),
  ).action(async (id: string, duration: string | undefined, _o, cmd: Command) =>
    setExit(await (await import('./commands/session/ttl.js')).run(id, duration, context(cmd))),
  );

  leaf(
    session.command('layouts').description("find which frameworks' sessions a server holds: layout, prefix, count, an example id"),
    (c) => {
      c.option('--all', 'count every key (default: a sample of the first 10,000 keys scanned)');
      addConnectionOptions(addProgressOption(c));
    },
    examples('redis-accounts session layouts', 'redis-accounts session layouts --all --json'),
  ).action(async (_o, cmd: Command) => setExit(await (await import('./commands/session/layouts.js')).run(context(cmd))));

  const index = session
    .command('index')
    .description("the per-user session indexes a framework keeps (Spring's principal sets)")
    .on('beforeHelp', function (this: Command) {
      enter(this);
    });
  // A group inside a group: entered when `session` dispatches to it.
  session.hook('preSubcommand', (_session, sub) => enter(sub));
  leaf(
    index.command('prune').description('remove index members whose session is gone or belongs to another user'),
    (c) => {
      c.option('--dry-run', 'count what would be removed, change nothing');
      addSessionOptions(addAuditOptions(c));
    },
    examples('redis-accounts session index prune --layout spring --dry-run', 'redis-accounts session index prune --layout spring --json'),
  ).action(async (_o, cmd: Command) => setExit(await (await import('./commands/session/index-prune.js')).run(context(cmd))));

  const audit = group('audit', 'the trail of changes this tool made');
  leaf(
    audit.command('list').description('list audit entries in time order (server time)'),
    (c) => {
      c.option('--since <time>', 'from this ISO time or date, or this long ago (12h, 7d)', (text: string) => parseSince(text))
        .option('--limit <n>', 'only the newest n entries (still printed oldest first)', parseLimit)
        .option('--oldest-first', 'with --limit: the oldest n entries (from --since on) instead of the newest')
        .addOption(auditKeyOption());
      addConnectionOptions(c);
    },
    examples(
      'redis-accounts audit list --since 1h',
      'redis-accounts audit list --limit 20                # the newest 20, printed oldest first',
      'redis-accounts audit list --since 2026-11-01 --json',
    ),
  ).action(async (_o, cmd: Command) => setExit(await (await import('./commands/audit/list.js')).run(context(cmd))));

  // commander's own `help <command>` reads one word: `help session list` printed the help of
  // `session`. This one follows every word, so it prints what `session list --help` prints.
  program
    .command('help')
    .argument('[command...]', 'a command, e.g. session list')
    .description('display help for a command')
    .action((words: string[]) => {
      let target: Command = program;
      for (const word of words) {
        enter(target);
        const next = target.commands.find((c) => c.name() === word);
        if (next === undefined) return target.error(`error: unknown command '${word}'`);
        target = next;
      }
      return target.help();
    });

  return program;
}
