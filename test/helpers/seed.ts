/**
 * Bulk-load sessions as connect-redis, Spring Session, koa-session, Better Auth and Auth.js write
 * them (and user records), through `redis-cli --pipe`: one RESP stream, hundreds of thousands of
 * sessions a second. Used by the tests and the bench. The PHP, Python, Ruby and Go frameworks'
 * seeders, built on the pieces exported here, are in seed-php.ts, seed-python.ts, seed-ruby.ts
 * and seed-go.ts.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export interface SeedOptions {
  /** Sessions numbered from..to-1; session i belongs to user `user<i % users>`. */
  from?: number;
  to: number;
  users?: number;
  prefix?: string;
}

function resp(parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
}

/** Send every chunk of commands through one `redis-cli --pipe`; fails unless all succeed. */
export async function pipeCommands(port: number, chunks: Iterable<string | Buffer>): Promise<void> {
  const child = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d.toString()));
  child.stderr.on('data', (d) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  Readable.from(chunks).pipe(child.stdin);
  const code = await exited;
  if (code !== 0 || !/errors: 0, replies: \d+/.test(out)) throw new Error(`redis-cli --pipe failed (${code}): ${out.slice(-500)}`);
}

/** The commands `command(i)` for i in from..to-1. */
export function* each<T>(from: number, to: number, command: (i: number) => T): Generator<T> {
  for (let i = from; i < to; i += 1) yield command(i);
}

/** Commands as RESP in chunks of about 1 MB. */
function* chunked(commands: Iterable<string[]>): Generator<string> {
  let chunk = '';
  for (const command of commands) {
    chunk += resp(command);
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/**
 * A version 4 UUID, as crypto.randomUUID() makes (koa-session's keys, Spring's and Auth.js's ids),
 * whose first 8 hex digits are `i`: unique within a seeding, random elsewhere.
 */
export function uniqueUuid(i: number): string {
  const r = randomBytes(16).toString('hex');
  const variant = '89ab'[parseInt(r.charAt(0), 16) & 3] as string;
  return `${i.toString(16).padStart(8, '0')}-${r.slice(1, 5)}-4${r.slice(5, 8)}-${variant}${r.slice(8, 11)}-${r.slice(11, 23)}`;
}

export async function seedSessions(port: number, opts: SeedOptions): Promise<void> {
  const { from = 0, to, users = 1000, prefix = 'sess:' } = opts;
  const expires = new Date(Date.now() + 86400_000).toISOString();
  await pipeCommands(
    port,
    chunked(
      each(from, to, (i) => {
        // Unique and session-id-like: the number in base 36, then random characters.
        const id = `${i.toString(36).padStart(8, '0')}${randomBytes(12).toString('base64url')}`;
        const value = JSON.stringify({
          cookie: { originalMaxAge: 86400000, expires, secure: false, httpOnly: true, path: '/' },
          passport: { user: `user${i % users}` },
          ip: '203.0.113.7',
        });
        return ['SET', `${prefix}${id}`, value, 'EX', '86400'];
      }),
    ),
  );
}

/** `count` user records `user:{user<i>}`, all with the same stored `passwordHash`. */
export async function seedUsers(port: number, count: number, passwordHash: string): Promise<void> {
  await pipeCommands(
    port,
    chunked(each(0, count, (i) => ['HSET', `user:{user${i}}`, 'password_hash', passwordHash, 'created_at', '2026-01-01T00:00:00.000Z'])),
  );
}

/** RESP of binary-safe arguments (JDK-serialized values are not text). */
function respBytes(parts: Buffer[]): Buffer {
  const out: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const p of parts) out.push(Buffer.from(`$${p.length}\r\n`), p, Buffer.from('\r\n'));
  return Buffer.concat(out);
}

/** Binary-safe commands (strings are sent as UTF-8) as RESP in chunks of about 1 MB. */
export function* chunkedBytes(commands: Iterable<Array<string | Buffer>>): Generator<Buffer> {
  let chunk: Buffer[] = [];
  let size = 0;
  for (const command of commands) {
    const c = respBytes(command.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    chunk.push(c);
    size += c.length;
    if (size > 1 << 20) {
      yield Buffer.concat(chunk);
      chunk = [];
      size = 0;
    }
  }
  if (chunk.length > 0) yield Buffer.concat(chunk);
}

export interface SpringSeedOptions {
  from?: number;
  to: number;
  users?: number;
  /** RedisIndexedSessionRepository's keys too: the shadow key, the minute set, the principal set. */
  indexed: boolean;
  /** JDK serialization of values, as test/fixtures/jdk/vectors.json has them (keys: long, integer, springStringPrincipal). */
  vectors: Record<string, string>;
}

/**
 * Sessions as Spring Session saves them (test/helpers/spring.ts does it with the real JDK; this
 * is the bulk form, for the bench): a hash of JDK-serialized values per session, the principal
 * a String in a SecurityContextImpl (the vector's "bob" swapped for user<i % users>).
 */
export async function seedSpringSessions(port: number, opts: SpringSeedOptions): Promise<void> {
  const { from = 0, to, users = 1000, indexed, vectors } = opts;
  const hex = (name: string) => Buffer.from(vectors[name] as string, 'hex');
  const now = Date.now();
  const long = (n: number) => {
    const b = hex('long');
    b.writeBigInt64BE(BigInt(n), b.length - 8);
    return b;
  };
  const int = (n: number) => {
    const b = hex('integer');
    b.writeInt32BE(n, b.length - 4);
    return b;
  };
  const jdkString = (s: string) =>
    Buffer.concat([Buffer.from([0xac, 0xed, 0x00, 0x05, 0x74, s.length >> 8, s.length & 0xff]), Buffer.from(s)]);
  const context = hex('springStringPrincipal');
  const bob = Buffer.from([0x74, 0x00, 0x03, 0x62, 0x6f, 0x62]);
  const at = context.indexOf(bob);
  if (at < 0) throw new Error('the springStringPrincipal vector has no "bob" string');
  const contextOf = (user: string) =>
    Buffer.concat([context.subarray(0, at), Buffer.from([0x74, 0x00, user.length]), Buffer.from(user), context.subarray(at + bob.length)]);
  const [created, accessed, inactive] = [long(now - 60_000), long(now), int(1800)];
  const b = (s: string) => Buffer.from(s);
  const minute = (Math.floor((now + 1_800_000) / 60_000) + 1) * 60_000;
  const ns = 'spring:session:';
  const index = `${ns}index:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:`;
  function* chunks(): Generator<Buffer> {
    let chunk: Buffer[] = [];
    let size = 0;
    for (let i = from; i < to; i += 1) {
      const id = uniqueUuid(i);
      const user = `user${i % users}`;
      const key = b(`${ns}sessions:${id}`);
      const commands = [
        respBytes([
          b('HSET'),
          key,
          b('creationTime'),
          created,
          b('lastAccessedTime'),
          accessed,
          b('maxInactiveInterval'),
          inactive,
          b('sessionAttr:SPRING_SECURITY_CONTEXT'),
          contextOf(user),
        ]),
      ];
      if (indexed) {
        commands.push(
          respBytes([b('PEXPIRE'), key, b(String(2_100_000))]),
          respBytes([b('SADD'), b(`${index}${user}`), jdkString(id)]),
          respBytes([b('SET'), b(`${ns}sessions:expires:${id}`), b(''), b('PX'), b('1800000')]),
          respBytes([b('SADD'), b(`${ns}expirations:${minute}`), jdkString(`expires:${id}`)]),
        );
      } else commands.push(respBytes([b('PEXPIRE'), key, b('1800000')]));
      for (const c of commands) {
        chunk.push(c);
        size += c.length;
      }
      if (size > 1 << 20) {
        yield Buffer.concat(chunk);
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length > 0) yield Buffer.concat(chunk);
  }
  await pipeCommands(port, chunks());
}

export type NodeSeedOptions = Omit<SeedOptions, 'prefix'>;

/** Each user's sessions among from..to-1 (session i is user `i % users`'s), one user at a time: for stores that keep a per-user index. */
function* byUser(from: number, to: number, users: number): Generator<{ user: string; sessions: number[] }> {
  for (let u = 0; u < users; u += 1) {
    const sessions: number[] = [];
    for (let i = from + ((((u - from) % users) + users) % users); i < to; i += users) sessions.push(i);
    if (sessions.length > 0) yield { user: `user${u}`, sessions };
  }
}

export const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** `n` random letters and digits: Better Auth's generateId(n). */
function alnum(n: number): string {
  return randomChars(ALNUM, n);
}

/** `n` random characters of `alphabet` (at most 256 characters). */
export function randomChars(alphabet: string, n: number): string {
  let s = '';
  for (const b of randomBytes(n)) s += alphabet[b % alphabet.length];
  return s;
}

/**
 * An id of `length` characters of `alphabet` that is unique within a seeding and random
 * elsewhere: `i` written in the alphabet's digits (base alphabet.length), padded to `lead`
 * characters, then random characters of it.
 */
export function uniqueId(i: number, alphabet: string, length: number, lead = 8): string {
  let digits = '';
  for (let n = i; digits.length < lead; n = Math.floor(n / alphabet.length)) digits = alphabet[n % alphabet.length] + digits;
  if (Math.floor(i / alphabet.length ** lead) > 0) throw new Error(`${i} does not fit in ${lead} digits of base ${alphabet.length}`);
  return digits + randomChars(alphabet, length - lead);
}

/** What a browser sends: sessions that record it (Better Auth) carry this much. */
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/**
 * Sessions as koa-session 7 saves them through koa-redis 4 with koa-session's defaults (checked
 * against test/helpers/apps/koa.ts): the key a bare random UUID (`prefix` unset), the value the
 * session as JSON plus `_expire` and `_maxAge`, stored with `SETEX` of maxAge + 10 s in seconds.
 * The user is koa-passport's `passport.user`. maxAge is koa-session's default, one day.
 */
export async function seedKoaSessions(port: number, opts: SeedOptions): Promise<void> {
  const { from = 0, to, users = 1000, prefix = '' } = opts;
  const maxAge = 86_400_000;
  const expire = Date.now() + maxAge;
  const ttl = String(Math.ceil((maxAge + 10_000) / 1000));
  await pipeCommands(
    port,
    chunked(
      each(from, to, (i) => {
        const value = JSON.stringify({ passport: { user: `user${i % users}` }, _expire: expire, _maxAge: maxAge });
        return ['SETEX', `${prefix}${uniqueUuid(i)}`, ttl, value];
      }),
    ),
  );
}

/**
 * Appends entries (ARGV[1], JSON objects joined by commas) to Better Auth's `active-sessions-<userId>`
 * list (KEYS[1]) and sets its TTL (ARGV[2], seconds), byte for byte as the app's own read, append
 * and SET leave it (cjson would reorder the entries' members).
 */
const APPEND_ACTIVE_SESSIONS = `local v = redis.call('GET', KEYS[1])
local list = '[' .. ARGV[1] .. ']'
if v and v ~= '[]' then list = string.sub(v, 1, -2) .. ',' .. ARGV[1] .. ']' end
return redis.call('SET', KEYS[1], list, 'EX', ARGV[2])`;

/**
 * Sessions as Better Auth 1.x signs users in with `secondaryStorage` (checked against
 * test/helpers/apps/better-auth.ts and its internal-adapter): the key the bare session token
 * (generateId(32): letters and digits), the value `{"session":{...},"user":{...}}` with the TTL
 * up to `expiresAt` (the default expiresIn, 7 days), and per user the list
 * `active-sessions-<userId>` of `{token, expiresAt}` (ms), ordered by expiry, its TTL the
 * latest's. The user id is `user<n>` (the app's are generateId(32)), so that `--user user<n>`
 * finds the list. A later range appends to the lists an earlier one left, as sign-ins do.
 */
export async function seedBetterAuthSessions(port: number, opts: NodeSeedOptions): Promise<void> {
  const { from = 0, to, users = 1000 } = opts;
  const now = Date.now();
  const ttl = 7 * 86400;
  const expiresAtMs = now + ttl * 1000;
  const [at, expiresAt, joined] = [now, expiresAtMs, now - 30 * 86400_000].map((t) => new Date(t).toISOString());
  function* commands(): Generator<string[]> {
    for (const { user: userId, sessions } of byUser(from, to, users)) {
      const user = JSON.stringify({
        name: userId,
        email: `${userId}@example.com`,
        emailVerified: false,
        createdAt: joined,
        updatedAt: joined,
        id: userId,
      });
      const entries: string[] = [];
      for (const i of sessions) {
        // Unique: the number in base 36, then random letters and digits (base 36 is a subset of them).
        const token = `${i.toString(36).padStart(8, '0')}${alnum(24)}`;
        const session = JSON.stringify({
          id: alnum(32),
          ipAddress: '203.0.113.7',
          userAgent: USER_AGENT,
          expiresAt,
          userId,
          token,
          createdAt: at,
          updatedAt: at,
        });
        yield ['SET', token, `{"session":${session},"user":${user}}`, 'EX', String(ttl)];
        entries.push(JSON.stringify({ token, expiresAt: expiresAtMs }));
      }
      yield ['EVAL', APPEND_ACTIVE_SESSIONS, '1', `active-sessions-${userId}`, entries.join(','), String(ttl)];
    }
  }
  await pipeCommands(port, chunked(commands()));
}

/**
 * Database sessions as Auth.js (@auth/core) creates them through @auth/unstorage-adapter
 * (checked against test/helpers/apps/authjs.ts): `user:session:<sessionToken>` (a random UUID)
 * holding `{"sessionToken","userId","expires"}` (maxAge's default, 30 days) with no TTL, and
 * `user:session:by-user-id:<userId>` naming the user's last session key, also without a TTL.
 * The user id is `user<n>` (the app's are UUIDs); the user records (`user:<id>`,
 * `user:email:<email>`) the adapter keeps beside them are left out.
 */
export async function seedAuthjsSessions(port: number, opts: NodeSeedOptions): Promise<void> {
  const { from = 0, to, users = 1000 } = opts;
  const expires = new Date(Date.now() + 30 * 86400_000).toISOString();
  function* commands(): Generator<string[]> {
    for (const { user: userId, sessions } of byUser(from, to, users)) {
      let last = '';
      for (const i of sessions) {
        const sessionToken = uniqueUuid(i);
        last = `user:session:${sessionToken}`;
        yield ['SET', last, JSON.stringify({ sessionToken, userId, expires })];
      }
      yield ['SET', `user:session:by-user-id:${userId}`, last];
    }
  }
  await pipeCommands(port, chunked(commands()));
}
