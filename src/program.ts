/**
 * Commander wiring only. Each action is one line that lazily imports its command module,
 * so `--help` never loads Redis, argon2 or inquirer.
 */
import { Command, Option } from 'commander';
import type { CommandContext } from './context.js';
import type { Io } from './io.js';
import { addAuditOptions, addConnectionOptions, addCookieOptions, addPolicyOptions, addSessionOptions, addUserOptions, PASSWORD_MIN_DEFAULT } from './options.js';

/** Receives each command's exit code. */
export type ExitSink = (code: number) => void;

const EXAMPLES = `
Examples:
  $ redis-accounts user add alice                      # prompts for the password twice
  $ printf '%s\\n' "$PW" | redis-accounts user verify alice --password-stdin
  $ redis-accounts user rehash --check --json
  $ redis-accounts session list --user alice
  $ redis-accounts session revoke --user alice
  $ redis-accounts session ttl 3fa1c0de 30m

Exit codes: 0 ok, 1 no (wrong password, not found, outdated), 2 usage, 3 Redis
unreachable/auth/ACL/TLS/timeout, 4 conflict, 5 unusable stored data, 130 interrupted.`;

/**
 * express-session ids can begin with '-' (about 1 in 64), and commander then reads one as an
 * unknown option. Options here are words, so a long single-dash token is most likely such an
 * id: say how to pass it instead of leaving the responder with "unknown option".
 */
export function withDashIdHint(error: string): string {
  const flag = /^error: unknown option '(-[^-][^']{7,})'/.exec(error)?.[1];
  return flag === undefined ? error : `${error.trimEnd()}\n(an argument that begins with '-', as some session ids do, goes after '--': session revoke -- ${flag})\n`;
}

export function makeProgram(io: Io, setExit: ExitSink, readerGone: AbortSignal = new AbortController().signal): Command {
  const program = new Command('redis-accounts')
    .description('Administer the user accounts and sessions that web applications keep in Redis')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(withDashIdHint(s)),
    });

  const context = (cmd: Command): CommandContext => ({ io, opts: cmd.opts(), urlSource: cmd.getOptionValueSource('url'), readerGone });

  // Each leaf's options are added only when its group is entered: building all of them
  // would cost --help a few ms, for options it never prints (STYLE: --help starts fast).
  const optionsOf = new Map<Command, (cmd: Command) => unknown>();
  const leaf = (cmd: Command, addOptions: (cmd: Command) => unknown): Command => {
    optionsOf.set(cmd, addOptions);
    return cmd;
  };
  const enter = (group: Command) => {
    for (const cmd of group.commands) {
      optionsOf.get(cmd)?.(cmd);
      optionsOf.delete(cmd);
    }
  };
  // Entered to run a command, or to print a group's help (`help session` takes this path).
  program.hook('preSubcommand', (_program, group) => enter(group));
  const group = (name: string, description: string) => program.command(name).description(description).on('beforeHelp', function (this: Command) {
    enter(this);
  });

  const user = group('user', 'create and check user accounts (argon2id password hashes)');
  leaf(user.command('add').argument('<name>', 'username').description('create a user; prompts for the password without echo'), (c) =>
    addAuditOptions(addPolicyOptions(addUserOptions(c)))
      .option('--password-stdin', 'read the password as one line from stdin (for scripts)')
      .addOption(new Option('--min-length <n>', 'minimum password length in characters').env('REDIS_ACCOUNTS_PASSWORD_MIN').default(PASSWORD_MIN_DEFAULT)),
  ).action(async (name: string, _o, cmd: Command) => setExit(await (await import('./commands/user/add.js')).run(name, context(cmd))));
  leaf(user.command('verify').argument('<name>', 'username').description('check a password: exit 0 if it matches, 1 if not'), (c) =>
    addAuditOptions(addPolicyOptions(addUserOptions(c)))
      .option('--password-stdin', 'read the password as one line from stdin (for scripts)')
      .option('--rehash', 'if the password matches and the hash is outdated, re-hash it at the current policy'),
  ).action(async (name: string, _o, cmd: Command) => setExit(await (await import('./commands/user/verify.js')).run(name, context(cmd))));
  leaf(user.command('rehash').argument('[name]', 'username').description('re-hash a password at the current policy, or --check them all'), (c) =>
    addAuditOptions(addPolicyOptions(addUserOptions(c)))
      .option('--password-stdin', 'read the password as one line from stdin (for scripts)')
      .option('--force', 'rehash even when the hash meets the policy')
      .option('--check', 'list users whose hashes are weaker than the policy; exit 1 if any'),
  ).action(async (name: string | undefined, _o, cmd: Command) => setExit(await (await import('./commands/user/rehash.js')).run(name, context(cmd))));

  const session = group('session', 'list, revoke and extend web sessions (express-session + connect-redis)');
  leaf(session.command('list').description('list sessions: a table on a terminal, NDJSON with --json'), (c) =>
    addSessionOptions(c).option('--user <name>', 'only sessions of this user').option('--limit <n>', 'stop after this many sessions'),
  ).action(async (_o, cmd: Command) => setExit(await (await import('./commands/session/list.js')).run(context(cmd))));
  leaf(session.command('revoke').argument('[ids...]', 'session ids').description('delete sessions by id, by --cookie, by --user, or --all'), (c) =>
    addCookieOptions(addAuditOptions(addSessionOptions(c)))
      .option('--user <name>', 'revoke every session of this user')
      .option('--all', 'revoke every session (asks on a terminal; needs --yes otherwise)')
      .option('--yes', 'do not ask for confirmation')
      .option('--dry-run', 'list what would be revoked, change nothing')
      .option('--hold <duration>', 'keep guarding the revoked ids this long, deleting any that a request in flight writes back'),
  ).action(async (ids: string[], _o, cmd: Command) => setExit(await (await import('./commands/session/revoke.js')).run(ids, context(cmd))));
  leaf(session.command('show').argument('[id]', 'session id').description('show one session in full, by id or by its cookie'), (c) =>
    addCookieOptions(addSessionOptions(c)),
  ).action(async (id: string | undefined, _o, cmd: Command) => setExit(await (await import('./commands/session/show.js')).run(id, context(cmd))));
  leaf(
    session
      .command('ttl')
      .argument('<id>', 'session id')
      .argument('[duration]', 'new lifetime: 3600, 90s, 30m, 12h, 7d')
      .description('print the remaining lifetime of a session, or set a new one that survives its next request'),
    (c) =>
      addAuditOptions(addSessionOptions(c)).option(
        '--hold <duration>',
        'keep the new lifetime this long, setting it again whenever a request in flight writes the old one back',
      ),
  ).action(async (id: string, duration: string | undefined, _o, cmd: Command) => setExit(await (await import('./commands/session/ttl.js')).run(id, duration, context(cmd))));

  const audit = group('audit', 'the trail of changes this tool made');
  leaf(audit.command('list').description('list audit entries in time order (server time)'), (c) =>
    addConnectionOptions(c)
      .option('--since <time>', 'from this ISO time or date, or this long ago (12h, 7d)')
      .option('--limit <n>', 'only the newest n entries (still printed oldest first)')
      .option('--oldest-first', 'with --limit: the oldest n entries (from --since on) instead of the newest')
      .addOption(new Option('--audit-key <key>', 'Redis stream of the audit trail').env('REDIS_ACCOUNTS_AUDIT_KEY')),
  ).action(async (_o, cmd: Command) => setExit(await (await import('./commands/audit/list.js')).run(context(cmd))));

  return program;
}
