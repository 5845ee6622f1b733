/**
 * Per-command help, as an operator reads it: the command's own options first and the
 * connection options last under their own heading, an Examples section, and
 * `help <group> <command>` printing the same as `<group> <command> --help`.
 */
import { describe, expect, test } from '@jest/globals';
import { runCli } from '../helpers/cli.js';

const COMMANDS = [
  ['user', 'add'],
  ['user', 'verify'],
  ['user', 'rehash'],
  ['user', 'passwd'],
  ['user', 'disable'],
  ['user', 'delete'],
  ['user', 'import'],
  ['session', 'list'],
  ['session', 'revoke'],
  ['session', 'show'],
  ['session', 'ttl'],
  ['audit', 'list'],
];

const CONNECTION = [
  '--url',
  '--tls-ca',
  '--tls-cert',
  '--tls-key',
  '--redis-password-file',
  '--timeout',
  '--cluster',
  '--sentinel',
  '--sentinel-master',
];

/** Help text split into its sections: heading -> the lines under it. */
function sections(help: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of help.split('\n')) {
    const heading = /^(\S.*):$/.exec(line)?.[1];
    if (heading !== undefined) out.set(heading, (current = []));
    else if (current !== undefined && line.trim() !== '') current.push(line);
  }
  return out;
}

/** The long flags of the option lines of a section, in order. */
const flags = (lines: string[] = []) => lines.flatMap((l) => /^ {2}(?:-\w, )?(--[\w-]+)/.exec(l)?.[1] ?? []);

async function help(args: string[]): Promise<string> {
  const r = await runCli(args);
  expect([r.code, r.stderr]).toEqual([0, '']);
  return r.stdout;
}

describe('per-command help', () => {
  test('session list --help: its own options first, then stored data options, the connection options last under their own heading', async () => {
    const s = sections(await help(['session', 'list', '--help']));
    expect([...s.keys()]).toEqual(['Options', 'Stored data options', 'Connection options', 'Examples']);
    expect(flags(s.get('Options'))).toEqual([
      '--user',
      '--limit',
      '--scan',
      '--cookie-secret-file',
      '--progress',
      '--json',
      '--debug',
      '--help',
    ]);
    expect(flags(s.get('Stored data options'))).toEqual(['--layout', '--session-prefix', '--user-field']);
    expect(flags(s.get('Connection options'))).toEqual(CONNECTION);
  });

  test.each(COMMANDS)(
    '%s %s --help: own options before every shared group, connection options last, and Examples of this command',
    async (group, name) => {
      const text = await help([group, name, '--help']);
      const s = sections(text);
      const headings = [...s.keys()].filter((h) => h !== 'Arguments');
      expect(headings[0]).toBe('Options');
      expect(headings.slice(-2)).toEqual(['Connection options', 'Examples']);
      expect(flags(s.get('Connection options'))).toEqual(CONNECTION);
      // The first option listed is the command's own, not a shared one.
      const own = flags(s.get('Options'));
      expect(own.slice(-3)).toEqual(['--json', '--debug', '--help']);
      expect(own.length).toBeGreaterThan(3);
      // Examples run this very command, with options it has.
      const examples = s.get('Examples') ?? [];
      expect(examples.length).toBeGreaterThanOrEqual(2);
      const known = new Set([...s.values()].flatMap((lines) => flags(lines)));
      for (const line of examples) {
        expect(line).toMatch(new RegExp(`^ {2}\\$ (.* \\| )?redis-accounts ${group} ${name}( |$)`));
        const command = line.replace(/\s+#.*$/, '');
        for (const flag of command.match(/(?<=\s)--[\w-]+/g) ?? []) expect(known).toContain(flag);
      }
    },
  );

  test.each(COMMANDS)("help %s %s prints what the command's own --help prints", async (group, name) => {
    expect(await help(['help', group, name])).toBe(await help([group, name, '--help']));
  });

  test('user enable --help: no options of its own but --json and --debug, and those still come first', async () => {
    const s = sections(await help(['user', 'enable', '--help']));
    expect([...s.keys()]).toEqual(['Arguments', 'Options', 'Audit trail options', 'Stored data options', 'Connection options', 'Examples']);
    expect(flags(s.get('Options'))).toEqual(['--json', '--debug', '--help']);
    expect(flags(s.get('Connection options'))).toEqual(CONNECTION);
    expect(await help(['help', 'user', 'enable'])).toBe(await help(['user', 'enable', '--help']));
  });

  test('user passwd --help: the user prefix and the session options share the stored data heading', async () => {
    const s = sections(await help(['user', 'passwd', '--help']));
    expect([...s.keys()]).toEqual([
      'Arguments',
      'Options',
      'Password hashing options',
      'Audit trail options',
      'Stored data options',
      'Connection options',
      'Examples',
    ]);
    expect(flags(s.get('Stored data options'))).toEqual(['--layout', '--session-prefix', '--user-field', '--user-prefix']);
    expect(flags(s.get('Options'))).toEqual([
      '--password-stdin',
      '--random',
      '--keep-sessions',
      '--min-length',
      '--blocklist',
      '--progress',
      '--json',
      '--debug',
      '--help',
    ]);
  });

  test('help <group> and help alone print the group and program help; an unknown command is a usage error', async () => {
    expect(await help(['help', 'session'])).toBe(await help(['session', '--help']));
    expect(await help(['help'])).toBe(await help(['--help']));
    const r = await runCli(['help', 'session', 'lsit']);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', "error: unknown command 'lsit'\n(run with --help for usage)\n"]);
  });
});
