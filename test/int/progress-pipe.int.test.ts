/**
 * The progress line and piped output on one terminal (tmux): `session list | grep` writes
 * grep's lines to the terminal our progress line is on, where we cannot erase it first, so
 * a pipe gets no progress unless --progress asks for it. A file redirect keeps it, as does
 * stdout on the terminal itself (covered in long-ops.int.test.ts).
 * Everything written to the terminal is read back from tmux's pipe-pane log, so a progress
 * frame erased a millisecond later is still seen.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { Pty } from '../helpers/pty.js';
import { AUDIT_KEY, useServer, type TestRedis } from '../helpers/fixture.js';
import { seedSessions, seedUsers } from '../helpers/seed.js';

/** A valid argon2id hash at m=4096, t=1: weaker than the default policy. */
const WEAK_HASH = '$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$xfF/Ea1d90eoahh0XhATEcsAEOYqBPVgDyjvWTbfA+k';
/** Enough keys for several SCAN batches, so a progress line is drawn at least once. */
const SESSIONS = 5000;

const t: TestRedis = useServer();
let pty: Pty | undefined;

beforeEach(async () => {
  await t.redis.flushAll();
});

afterEach(() => {
  pty?.stop();
  pty = undefined;
});

/** Run the CLI on a fresh terminal; its exit code and everything the terminal got, once each of `done` is in it. */
async function onTerminal(
  args: string[],
  stdout: string | { pipe: string } | undefined,
  ...done: RegExp[]
): Promise<{ code: number; log: string }> {
  pty?.stop();
  const p = new Pty();
  pty = p;
  await p.start(args, t.server.url, { NO_COLOR: '1' }, stdout);
  const code = await p.exitCode();
  for (const pattern of done) await p.waitLog(pattern);
  return { code, log: p.log() };
}

const FRAME = /\r\u001b\[2K(Listing|Revoking|Scanning|Checking): /;

describe('stdout a pipe into a program on the same terminal', () => {
  test('session list | cat: no progress text, the rows and the summary only', async () => {
    await seedSessions(t.server.plainPort, { to: SESSIONS, users: 100 });
    const r = await onTerminal(['session', 'list'], { pipe: 'cat' }, new RegExp(`${SESSIONS} sessions\\.`), /\tuser\d+\t/);
    expect(r.code).toBe(0);
    expect(r.log).not.toMatch(/Listing:/);
    expect(r.log).not.toMatch(/keys\/s/);
    // cat wrote the tab-separated rows (a pipe, not a terminal).
    expect(r.log).toMatch(/^[0-9a-z]{8}[A-Za-z0-9_-]{16}\tuser\d+\t/m);
  }, 60_000);

  test('session list --progress | cat: the progress line is back', async () => {
    await seedSessions(t.server.plainPort, { to: SESSIONS, users: 100 });
    const r = await onTerminal(['session', 'list', '--progress'], { pipe: 'cat' }, new RegExp(`${SESSIONS} sessions\\.`));
    expect(r.code).toBe(0);
    expect(r.log).toMatch(/\r\u001b\[2KListing: scanned [\d,]+, listed [\d,]+ \([\d,]+ keys\/s\)/);
  }, 60_000);

  test('session revoke --user --dry-run | cat and --all | cat: no progress; --progress brings it back', async () => {
    await seedSessions(t.server.plainPort, { to: SESSIONS, users: 10 });
    const dry = await onTerminal(
      ['session', 'revoke', '--user', 'user3', '--dry-run'],
      { pipe: 'cat' },
      /Would revoke 500 sessions of user3/,
    );
    expect(dry.code).toBe(0);
    expect(dry.log).not.toMatch(/Scanning:|keys\/s/);
    const dryAsked = await onTerminal(
      ['session', 'revoke', '--user', 'user3', '--dry-run', '--progress'],
      { pipe: 'cat' },
      /Would revoke 500 sessions of user3/,
    );
    expect(dryAsked.log).toMatch(/\r\u001b\[2KScanning: scanned [\d,]+, matched [\d,]+, revoked 0 \([\d,]+ keys\/s\)/);
    const all = await onTerminal(['session', 'revoke', '--all', '--yes', '--json'], { pipe: 'cat' }, /"revoked":5000/);
    expect(all.code).toBe(0);
    expect(all.log).not.toMatch(FRAME);
    expect(all.log).not.toMatch(/keys\/s/);
    expect(Number(await t.redis.dbSize()) - Number(await t.redis.exists(AUDIT_KEY))).toBe(0);
  }, 90_000);

  test('user rehash --check | cat: no progress; --progress brings it back', async () => {
    await seedUsers(t.server.plainPort, 3000, WEAK_HASH);
    const summary = /3000 users checked, 3000 with outdated or unusable hashes\./;
    const piped = await onTerminal(['user', 'rehash', '--check'], { pipe: 'cat' }, summary);
    expect(piped.code).toBe(1);
    expect(piped.log).not.toMatch(/Checking:|keys\/s/);
    const asked = await onTerminal(['user', 'rehash', '--check', '--progress'], { pipe: 'cat' }, summary);
    expect(asked.code).toBe(1);
    expect(asked.log).toMatch(/\r\u001b\[2KChecking: scanned [\d,]+, outdated [\d,]+ \([\d,]+ keys\/s\)/);
  }, 60_000);
});

describe('stdout redirected to a file', () => {
  test('session list > file and user rehash --check > file: progress on the terminal, only data in the file', async () => {
    await seedSessions(t.server.plainPort, { to: SESSIONS, users: 100 });
    await seedUsers(t.server.plainPort, 3000, WEAK_HASH);
    const dir = mkdtempSync(join(tmpdir(), 'ra-progress-'));
    try {
      const sessions = join(dir, 'sessions.tsv');
      const list = await onTerminal(['session', 'list'], sessions, new RegExp(`${SESSIONS} sessions\\.`));
      expect(list.code).toBe(0);
      expect(list.log).toMatch(/\r\u001b\[2KListing: scanned [\d,]+, listed [\d,]+ \([\d,]+ keys\/s\)/);
      const rows = readFileSync(sessions, 'utf8');
      expect(rows).not.toMatch(/[\r\u001b]|Listing:/);
      expect(rows.trimEnd().split('\n')).toHaveLength(SESSIONS + 1); // and the header

      const users = join(dir, 'outdated.ndjson');
      const check = await onTerminal(['user', 'rehash', '--check', '--json'], users, /3000 users checked/);
      expect(check.code).toBe(1);
      expect(check.log).toMatch(/\r\u001b\[2KChecking: scanned [\d,]+/);
      expect(readFileSync(users, 'utf8').trimEnd().split('\n')).toHaveLength(3000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
