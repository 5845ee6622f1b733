/**
 * Bulk-load sessions as the Rails 6.1 application of test/fixtures/rails/app.rb writes them
 * (test/helpers/apps/rails.ts), through `redis-cli --pipe`: on redis-actionpack's `:redis_store`
 * and on `:cache_store` over RedisCacheStore, Warden keeping the user as Devise does
 * (`warden.user.user.key` = [[id], salt]), in Ruby Marshal 4.8 written here byte for byte as
 * Ruby 3.1's Marshal.dump writes these values. Used by the bench;
 * test/int/seed-layouts.int.test.ts holds each seeder to the real application's bytes and to
 * Ruby's own Marshal. Session i belongs to `user<i % users>`.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { chunkedBytes, each, pipeCommands, uniqueId, type NodeSeedOptions } from './seed.js';

/** The app's expire_after (an hour): redis-rack's SETEX, and the cache Entry's @expires_in and PX. */
export const RAILS_SEED_TTL = 3600;

/** Marshal's w_long for a length or count (0 <= n < 2^31). */
function long(n: number): Buffer {
  if (n === 0) return Buffer.from([0]);
  if (n < 123) return Buffer.from([n + 5]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.push(x % 256);
  return Buffer.from([bytes.length, ...bytes]);
}

const raw = (s: string) => Buffer.from(s, 'latin1');
/** A Symbol: `:` and its name. */
const symbol = (name: string) => Buffer.concat([raw(':'), long(name.length), raw(name)]);

/**
 * A UTF-8 String with its encoding ivar, `E` true: `e` is the Symbol `E` itself the first time a
 * dump meets it, a link to it (`;` and its index) after.
 */
function string(s: string, e: Buffer): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([raw('I"'), long(bytes.length), bytes, long(1), e, raw('T')]);
}

/** A Float as Marshal writes it (w_float): the shortest digits, in exponent form when the decimal point lies outside them. */
export function rubyFloat(x: number): Buffer {
  const [mantissa = '', exponent = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const point = Number(exponent) + 1;
  let text: string;
  if (point < -3 || point > digits.length) text = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${point - 1}`;
  else if (point > 0) text = `${digits.slice(0, point)}${digits.length > point ? `.${digits.slice(point)}` : ''}`;
  else text = `0.${'0'.repeat(-point)}${digits}`;
  const body = raw(`${x < 0 ? '-' : ''}${text}`);
  return Buffer.concat([raw('f'), long(body.length), body]);
}

/** The session Hash Warden leaves after login, its `E` symbol first met here (`e`) and linked as `link` after. */
function wardenSession(user: string, salt: string, e: Buffer, link: Buffer): Buffer {
  return Buffer.concat([
    raw('{'),
    long(1),
    string('warden.user.user.key', e),
    // [[id], salt]: Devise's serialize_into_session (the id is the text user<n>; the app's are integers).
    raw('['),
    long(2),
    raw('['),
    long(1),
    string(user, link),
    string(salt, link),
  ]);
}

/** The app's users' salts, as Devise's authenticatable_salt is the start of a bcrypt hash: `$2a$12$` and 22 characters. */
const saltOf = (user: string) => `$2a$12$${createHash('sha256').update(user).digest('hex').slice(0, 22)}`;

/** Rack's session ids: SecureRandom.hex(16) in the cookie, and in the key `2::` and its SHA-256 (Rack::Session::SessionId#private_id). */
const privateId = (i: number) =>
  `2::${createHash('sha256')
    .update(uniqueId(i, '0123456789abcdef', 32))
    .digest('hex')}`;

const E = symbol('E');

/** redis-actionpack / redis-rack: the session Hash in Marshal under `rack:session:2::<sha256>`, SETEX expire_after. */
export async function seedRailsSessions(port: number, opts: NodeSeedOptions): Promise<void> {
  const { from = 0, to, users = 1000 } = opts;
  const ttl = String(RAILS_SEED_TTL);
  const head = raw('\x04\x08');
  const link = Buffer.concat([raw(';'), long(0)]);
  await pipeCommands(
    port,
    chunkedBytes(
      each(from, to, (i) => {
        const user = `user${i % users}`;
        const value = Buffer.concat([head, wardenSession(user, saltOf(user), E, link)]);
        return ['SETEX', `rack:session:${privateId(i)}`, ttl, value];
      }),
    ),
  );
}

/**
 * Rails 6.1's `:cache_store` on RedisCacheStore: an ActiveSupport::Cache::Entry in Marshal
 * (`@value` the session Hash, `@version` nil, `@created_at` the time of the write and
 * `@expires_in` expire_after, both Floats) under `_session_id:2::<sha256>`, `SET ... PX`
 * expire_after.
 */
export async function seedRailsCacheSessions(port: number, opts: NodeSeedOptions): Promise<void> {
  const { from = 0, to, users = 1000 } = opts;
  const px = String(RAILS_SEED_TTL * 1000);
  // Symbols 0 and 1 are the class name and @value: `E` is symbol 2.
  const link = Buffer.concat([raw(';'), long(2)]);
  const head = Buffer.concat([raw('\x04\x08o'), symbol('ActiveSupport::Cache::Entry'), long(4), symbol('@value')]);
  const tail = Buffer.concat([
    symbol('@version'),
    raw('0'),
    symbol('@created_at'),
    rubyFloat((performance.timeOrigin + performance.now()) / 1000),
    symbol('@expires_in'),
    rubyFloat(RAILS_SEED_TTL),
  ]);
  await pipeCommands(
    port,
    chunkedBytes(
      each(from, to, (i) => {
        const user = `user${i % users}`;
        const value = Buffer.concat([head, wardenSession(user, saltOf(user), E, link), tail]);
        return ['SET', `_session_id:${privateId(i)}`, value, 'PX', px];
      }),
    ),
  );
}
