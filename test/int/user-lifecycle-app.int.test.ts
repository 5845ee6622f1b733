/**
 * The account commands against a real application: express 5 + express-session +
 * connect-redis 9 (test/helpers/app.ts). Users log in over HTTP, some more than once; after
 * `user passwd`, `user disable` and `user delete` of one user, each of that user's cookies is
 * logged out on its next request while another user's cookies still work, and `--keep-sessions`
 * keeps them. The app keeps passport.user = <name>, or with `user add --principal` the id the
 * record names.
 */
import { describe, expect, test } from '@jest/globals';
import { useTestApp, type TestApp } from '../helpers/app.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import type { RedisServer } from '../helpers/redis-server.js';

const CHEAP = ['--argon2-memory', '1024', '--argon2-time', '1'];
const PW = 'correct horse battery';

describe('with a real express-session + connect-redis application', () => {
  let server: RedisServer;
  let app: TestApp;

  useTestApp((t) => {
    ({ server, app } = t);
  });

  const cli = (args: string[], input?: string): Promise<CliResult> =>
    runCli(args, { env: { REDIS_URL: server.url }, ...(input === undefined ? {} : { input }) });

  async function addUser(name: string, extra: string[] = []): Promise<void> {
    expect((await cli(['user', 'add', name, '--password-stdin', ...CHEAP, ...extra], `${PW}\n`)).code).toBe(0);
  }

  /** Who the app says each cookie is: a name, or 401. */
  async function whoAre(cookies: string[]): Promise<Array<string | number>> {
    return Promise.all(cookies.map(async (c) => ((r) => r.user ?? r.status)(await app.me(c))));
  }

  test('user passwd: every cookie of the user is logged out, another user still works', async () => {
    await addUser('pat');
    await addUser('quinn');
    const pat = [await app.login('pat'), await app.login('pat')];
    const quinn = await app.login('quinn');
    expect(await whoAre([...pat, quinn])).toEqual(['pat', 'pat', 'quinn']);
    const r = await cli(['user', 'passwd', 'pat', '--password-stdin', '--json', ...CHEAP], 'a brand new passphrase\n');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ sessionsRevoked: 2 });
    expect(await whoAre([...pat, quinn])).toEqual([401, 401, 'quinn']);
    // Logging in again works (a new session).
    expect(await whoAre([await app.login('pat')])).toEqual(['pat']);
  });

  test('user passwd --keep-sessions: the cookies stay logged in', async () => {
    await addUser('kim');
    const kim = await app.login('kim');
    expect((await cli(['user', 'passwd', 'kim', '--password-stdin', '--keep-sessions', ...CHEAP], 'another new passphrase\n')).code).toBe(
      0,
    );
    expect(await whoAre([kim])).toEqual(['kim']);
  });

  test('user disable: every cookie of the user is logged out, another user still works', async () => {
    await addUser('dana');
    await addUser('eli');
    const dana = [await app.login('dana'), await app.login('dana'), await app.login('dana')];
    const eli = await app.login('eli');
    const r = await cli(['user', 'disable', 'dana', '--reason', 'INC-7']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Revoked 3 sessions of dana.');
    expect(await whoAre([...dana, eli])).toEqual([401, 401, 401, 'eli']);
  });

  test('user delete: every cookie of the user is logged out, another user still works', async () => {
    await addUser('max');
    await addUser('noa');
    const max = [await app.login('max'), await app.login('max')];
    const noa = await app.login('noa');
    const r = await cli(['user', 'delete', 'max', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ deleted: true, sessionsRevoked: 2 });
    expect(await whoAre([...max, noa])).toEqual([401, 401, 'noa']);
  });

  test("with user add --principal: the app's id names the sessions, and a user whose name is that id keeps theirs", async () => {
    // The app logs sam in as "u-42"; another account is literally named "sam" in the app.
    await addUser('sam', ['--principal', 'u-42']);
    const sam = [await app.login('u-42'), await app.login('u-42')];
    const namesake = await app.login('sam');
    const r = await cli(['user', 'disable', 'sam', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ principal: 'u-42', sessionsRevoked: 2 });
    expect(await whoAre([...sam, namesake])).toEqual([401, 401, 'sam']);
  });
});
