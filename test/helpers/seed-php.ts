/**
 * Bulk-load sessions as the PHP applications of test/fixtures/php write them (test/helpers/apps/php.ts),
 * through `redis-cli --pipe`: PHP's own sessions on phpredis, Symfony's RedisSessionHandler and
 * Laravel 8's redis session driver. Used by the bench; test/int/seed-layouts.int.test.ts holds
 * each seeder to the real application's bytes. Session i belongs to `user<i % users>`.
 */
import { createHash } from 'node:crypto';
import { ALNUM, chunkedBytes, each, pipeCommands, randomChars, uniqueId, type NodeSeedOptions } from './seed.js';

/** The apps' session.gc_maxlifetime and Laravel's session lifetime (60 minutes): each write's SETEX. */
export const PHP_SEED_TTL = 3600;

/** PHP 8.2's session ids: sid_length 26, sid_bits_per_character 5 (the characters 0-9a-v). */
const SID_ALPHABET = '0123456789abcdefghijklmnopqrstuv';
const sid = (i: number) => uniqueId(i, SID_ALPHABET, 26, 7);

/** PHP's serialize() of a string (its length in bytes). */
const str = (s: string) => `s:${Buffer.byteLength(s)}:"${s}";`;

/**
 * PHP's own sessions on phpredis with the default serialize_handler, `php`, as
 * test/fixtures/php/session-app.php logs a user in: `user_id` (the number n of `user<n>`),
 * `username`, `roles`, `login_at`, under `PHPREDIS_SESSION:<sid>` with SETEX gc_maxlifetime.
 */
export async function seedPhpSessions(port: number, opts: NodeSeedOptions): Promise<void> {
  const { from = 0, to, users = 1000 } = opts;
  const ttl = String(PHP_SEED_TTL);
  const loginAt = Math.floor(Date.now() / 1000);
  await pipeCommands(
    port,
    chunkedBytes(
      each(from, to, (i) => {
        const n = i % users;
        const value = `user_id|i:${n};username|${str(`user${n}`)}roles|a:2:{i:0;s:4:"user";i:1;s:6:"reader";}login_at|i:${loginAt};`;
        return ['SETEX', `PHPREDIS_SESSION:${sid(i)}`, ttl, value];
      }),
    ),
  );
}

/** Symfony's user class: its properties are private to Symfony\Component\Security\Core\User\User (hence the NUL-wrapped names). */
const USER_CLASS = 'Symfony\\Component\\Security\\Core\\User\\User';
const prop = (name: string) => str(`\0${USER_CLASS}\0${name}`);

/** serialize() of the UsernamePasswordToken symfony-app.php stores for `user` (Symfony 5.4, firewall "main"). */
function symfonyToken(user: string): string {
  const inMemoryUser =
    `O:49:"Symfony\\Component\\Security\\Core\\User\\InMemoryUser":8:{` +
    `${prop('username')}${str(user)}` +
    `${prop('password')}${str('$2y$13$notarealhashnotarealhashnotarealhashnotarealhashnot')}` +
    `${prop('enabled')}b:1;${prop('accountNonExpired')}b:1;${prop('credentialsNonExpired')}b:1;${prop('accountNonLocked')}b:1;` +
    `${prop('roles')}a:1:{i:0;s:9:"ROLE_USER";}${prop('extraFields')}a:0:{}}`;
  return (
    `O:74:"Symfony\\Component\\Security\\Core\\Authentication\\Token\\UsernamePasswordToken":3:{i:0;N;i:1;s:4:"main";` +
    `i:2;a:5:{i:0;${inMemoryUser}i:1;b:1;i:2;N;i:3;a:0:{}i:4;a:1:{i:0;s:9:"ROLE_USER";}}}`
  );
}

/**
 * Symfony 5.4's sessions on RedisSessionHandler as test/fixtures/php/symfony-app.php logs a user
 * in: `_sf2_attributes` with the serialized token under `_security_main` (its user name
 * `user<n>`) and a `theme`, then `_sf2_meta` (updated, created, lifetime 0), under `sf_s<sid>`
 * with SETEX gc_maxlifetime.
 */
export async function seedSymfonySessions(port: number, opts: NodeSeedOptions): Promise<void> {
  const { from = 0, to, users = 1000 } = opts;
  const ttl = String(PHP_SEED_TTL);
  const now = Math.floor(Date.now() / 1000);
  const meta = `_sf2_meta|a:3:{s:1:"u";i:${now};s:1:"c";i:${now};s:1:"l";i:0;}`;
  await pipeCommands(
    port,
    chunkedBytes(
      each(from, to, (i) => {
        const attributes = `_sf2_attributes|a:2:{s:14:"_security_main";${str(symfonyToken(`user${i % users}`))}s:5:"theme";s:4:"dark";}`;
        return ['SETEX', `sf_s${sid(i)}`, ttl, `${attributes}${meta}`];
      }),
    ),
  );
}

/** SessionGuard::getName() of the web guard: 'login_web_' . sha1(SessionGuard::class). */
const LOGIN_WEB = `login_web_${createHash('sha1').update('Illuminate\\Auth\\SessionGuard').digest('hex')}`;

/**
 * Laravel 8's redis session driver as test/fixtures/php/laravel-app.php logs a user in (not
 * encrypted): the attributes `_token` (40 random letters and digits), the web guard's login
 * id, `theme` and `_flash`, serialize()d by the session Store and serialize()d again by
 * RedisStore::put, under `laravel_database_laravel_cache:<40-character id>` with SETEX of the
 * lifetime. The login id is the string `user<n>` (the app's are integers), as a user model
 * with string keys stores it.
 */
export async function seedLaravelSessions(port: number, opts: NodeSeedOptions): Promise<void> {
  const { from = 0, to, users = 1000 } = opts;
  const ttl = String(PHP_SEED_TTL);
  await pipeCommands(
    port,
    chunkedBytes(
      each(from, to, (i) => {
        const attributes =
          `a:4:{s:6:"_token";${str(randomChars(ALNUM, 40))}${str(LOGIN_WEB)}${str(`user${i % users}`)}` +
          `s:5:"theme";s:4:"dark";s:6:"_flash";a:2:{s:3:"old";a:0:{}s:3:"new";a:0:{}}}`;
        return ['SETEX', `laravel_database_laravel_cache:${uniqueId(i, ALNUM, 40)}`, ttl, str(attributes)];
      }),
    ),
  );
}
