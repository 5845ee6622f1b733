/**
 * Bulk-load sessions as the gorilla/sessions + boj/redistore application of
 * test/fixtures/gorilla/main.go writes them with redistore's gob serializer
 * (test/helpers/gorilla.ts), through `redis-cli --pipe`. Used by the bench;
 * test/int/seed-layouts.int.test.ts holds the seeder to the real application (which must read
 * what it writes) and to its values as the tool reads them. Session i belongs to `user<i % users>`.
 *
 * The value is the gob stream Go 1.19 wrote for one login of that app (session.Values: an int key,
 * `username`, `user_id`, `login` a time.Time, `profile` a registered main.Profile), with the
 * user's name, number and login time put in and every length that covers them recomputed. Go
 * writes a map's entries in random order, and the type definitions where a type is first met:
 * this is one order Go wrote.
 */
import { chunkedBytes, each, pipeCommands, uniqueId, type NodeSeedOptions } from './seed.js';

/** The app's Options.MaxAge (an hour): redistore's SETEX on each save. */
export const GORILLA_SEED_TTL = 3600;

/** gob's unsigned integer: one byte below 128, else the byte count negated and the big-endian bytes. */
function uint(n: number): Buffer {
  if (n < 128) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x % 256);
  return Buffer.from([256 - bytes.length, ...bytes]);
}
/** gob's signed integer (n >= 0 here): zigzag, then as uint. */
const int = (n: number) => uint(n * 2);
const text = (s: string) => {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([uint(bytes.length), bytes]);
};
const hex = (h: string) => Buffer.from(h, 'hex');
/** A message: its length, then its bytes. */
const message = (...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([uint(body.length), body]);
};
/** An interface value of a basic type: its type's name, its type id, its byte count, then 0 (a singleton) and the value. */
const iface = (name: string, typeId: number, value: Buffer) =>
  Buffer.concat([text(name), int(typeId), uint(value.length + 1), Buffer.from([0]), value]);
const STRING = 6;
const INT = 2;

/** The type definition of map[interface{}]interface{} (type id 65): redistore encodes session.Values. */
const MAP_TYPE = hex('0eff81040102ff8200011001100000');
/** The map's type id, a 0, 5 entries; the first: 42 => "an int key" (the app adds it with gob). */
const MAP_START = Buffer.concat([hex('ff820005'), iface('int', INT, int(42)), iface('string', STRING, text('an int key'))]);
/** `login` => a time.Time: the key, the type's name and its definition (id 66, a GobEncoder). */
const LOGIN = Buffer.concat([iface('string', STRING, text('login')), text('time.Time'), hex('ff830501010454696d6501ff84000000')]);
/**
 * After the time's 15 bytes: `profile` => main.Profile, with the definitions of Profile (id 67)
 * and its []string (id 68, the next message).
 */
const PROFILE = Buffer.concat([
  iface('string', STRING, text('profile')),
  text('main.Profile'),
  hex('ff850301010750726f66696c6501ff8600010301044e616d65010c000105526f6c657301ff880001054c6576656c0104000000'),
]);
const STRINGS_TYPE = hex('16ff87020101085b5d737472696e6701ff8800010c0000');

/** time.Time's MarshalBinary (version 1) in UTC: seconds since year 1, nanoseconds, offset -1 (UTC). */
function goTime(ms: number): Buffer {
  const b = Buffer.alloc(15);
  b[0] = 1;
  b.writeBigInt64BE(BigInt(Math.floor(ms / 1000)) + 62_135_596_800n, 1);
  b.writeInt32BE((ms % 1000) * 1_000_000, 9);
  b.writeInt16BE(-1, 13);
  return b;
}

/** session.Values of one login, as the app's gob holds them. */
export function gorillaValue(user: string, userId: number, loginMs: number): Buffer {
  // main.Profile{Name: user, Roles: ["reader"], Level: 2}: field deltas, each field, then 0.
  const profile = Buffer.concat([hex('01'), text(user), hex('0101'), text('reader'), hex('010400')]);
  return Buffer.concat([
    MAP_TYPE,
    message(
      MAP_START,
      iface('string', STRING, text('username')),
      iface('string', STRING, text(user)),
      iface('string', STRING, text('user_id')),
      iface('int', INT, int(userId)),
      LOGIN,
    ),
    // The time.Time value (type id 66, byte count 17), then the next entry's key and definitions.
    message(hex('ff841100'), uint(15), goTime(loginMs), PROFILE),
    STRINGS_TYPE,
    // The Profile value: type id 67, its byte count, the struct.
    message(int(67), uint(profile.length), profile),
  ]);
}

/** redistore's ids: 32 random bytes in base32 without padding, 52 characters, the last carrying one bit (A or Q). */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const sessionId = (i: number) => `${uniqueId(i, BASE32, 51, 7)}${Math.random() < 0.5 ? 'A' : 'Q'}`;

/**
 * The app's logins: `username` user<n>, `user_id` n, `login` the time of the seeding, under
 * `session_<id>` with SETEX MaxAge.
 */
export async function seedGorillaSessions(port: number, opts: NodeSeedOptions): Promise<void> {
  const { from = 0, to, users = 1000 } = opts;
  const ttl = String(GORILLA_SEED_TTL);
  const login = Date.now();
  await pipeCommands(
    port,
    chunkedBytes(
      each(from, to, (i) => {
        const n = i % users;
        return ['SETEX', `session_${sessionId(i)}`, ttl, gorillaValue(`user${n}`, n, login)];
      }),
    ),
  );
}
